"""Visitors: who sent behaviours, as their sender knows them, and the lead they are
(identity stitching, issue 15 item 5).

A visitor is one anonymous id (a browser's first-party cookie, an app install) or one
user id (the tenant's member id) of one tenant. Its id is derived from the tenant and
the key, so two identifies of the same visitor at once collide in the event store
instead of making two visitors. It records which lead it is, and records again when
that changes (its lead was merged into another, or someone else identified on it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue
from domain.shared.visitors import VisitorKind, visitor_id

__all__ = ["MAX_KEY_LENGTH", "Visitor", "VisitorKind", "visitor_id"]

MAX_KEY_LENGTH = 200  # as the behaviour log keeps anonymous and user ids


class Visitor(Aggregate):
    """One anonymous or user id of a tenant and the lead it is."""

    TOPIC = "tracking.Visitor"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Identified: ClassVar[type[AggregateEvent]]
        Reidentified: ClassVar[type[AggregateEvent]]

    @classmethod
    def identify_new(cls, *, tenant_id: UUID, kind: str, key: str, lead_id: UUID) -> Visitor:
        """The first time a visitor is known to be a lead."""
        if kind not in VisitorKind.__members__.values():
            raise InvalidValue(f"unknown visitor kind {kind!r}", field="kind")
        if not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidValue(f"a visitor key has 1 to {MAX_KEY_LENGTH} characters", field=kind)
        return cls(
            id=visitor_id(tenant_id, kind, key),
            tenant_id=tenant_id,
            kind=kind,
            key=key,
            lead_id=lead_id,
        )

    @event("Identified", topic="tracking.Visitor.Identified")
    def __init__(self, id: UUID, tenant_id: UUID, kind: str, key: str, lead_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.kind = kind
        self.key = key
        self.lead_id = lead_id

    def identify(self, lead_id: UUID) -> None:
        """The visitor is `lead_id` from now on; the lead it already is records nothing
        (so a behaviour seen twice changes nothing)."""
        if lead_id != self.lead_id:
            self._reidentified(lead_id=lead_id, previous_lead_id=self.lead_id)

    @event("Reidentified", topic="tracking.Visitor.Reidentified")
    def _reidentified(self, lead_id: UUID, previous_lead_id: UUID) -> None:
        self.lead_id = lead_id
