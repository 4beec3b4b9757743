"""What a lead did (issue 15 item 9): its behaviour counts by kind, name and channel,
first and last seen, from the tracking activity read model.

The lead must be inside the caller's data scope (ORG-2), asked of the leads context
itself (`Leads.lead`): another tenant's lead, or a colleague's outside the scope, is
404 like an unknown id."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller

from application.leads.leads import Leads
from application.shared.callers import TenantCaller
from application.tracking.activity import ActivityQueries, LeadActivitySummary
from entrypoints.http.conventions import get, tenant_may


class LeadActivityController(Controller):
    path = "/api/v1/leads/{lead_id:uuid}/activity"
    tags = ["tracking"]
    guards = [tenant_may("leads")]

    @get("/", operation_id="leadActivity")
    def activity(
        self,
        lead_id: UUID,
        leads: Leads,
        behaviour_activity: ActivityQueries,
        caller: TenantCaller,
    ) -> LeadActivitySummary:
        """How often the lead did each thing on each channel, first and last seen
        (page views, events, clicks, opens…), most recent first.

        Behaviours of the lead's visitors before they were identified count, and so do
        those of leads merged into it. The counts follow the behaviour log a moment
        behind."""
        leads.lead(caller, lead_id)  # NotFound outside the caller's scope or tenant
        return behaviour_activity.summary(caller.tenant_id, lead_id)
