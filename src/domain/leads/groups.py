"""Static group membership asked for by a bulk action (LEAD-10 "加入用户组") before the
groups context (SEG-1…) exists.

A group is the segments context's record; until it is built, "add to group" records
each (group, lead) pair here, one small aggregate per pair, so that adding thousands
of leads never contends on one stream and adding a lead twice changes nothing. The
groups context will adopt these records (same topics) when it takes over groups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.leads.lead import Lead
from domain.shared.errors import StateConflict


class GroupMembership(Aggregate):
    """One lead listed in one static group of its tenant."""

    TOPIC = "leads.GroupMembership"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Recorded: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID, group_id: UUID, lead_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/groups/{group_id}/leads/{lead_id}")

    @classmethod
    def record(cls, *, group_id: UUID, lead: Lead) -> GroupMembership:
        """List a live lead in a group (a deleted or merged-away lead is refused)."""
        if lead.merged_into is not None:
            raise StateConflict(f"the lead was merged into {lead.merged_into}")
        if lead.is_deleted:
            raise StateConflict("the lead was deleted")
        return cls(
            id=cls.create_id(lead.tenant_id, group_id, lead.id),
            tenant_id=lead.tenant_id,
            group_id=group_id,
            lead_id=lead.id,
        )

    @event("Recorded", topic="leads.GroupMembership.Recorded")
    def __init__(self, id: UUID, tenant_id: UUID, group_id: UUID, lead_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.group_id = group_id
        self.lead_id = lead_id
