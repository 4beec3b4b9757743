"""A local SMTP server (aiosmtpd) that keeps what it was sent, for the relay, crash and
bench tests: every accepted message with its envelope, refusing chosen recipients."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from tests.integration.serve_process import free_port


@dataclass(frozen=True)
class Received:
    mail_from: str
    recipients: tuple[str, ...]
    data: bytes

    @property
    def message_id(self) -> str:
        return str(BytesHeaderParser().parsebytes(self.data).get("Message-ID", ""))


@dataclass
class _Handler:
    refuse: set[str] = field(default_factory=set)  # recipients answered 550
    delay: float = 0.0  # seconds before each message is accepted (slows a sender)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.delay:
            time.sleep(self.delay)  # the server's own thread: a slow relay
        data = envelope.original_content or b""
        with self.lock:
            self.received.append(
                Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), bytes(data))
            )
        return "250 2.0.0 queued"


class SmtpSink:
    """`with SmtpSink() as sink:` a server on 127.0.0.1:`sink.port`."""

    def __init__(self, *, delay: float = 0.0, tls_context: Any = None, **options: Any) -> None:
        self.handler = _Handler(delay=delay)
        self.port = free_port()
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=tls_context,
            decode_data=False,
            data_size_limit=10_000_000,
            **options,
        )

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def refuse(self, address: str) -> None:
        self.handler.refuse.add(address.lower())

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.controller.stop()
