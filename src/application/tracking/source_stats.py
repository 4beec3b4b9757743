"""Per-source ingestion stats (issue 15 item 9): behaviours received from each
tracking source per day and kind, and when the last one arrived.

A follower of the behaviour log (`BEHAVIOURS`) adds one to a counter row keyed
`(tenant_id, source_id, day, kind)` for each row it reads; the day is the UTC day of
`received_at` (when huoke took the behaviour), so counts never move between days when a
tenant changes its timezone. Rows of contexts that append without a tracking source
(`source_id` empty) are counted under that empty id and not shown for any source.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour
from application.shared.clock import Clock
from application.shared.views import ReadModel, View, iso, parse_iso
from application.tracking.commands import SourceDayStats, SourceStatsDetails

TABLE = "tracking_source_stats"
MAX_STATS_DAYS = 366

# One statement per behaviour, in both databases: the counter row is made on the first
# behaviour of its day and kind, and counted up after that. The portable CASE keeps the
# latest time (SQLite's MAX and PostgreSQL's GREATEST are not both available).
_COUNT = (
    f"INSERT INTO {TABLE} (tenant_id, source_id, day, kind, events, last_received_at) "
    "VALUES (?, ?, ?, ?, 1, ?) "
    "ON CONFLICT (tenant_id, source_id, day, kind) DO UPDATE SET "
    f"events = {TABLE}.events + 1, "
    f"last_received_at = CASE WHEN excluded.last_received_at > {TABLE}.last_received_at "
    f"THEN excluded.last_received_at ELSE {TABLE}.last_received_at END"
)


class SourceStats(ReadModel):
    """Counts the behaviour log's rows by tenant, source, UTC day and kind."""

    name = "tracking_source_stats"
    follows = (BEHAVIOURS,)
    tables = {
        TABLE: "tenant_id TEXT NOT NULL, source_id TEXT NOT NULL, day TEXT NOT NULL, "
        "kind TEXT NOT NULL, events INTEGER NOT NULL, last_received_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, source_id, day, kind)",
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if not isinstance(domain_event, Behaviour):
            self.skip(tracking)
            return
        received = iso(domain_event.received_at)
        self.view.write(
            tracking,
            [
                (
                    _COUNT,
                    (
                        str(domain_event.tenant_id),
                        domain_event.source_id,
                        received[:10],
                        domain_event.kind,
                        received,
                    ),
                )
            ],
        )


class SourceStatsQueries:
    """A source's counts over its last days, from the stats read model."""

    def __init__(self, view: View, clock: Clock) -> None:
        self.view = view
        self.clock = clock

    def of_source(self, tenant_id: UUID, source_id: UUID, *, days: int = 30) -> SourceStatsDetails:
        """The source's behaviours per UTC day (newest first) over the last `days` days
        (today included), by kind, and when the last behaviour ever was received."""
        days = max(1, min(days, MAX_STATS_DAYS))
        today = self.clock.now().astimezone(UTC).date()
        since = today - timedelta(days=days - 1)
        rows = self.view.rows(
            f"SELECT day, kind, events, last_received_at FROM {TABLE} "
            "WHERE tenant_id = ? AND source_id = ? AND day >= ? ORDER BY day DESC, kind",
            (str(tenant_id), str(source_id), since.isoformat()),
        )
        by_day: dict[str, dict[str, Any]] = {}
        for row in rows:
            day = by_day.setdefault(row["day"], {"by_kind": {}, "last": row["last_received_at"]})
            day["by_kind"][row["kind"]] = int(row["events"])
            day["last"] = max(day["last"], row["last_received_at"])
        listed = [
            SourceDayStats(
                day=date.fromisoformat(day),
                events=sum(values["by_kind"].values()),
                by_kind=values["by_kind"],
                last_received_at=parse_iso(values["last"]),
            )
            for day, values in by_day.items()
        ]
        last = self.view.rows(
            f"SELECT MAX(last_received_at) AS last FROM {TABLE} "
            "WHERE tenant_id = ? AND source_id = ?",
            (str(tenant_id), str(source_id)),
        )
        return SourceStatsDetails(
            source_id=source_id,
            total_events=sum(day.events for day in listed),
            last_received_at=parse_iso(last[0]["last"]) if last and last[0]["last"] else None,
            days=listed,
        )
