"""Inbound reports about mail we sent: RFC 3464 delivery status notifications (bounces)
and RFC 5965 ARF feedback reports (complaints).

Which message a report is about comes from the VERP address it reached us at (the
envelope recipient, `ReturnPaths.message_of`), never from the report's text alone: that
address is signed, the rest anyone can write. When the envelope says nothing we know, the
report's own copy of our envelope sender is tried (ARF `Original-Mail-From`, Postfix
`X-Postfix-Sender`, the returned message's `Return-Path`) — still a signed VERP address.

Only a recipient whose `Action` is `failed` is a bounce; `delayed`, `delivered`, `relayed`
and `expanded` are news, not outcomes. Anything that is not a report reads as no report:
parsing never raises on what strangers send.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser

log = logging.getLogger(__name__)

MessageOf = Callable[[str], str | None]

DETAIL_LIMIT = 500
DELIVERY_STATUS = ("message/delivery-status", "message/global-delivery-status")
FEEDBACK_REPORT = "message/feedback-report"
RETURNED = ("message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers")
# RFC 5965 §7.3 feedback types that mean "the recipient did not want this". `not-spam`
# and `auth-failure` (RFC 6591) are not complaints.
COMPLAINT_TYPES = frozenset({"abuse", "fraud", "virus", "other"})
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
_SMTP_CODE = re.compile(r"^\s*([245])\d\d\b")


@dataclass(frozen=True)
class Report:
    """One recipient's failure (or complaint) for the message `message_id` (None: not a
    message of ours)."""

    message_id: str | None
    permanent: bool
    complaint: bool
    detail: str
    recipient: str


def parse_report(
    data: bytes, *, envelope_recipients: Sequence[str] = (), message_of: MessageOf
) -> list[Report]:
    """The failed recipients and complaints in the inbound mail `data`, delivered to
    `envelope_recipients` (the SMTP RCPT TO addresses); [] for anything else."""
    try:
        return _parse(data, envelope_recipients, message_of)
    except Exception:  # strangers' mail: a parser bug must not turn into a refused bounce
        log.warning("unreadable inbound report", exc_info=True)
        return []


def _parse(data: bytes, envelope: Sequence[str], message_of: MessageOf) -> list[Report]:
    mail = email.message_from_bytes(data, policy=email.policy.compat32)
    parts = list(_parts(mail))
    message_id = _first_known(envelope, message_of)
    status = next((p for p in parts if p.get_content_type() in DELIVERY_STATUS), None)
    if status is not None:
        return _bounces(status, parts, message_id, message_of)
    feedback = next((p for p in parts if p.get_content_type() == FEEDBACK_REPORT), None)
    if feedback is not None:
        return _complaints(feedback, parts, message_id, message_of)
    return []


def _bounces(
    status: Message, parts: list[Message], message_id: str | None, message_of: MessageOf
) -> list[Report]:
    blocks = _field_blocks(status)
    if not blocks:
        return []
    per_message, recipients = blocks[0], blocks[1:]
    if message_id is None:
        message_id = _first_known(
            [_value(per_message.get("X-Postfix-Sender")), *_returned_senders(parts)], message_of
        )
    reports = []
    for fields in recipients:
        if _value(fields.get("Action")).lower() != "failed":
            continue
        code = _status(fields)
        diagnostic = _collapse(_value(fields.get("Diagnostic-Code")))
        if code is None:  # no usable Status: the SMTP reply code of the diagnostic
            found = _SMTP_CODE.match(diagnostic)
            code = f"{found[1]}.0.0" if found else None
        detail = diagnostic or (f"{code} delivery failed" if code else "delivery failed")
        recipient = _value(fields.get("Original-Recipient")) or _value(
            fields.get("Final-Recipient")
        )
        reports.append(
            Report(
                message_id=message_id,
                # Without a status class we cannot tell: transient, never a wrongful
                # suppression (a later bounce of the retry will say).
                permanent=code is not None and code.startswith("5"),
                complaint=False,
                detail=detail[:DETAIL_LIMIT],
                recipient=recipient,
            )
        )
    return reports


def _complaints(
    feedback: Message, parts: list[Message], message_id: str | None, message_of: MessageOf
) -> list[Report]:
    blocks = _field_blocks(feedback)
    if not blocks:
        return []
    fields = blocks[0]
    kind = _value(fields.get("Feedback-Type")).lower()
    if kind not in COMPLAINT_TYPES:
        return []
    if message_id is None:
        message_id = _first_known(
            [_value(fields.get("Original-Mail-From")), *_returned_senders(parts)], message_of
        )
    recipients = [_value(v) for v in fields.get_all("Original-Rcpt-To") or []]
    if not recipients:
        recipients = [_collapse(str(r.get("To", ""))) for r in _returned(parts)][:1] or [""]
    source = _value(fields.get("User-Agent")) or _value(fields.get("Reported-Domain"))
    detail = f"complaint ({kind})" + (f" from {source}" if source else "")
    return [
        Report(
            message_id=message_id,
            permanent=True,
            complaint=True,
            detail=detail[:DETAIL_LIMIT],
            recipient=recipient,
        )
        for recipient in recipients
    ]


def _parts(message: Message) -> Iterator[Message]:
    """Every part, depth first, without descending into returned (quoted) messages: a
    bounce of a bounce must not read as the inner one."""
    yield message
    if message.get_content_type() in RETURNED + DELIVERY_STATUS + (FEEDBACK_REPORT,):
        return
    if message.is_multipart():
        payload = message.get_payload()
        if isinstance(payload, list):
            for part in payload:
                if isinstance(part, Message):
                    yield from _parts(part)


def _field_blocks(part: Message) -> list[Message]:
    """The header-like blocks of a delivery-status or feedback-report part (the first is
    per message, then one per recipient). The email package parses
    message/delivery-status into blocks itself."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = [p for p in payload if isinstance(p, Message)]
        if part.get_content_type() == "message/delivery-status":
            return blocks
        # Other message/* parts arrive as one enclosed message: its headers are the
        # first block, its body the rest.
        text = "\n\n".join(p.as_string() for p in blocks)
    else:
        raw = part.get_payload(decode=True)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
    text = text.replace("\r\n", "\n")
    parser = BytesHeaderParser(policy=email.policy.compat32)
    return [
        parser.parsebytes(block.strip("\n").encode() + b"\n")
        for block in re.split(r"\n[ \t]*\n", text)
        if block.strip()
    ]


def _returned(parts: list[Message]) -> list[Message]:
    """The headers of the message the report quotes (ours)."""
    found = []
    for part in parts:
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                found.append(inner[0])
        elif kind in ("text/rfc822-headers", "message/global-headers"):
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                found.append(BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw))
    return found


def _returned_senders(parts: list[Message]) -> list[str]:
    return [_collapse(str(r.get("Return-Path", ""))) for r in _returned(parts)]


def _first_known(addresses: Sequence[str], message_of: MessageOf) -> str | None:
    for address in addresses:
        address = address.strip().strip("<>").strip()
        if address and "@" in address:
            found = message_of(address)
            if found:
                return found
    return None


def _status(fields: Message) -> str | None:
    found = _STATUS.search(_value(fields.get("Status")))
    return found[0] if found else None


def _value(raw: object) -> str:
    """A typed field's address or text: `rfc822; a@b.cn` → `a@b.cn`."""
    if raw is None:
        return ""
    text = _collapse(str(raw))
    kind, sep, rest = text.partition(";")
    if sep and re.fullmatch(r"[A-Za-z0-9-]+", kind.strip()):
        text = rest.strip()
    return text.strip("<>").strip() if text.startswith("<") else text


def _collapse(text: str) -> str:
    """Unfolded, one-line text (folded Diagnostic-Code values span lines)."""
    return " ".join(text.split())
