"""Reading scheduled reach campaigns (FLOW-7): the list and counts from the read model,
each campaign's deliveries named by their branch."""

from __future__ import annotations

from uuid import UUID

from application.flows.reach import ReachCampaigns
from application.flows.reach_commands import DeliveryDetails, ReachCounts, ReachSummary
from application.flows.reach_directory import ReachQueries
from application.shared.pages import Page
from application.shared.views import parse_iso


class ReachReading:
    """The reach campaigns as lists and counts (the read model), each campaign's
    deliveries named by branch."""

    def __init__(self, campaigns: ReachCampaigns, queries: ReachQueries) -> None:
        self.campaigns = campaigns
        self.queries = queries

    def campaigns_page(
        self, tenant_id: UUID, *, cursor: str | None, limit: int
    ) -> Page[ReachSummary]:
        return self.queries.campaigns(tenant_id, cursor=cursor, limit=limit)

    def counts(self, tenant_id: UUID, campaign_id: UUID) -> ReachCounts:
        self.campaigns.campaign_of(tenant_id, campaign_id)  # another tenant's: NotFound
        return self.queries.counts(tenant_id, campaign_id)

    def deliveries(
        self, tenant_id: UUID, campaign_id: UUID, *, cursor: str | None, limit: int
    ) -> Page[DeliveryDetails]:
        """The leads the campaign selected, in lead order, with what became of each."""
        campaign = self.campaigns.campaign_of(tenant_id, campaign_id)
        names = [branch.get("name", "") for branch in campaign.branches]
        page = self.queries.deliveries(tenant_id, campaign_id, cursor=cursor, limit=limit)
        return Page(
            [
                DeliveryDetails(
                    lead_id=UUID(row["lead_id"]),
                    branch=int(row["branch"]),
                    branch_name=names[int(row["branch"])],
                    send_at=parse_iso(row["send_at"]),
                    status=row["status"],
                    detail=row["detail"],
                    updated_at=parse_iso(row["updated_at"]),
                )
                for row in page.items
            ],
            page.next_cursor,
        )
