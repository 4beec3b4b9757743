"""Behaviour activity per lead (issue 15 item 9): how often each lead did what, where,
and when first and last, for segments and for `GET /api/v1/leads/{id}/activity`.

`BehaviourActivityView` keeps, per tenant, every behaviour with its lead
(`LeadBehaviours`: a visitor's earlier behaviour joins the lead when it is identified,
a merged lead's joins the survivor) and counters per (lead, kind, name, channel): one
added as a behaviour of a lead arrives, recounted from the rows for the leads whose
behaviours moved. `BehaviourActivity` is the query port the segments context uses;
`ActivityQueries` answers it from that view.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from pydantic import BaseModel

from application.shared.behaviours import Behaviour
from application.shared.lead_behaviours import LeadBehaviours, stitched_indexes, stitched_tables
from application.shared.tenant_rows import RecordTenants
from application.shared.views import Statement, View, iso, parse_iso

PREFIX = "tracking_activity"
COUNTS = f"{PREFIX}_counts"
ROWS = f"{PREFIX}_behaviours"
_KEY = "tenant_id, lead_id, kind, name, channel"
_ADD = (
    f"INSERT INTO {COUNTS} ({_KEY}, events, first_at, last_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?) "
    f"ON CONFLICT ({_KEY}) DO UPDATE SET events = {COUNTS}.events + 1, "
    f"first_at = CASE WHEN excluded.first_at < {COUNTS}.first_at "
    f"THEN excluded.first_at ELSE {COUNTS}.first_at END, "
    f"last_at = CASE WHEN excluded.last_at > {COUNTS}.last_at "
    f"THEN excluded.last_at ELSE {COUNTS}.last_at END"
)


class ActivityCount(BaseModel):
    """How often a lead did one thing (kind and name) on one channel, first and last."""

    kind: str
    name: str
    channel: str
    count: int
    first_seen: datetime
    last_seen: datetime


class LeadActivitySummary(BaseModel):
    """What a lead did, as `GET /api/v1/leads/{lead_id}/activity` answers."""

    lead_id: UUID
    last_seen: datetime | None
    activity: list[ActivityCount]


class BehaviourActivity(Protocol):
    """Behaviour counts and last-seen times of leads, for segments (the next issue).

    Every answer is about one tenant; lead ids are as the leads context gives them (a
    merged lead's behaviour counts under the survivor, a deleted lead keeps its own).
    The answers follow the behaviour log a moment behind (a read model)."""

    def activity_of(self, tenant_id: UUID, lead_id: UUID) -> list[ActivityCount]:
        """Everything the lead did, by kind, name and channel; most recent first."""
        ...

    def last_seen(
        self, tenant_id: UUID, lead_id: UUID, channel: str | None = None
    ) -> datetime | None:
        """When the lead's latest behaviour happened (on `channel`, if given)."""
        ...

    def leads_with(
        self,
        tenant_id: UUID,
        kind: str,
        name: str | None = None,
        channel: str | None = None,
        at_least: int = 1,
        since: datetime | None = None,
    ) -> set[UUID]:
        """The leads with at least `at_least` behaviours of `kind` (and `name`, on
        `channel`, if given) since `since` (ever, if None)."""
        ...


class BehaviourActivityView(LeadBehaviours):
    """Behaviours by lead, and counters per lead, kind, name and channel."""

    name = "tracking_activity"
    prefix = PREFIX
    version = 1
    tenants = RecordTenants(f"{PREFIX}_record_tenants")
    tables = {
        **stitched_tables(PREFIX, "kind TEXT NOT NULL, name TEXT NOT NULL, channel TEXT NOT NULL,"),
        COUNTS: "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "name TEXT NOT NULL, channel TEXT NOT NULL, events INTEGER NOT NULL, "
        f"first_at TEXT NOT NULL, last_at TEXT NOT NULL, PRIMARY KEY ({_KEY})",
        **tenants.definition,
    }
    indexes = {
        **stitched_indexes(PREFIX),
        f"{PREFIX}_since": f"{ROWS} (tenant_id, kind, at)",
        f"{PREFIX}_counts_kind": f"{COUNTS} (tenant_id, kind, name, channel)",
    }
    platform_wide = {tenants.table: "whose record an id is, for events stored unstamped"}

    def row_of(self, behaviour: Behaviour) -> dict[str, Any]:
        return {"kind": behaviour.kind, "name": behaviour.name, "channel": behaviour.channel}

    def added(self, tenant_id: str, lead_id: str, row: dict[str, Any]) -> list[Statement]:
        at = row["at"]
        return [(_ADD, (tenant_id, lead_id, row["kind"], row["name"], row["channel"], at, at))]

    def moved(self, tenant_id: str, lead_ids: Iterable[str]) -> list[Statement]:
        statements: list[Statement] = []
        for lead_id in lead_ids:
            statements += [
                (f"DELETE FROM {COUNTS} WHERE tenant_id = ? AND lead_id = ?", (tenant_id, lead_id)),
                (
                    f"INSERT INTO {COUNTS} ({_KEY}, events, first_at, last_at) "
                    f"SELECT {_KEY}, COUNT(*), MIN(at), MAX(at) FROM {ROWS} "
                    f"WHERE tenant_id = ? AND lead_id = ? GROUP BY {_KEY}",
                    (tenant_id, lead_id),
                ),
            ]
        return statements


class ActivityQueries:
    """`BehaviourActivity` from the activity read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def activity_of(self, tenant_id: UUID, lead_id: UUID) -> list[ActivityCount]:
        rows = self.view.rows(
            f"SELECT kind, name, channel, events, first_at, last_at FROM {COUNTS} "
            "WHERE tenant_id = ? AND lead_id = ? ORDER BY last_at DESC, kind, name, channel",
            (str(tenant_id), str(lead_id)),
        )
        return [
            ActivityCount(
                kind=row["kind"],
                name=row["name"],
                channel=row["channel"],
                count=int(row["events"]),
                first_seen=parse_iso(row["first_at"]),
                last_seen=parse_iso(row["last_at"]),
            )
            for row in rows
        ]

    def summary(self, tenant_id: UUID, lead_id: UUID) -> LeadActivitySummary:
        """The lead's counts and when it was last seen."""
        counted = self.activity_of(tenant_id, lead_id)
        last_seen = max((count.last_seen for count in counted), default=None)
        return LeadActivitySummary(lead_id=lead_id, last_seen=last_seen, activity=counted)

    def last_seen(
        self, tenant_id: UUID, lead_id: UUID, channel: str | None = None
    ) -> datetime | None:
        where, params = "tenant_id = ? AND lead_id = ?", [str(tenant_id), str(lead_id)]
        if channel is not None:
            where += " AND channel = ?"
            params.append(channel)
        rows = self.view.rows(f"SELECT MAX(last_at) AS last_at FROM {COUNTS} WHERE {where}", params)
        return parse_iso(rows[0]["last_at"]) if rows and rows[0]["last_at"] else None

    def leads_with(
        self,
        tenant_id: UUID,
        kind: str,
        name: str | None = None,
        channel: str | None = None,
        at_least: int = 1,
        since: datetime | None = None,
    ) -> set[UUID]:
        where = "tenant_id = ? AND kind = ?"
        params: list[Any] = [str(tenant_id), kind]
        for column, value in (("name", name), ("channel", channel)):
            if value is not None:
                where += f" AND {column} = ?"
                params.append(value)
        if since is None:  # the counters answer
            sql = (
                f"SELECT lead_id FROM {COUNTS} WHERE {where} "
                "GROUP BY lead_id HAVING SUM(events) >= ?"
            )
        else:  # counted from the rows since then
            where += " AND at >= ? AND lead_id IS NOT NULL"
            params.append(iso(since))
            sql = f"SELECT lead_id FROM {ROWS} WHERE {where} GROUP BY lead_id HAVING COUNT(*) >= ?"
        params.append(max(1, int(at_least)))
        return {UUID(row["lead_id"]) for row in self.view.rows(sql, params)}
