"""The leads application as the groups' `MemberLeads`: which ids are live leads in the
caller's scope, and the lead list's bulk actions applied to members (SEG-3)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from application.leads.bulk import BulkArguments, BulkLeadAction, BulkLeadActions
from application.leads.leads import Leads
from application.segments.group_ports import LeadsChanged
from application.shared.callers import TenantCaller
from application.shared.errors import NotFound
from domain.shared.access import Action

RESOURCE = "leads"
NEEDS = {
    "add_tags": Action.UPDATE,
    "remove_tags": Action.UPDATE,
    "change_source": Action.UPDATE,
    "change_status": Action.UPDATE,
    "delete": Action.DELETE,
}


class LeadsAsMembers:
    """Asks the leads context, with the caller's rights and data scope."""

    def __init__(self, leads: Leads, bulk: Callable[[], BulkLeadActions]) -> None:
        self.leads = leads
        # The bulk actions use the groups too (LeadGroups): asked for when first needed.
        self.bulk = bulk

    def live(self, who: TenantCaller, lead_ids: Sequence[UUID]) -> set[UUID]:
        found = set()
        for lead_id in lead_ids:
            try:
                lead = self.leads.lead_in_scope(who, lead_id)
            except NotFound:
                continue
            if lead.is_live:
                found.add(lead_id)
        return found

    def act(
        self,
        who: TenantCaller,
        action: str,
        lead_ids: Sequence[UUID],
        arguments: Mapping[str, Any],
    ) -> LeadsChanged:
        who.require(RESOURCE, NEEDS[action])
        if not lead_ids:
            return LeadsChanged(0, 0, 0)
        result = self.bulk().apply(
            who,
            BulkLeadAction(
                action=action,  # type: ignore[arg-type]  # one of NEEDS, checked above
                lead_ids=list(lead_ids),
                arguments=BulkArguments(**arguments),
            ),
        )
        return LeadsChanged(result.ok, result.not_found, result.refused)
