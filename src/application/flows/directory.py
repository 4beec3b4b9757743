"""The flows' read model (FLOW-1, FLOW-5, FLOW-6): the flows list, every enrolment's
current run (the worker's due waits come from it), each run's steps (a lead's path, on
its timeline) and per-node counts.

Waits are durable because the enrolment's `WaitStarted` event is stored before anything
waits on it; this table is only where the worker finds them (`due`), ordered by
`wake_at` on an index that leads with the status, for every tenant at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.flows.commands import (
    EnrolmentSummary,
    FlowSummary,
    NodeStats,
    StepDetails,
)
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, Statement, View, iso, parse_iso

PREFIX = "flows_directory"
FLOWS, RUNS, STEPS, NODES = (f"{PREFIX}_{name}" for name in ("flows", "runs", "steps", "nodes"))
COUNTS = ("entered", "completed", "skipped", "failed")
OUTCOME_COUNT = {"done": "completed", "yes": "completed", "no": "completed",
                 "waited": "completed", "skipped": "skipped", "failed": "failed"}  # fmt: skip
_BUMP = (
    f"INSERT INTO {NODES} (tenant_id, flow_id, node_id, entered, completed, skipped, failed) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, flow_id, node_id) DO UPDATE SET "
    + ", ".join(f"{c} = {NODES}.{c} + excluded.{c}" for c in COUNTS)
)


def _bump(tenant_id: str, flow_id: str, node_id: str | None, column: str) -> list[Statement]:
    if node_id is None:
        return []
    values = [1 if c == column else 0 for c in COUNTS]
    return [(_BUMP, (tenant_id, flow_id, node_id, *values))]


class FlowDirectory(ReadModel):
    """Flows, runs, steps and node counts of every tenant (see the module)."""

    name = "flows_directory"
    follows = ("flows",)
    version = 2  # 2: flows keep when they were last enabled (date start conditions)
    tables = {
        FLOWS: "tenant_id TEXT NOT NULL, flow_id TEXT NOT NULL, name TEXT NOT NULL, "
        "enabled INTEGER NOT NULL, archived INTEGER NOT NULL, stopped INTEGER NOT NULL, "
        "enabled_at TEXT, "
        "trigger_kind TEXT NOT NULL, live_version INTEGER NOT NULL, version INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (tenant_id, flow_id)",
        RUNS: "tenant_id TEXT NOT NULL, enrolment_id TEXT NOT NULL, flow_id TEXT NOT NULL, "
        "lead_id TEXT NOT NULL, run INTEGER NOT NULL, flow_version INTEGER NOT NULL, "
        "status TEXT NOT NULL, at_node TEXT, wake_at TEXT, started_at TEXT, "
        "updated_at TEXT NOT NULL, version INTEGER NOT NULL, "
        "PRIMARY KEY (tenant_id, enrolment_id)",
        STEPS: "tenant_id TEXT NOT NULL, enrolment_id TEXT NOT NULL, position INTEGER NOT NULL, "
        "flow_id TEXT NOT NULL, lead_id TEXT NOT NULL, run INTEGER NOT NULL, "
        "node_id TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT, at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, enrolment_id, position)",
        NODES: "tenant_id TEXT NOT NULL, flow_id TEXT NOT NULL, node_id TEXT NOT NULL, "
        "entered INTEGER NOT NULL, completed INTEGER NOT NULL, skipped INTEGER NOT NULL, "
        "failed INTEGER NOT NULL, PRIMARY KEY (tenant_id, flow_id, node_id)",
    }
    indexes = {
        f"{PREFIX}_flows_order": f"{FLOWS} (tenant_id, archived, updated_at, flow_id)",
        f"{PREFIX}_runs_flow": f"{RUNS} (tenant_id, flow_id, status, updated_at)",
        f"{PREFIX}_runs_lead": f"{RUNS} (tenant_id, lead_id)",
        f"{PREFIX}_runs_due": f"{RUNS} (status, wake_at, enrolment_id)",
        f"{PREFIX}_steps_lead": f"{STEPS} (tenant_id, lead_id, at)",
    }
    platform_wide = {f"{PREFIX}_runs_due": "the flow worker wakes every tenant's due waits"}

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        topic = get_topic(type(domain_event)).removeprefix("flows.")
        handler = getattr(self, "_" + topic.replace(".", "_"), None)
        if handler is None:
            self.skip(tracking)
            return
        tenant_id = str(tenant_of(domain_event) or domain_event.tenant_id)
        self.view.write(tracking, handler(tenant_id, domain_event, tracking))

    # --- flows ------------------------------------------------------------------------------

    def _Flow_Drafted(self, tenant_id: str, event: Any, tracking: Tracking) -> list[Statement]:
        at = iso(event.timestamp)
        row = {
            "tenant_id": tenant_id,
            "flow_id": str(event.originator_id),
            "name": event.name,
            "enabled": 0,
            "archived": 0,
            "stopped": 0,
            "trigger_kind": event.trigger["kind"],
            "live_version": 0,
            "version": event.originator_version,
            "created_at": at,
            "updated_at": at,
        }
        return [insert(FLOWS, row)]

    def _Flow_Edited(self, tenant_id: str, event: Any, tracking: Tracking) -> list[Statement]:
        return self._flow(tenant_id, event, name=event.name, trigger_kind=event.trigger["kind"])

    def _Flow_VersionPublished(
        self, tenant_id: str, event: Any, tracking: Tracking
    ) -> list[Statement]:
        return self._flow(tenant_id, event, live_version=event.version)

    def _Flow_Enabled(self, tenant_id: str, event: Any, tracking: Tracking) -> list[Statement]:
        return self._flow(tenant_id, event, enabled=1, stopped=0, enabled_at=iso(event.timestamp))

    def _Flow_Disabled(self, tenant_id: str, event: Any, tracking: Tracking) -> list[Statement]:
        return self._flow(tenant_id, event, enabled=0, stopped=int(event.mode == "stop"))

    def _Flow_Archived(self, tenant_id: str, event: Any, tracking: Tracking) -> list[Statement]:
        return self._flow(tenant_id, event, archived=1)

    def _flow(self, tenant_id: str, event: Any, **changes: Any) -> list[Statement]:
        changes |= {"version": event.originator_version, "updated_at": iso(event.timestamp)}
        where = {"tenant_id": tenant_id, "flow_id": str(event.originator_id)}
        return [update(FLOWS, changes, where=where)]

    # --- enrolments -------------------------------------------------------------------------

    def _Enrolment_Opened(self, tenant_id: str, event: Any, tracking: Tracking) -> list[Statement]:
        row = {
            "tenant_id": tenant_id,
            "enrolment_id": str(event.originator_id),
            "flow_id": str(event.flow_id),
            "lead_id": str(event.lead_id),
            "run": 0,
            "flow_version": 0,
            "status": "open",
            "updated_at": iso(event.timestamp),
            "version": event.originator_version,
        }
        return [insert(RUNS, row)]

    def _Enrolment_RunStarted(
        self, tenant_id: str, event: Any, tracking: Tracking
    ) -> list[Statement]:
        run = self._run_row(tenant_id, event)
        changes = {
            "run": event.run,
            "flow_version": event.flow_version,
            "status": "running",
            "at_node": event.first_node,
            "wake_at": None,
            "started_at": iso(event.at),
        }
        return [
            self._run(tenant_id, event, **changes),
            *_bump(tenant_id, run["flow_id"], event.first_node, "entered"),
        ]

    def _Enrolment_Stepped(self, tenant_id: str, event: Any, tracking: Tracking) -> list[Statement]:
        run = self._run_row(tenant_id, event)
        flow_id = run["flow_id"]
        return [
            self._run(tenant_id, event, status="running", at_node=event.next_node, wake_at=None),
            self._step(tenant_id, run, event, event.node_id, event.outcome, event.detail),
            *_bump(tenant_id, flow_id, event.node_id, OUTCOME_COUNT[event.outcome]),
            *_bump(tenant_id, flow_id, event.next_node, "entered"),
        ]

    def _Enrolment_WaitStarted(
        self, tenant_id: str, event: Any, tracking: Tracking
    ) -> list[Statement]:
        return [self._run(tenant_id, event, status="waiting", wake_at=iso(event.until))]

    def _Enrolment_RunEnded(
        self, tenant_id: str, event: Any, tracking: Tracking
    ) -> list[Statement]:
        run = self._run_row(tenant_id, event)
        return [
            self._run(tenant_id, event, status="ended", at_node=None, wake_at=None),
            self._step(tenant_id, run, event, event.node_id, "ended", None),
            *_bump(tenant_id, run["flow_id"], event.node_id, "completed"),
        ]

    def _Enrolment_RunStopped(
        self, tenant_id: str, event: Any, tracking: Tracking
    ) -> list[Statement]:
        run = self._run_row(tenant_id, event)
        return [
            self._run(tenant_id, event, status="stopped", at_node=None, wake_at=None),
            self._step(tenant_id, run, event, event.node_id or "-", "stopped", event.reason),
        ]

    def _run_row(self, tenant_id: str, event: Any) -> dict[str, Any]:
        rows = self.view.rows(
            f"SELECT flow_id, lead_id FROM {RUNS} WHERE tenant_id = ? AND enrolment_id = ?",
            (tenant_id, str(event.originator_id)),
        )
        return rows[0]

    def _run(self, tenant_id: str, event: Any, **changes: Any) -> Statement:
        changes |= {"version": event.originator_version, "updated_at": iso(event.timestamp)}
        where = {"tenant_id": tenant_id, "enrolment_id": str(event.originator_id)}
        return update(RUNS, changes, where=where)

    def _step(
        self,
        tenant_id: str,
        run: dict[str, Any],
        event: Any,
        node_id: str,
        outcome: str,
        detail: str | None,
    ) -> Statement:
        row = {
            "tenant_id": tenant_id,
            "enrolment_id": str(event.originator_id),
            "position": event.originator_version,
            "flow_id": run["flow_id"],
            "lead_id": run["lead_id"],
            "run": event.run,
            "node_id": node_id,
            "outcome": outcome,
            "detail": detail,
            "at": iso(event.at),
        }
        return insert(STEPS, row)


class FlowQueries:
    """Reads of the flows' read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def flows(
        self, tenant_id: UUID, *, archived: bool, cursor: str | None, limit: int
    ) -> Page[FlowSummary]:
        """The tenant's flows, last changed first, with their enrolment counts."""
        page = fetch_page(
            self.view,
            table=FLOWS,
            where="tenant_id = ? AND archived = ?",
            params=[str(tenant_id), int(archived)],
            order_by=("updated_at", "flow_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        counts = self._status_counts(tenant_id, [row["flow_id"] for row in page.items])
        return Page(
            [_summary(row, counts.get(row["flow_id"], {})) for row in page.items],
            page.next_cursor,
        )

    def status_counts(self, tenant_id: UUID, flow_id: UUID) -> dict[str, int]:
        return self._status_counts(tenant_id, [str(flow_id)]).get(str(flow_id), {})

    def _status_counts(self, tenant_id: UUID, flow_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        if not flow_ids:
            return {}
        marks = ", ".join("?" for _ in flow_ids)
        rows = self.view.rows(
            f"SELECT flow_id, status, COUNT(*) AS n FROM {RUNS} WHERE tenant_id = ? "
            f"AND flow_id IN ({marks}) GROUP BY flow_id, status",
            (str(tenant_id), *flow_ids),
        )
        found: dict[str, dict[str, int]] = {}
        for row in rows:
            found.setdefault(row["flow_id"], {})[row["status"]] = int(row["n"])
        return found

    def node_stats(self, tenant_id: UUID, flow_id: UUID, kinds: dict[str, str]) -> list[NodeStats]:
        """Per node of the flow (`kinds`: node id -> kind, in graph order)."""
        params = (str(tenant_id), str(flow_id))
        counted = {
            row["node_id"]: row
            for row in self.view.rows(
                f"SELECT * FROM {NODES} WHERE tenant_id = ? AND flow_id = ?", params
            )
        }
        waiting = {
            row["at_node"]: int(row["n"])
            for row in self.view.rows(
                f"SELECT at_node, COUNT(*) AS n FROM {RUNS} WHERE tenant_id = ? AND flow_id = ? "
                "AND status = 'waiting' GROUP BY at_node",
                params,
            )
        }
        names = list(kinds) + [node for node in counted if node not in kinds]
        return [
            NodeStats(
                node_id=node,
                kind=kinds.get(node, "removed"),
                waiting=waiting.get(node, 0),
                **{c: int(counted[node][c]) if node in counted else 0 for c in COUNTS},
            )
            for node in names
        ]

    def enrolments(
        self, tenant_id: UUID, flow_id: UUID, *, status: str | None, cursor: str | None, limit: int
    ) -> Page[EnrolmentSummary]:
        where, params = "tenant_id = ? AND flow_id = ?", [str(tenant_id), str(flow_id)]
        if status is not None:
            where, params = where + " AND status = ?", [*params, status]
        page = fetch_page(
            self.view,
            table=RUNS,
            where=where + " AND run > 0",
            params=params,
            order_by=("updated_at", "enrolment_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_enrolment(row) for row in page.items], page.next_cursor)

    def steps(self, tenant_id: UUID, enrolment_id: UUID) -> list[StepDetails]:
        rows = self.view.rows(
            f"SELECT run, node_id, outcome, detail, at FROM {STEPS} "
            "WHERE tenant_id = ? AND enrolment_id = ? ORDER BY position",
            (str(tenant_id), str(enrolment_id)),
        )
        return [
            StepDetails(
                run=int(r["run"]),
                node_id=r["node_id"],
                outcome=r["outcome"],
                detail=r["detail"],
                at=parse_iso(r["at"]),
            )
            for r in rows
        ]

    def lead_steps(
        self, tenant_id: UUID, lead_id: UUID, *, before: tuple[str, int] | None, limit: int
    ) -> list[dict[str, Any]]:
        """A lead's steps in every flow, newest first, strictly after `before` ((at,
        position) of the last one shown): its timeline's flow entries."""
        where = "s.tenant_id = ? AND s.lead_id = ?"
        params: list[Any] = [str(tenant_id), str(lead_id)]
        if before is not None:
            where += " AND (s.at < ? OR (s.at = ? AND s.position < ?))"
            params += [before[0], before[0], before[1]]
        return self.view.rows(
            f"SELECT s.*, f.name AS flow_name FROM {STEPS} s JOIN {FLOWS} f "
            "ON f.tenant_id = s.tenant_id AND f.flow_id = s.flow_id "
            f"WHERE {where} ORDER BY s.at DESC, s.position DESC LIMIT {int(limit)}",
            params,
        )

    # --- for the worker ---------------------------------------------------------------------

    def due(
        self,
        now: datetime,
        *,
        limit: int,
        stale_before: datetime,
        after: tuple[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Runs to move on: waits due by `now` in (wake_at, enrolment_id) order, after
        `after` (the last one a worker has taken: the read model may not show yet that
        it moved); and runs left running since before `stale_before` (a worker stopped
        mid-walk), every tenant's."""
        where, params = "status = 'waiting' AND wake_at <= ?", [iso(now)]
        if after is not None:
            where += " AND (wake_at > ? OR (wake_at = ? AND enrolment_id > ?))"
            params += [after[0], after[0], after[1]]
        waits = self.view.rows(
            f"SELECT tenant_id, enrolment_id, flow_id, version, wake_at FROM {RUNS} "
            f"WHERE {where} ORDER BY wake_at, enrolment_id LIMIT {int(limit)}",
            params,
        )
        left = self.view.rows(
            f"SELECT tenant_id, enrolment_id, flow_id, version, wake_at FROM {RUNS} "
            f"WHERE status = 'running' AND updated_at < ? ORDER BY updated_at LIMIT {int(limit)}",
            (iso(stale_before),),
        )
        return waits + left

    def date_flows(self) -> list[tuple[UUID, UUID, datetime]]:
        """(tenant, flow, enabled at) of every tenant's enabled flows with a date start
        condition (the calendar has no event: the worker looks)."""
        rows = self.view.rows(
            f"SELECT tenant_id, flow_id, enabled_at FROM {FLOWS} "
            "WHERE enabled = 1 AND trigger_kind = 'date' ORDER BY tenant_id, flow_id"
        )
        return [
            (UUID(row["tenant_id"]), UUID(row["flow_id"]), parse_iso(row["enabled_at"]))
            for row in rows
        ]

    def to_stop(self, *, limit: int) -> list[dict[str, Any]]:
        """Runs still going in flows disabled with stop."""
        return self.view.rows(
            f"SELECT r.tenant_id, r.enrolment_id, r.flow_id, r.version FROM {RUNS} r "
            f"JOIN {FLOWS} f ON f.tenant_id = r.tenant_id AND f.flow_id = r.flow_id "
            "WHERE f.stopped = 1 AND r.status IN ('running', 'waiting') "
            f"LIMIT {int(limit)}",
        )

    def flow_version(self, tenant_id: str, flow_id: str) -> int | None:
        rows = self.view.rows(
            f"SELECT version FROM {FLOWS} WHERE tenant_id = ? AND flow_id = ?",
            (tenant_id, flow_id),
        )
        return int(rows[0]["version"]) if rows else None


def _summary(row: dict[str, Any], counts: dict[str, int]) -> FlowSummary:
    return FlowSummary(
        flow_id=UUID(row["flow_id"]),
        name=row["name"],
        enabled=bool(row["enabled"]),
        archived=bool(row["archived"]),
        trigger_kind=row["trigger_kind"],
        live_version=int(row["live_version"]),
        enrolled=sum(n for status, n in counts.items() if status != "open"),
        running=counts.get("running", 0),
        waiting=counts.get("waiting", 0),
        finished=counts.get("ended", 0) + counts.get("stopped", 0),
        updated_at=parse_iso(row["updated_at"]),
    )


def _enrolment(row: dict[str, Any]) -> EnrolmentSummary:
    return EnrolmentSummary(
        enrolment_id=UUID(row["enrolment_id"]),
        lead_id=UUID(row["lead_id"]),
        run=int(row["run"]),
        flow_version=int(row["flow_version"]),
        status=row["status"],
        at_node=row["at_node"],
        wake_at=parse_iso(row["wake_at"]) if row["wake_at"] else None,
        updated_at=parse_iso(row["updated_at"]),
    )
