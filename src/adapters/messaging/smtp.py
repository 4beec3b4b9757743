"""The SMTP relay adapter (aiosmtplib): TLS or STARTTLS, AUTH, connections kept open
between batches, and the commit before the relay takes a message (ADR 0015).

Per message and connection: MAIL FROM (the VERP return path), RCPT TO, DATA, the
dot-stuffed message *without* its terminating ".". Once every connection of the round
holds a staged message, `commit` runs (the pipeline records them sent); only then is
each "." written and the relay's answer read. If `commit` raises or the process dies
before it returns, the connections close mid-DATA and the relay discards the messages
(RFC 5321 §4.1.1.4: the transaction is complete only with the final dot).
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from application.messaging.ports import MailOutcome, OutgoingMail

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class RelayAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # smtps: TLS from the first byte (465)
    start_tls: bool | None = None  # None: STARTTLS when the relay offers it
    validate_certs: bool = True

    @classmethod
    def parse(cls, url: str) -> RelayAddress:
        """`smtp://user:password@host:587` (STARTTLS if offered; `?starttls=required`
        insists, `?starttls=no` never), `smtps://…:465`; `?verify=no` accepts a relay's
        self-signed certificate."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("HUOKE_SMTP_URL must look like smtp://user:password@host:587")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        use_tls = parts.scheme == "smtps"
        start_tls = {"required": True, "no": False}.get(query.get("starttls", ""))
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if use_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=use_tls,
            start_tls=False if use_tls else start_tls,
            validate_certs=query.get("verify", "yes") != "no",
        )


class _Refused(Exception):
    def __init__(self, outcome: MailOutcome) -> None:
        self.outcome = outcome


class SmtpTransport:
    """`MailTransport` over up to `connections` reused SMTP connections."""

    def __init__(
        self,
        relay: RelayAddress,
        *,
        connections: int = 10,
        timeout: float = DEFAULT_TIMEOUT,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.relay = relay
        self.size = max(1, connections)
        self.timeout = timeout
        self.tls_context = tls_context
        self._loop = asyncio.new_event_loop()
        self._open: list[aiosmtplib.SMTP] = []
        self._lock = threading.Lock()  # test sends may come from request threads

    def deliver(
        self, mails: Sequence[OutgoingMail], commit: Callable[[Sequence[str]], None]
    ) -> list[MailOutcome]:
        with self._lock:
            return self._loop.run_until_complete(self._deliver(list(mails), commit))

    def close(self) -> None:
        with self._lock:
            for connection in self._open:
                connection.close()
            self._open = []
            self._loop.close()

    async def _deliver(
        self, mails: list[OutgoingMail], commit: Callable[[Sequence[str]], None]
    ) -> list[MailOutcome]:
        outcomes: dict[str, MailOutcome] = {}
        for start in range(0, len(mails), self.size):
            chunk = mails[start : start + self.size]
            connections = await self._connections(len(chunk))
            pairs = list(zip(connections, chunk, strict=False))
            staged = await asyncio.gather(*(self._stage(c, m) for c, m in pairs))
            ready = [(c, m) for (c, m), refused in zip(pairs, staged, strict=True) if not refused]
            for (_, mail), refused in zip(pairs, staged, strict=True):
                if refused:
                    outcomes[mail.message_id] = refused
            for mail in chunk[len(connections) :]:  # no connection could be opened for it
                outcomes[mail.message_id] = MailOutcome(mail.message_id, False, detail="no relay")
            if not ready:
                continue
            try:
                commit([mail.message_id for _, mail in ready])
            except BaseException:
                for connection, _ in ready:  # mid-DATA: the relay discards the message
                    self._drop(connection)
                raise
            finished = await asyncio.gather(*(self._finish(c, m) for c, m in ready))
            outcomes.update({outcome.message_id: outcome for outcome in finished})
        return [outcomes[mail.message_id] for mail in mails]

    async def _connections(self, wanted: int) -> list[aiosmtplib.SMTP]:
        self._open = [c for c in self._open if c.is_connected]
        while len(self._open) < min(wanted, self.size):
            connection = aiosmtplib.SMTP(
                hostname=self.relay.host,
                port=self.relay.port,
                use_tls=self.relay.use_tls,
                start_tls=self.relay.start_tls,
                validate_certs=self.relay.validate_certs,
                tls_context=self.tls_context,
                username=self.relay.username,
                password=self.relay.password,
                timeout=self.timeout,
            )
            try:
                await connection.connect()
            except (aiosmtplib.SMTPException, OSError):
                break  # the messages without a connection are soft failures
            self._open.append(connection)
        return self._open[:wanted]

    async def _stage(self, connection: aiosmtplib.SMTP, mail: OutgoingMail) -> MailOutcome | None:
        """MAIL, RCPT, DATA and the message without its final dot; None when staged
        (the connection's command lock is then held until `_finish`)."""
        try:
            await connection.mail(mail.envelope_from)
            await connection.rcpt(mail.recipient)
            protocol = connection.protocol
            assert protocol is not None
            await protocol._command_lock.acquire()  # type: ignore[union-attr]
            protocol._response_pending = True
            protocol.write(b"DATA\r\n")
            started = await protocol.read_response(timeout=self.timeout)
            if started.code != 354:
                protocol._command_lock.release()  # type: ignore[union-attr]
                raise aiosmtplib.SMTPDataError(started.code, started.message)
            body = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(mail.data))
            protocol.write(body)
            return None
        except aiosmtplib.SMTPResponseException as refused:
            await self._reset(connection)
            return MailOutcome(
                mail.message_id,
                accepted=False,
                permanent=500 <= refused.code < 600,
                code=refused.code,
                detail=refused.message[:300],
            )
        except (aiosmtplib.SMTPException, OSError) as lost:
            self._drop(connection)
            return MailOutcome(mail.message_id, accepted=False, detail=str(lost)[:300])

    async def _finish(self, connection: aiosmtplib.SMTP, mail: OutgoingMail) -> MailOutcome:
        protocol = connection.protocol
        try:
            assert protocol is not None
            protocol._response_pending = True
            protocol.write(b".\r\n")
            answer = await protocol.read_response(timeout=self.timeout)
        except (aiosmtplib.SMTPException, OSError) as lost:
            self._drop(connection)
            return MailOutcome(mail.message_id, accepted=False, detail=str(lost)[:300])
        finally:
            lock = protocol._command_lock if protocol is not None else None
            if lock is not None and lock.locked():
                lock.release()
        if answer.code == 250:
            return MailOutcome(mail.message_id, accepted=True, code=250, detail=answer.message)
        return MailOutcome(
            mail.message_id,
            accepted=False,
            permanent=500 <= answer.code < 600,
            code=answer.code,
            detail=answer.message[:300],
        )

    async def _reset(self, connection: aiosmtplib.SMTP) -> None:
        try:
            await connection.rset()
        except (aiosmtplib.SMTPException, OSError):
            self._drop(connection)

    def _drop(self, connection: aiosmtplib.SMTP) -> None:
        connection.close()
        if connection in self._open:
            self._open.remove(connection)
