"""Routes of scheduled reach campaigns (FLOW-7): plan a campaign (period, audience,
branches with send-time rules and content), schedule or cancel it, and read what each
selected lead was sent."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response

from application.flows.reach import ReachCampaigns
from application.flows.reach_commands import (
    CancelReach,
    DeliveryDetails,
    PlanReach,
    ReachCounts,
    ReachDetails,
    ReachSummary,
)
from application.flows.reach_reading import ReachReading
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
from entrypoints.http.conventions import IF_MATCH, ListOf, get, page_of, post, tenant_may, with_etag
from entrypoints.http.tenant import Cursor, Limit


class ReachController(Controller):
    path = "/api/v1/reach-campaigns"
    tags = ["flows"]
    guards = [tenant_may("flows")]
    dependencies = IF_MATCH

    @get("/", operation_id="listReachCampaigns")
    def list_campaigns(
        self,
        reach_reading: ReachReading,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[ReachSummary]:
        """The tenant's reach campaigns, last changed first, with their delivery counts."""
        return page_of(reach_reading.campaigns_page(caller.tenant_id, cursor=cursor, limit=limit))

    @post("/", operation_id="planReachCampaign", may=Action.CREATE)
    def plan(
        self, data: PlanReach, reach_campaigns: ReachCampaigns, caller: TenantCaller
    ) -> Response[ReachDetails]:
        """Plan a campaign: its period, audience filter and up to 5 branches (422 naming
        the field). Nothing is sent until it is scheduled."""
        return with_etag(reach_campaigns.plan(caller.tenant_id, data), status_code=201)

    @get("/{campaign_id:uuid}", operation_id="getReachCampaign")
    def get_campaign(
        self, campaign_id: UUID, reach_campaigns: ReachCampaigns, caller: TenantCaller
    ) -> Response[ReachDetails]:
        """One campaign as planned, and whether it is scheduled or cancelled."""
        return with_etag(reach_campaigns.campaign(caller.tenant_id, campaign_id))

    @post("/{campaign_id:uuid}/schedule", operation_id="scheduleReachCampaign", status_code=200)
    def schedule(
        self,
        campaign_id: UUID,
        reach_campaigns: ReachCampaigns,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[ReachDetails]:
        """Let it run in its period (If-Match): 422 naming the first branch content still
        to choose or on a channel the tenant has not set up, or a period already over."""
        return with_etag(
            reach_campaigns.schedule(
                caller.tenant_id, campaign_id, expected_version=expected_version
            )
        )

    @post("/{campaign_id:uuid}/cancel", operation_id="cancelReachCampaign", status_code=200)
    def cancel(
        self,
        campaign_id: UUID,
        data: CancelReach,
        reach_campaigns: ReachCampaigns,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[ReachDetails]:
        """Stop it (If-Match): nobody more is selected; content not yet due is not sent."""
        return with_etag(
            reach_campaigns.cancel(
                caller.tenant_id, campaign_id, data, expected_version=expected_version
            )
        )

    @get("/{campaign_id:uuid}/counts", operation_id="getReachCampaignCounts")
    def counts(
        self, campaign_id: UUID, reach_reading: ReachReading, caller: TenantCaller
    ) -> ReachCounts:
        """How many leads were selected, and how many of them are pending, sent, skipped
        (no consent, outside WeChat's 48 hours), failed or cancelled."""
        return reach_reading.counts(caller.tenant_id, campaign_id)

    @get("/{campaign_id:uuid}/deliveries", operation_id="listReachDeliveries")
    def deliveries(
        self,
        campaign_id: UUID,
        reach_reading: ReachReading,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[DeliveryDetails]:
        """The leads the campaign selected, with their branch, send time and outcome."""
        return page_of(
            reach_reading.deliveries(caller.tenant_id, campaign_id, cursor=cursor, limit=limit)
        )
