"""The ad campaigns read model (TRK-4): each tenant's campaigns with when they were first
seen, and how many behaviours arrived with each utm_campaign (and when the last did).

It follows the tracking application (the `AdCampaign` records) and the behaviour log
(the counts, kept by campaign name for every name, recorded or not); the list joins the
two by tenant and name, so it does not matter which upstream it saw first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour
from application.shared.pages import Page, fetch_page
from application.shared.tenant_rows import insert
from application.shared.views import ReadModel, View, iso, parse_iso
from application.tracking.link_commands import AdCampaignDetails
from domain.tracking.ad_campaign import MAX_CAMPAIGN_NAME, AdCampaign

_COUNT = (
    "INSERT INTO ad_campaign_counts (tenant_id, name, behaviours, last_seen_at) "
    "VALUES (?, ?, 1, ?) ON CONFLICT (tenant_id, name) DO UPDATE SET "
    "behaviours = ad_campaign_counts.behaviours + 1, last_seen_at = excluded.last_seen_at"
)


class AdCampaignList(ReadModel):
    """Keeps the recorded ad campaigns listable with their behaviour counts."""

    name = "tracking_ad_campaigns"
    follows = ("tracking", BEHAVIOURS)
    tables = {
        "ad_campaigns": "tenant_id TEXT NOT NULL, campaign_id TEXT NOT NULL, "
        "name TEXT NOT NULL, source TEXT, medium TEXT, first_seen_at TEXT NOT NULL, "
        "created_at TEXT NOT NULL, PRIMARY KEY (tenant_id, campaign_id)",
        "ad_campaign_counts": "tenant_id TEXT NOT NULL, name TEXT NOT NULL, "
        "behaviours INTEGER NOT NULL, last_seen_at TEXT NOT NULL, PRIMARY KEY (tenant_id, name)",
    }
    indexes = {"ad_campaigns_seen": "ad_campaigns (tenant_id, first_seen_at, campaign_id)"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(Behaviour)
    def _(self, behaviour: Behaviour, tracking: Tracking) -> None:
        campaign = behaviour.context.get("campaign")
        name = campaign.get("name") if isinstance(campaign, Mapping) else None
        if not isinstance(name, str) or not name.strip():
            self.skip(tracking)
            return
        at = iso(behaviour.occurred_at)
        key = name.strip()[:MAX_CAMPAIGN_NAME]
        self.view.write(tracking, [(_COUNT, (str(behaviour.tenant_id), key, at))])

    @process_event.register(AdCampaign.Recorded)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "campaign_id": str(event.originator_id),
            "name": event.name,
            "source": event.source,
            "medium": event.medium,
            "first_seen_at": iso(datetime.fromisoformat(event.first_seen_at)),
            "created_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert("ad_campaigns", row)])


class AdCampaignQueries:
    """The tenant's ad campaigns, newest first, with their counts."""

    def __init__(self, view: View) -> None:
        self.view = view

    def campaigns(
        self, tenant_id: UUID, *, cursor: str | None, limit: int
    ) -> Page[AdCampaignDetails]:
        page = fetch_page(
            self.view,
            table="ad_campaigns",
            where="tenant_id = ?",
            params=[str(tenant_id)],
            order_by=("first_seen_at", "campaign_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        names = [row["name"] for row in page.items]
        counts: dict[str, Mapping[str, Any]] = {}
        if names:
            rows = self.view.rows(
                "SELECT name, behaviours, last_seen_at FROM ad_campaign_counts "
                f"WHERE tenant_id = ? AND name IN ({', '.join('?' for _ in names)})",
                [str(tenant_id), *names],
            )
            counts = {row["name"]: row for row in rows}
        return Page(
            [
                AdCampaignDetails(
                    id=UUID(row["campaign_id"]),
                    name=row["name"],
                    source=row["source"],
                    medium=row["medium"],
                    first_seen_at=parse_iso(row["first_seen_at"]),
                    behaviours=counts[row["name"]]["behaviours"] if row["name"] in counts else 0,
                    last_seen_at=parse_iso(counts[row["name"]]["last_seen_at"])
                    if row["name"] in counts
                    else None,
                )
                for row in page.items
            ],
            page.next_cursor,
        )
