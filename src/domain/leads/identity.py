"""Identities of a marketing user and the index that makes each one unique per tenant
(LEAD-1): one mobile, e-mail, WeChat or WeCom id, or member id belongs to one live lead.

Values arrive normalised (E.164 mobiles, lower-cased e-mails): the application layer
does that with the libraries made for it, the domain only refuses what is plainly not.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict

MAX_IDENTITY_LENGTH = 128


class IdentityKind(StrEnum):
    MOBILE = "mobile"
    EMAIL = "email"
    WECHAT_OPENID = "wechat_openid"
    WECHAT_UNIONID = "wechat_unionid"
    WECOM_EXTERNAL_USERID = "wecom_external_userid"
    MEMBER_ID = "member_id"


def identity(kind: str, value: str) -> dict[str, str]:
    """An identity as events carry it: {"kind": ..., "value": ...}, checked."""
    if kind not in IdentityKind.__members__.values():
        raise InvalidValue(f"unknown identity kind {kind!r}", field="identities")
    text = value.strip()
    if not text or len(text) > MAX_IDENTITY_LENGTH:
        raise InvalidValue(f"{kind} must be 1 to {MAX_IDENTITY_LENGTH} characters", field=kind)
    return {"kind": kind, "value": text}


class LeadIdentity(Aggregate):
    """The claim of one identity value by one lead of a tenant. Its id is uuid5 of the
    tenant, kind and value, so two leads claiming the same value collide in the store."""

    TOPIC = "leads.LeadIdentity"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Claimed: ClassVar[type[AggregateEvent]]
        Moved: ClassVar[type[AggregateEvent]]
        Released: ClassVar[type[AggregateEvent]]
        Reclaimed: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID, kind: str, value: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/identities/{kind}/{value}")

    @event("Claimed", topic="leads.LeadIdentity.Claimed")
    def __init__(self, tenant_id: UUID, kind: str, value: str, lead_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.kind = kind
        self.value = value
        self.lead_id: UUID | None = lead_id

    def move_to(self, lead_id: UUID) -> None:
        """The lead it belonged to was merged into `lead_id`."""
        if self.lead_id is None:
            raise StateConflict(f"{self.kind} {self.value} belongs to no lead")
        if lead_id != self.lead_id:
            self._moved(lead_id=lead_id)

    @event("Moved", topic="leads.LeadIdentity.Moved")
    def _moved(self, lead_id: UUID) -> None:
        self.lead_id = lead_id

    def release(self) -> None:
        """The lead was deleted: the value is free for another lead."""
        if self.lead_id is not None:
            self._released()

    @event("Released", topic="leads.LeadIdentity.Released")
    def _released(self) -> None:
        self.lead_id = None

    def reclaim(self, lead_id: UUID) -> None:
        """A released value is claimed again."""
        if self.lead_id is not None:
            raise StateConflict(f"{self.kind} {self.value} already belongs to a lead")
        self._reclaimed(lead_id=lead_id)

    @event("Reclaimed", topic="leads.LeadIdentity.Reclaimed")
    def _reclaimed(self, lead_id: UUID) -> None:
        self.lead_id = lead_id
