"""The sandbox reset-link sender (embedded default): each message is one JSON line in
`<var>/outbox/messages.jsonl`, written in Chinese and English as it would be sent, until
the e-mail and SMS channels deliver it."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

SUBJECTS = {
    "set_password": "设置您的获客控制台密码 · Set your huoke console password",
    "reset_password": "重置您的获客控制台密码 · Reset your huoke console password",
}


class OutboxResetLinks:
    """Appends one message per link to `<var>/outbox/messages.jsonl`."""

    def __init__(self, outbox: Path) -> None:
        self.path = outbox / "messages.jsonl"
        self._lock = threading.Lock()

    def send(self, *, identifier: str, name: str, link: str, purpose: str) -> None:
        channel, _, address = identifier.partition(":")
        message = {
            "at": datetime.now(UTC).isoformat(),
            "channel": channel,
            "to": address,
            "subject": SUBJECTS[purpose],
            "body": f"{name + '，' if name else ''}您好：请在一小时内打开此链接设置密码 · "
            f"Open this link within an hour to set your password: {link}",
            "link": link,
            "purpose": purpose,
        }
        # Unlike an owner notice, a lost link leaves the person locked out: let it raise.
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(message, ensure_ascii=False) + "\n")
