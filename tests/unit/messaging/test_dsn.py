"""Parsing inbound bounces (RFC 3464) and complaints (RFC 5965 ARF) as real MTAs and
mailbox providers send them."""

from __future__ import annotations

import pytest

from adapters.messaging.dsn import Report, parse_report

MESSAGE = "5f0c8e2a-3b1d-4c55-9e7a-1d2c3b4a5f60"
VERP = f"b-{MESSAGE}@mail.acme.cn"


def message_of(address: str) -> str | None:
    """The test's stand-in for ReturnPaths.message_of: `b-<id>@…` names message <id>."""
    local = address.strip("<>").split("@")[0]
    return local[2:] if local.startswith("b-") else None


def parse(data: str | bytes, rcpt: str | None = VERP) -> list[Report]:
    raw = data.encode() if isinstance(data, str) else data
    return parse_report(raw, envelope_recipients=[rcpt] if rcpt else [], message_of=message_of)


ORIGINAL_HEADERS = f"""\
Return-Path: <{VERP}>
Message-ID: <{MESSAGE}@mail.acme.cn>
From: =?utf-8?b?5r2u5a6i?= <news@mail.acme.cn>
To: zhang.wei@example.com
Subject: =?utf-8?b?5pil5a2j5L+D6ZSA?=
Date: Tue, 12 Mar 2024 09:30:00 +0800
"""


def postfix_dsn(
    *,
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str = "smtp; 550 5.1.1 <zhang.wei@example.com>: Recipient address rejected:\n"
    "    User unknown in virtual mailbox table",
    sender: str = VERP,
) -> str:
    """Postfix's bounce(8) notice, as it arrives over SMTP (CRLF-free here; the parser
    takes either)."""
    return f"""\
Return-Path: <>
Received: by mx1.example.com (Postfix) id 3F2A1C0A; Tue, 12 Mar 2024 09:30:05 +0800 (CST)
Date: Tue, 12 Mar 2024 09:30:05 +0800 (CST)
From: MAILER-DAEMON@mx1.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {sender}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="3F2A1C0A.1710207005/mx1.example.com"
Content-Transfer-Encoding: 7bit
Message-Id: <20240312013005.3F2A1C0A@mx1.example.com>

This is a MIME-encapsulated message.

--3F2A1C0A.1710207005/mx1.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx1.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<zhang.wei@example.com>: host mailstore.example.com[10.0.0.5] said: 550 5.1.1
    <zhang.wei@example.com>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

--3F2A1C0A.1710207005/mx1.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx1.example.com
X-Postfix-Queue-ID: 3F2A1C0A
X-Postfix-Sender: rfc822; {sender}
Arrival-Date: Tue, 12 Mar 2024 09:30:01 +0800 (CST)

Final-Recipient: rfc822; zhang.wei@example.com
Original-Recipient: rfc822;zhang.wei@example.com
Action: {action}
Status: {status}
Remote-MTA: dns; mailstore.example.com
Diagnostic-Code: {diagnostic}

--3F2A1C0A.1710207005/mx1.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 7bit

{ORIGINAL_HEADERS}
--3F2A1C0A.1710207005/mx1.example.com--
"""


EXCHANGE_NDR = (
    f"""\
Received: from EXCH01.contoso.com (10.1.1.1) by EXCH02.contoso.com (10.1.1.2)
 with Microsoft SMTP Server id 15.2.1118.26; Tue, 12 Mar 2024 02:30:06 +0000
From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com>
To: <{VERP}>
Date: Tue, 12 Mar 2024 02:30:06 +0000
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="b0c1f9a4-7e5d-4f0a-9a1e-8c2d3e4f5a6b"
X-MS-Exchange-Message-Is-Ndr:
Content-Language: en-US
Message-ID: <7a1c2e3f-aaaa-bbbb-cccc-ddddeeeeffff@EXCH01.contoso.com>
In-Reply-To: <{MESSAGE}@mail.acme.cn>
Subject: Undeliverable: =?utf-8?b?5pil5a2j5L+D6ZSA?=
Auto-Submitted: auto-replied
MIME-Version: 1.0

--b0c1f9a4-7e5d-4f0a-9a1e-8c2d3e4f5a6b
Content-Type: multipart/alternative; differences=Content-Type;
\tboundary="e1f2a3b4-c5d6-4e7f-8091-a2b3c4d5e6f7"

--e1f2a3b4-c5d6-4e7f-8091-a2b3c4d5e6f7
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Your message to li.na@contoso.com couldn't be delivered.
li.na wasn't found at contoso.com.

--e1f2a3b4-c5d6-4e7f-8091-a2b3c4d5e6f7
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

<html><body><p>Your message to li.na@contoso.com couldn't be delivered.</p></body></html>

--e1f2a3b4-c5d6-4e7f-8091-a2b3c4d5e6f7--

--b0c1f9a4-7e5d-4f0a-9a1e-8c2d3e4f5a6b
Content-Type: message/delivery-status

Reporting-MTA: dns;EXCH01.contoso.com
Received-From-MTA: dns;mail.acme.cn
Arrival-Date: Tue, 12 Mar 2024 02:30:05 +0000

Final-Recipient: rfc822;li.na@contoso.com
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by
 SMTP address lookup
X-Display-Name: li.na@contoso.com

--b0c1f9a4-7e5d-4f0a-9a1e-8c2d3e4f5a6b
Content-Type: message/rfc822

"""
    + ORIGINAL_HEADERS.replace("zhang.wei@example.com", "li.na@contoso.com")
    + """\
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello

--b0c1f9a4-7e5d-4f0a-9a1e-8c2d3e4f5a6b--
"""
).replace("\n", "\r\n")


def arf(feedback_type: str = "abuse", *, mail_from: str = VERP, to: str = "fbl@huoke.test") -> str:
    """An RFC 5965 feedback report as a mailbox provider's feedback loop sends it."""
    return f"""\
From: <staff@hotmail.example>
Date: Thu, 14 Mar 2024 10:01:02 +0800
Subject: FW: spring sale
To: <{to}>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
     boundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP
203.0.113.7 on Thu, 14 Mar 2024 09:58:30 +0800.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <{mail_from}>
Original-Rcpt-To: <wang.fang@hotmail.example>
Arrival-Date: Thu, 14 Mar 2024 09:58:30 +0800
Reporting-MTA: dns; mail.hotmail.example
Source-IP: 203.0.113.7
Authentication-Results: mail.hotmail.example;
     spf=pass smtp.mail={mail_from}
Reported-Domain: mail.acme.cn

--part1_13d.2e68ed54_boundary
Content-Type: message/rfc822
Content-Disposition: inline

{ORIGINAL_HEADERS.replace("zhang.wei@example.com", "wang.fang@hotmail.example")}
Spring sale!
--part1_13d.2e68ed54_boundary--
"""


def test_a_postfix_hard_bounce() -> None:
    [report] = parse(postfix_dsn())

    assert report == Report(
        message_id=MESSAGE,
        permanent=True,
        complaint=False,
        detail="550 5.1.1 <zhang.wei@example.com>: Recipient address rejected: "
        "User unknown in virtual mailbox table",
        recipient="zhang.wei@example.com",
    )


def test_an_exchange_ndr_with_crlf_and_folded_diagnostic() -> None:
    [report] = parse(EXCHANGE_NDR)

    assert report.message_id == MESSAGE
    assert report.permanent and not report.complaint
    assert report.recipient == "li.na@contoso.com"
    assert report.detail == (
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
    )


def test_a_4xx_failure_is_transient() -> None:
    [report] = parse(
        postfix_dsn(
            status="4.4.7",
            diagnostic="X-Postfix; delivery temporarily suspended: connect to\n"
            "    mailstore.example.com[10.0.0.5]:25: Connection timed out",
        )
    )

    assert report.message_id == MESSAGE
    assert not report.permanent
    assert report.detail.startswith("delivery temporarily suspended: connect to mailstore")


@pytest.mark.parametrize(
    ("action", "status"),
    [("delayed", "4.4.1"), ("delivered", "2.0.0"), ("relayed", "2.0.0"), ("expanded", "2.0.0")],
)
def test_only_failed_recipients_are_bounces(action: str, status: str) -> None:
    assert parse(postfix_dsn(action=action, status=status)) == []


def test_each_failed_recipient_of_one_report() -> None:
    dsn = postfix_dsn().replace(
        "Final-Recipient: rfc822; zhang.wei@example.com",
        "Final-Recipient: rfc822; li.si@example.com\nAction: delayed\nStatus: 4.2.2\n\n"
        "Final-Recipient: rfc822; wu.gang@example.com\nAction: failed\nStatus: 5.2.1\n\n"
        "Final-Recipient: rfc822; zhang.wei@example.com",
    )

    reports = parse(dsn)

    assert [(r.recipient, r.message_id, r.permanent) for r in reports] == [
        ("wu.gang@example.com", MESSAGE, True),
        ("zhang.wei@example.com", MESSAGE, True),
    ]
    assert reports[0].detail == "5.2.1 delivery failed"


def test_the_status_decides_even_when_the_diagnostic_is_missing() -> None:
    dsn = postfix_dsn(status="5.2.2", diagnostic="").replace("Diagnostic-Code: \n", "")

    [report] = parse(dsn)

    assert report.permanent
    assert report.detail == "5.2.2 delivery failed"


def test_without_a_status_the_smtp_code_decides() -> None:
    permanent = postfix_dsn(status="", diagnostic="smtp; 554 mailbox disabled")
    transient = postfix_dsn(status="", diagnostic="smtp; 452 mailbox full")

    assert [r.permanent for r in parse(permanent)] == [True]
    assert [r.permanent for r in parse(transient)] == [False]


def test_an_unknown_envelope_recipient_falls_back_to_the_reported_sender() -> None:
    [report] = parse(postfix_dsn(), rcpt="postmaster@mail.acme.cn")

    assert report.message_id == MESSAGE  # X-Postfix-Sender: our VERP address


def test_the_returned_headers_name_the_message_when_nothing_else_does() -> None:
    dsn = EXCHANGE_NDR  # no X-Postfix-Sender; the returned message has our Return-Path

    assert [r.message_id for r in parse(dsn, rcpt=None)] == [MESSAGE]


def test_a_report_about_mail_that_is_not_ours_has_no_message() -> None:
    dsn = postfix_dsn(sender="newsletter@elsewhere.example").replace(
        f"Return-Path: <{VERP}>", "Return-Path: <newsletter@elsewhere.example>"
    )

    [report] = parse(dsn, rcpt="postmaster@mail.acme.cn")

    assert report.message_id is None
    assert report.permanent


def test_an_arf_complaint() -> None:
    [report] = parse(arf(), rcpt="fbl@huoke.test")

    assert report.message_id == MESSAGE  # from Original-Mail-From, our VERP address
    assert report.complaint and report.permanent
    assert report.recipient == "wang.fang@hotmail.example"
    assert report.detail == "complaint (abuse) from SomeGenerator/1.0"


def test_a_complaint_sent_to_the_verp_address_itself() -> None:
    [report] = parse(arf(mail_from="someone@else.example", to=VERP))

    assert report.message_id == MESSAGE


@pytest.mark.parametrize("kind", ["not-spam", "auth-failure"])
def test_feedback_that_is_not_a_complaint_is_ignored(kind: str) -> None:
    assert parse(arf(kind)) == []


GARBAGE = [
    b"",
    b"\x00\xff\xfe garbage \x00",
    b"hello, this is not mail at all",
    b"From: a@b.cn\r\nTo: c@d.cn\r\nSubject: hi\r\n\r\nJust a reply: thanks!\r\n",
    # An auto-reply that is not a DSN.
    b"Subject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nI am away.",
    # A report whose boundary never closes and whose status part is empty.
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="x"\r\n\r\n'
    b"--x\r\nContent-Type: message/delivery-status\r\n\r\n",
    # Mislabelled parts, broken encodings, a header without a colon.
    b'Content-Type: multipart/report; boundary="y"\r\nBroken header line\r\n\r\n--y\r\n'
    b"Content-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"!!!not base64!!!\r\n--y--\r\n",
    b'Content-Type: multipart/report; report-type=feedback-report; boundary="z"\r\n\r\n'
    b"--z\r\nContent-Type: message/feedback-report\r\n\r\n\xff\xfe\x00\r\n--z--",
    "Content-Type: text/plain; charset=gb2312\r\n\r\n退信".encode("gb2312"),
]


@pytest.mark.parametrize("data", GARBAGE)
def test_anything_else_is_no_report(data: bytes) -> None:
    assert parse(data) == []


def test_a_bounce_of_a_bounce_is_not_read_as_the_inner_one() -> None:
    forwarded = (
        "From: someone@example.com\nTo: x@y.cn\nSubject: Fwd\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="outer"\n\n--outer\n'
        "Content-Type: text/plain\n\nsee attached\n--outer\nContent-Type: message/rfc822\n\n"
        + postfix_dsn()
        + "\n--outer--\n"
    )

    assert parse(forwarded) == []
