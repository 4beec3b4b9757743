"""The reach campaigns' read model (FLOW-7): the campaigns list with their delivery
counts, each lead's delivery, and what the reach worker reads: the campaigns running
now, which leads a campaign has already selected, and the deliveries that are due.

The deliveries' `(status, send_at)` index serves every tenant's due deliveries at once,
as the flows' due waits are served (`directory.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.flows.reach_commands import ReachCounts, ReachSummary
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, Statement, View, iso, parse_iso

PREFIX = "flows_reach"
CAMPAIGNS, DELIVERIES = f"{PREFIX}_campaigns", f"{PREFIX}_deliveries"
COUNTS = ("selected", "pending", "sent", "skipped", "failed", "cancelled")


class ReachDirectory(ReadModel):
    """Reach campaigns and their deliveries, of every tenant (see the module)."""

    name = "flows_reach"
    follows = ("flows",)
    tables = {
        CAMPAIGNS: "tenant_id TEXT NOT NULL, campaign_id TEXT NOT NULL, name TEXT NOT NULL, "
        "status TEXT NOT NULL, starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, "
        + "".join(f"{count} INTEGER NOT NULL DEFAULT 0, " for count in COUNTS)
        + "version INTEGER NOT NULL, updated_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, campaign_id)",
        DELIVERIES: "tenant_id TEXT NOT NULL, delivery_id TEXT NOT NULL, "
        "campaign_id TEXT NOT NULL, lead_id TEXT NOT NULL, branch INTEGER NOT NULL, "
        "send_at TEXT NOT NULL, status TEXT NOT NULL, detail TEXT, version INTEGER NOT NULL, "
        "updated_at TEXT NOT NULL, PRIMARY KEY (tenant_id, delivery_id)",
    }
    indexes = {
        f"{PREFIX}_campaigns_order": f"{CAMPAIGNS} (tenant_id, updated_at, campaign_id)",
        f"{PREFIX}_campaigns_running": f"{CAMPAIGNS} (status, starts_at)",
        f"{PREFIX}_deliveries_lead": f"{DELIVERIES} (tenant_id, campaign_id, lead_id)",
        f"{PREFIX}_deliveries_due": f"{DELIVERIES} (status, send_at)",
    }
    platform_wide = {
        f"{PREFIX}_campaigns_running": "the reach worker selects for every tenant's campaigns",
        f"{PREFIX}_deliveries_due": "the reach worker delivers every tenant's due content",
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        topic = get_topic(type(domain_event)).removeprefix("flows.")
        handler = getattr(self, "_" + topic.replace(".", "_"), None)
        if handler is None:
            self.skip(tracking)
            return
        tenant_id = str(tenant_of(domain_event) or domain_event.tenant_id)
        self.view.write(tracking, handler(tenant_id, domain_event))

    def _ReachCampaign_Planned(self, tenant_id: str, event: Any) -> list[Statement]:
        row = {
            "tenant_id": tenant_id,
            "campaign_id": str(event.originator_id),
            "name": event.name,
            "status": "planned",
            "starts_at": iso(event.starts_at),
            "ends_at": iso(event.ends_at),
            "version": event.originator_version,
            "updated_at": iso(event.timestamp),
        }
        return [insert(CAMPAIGNS, row)]

    def _ReachCampaign_Scheduled(self, tenant_id: str, event: Any) -> list[Statement]:
        return [self._campaign(tenant_id, event, "scheduled")]

    def _ReachCampaign_Cancelled(self, tenant_id: str, event: Any) -> list[Statement]:
        return [self._campaign(tenant_id, event, "cancelled")]

    def _campaign(self, tenant_id: str, event: Any, status: str) -> Statement:
        changes = {
            "status": status,
            "version": event.originator_version,
            "updated_at": iso(event.timestamp),
        }
        where = {"tenant_id": tenant_id, "campaign_id": str(event.originator_id)}
        return update(CAMPAIGNS, changes, where=where)

    def _ReachDelivery_Selected(self, tenant_id: str, event: Any) -> list[Statement]:
        row = {
            "tenant_id": tenant_id,
            "delivery_id": str(event.originator_id),
            "campaign_id": str(event.campaign_id),
            "lead_id": str(event.lead_id),
            "branch": event.branch,
            "send_at": iso(event.send_at),
            "status": "pending",
            "version": event.originator_version,
            "updated_at": iso(event.timestamp),
        }
        return [insert(DELIVERIES, row), _count(tenant_id, row["campaign_id"], "selected", 1)]

    def _ReachDelivery_Delivered(self, tenant_id: str, event: Any) -> list[Statement]:
        rows = self.view.rows(
            f"SELECT campaign_id FROM {DELIVERIES} WHERE tenant_id = ? AND delivery_id = ?",
            (tenant_id, str(event.originator_id)),
        )
        campaign_id = rows[0]["campaign_id"]
        changes = {
            "status": event.outcome,
            "detail": event.detail,
            "version": event.originator_version,
            "updated_at": iso(event.at),
        }
        where = {"tenant_id": tenant_id, "delivery_id": str(event.originator_id)}
        return [
            update(DELIVERIES, changes, where=where),
            _count(tenant_id, campaign_id, "pending", -1),
            _count(tenant_id, campaign_id, event.outcome, 1),
        ]


def _count(tenant_id: str, campaign_id: str, column: str, by: int) -> Statement:
    assert column in COUNTS
    # "selected" is every delivery; "pending" moves with it until the delivery is made
    also = ", pending = pending + ?" if column == "selected" else ""
    values = (by, by) if also else (by,)
    return (
        f"UPDATE {CAMPAIGNS} SET {column} = {column} + ?{also} "
        "WHERE tenant_id = ? AND campaign_id = ?",
        (*values, tenant_id, campaign_id),
    )


class ReachQueries:
    """Reads of the reach campaigns' read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def campaigns(self, tenant_id: UUID, *, cursor: str | None, limit: int) -> Page[ReachSummary]:
        """The tenant's campaigns, last changed first, with their delivery counts."""
        page = fetch_page(
            self.view,
            table=CAMPAIGNS,
            where="tenant_id = ?",
            params=[str(tenant_id)],
            order_by=("updated_at", "campaign_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_summary(row) for row in page.items], page.next_cursor)

    def counts(self, tenant_id: UUID, campaign_id: UUID) -> ReachCounts:
        rows = self.view.rows(
            f"SELECT {', '.join(COUNTS)} FROM {CAMPAIGNS} WHERE tenant_id = ? AND campaign_id = ?",
            (str(tenant_id), str(campaign_id)),
        )
        return _counts(rows[0] if rows else dict.fromkeys(COUNTS, 0))

    def deliveries(
        self, tenant_id: UUID, campaign_id: UUID, *, cursor: str | None, limit: int
    ) -> Page[dict[str, Any]]:
        """A campaign's deliveries in lead order (rows; `reading` names the branches)."""
        return fetch_page(
            self.view,
            table=DELIVERIES,
            where="tenant_id = ? AND campaign_id = ?",
            params=[str(tenant_id), str(campaign_id)],
            order_by=("lead_id",),
            descending=False,
            cursor=cursor,
            limit=limit,
        )

    # --- for the worker ---------------------------------------------------------------------

    def running(self, now: datetime) -> list[tuple[UUID, UUID]]:
        """(tenant, campaign) of every tenant's scheduled campaigns in their period now."""
        rows = self.view.rows(
            f"SELECT tenant_id, campaign_id FROM {CAMPAIGNS} "
            "WHERE status = 'scheduled' AND starts_at <= ? AND ends_at > ? "
            "ORDER BY starts_at, campaign_id",
            (iso(now), iso(now)),
        )
        return [(UUID(row["tenant_id"]), UUID(row["campaign_id"])) for row in rows]

    def selected(self, tenant_id: UUID, campaign_id: UUID, lead_ids: Iterable[UUID]) -> set[UUID]:
        """Which of `lead_ids` the campaign has already selected."""
        wanted = [str(lead_id) for lead_id in lead_ids]
        if not wanted:
            return set()
        marks = ", ".join("?" for _ in wanted)
        rows = self.view.rows(
            f"SELECT lead_id FROM {DELIVERIES} WHERE tenant_id = ? AND campaign_id = ? "
            f"AND lead_id IN ({marks})",
            [str(tenant_id), str(campaign_id), *wanted],
        )
        return {UUID(row["lead_id"]) for row in rows}

    def due(self, now: datetime, *, limit: int) -> list[dict[str, Any]]:
        """Pending deliveries due by `now`, every tenant's, oldest first; and those of
        cancelled campaigns, due or not (they are to be marked cancelled)."""
        due = self.view.rows(
            f"SELECT tenant_id, delivery_id, campaign_id, version FROM {DELIVERIES} "
            f"WHERE status = 'pending' AND send_at <= ? ORDER BY send_at LIMIT {int(limit)}",
            (iso(now),),
        )
        cancelled = self.view.rows(
            f"SELECT d.tenant_id, d.delivery_id, d.campaign_id, d.version FROM {DELIVERIES} d "
            f"JOIN {CAMPAIGNS} c ON c.tenant_id = d.tenant_id AND c.campaign_id = d.campaign_id "
            f"WHERE c.status = 'cancelled' AND d.status = 'pending' LIMIT {int(limit)}",
        )
        taken = {row["delivery_id"] for row in due}
        return due + [row for row in cancelled if row["delivery_id"] not in taken]


def _counts(row: dict[str, Any]) -> ReachCounts:
    return ReachCounts(**{count: int(row[count]) for count in COUNTS})


def _summary(row: dict[str, Any]) -> ReachSummary:
    return ReachSummary(
        campaign_id=UUID(row["campaign_id"]),
        name=row["name"],
        status=row["status"],
        starts_at=parse_iso(row["starts_at"]),
        ends_at=parse_iso(row["ends_at"]),
        counts=_counts(row),
        updated_at=parse_iso(row["updated_at"]),
    )
