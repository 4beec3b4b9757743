"""The bounce SMTP server, spoken to over a real socket by aiosmtplib as a reporting MTA
would."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aiosmtplib
import pytest

from adapters.messaging.bounce_receiver import BounceReceiver
from tests.unit.messaging.test_dsn import (
    EXCHANGE_NDR,
    MESSAGE,
    VERP,
    arf,
    message_of,
    postfix_dsn,
)


class Recorder:
    """on_report: what it was told; `fail` makes it raise (the database is away)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool, str, bool]] = []
        self.fail = False
        self.known = True

    def __call__(self, message_id: str, permanent: bool, detail: str, complaint: bool) -> bool:
        if self.fail:
            raise ConnectionError("database unavailable")
        self.calls.append((message_id, permanent, detail, complaint))
        return self.known


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def receiver(recorder: Recorder) -> Iterator[BounceReceiver]:
    with BounceReceiver("127.0.0.1", 0, message_of, recorder) as server:
        yield server


def send(receiver: BounceReceiver, message: str | bytes, *, to: str = VERP) -> tuple[int, str]:
    """One SMTP transaction from the null sender, as bounces are sent (RFC 5321 §4.5.5)."""

    async def transaction() -> tuple[int, str]:
        async with aiosmtplib.SMTP(hostname=receiver.host, port=receiver.port, timeout=10) as smtp:
            raw = message.encode() if isinstance(message, str) else message
            _, reply = await smtp.sendmail("", [to], raw)
            return 250, reply

    return asyncio.run(transaction())


def test_a_hard_bounce_is_reported(receiver: BounceReceiver, recorder: Recorder) -> None:
    code, _ = send(receiver, postfix_dsn())

    assert code == 250
    assert recorder.calls == [
        (
            MESSAGE,
            True,
            "550 5.1.1 <zhang.wei@example.com>: Recipient address rejected: "
            "User unknown in virtual mailbox table",
            False,
        )
    ]


def test_an_exchange_ndr_and_a_soft_bounce(receiver: BounceReceiver, recorder: Recorder) -> None:
    send(receiver, EXCHANGE_NDR)
    send(receiver, postfix_dsn(status="4.2.2", diagnostic="smtp; 452 4.2.2 Mailbox full"))

    assert [(m, permanent, complaint) for m, permanent, _, complaint in recorder.calls] == [
        (MESSAGE, True, False),
        (MESSAGE, False, False),
    ]
    assert recorder.calls[1][2] == "452 4.2.2 Mailbox full"


def test_a_complaint_is_reported(receiver: BounceReceiver, recorder: Recorder) -> None:
    send(receiver, arf())

    assert recorder.calls == [(MESSAGE, True, "complaint (abuse) from SomeGenerator/1.0", True)]


def test_a_delay_notice_is_accepted_and_not_reported(
    receiver: BounceReceiver, recorder: Recorder
) -> None:
    code, _ = send(receiver, postfix_dsn(action="delayed", status="4.4.1"))

    assert code == 250
    assert recorder.calls == []


def test_an_unknown_recipient_is_refused(receiver: BounceReceiver, recorder: Recorder) -> None:
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        send(receiver, postfix_dsn(), to="postmaster@mail.acme.cn")

    [error] = refused.value.recipients
    assert error.code == 550
    assert recorder.calls == []


@pytest.mark.parametrize(
    "garbage",
    [
        b"Subject: hello\r\n\r\nnot a report\r\n",
        b"\x00\xff binary junk \xfe\r\n",
        b'Content-Type: multipart/report; boundary="x"\r\n\r\n--x\r\nbroken',
    ],
)
def test_garbage_is_accepted_and_ignored(
    receiver: BounceReceiver, recorder: Recorder, garbage: bytes
) -> None:
    code, _ = send(receiver, garbage)

    assert code == 250
    assert recorder.calls == []


def test_a_report_for_a_message_we_do_not_know_is_still_accepted(
    receiver: BounceReceiver, recorder: Recorder
) -> None:
    recorder.known = False

    code, _ = send(receiver, postfix_dsn())

    assert code == 250
    assert len(recorder.calls) == 1


def test_when_recording_fails_the_mta_is_told_to_retry(
    receiver: BounceReceiver, recorder: Recorder
) -> None:
    recorder.fail = True
    with pytest.raises(aiosmtplib.SMTPDataError) as deferred:
        send(receiver, postfix_dsn())
    assert deferred.value.code == 451

    recorder.fail = False
    send(receiver, postfix_dsn())  # the reporting MTA's retry

    assert [call[0] for call in recorder.calls] == [MESSAGE]


def test_mail_over_one_megabyte_is_refused(receiver: BounceReceiver, recorder: Recorder) -> None:
    # A real DSN whose notification text is padded past the limit (1100 lines of 998).
    huge = postfix_dsn().replace("I'm sorry", ("y" * 998 + "\n") * 1100 + "I'm sorry")

    with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
        send(receiver, huge)

    assert refused.value.code == 552
    assert recorder.calls == []
