"""Adopting the leads' interim group listings (LEAD-10 before SEG-1 existed).

The lead list's bulk action "add to group" once recorded each (group, lead) pair in the
leads' events as `leads.GroupMembership.Recorded`, for a group id nobody had formed.
This policy follows the leads and makes each such record a membership of a static
group of that id (formed, named after its id, if it does not exist), reason
"adopted". Seeing a record again changes nothing: the group id is the record's and
the membership's state decides.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic, register_topic

from application.segments.groups import Groups
from application.shared.errors import NotFound
from application.shared.policies import Policy
from application.shared.views import View
from domain.segments.groups import Group
from domain.segments.membership import Membership

LEGACY = "leads.GroupMembership.Recorded"
# The interim aggregate's topic reads as a membership (its event's topic is on the class).
register_topic("leads.GroupMembership", Membership)


class InterimListings(Policy):
    """Turns the leads' interim listings into memberships."""

    name = "segment_interim_listings"
    follows = ("leads",)

    def __init__(self, view: View, *, groups: Groups) -> None:
        super().__init__(view)
        self.groups = groups

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if get_topic(type(domain_event)) == LEGACY:
            self.adopt(domain_event)
        self.view.write(tracking, ())

    def adopt(self, record: Any) -> None:
        tenant_id, group_id = record.tenant_id, record.group_id
        try:
            group = self.groups.live_group(tenant_id, group_id)
        except NotFound:
            group = None
        if group is None and group_id not in self.groups.segments.repository:
            formed = Group.form(
                group_id=group_id,
                tenant_id=tenant_id,
                name=f"用户组 {str(group_id)[:8]}",
                kind="static",
                tree=None,
            )
            self.create_once(self.groups.segments, formed)
        elif group is None or group.is_smart:
            return  # deleted since, or not a listing any more: nothing to adopt into
        self.groups.list_lead(tenant_id, group_id, record.lead_id, reason="adopted")
