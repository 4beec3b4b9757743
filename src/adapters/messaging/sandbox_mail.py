"""The embedded default relay: each message becomes `<message id>.eml` under the
outbox directory (DESIGN "Outside systems"), written as `.eml.tmp` first and renamed
only after the pipeline's commit — the same protocol as SMTP's final dot, so a crash
leaves at most a stale `.tmp` file, which the next attempt overwrites."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from application.messaging.ports import MailOutcome, OutgoingMail


class SandboxOutbox:
    """`MailTransport` into a directory of .eml files (the envelope in X- headers)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def deliver(
        self, mails: Sequence[OutgoingMail], commit: Callable[[Sequence[str]], None]
    ) -> list[MailOutcome]:
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            staged: list[tuple[Path, Path]] = []
            for mail in mails:
                final = self.directory / f"{mail.message_id}.eml"
                if final.exists():  # taken by an earlier attempt that crashed after it
                    continue
                temporary = final.with_suffix(".eml.tmp")
                envelope = (
                    f"X-Envelope-From: {mail.envelope_from}\r\nX-Envelope-To: {mail.recipient}\r\n"
                ).encode()
                temporary.write_bytes(envelope + mail.data)
                staged.append((temporary, final))
            commit([mail.message_id for mail in mails])
            for temporary, final in staged:
                os.replace(temporary, final)
        return [MailOutcome(mail.message_id, accepted=True, code=250) for mail in mails]

    def close(self) -> None:
        """Nothing is held open."""
