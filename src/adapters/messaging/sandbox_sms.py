"""The embedded SMS provider: every text becomes one JSON line in a file of the day under
`var/sms-outbox/` (nothing leaves the machine). Reviews of signatures and templates pass
at once. Lines are appended and flushed to disk before the outcome is answered, so a
text answered as sent is in the outbox."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from application.messaging.ports import OutgoingSms, SmsOutcome
from application.messaging.sms_reviews import APPROVED, ProviderReview
from domain.messaging.sms_content import Piece, segment_count, signed, sms_length

OUTBOX = "sms-outbox"


class SandboxSms:
    """`SmsProvider` and `SmsReviews` writing to the outbox directory."""

    name = "sandbox"

    def __init__(self, directory: Path, now: Callable[[], datetime] | None = None) -> None:
        self.directory = directory
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()

    def send(self, messages: Sequence[OutgoingSms]) -> list[SmsOutcome]:
        if not messages:
            return []
        now = self._now()
        lines = []
        for message in messages:
            text = signed(message.signature, message.text)
            record: dict[str, Any] = {
                "message_id": message.message_id,
                "mobile": message.mobile,
                "signature": message.signature,
                "text": text,
                "length": sms_length(text),
                "segments": segment_count(sms_length(text)),
                "template": getattr(message, "template", ""),
                "at": now.isoformat(),
            }
            lines.append(json.dumps(record, ensure_ascii=False) + "\n")
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{now:%Y-%m-%d}.jsonl"
        with self._lock, path.open("a", encoding="utf-8") as outbox:
            outbox.write("".join(lines))
            outbox.flush()
            os.fsync(outbox.fileno())
        return [
            SmsOutcome(m.message_id, accepted=True, provider_id=f"sandbox-{m.message_id}")
            for m in messages
        ]

    def sent(self) -> list[dict[str, Any]]:
        """Every text in the outbox, oldest file first (for tests and the console)."""
        if not self.directory.exists():
            return []
        found: list[dict[str, Any]] = []
        for path in sorted(self.directory.glob("*.jsonl")):
            with path.open(encoding="utf-8") as outbox:
                found.extend(json.loads(line) for line in outbox if line.strip())
        return found

    # --- review: the sandbox approves at once -----------------------------------------

    def submit_signature(self, text: str, purpose: str) -> ProviderReview:
        return ProviderReview(APPROVED, ref=text)

    def signature_review(self, ref: str, text: str) -> ProviderReview:
        return ProviderReview(APPROVED, ref=ref)

    def submit_template(self, name: str, pieces: Sequence[Piece], purpose: str) -> ProviderReview:
        return ProviderReview(APPROVED, ref="")

    def template_review(self, ref: str) -> ProviderReview:
        return ProviderReview(APPROVED, ref=ref)
