"""Delivery receipts and replies from the SMS providers (SMS-4, LEAD-9).

The callbacks' bodies, in each provider's documented format:
- Aliyun SmsReport (JSON array): `phone_number`, `success`, `err_code`, `err_msg`,
  `biz_id`, `out_id` (our message id), `send_time`, `report_time`, `sms_size`;
- Aliyun SmsUp (JSON array): `phone_number`, `content`, `sign_name`, `dest_code`,
  `sequence_id`, `send_time`;
- Tencent status callback (JSON array): `mobile`, `nationcode`, `report_status`
  (SUCCESS / FAIL), `errmsg`, `description`, `sid` (the SerialNo of the send),
  `user_receive_time`;
- Tencent reply callback (one JSON object, or an array of them): `mobile`,
  `nationcode`, `text`, `sign`, `extend`, `time`.

A receipt settles its message through `DeliveryOutcomes.receipt` (delivered or failed;
a text without a receipt yet is pending). A reply is the lead's `sms_replied`
behaviour on the last text sent to that mobile; "TD", "T", "退订" (and the like)
unsubscribes the lead from SMS. Repeats change nothing: behaviours are keyed by the
message and the report, and an unsubscribe of an unsubscribed lead is no change.
Receipts for another tenant's messages, or for texts huoke did not send, are ignored.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application.messaging.ports import ConsentBook
from application.messaging.sms_sending import SentTexts
from application.shared.behaviours import Behaviour, BehaviourKind, BehaviourLog
from application.shared.clock import Clock
from application.shared.errors import InvalidInput

SOURCE = "messaging"
MAX_ITEMS = 1_000  # reports one callback may carry (Aliyun pushes up to 100, Tencent similar)
STOP_WORDS = frozenset({"TD", "T", "退订", "N", "STOP", "退", "取消", "0000"})
_PUNCTUATION = re.compile(r"[\s,.!?;:，。！？；：、\"'“”‘’()（）【】\[\]]+")


@dataclass(frozen=True)
class Receipt:
    """One delivery report: the message (our id, when the provider echoes it), the
    provider's id, and whether the handset got it."""

    provider_id: str
    delivered: bool
    detail: str
    message_id: str = ""


@dataclass(frozen=True)
class Reply:
    """One text a mobile sent back."""

    mobile: str  # E.164
    text: str
    sign: str
    at: str  # as the provider said it


class ReceiptSink(Protocol):
    """`DeliveryOutcomes.receipt` (the pipeline's outcomes)."""

    def receipt(
        self, message_id: str, *, delivered: bool, detail: str, provider_id: str
    ) -> bool: ...


@dataclass(frozen=True)
class Taken:
    """What one callback did: entries applied and entries ignored (unknown texts)."""

    applied: int
    ignored: int


# --- parsing -------------------------------------------------------------------------------


def _items(body: bytes, *, field: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"{field} must be JSON", field=field) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise InvalidInput(f"{field} must be a JSON array of objects", field=field)
    if len(data) > MAX_ITEMS:
        raise InvalidInput(f"{field} carries more than {MAX_ITEMS} entries", field=field)
    return data


def _text(value: Any, limit: int = 300) -> str:
    return "" if value is None else str(value).strip()[:limit]


def e164(mobile: Any, nationcode: Any = "86") -> str:
    """A provider's mobile as the leads keep it: +<country><number>."""
    text = re.sub(r"[\s-]", "", _text(mobile, 32))
    if text.startswith("+"):
        return text
    if text.startswith("00"):
        return "+" + text[2:]
    code = _text(nationcode, 4) or "86"
    if code == "86" and len(text) == 13 and text.startswith("86"):
        return "+" + text
    return f"+{code}{text}"


def aliyun_reports(body: bytes) -> list[Receipt]:
    """Aliyun SmsReport entries."""
    receipts = []
    for item in _items(body, field="body"):
        success = item.get("success")
        delivered = success is True or str(success).lower() == "true"
        detail = f"{_text(item.get('err_code'))} {_text(item.get('err_msg'))}".strip()
        receipts.append(
            Receipt(
                provider_id=_text(item.get("biz_id"), 100),
                delivered=delivered,
                detail=detail,
                message_id=_text(item.get("out_id"), 100),
            )
        )
    return receipts


def tencent_reports(body: bytes) -> list[Receipt]:
    """Tencent Cloud status callback entries."""
    receipts = []
    for item in _items(body, field="body"):
        status = _text(item.get("report_status")).upper()
        detail = f"{_text(item.get('errmsg'))} {_text(item.get('description'))}".strip()
        receipts.append(
            Receipt(
                provider_id=_text(item.get("sid"), 100),
                delivered=status == "SUCCESS",
                detail=detail,
            )
        )
    return receipts


def aliyun_replies(body: bytes) -> list[Reply]:
    """Aliyun SmsUp entries."""
    return [
        Reply(
            mobile=e164(item.get("phone_number")),
            text=_text(item.get("content"), 500),
            sign=_text(item.get("sign_name"), 60),
            at=f"{_text(item.get('send_time'), 40)}#{_text(item.get('sequence_id'), 40)}",
        )
        for item in _items(body, field="body")
        if _text(item.get("phone_number"))
    ]


def tencent_replies(body: bytes) -> list[Reply]:
    """Tencent Cloud reply callback entries."""
    return [
        Reply(
            mobile=e164(item.get("mobile"), item.get("nationcode")),
            text=_text(item.get("text"), 500),
            sign=_text(item.get("sign"), 60),
            at=_text(item.get("time"), 40),
        )
        for item in _items(body, field="body")
        if _text(item.get("mobile"))
    ]


def is_stop(text: str) -> bool:
    """Whether a reply asks to stop (回T退订: "T", "TD", "退订" …)."""
    return _PUNCTUATION.sub("", text).upper() in STOP_WORDS


# --- applying ------------------------------------------------------------------------------


class SmsReceipts:
    """Applies the providers' callbacks for one tenant."""

    def __init__(
        self,
        outcomes: ReceiptSink,
        behaviours: BehaviourLog,
        consent: ConsentBook,
        sent: SentTexts,
        clock: Clock,
    ) -> None:
        self.outcomes = outcomes
        self.behaviours = behaviours
        self.consent = consent
        self.sent = sent
        self.clock = clock

    def reports(self, tenant_id: UUID, provider: str, body: bytes) -> Taken:
        """Apply a provider's delivery reports ("aliyun" or "tencent")."""
        receipts = aliyun_reports(body) if provider == "aliyun" else tencent_reports(body)
        applied = 0
        for receipt in receipts:
            text = None
            if receipt.message_id:
                text = self.sent.by_message(receipt.message_id)
            if text is None and receipt.provider_id:
                text = self.sent.by_provider_id(provider, receipt.provider_id)
            if text is None or text.tenant_id != tenant_id:
                continue
            if self.outcomes.receipt(
                text.message_id,
                delivered=receipt.delivered,
                detail=receipt.detail,
                provider_id=receipt.provider_id or text.provider_id,
            ):
                applied += 1
        return Taken(applied, len(receipts) - applied)

    def replies(self, tenant_id: UUID, provider: str, body: bytes) -> Taken:
        """Record a provider's replies; a stop word unsubscribes the lead from SMS."""
        replies = aliyun_replies(body) if provider == "aliyun" else tencent_replies(body)
        now = self.clock.now()
        rows: list[Behaviour] = []
        for reply in replies:
            text = self.sent.latest_to(tenant_id, reply.mobile)
            if text is None:
                continue
            properties = {
                "task": str(text.task_id),
                "message": text.message_id,
                "text": reply.text,
                "sign": reply.sign,
            }
            key = hashlib.sha256(f"{reply.at}\x00{reply.text}".encode()).hexdigest()[:16]
            replied = BehaviourKind.SMS_REPLIED
            rows.append(self._behaviour(tenant_id, replied, text, properties, now, f"-{key}"))
            if is_stop(reply.text):
                self.consent.unsubscribe(tenant_id, text.lead_id, "sms", "sms reply")
                stop = {
                    "task": str(text.task_id),
                    "message": text.message_id,
                    "source": "sms reply",
                }
                left = BehaviourKind.UNSUBSCRIBED
                rows.append(self._behaviour(tenant_id, left, text, stop, now))
        if rows:
            self.behaviours.append(rows)
        applied = sum(1 for row in rows if row.kind == BehaviourKind.SMS_REPLIED.value)
        return Taken(applied, len(replies) - applied)

    def _behaviour(
        self,
        tenant_id: UUID,
        kind: BehaviourKind,
        text: Any,
        properties: dict[str, Any],
        now: datetime,
        suffix: str = "",
    ) -> Behaviour:
        return Behaviour(
            tenant_id=tenant_id,
            kind=kind.value,
            channel="sms",
            occurred_at=now,
            received_at=now,
            message_id=f"{kind.value}-{text.message_id}{suffix}",
            properties=properties,
            lead_id=text.lead_id,
            source_id=SOURCE,
        )
