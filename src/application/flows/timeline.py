"""A lead's path through flows on its timeline (FLOW-6): the flows context's
`LeadActivitySource` for the leads context, which merges these entries with the lead's
own events by (at, source, position) (ADR 0006)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.flows.directory import FlowQueries
from application.shared.views import iso, parse_iso

SOURCE = "flows"
KIND = "flows.step"


@dataclass(frozen=True)
class FlowActivity:
    """One step of a flow as a lead timeline entry."""

    at: datetime
    kind: str
    position: int
    details: dict[str, Any]
    actor: dict[str, Any] | None = None


class FlowTimeline:
    """The steps a lead took in the tenant's flows, newest first."""

    source = SOURCE

    def __init__(self, queries: FlowQueries) -> None:
        self.queries = queries

    def activity(
        self,
        tenant_id: Any,
        lead_id: Any,
        *,
        before: tuple[datetime, str, int] | None,
        limit: int,
    ) -> list[FlowActivity]:
        """Up to `limit` steps after `before` (an (at, source, position) of the merged
        timeline): ties on `at` are ordered by source name, then position."""
        after: tuple[str, int] | None = None
        if before is not None:
            at, source, position = iso(before[0]), before[1], before[2]
            # same moment: a source named before ours comes after all of ours, one after
            # ours before all of ours
            after = (at, position) if source == SOURCE else (at, 0 if source < SOURCE else 2**62)
        rows = self.queries.lead_steps(tenant_id, lead_id, before=after, limit=limit)
        return [
            FlowActivity(
                at=parse_iso(row["at"]),
                kind=KIND,
                position=int(row["position"]),
                details={
                    "flow_id": row["flow_id"],
                    "flow_name": row["flow_name"],
                    "node_id": row["node_id"],
                    "result": row["outcome"],
                    "note": " · ".join(
                        part
                        for part in (
                            row["flow_name"],
                            row["node_id"],
                            row["outcome"],
                            row["detail"],
                        )
                        if part
                    ),
                },
                actor={"kind": "system", "id": "flows"},
            )
            for row in rows
        ]
