"""Membership: one lead in one group, one small aggregate per (group, lead).

Its id is derived from tenant, group and lead, so adding a lead twice, or two processes
adding it at once, collide on one record instead of listing it twice; its state (in or
out) makes joining a member and leaving a non-member change nothing. Each change is a
`Joined` or `Left` event carrying tenant, group, lead and the reason, which flows
trigger on (topics `segments.Membership.Joined` / `.Left`).

Before the groups existed, the leads context's bulk action "add to group" recorded pairs
as `leads.GroupMembership` with a `Recorded` event (stored in the leads' events). Those
event's topic resolves to `Membership.Recorded` (the aggregate's topic is registered
where they are adopted, `application.segments.adoption`), so stored records still read;
the groups context adopts each into a membership of its own (same id, "adopted").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

# Why a lead joined or left: people, the smart group's filter, a merge, a deletion…
REASONS = (
    "added",  # by hand, from a filter result or by the lead list's bulk action
    "removed",
    "matched",  # a smart group's filter selects the lead now
    "unmatched",
    "merged",  # copied from a group merged into this one
    "adopted",  # recorded by the leads context before groups existed
    "lead_gone",  # the lead was deleted or merged into another lead
)


def membership_id(tenant_id: UUID, group_id: UUID, lead_id: UUID) -> UUID:
    """The id of a lead's membership of a group (the leads' interim records had the same)."""
    return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/groups/{group_id}/leads/{lead_id}")


class Membership(Aggregate):
    """Whether one lead is in one group, and since when."""

    TOPIC = "segments.Membership"
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Joined: ClassVar[type[AggregateEvent]]
        Left: ClassVar[type[AggregateEvent]]

    class Created(Aggregate.Created):
        TOPIC = "segments.Membership.Created"
        tenant_id: UUID
        group_id: UUID
        lead_id: UUID

    class Recorded(Aggregate.Created):
        """The leads context's interim record (a member from its first event)."""

        TOPIC = "leads.GroupMembership.Recorded"
        tenant_id: UUID
        group_id: UUID
        lead_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.is_member = True
            aggregate.reason = "adopted"

    def __init__(self, tenant_id: UUID, group_id: UUID, lead_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.group_id = group_id
        self.lead_id = lead_id
        self.is_member = False
        self.reason: str | None = None

    @classmethod
    def open(cls, *, tenant_id: UUID, group_id: UUID, lead_id: UUID) -> Membership:
        """The record of a lead that was never in the group (not a member yet)."""
        return cls._create(
            cls.Created,
            id=membership_id(tenant_id, group_id, lead_id),
            tenant_id=tenant_id,
            group_id=group_id,
            lead_id=lead_id,
        )

    def join(self, reason: str) -> bool:
        """Make the lead a member; False (and no event) when it is one already."""
        if self.is_member:
            return False
        self._joined(
            tenant_id=self.tenant_id, group_id=self.group_id, lead_id=self.lead_id, reason=reason
        )
        return True

    @event("Joined", topic="segments.Membership.Joined")
    def _joined(self, tenant_id: UUID, group_id: UUID, lead_id: UUID, reason: str) -> None:
        self.is_member = True
        self.reason = reason

    def leave(self, reason: str) -> bool:
        """Take the lead out; False (and no event) when it is not a member."""
        if not self.is_member:
            return False
        self._left(
            tenant_id=self.tenant_id, group_id=self.group_id, lead_id=self.lead_id, reason=reason
        )
        return True

    @event("Left", topic="segments.Membership.Left")
    def _left(self, tenant_id: UUID, group_id: UUID, lead_id: UUID, reason: str) -> None:
        self.is_member = False
        self.reason = reason
