"""SMS signatures (SMS-2): the sender's name every text starts with, `【获客科技】`.

Rules (seed 003 §5.2):
- 2 to 30 characters, the tenant's real app, site or company name;
- letters and digits only: no special symbols (`- . + # @ …`, spaces, emoji) and no
  banned words;
- no brackets (`【】 [] () （）`): the provider adds 【】 when it sends;
- reviewed before use (the tenant admin, and the provider where it reviews signatures);
- at most 3 per tenant (*fixed*). The per-tenant `SmsSignatureIndex` (its id is uuid5 of
  the tenant) holds the live ones and is saved with every signature that takes or frees
  a place, so two concurrent fourth signatures cannot both be stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

MIN_LENGTH = 2
MAX_LENGTH = 30
MAX_PER_TENANT = 3  # *fixed* (SMS-2)
BRACKETS = frozenset("【】[]()（）〔〕［］〖〗<>《》{}")
# Words carriers refuse in a sender's name: testing, state organs, gambling and the
# like (the providers keep longer lists; these are the ones commonly tried).
BANNED_WORDS = (
    "测试",
    "test",
    "国家",
    "政府",
    "中央",
    "官方",
    "公安",
    "赌博",
    "博彩",
    "彩票",
    "发票",
    "代开",
    "贷款",
)
PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"


def checked_signature_text(value: str, *, field: str = "text") -> str:
    """A signature's text, refused (422 naming `field` and the rule) unless 2–30
    letters or digits without brackets or banned words."""
    text = value.strip()
    if len(text) < MIN_LENGTH or len(text) > MAX_LENGTH:
        raise InvalidValue(
            f"{field} must be {MIN_LENGTH} to {MAX_LENGTH} characters (SMS-2)", field=field
        )
    if any(char in BRACKETS for char in text):
        raise InvalidValue(
            f"{field} must not contain brackets such as 【】 [] () （）: they are added when "
            "the text is sent (SMS-2)",
            field=field,
        )
    odd = next((char for char in text if not char.isalnum()), None)
    if odd is not None:
        raise InvalidValue(
            f"{field} must contain only letters and digits, no special symbols such as "
            f"- . + # @ … or spaces (found {odd!r}) (SMS-2)",
            field=field,
        )
    lowered = text.lower()
    banned = next((word for word in BANNED_WORDS if word in lowered), None)
    if banned is not None:
        raise InvalidValue(
            f"{field} must not contain the banned word {banned!r} (SMS-2)", field=field
        )
    return text


class SmsSignature(Aggregate):
    """One signature of a tenant, from submission through review to removal."""

    TOPIC = "messaging.SmsSignature"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Submitted: ClassVar[type[AggregateEvent]]
        Approved: ClassVar[type[AggregateEvent]]
        Rejected: ClassVar[type[AggregateEvent]]
        Removed: ClassVar[type[AggregateEvent]]

    @classmethod
    def submit(
        cls,
        *,
        signature_id: UUID,
        tenant_id: UUID,
        text: str,
        purpose: str,
        provider: str,
        provider_ref: str = "",
    ) -> SmsSignature:
        """A new signature waiting for review; `provider` is where it was also sent for
        the provider's own review, `provider_ref` the provider's id of that review."""
        return cls(
            id=signature_id,
            tenant_id=tenant_id,
            text=checked_signature_text(text),
            purpose=required_text(purpose or "-", field="purpose", max_length=200),
            provider=provider,
            provider_ref=provider_ref,
        )

    @event("Submitted", topic="messaging.SmsSignature.Submitted")
    def __init__(
        self, id: UUID, tenant_id: UUID, text: str, purpose: str, provider: str, provider_ref: str
    ) -> None:
        self.tenant_id = tenant_id
        self.text = text
        self.purpose = purpose
        self.provider = provider
        self.provider_ref = provider_ref
        self.state = PENDING
        self.reviewer: str | None = None
        self.reason: str | None = None
        self.removed = False

    @property
    def usable(self) -> bool:
        """Whether tasks may send with it."""
        return self.state == APPROVED and not self.removed

    def approve(self, *, reviewer: str) -> None:
        """The review passed: tasks may use it."""
        self._require_pending("approved")
        self._approved(reviewer=reviewer)

    @event("Approved", topic="messaging.SmsSignature.Approved")
    def _approved(self, reviewer: str) -> None:
        self.state = APPROVED
        self.reviewer = reviewer

    def reject(self, *, reason: str, reviewer: str) -> None:
        """The review failed (its place among the tenant's three is freed)."""
        self._require_pending("rejected")
        self._rejected(
            reason=required_text(reason, field="reason", max_length=500), reviewer=reviewer
        )

    @event("Rejected", topic="messaging.SmsSignature.Rejected")
    def _rejected(self, reason: str, reviewer: str) -> None:
        self.state = REJECTED
        self.reason = reason
        self.reviewer = reviewer

    def remove(self) -> None:
        """Remove it; tasks written with it keep the text they were written with."""
        if self.removed:
            raise StateConflict("the signature was removed", field="state")
        self._removed()

    @event("Removed", topic="messaging.SmsSignature.Removed")
    def _removed(self) -> None:
        self.removed = True

    def _require_pending(self, doing: str) -> None:
        if self.removed:
            raise StateConflict("the signature was removed", field="state")
        if self.state != PENDING:
            raise StateConflict(
                f"a {self.state} signature cannot be {doing} (only pending)", field="state"
            )


class SmsSignatureIndex(Aggregate):
    """The tenant's live signatures (pending or approved): at most three, no text twice."""

    TOPIC = "messaging.SmsSignatureIndex"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:
        Opened: ClassVar[type[AggregateEvent]]
        Claimed: ClassVar[type[AggregateEvent]]
        Released: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/sms-signatures")

    @classmethod
    def open(cls, tenant_id: UUID) -> SmsSignatureIndex:
        return cls(id=cls.create_id(tenant_id), tenant_id=tenant_id)

    @event("Opened", topic="messaging.SmsSignatureIndex.Opened")
    def __init__(self, id: UUID, tenant_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.signatures: dict[str, str] = {}  # signature id -> text

    def claim(self, signature_id: UUID, text: str) -> None:
        """Take a place for a new signature (422 past three, 409 for a text it has)."""
        if text in self.signatures.values():
            raise StateConflict(f"a signature {text!r} exists already", field="text")
        if len(self.signatures) >= MAX_PER_TENANT:
            raise InvalidValue(
                f"a tenant has at most {MAX_PER_TENANT} SMS signatures (SMS-2); remove one "
                "before submitting another",
                field="text",
            )
        self._claimed(signature_id=str(signature_id), text=text)

    @event("Claimed", topic="messaging.SmsSignatureIndex.Claimed")
    def _claimed(self, signature_id: str, text: str) -> None:
        self.signatures[signature_id] = text

    def release(self, signature_id: UUID) -> None:
        """Free the place of a rejected or removed signature (nothing if it has none)."""
        if str(signature_id) in self.signatures:
            self._released(signature_id=str(signature_id))

    @event("Released", topic="messaging.SmsSignatureIndex.Released")
    def _released(self, signature_id: str) -> None:
        del self.signatures[signature_id]
