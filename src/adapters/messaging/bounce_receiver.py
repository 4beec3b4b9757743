"""The SMTP server that bounces and complaints come back to (MAIL-5), on aiosmtpd.

Every message's envelope sender is a signed VERP address at the tenant's sending domain
whose MX points here, so the receiver accepts mail only for addresses `message_of`
recognises (550 for anyone else: we are no open mailbox), parses what arrives with
`dsn.parse_report` and hands each failure or complaint to `on_report(message_id,
permanent, detail, complaint)`. Mail that is no report is accepted and dropped, so the
sending MTA does not bounce our bounce address in turn. When `on_report` fails (the
database is away), the answer is 451 and the reporting MTA tries again later.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from adapters.messaging.dsn import MessageOf, parse_report

log = logging.getLogger(__name__)

SIZE_LIMIT = 1024 * 1024  # a DSN quotes at most the headers or the message; ours are small
OnReport = Callable[[str, bool, str, bool], bool]


class BounceHandler:
    """aiosmtpd hooks: RCPT checks the VERP address, DATA parses and reports."""

    def __init__(self, message_of: MessageOf, on_report: OnReport) -> None:
        self.message_of = message_of
        self.on_report = on_report

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not self._known(address):
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        reports = parse_report(
            data, envelope_recipients=list(envelope.rcpt_tos), message_of=self.message_of
        )
        loop = asyncio.get_running_loop()
        for report in reports:
            if report.message_id is None:
                continue
            try:
                # on_report writes to the database: off the event loop.
                known = await loop.run_in_executor(
                    None,
                    self.on_report,
                    report.message_id,
                    report.permanent,
                    report.detail,
                    report.complaint,
                )
            except Exception:
                log.exception("recording a bounce of message %s failed", report.message_id)
                return "451 4.3.0 Cannot record the report now, try again later"
            if not known:
                log.info("bounce for unknown message %s ignored", report.message_id)
        return "250 2.0.0 OK"

    def _known(self, address: str) -> bool:
        try:
            return self.message_of(address) is not None
        except Exception:  # a malformed address is simply not ours
            return False


class BounceReceiver:
    """The bounce SMTP server on `host:port` (port 0: a free one, see `.port`)."""

    def __init__(self, host: str, port: int, message_of: MessageOf, on_report: OnReport) -> None:
        self.host = host
        self.port = port or _free_port(host)
        self.handler = BounceHandler(message_of, on_report)
        self._controller: Controller | None = None

    def start(self) -> None:
        controller = Controller(
            self.handler,
            hostname=self.host,
            port=self.port,
            data_size_limit=SIZE_LIMIT,
            decode_data=False,
            enable_SMTPUTF8=True,
            ident="huoke bounce receiver",
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> BounceReceiver:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
