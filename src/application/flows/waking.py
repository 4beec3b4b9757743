"""The flow worker's round (FLOW-5): wake the waits that are due, finish runs a stopped
worker left, end the runs of flows disabled with "stop", and enrol the leads whose date
start condition has come (`calendar.py`).

Each round takes a batch of due runs from the read model, walks each (`stepping.py`)
and commits the batch's enrolments together (one transaction: a group commit of its
own); on a conflict (another worker moved one of them) they are committed one by one
and the conflicting ones are left to the next round. Effects are made before the
commit with deterministic keys, so a crash anywhere repeats none of them.

The read model lags the commits a little, so a run this process just moved may be
listed as due once more: it remembers the versions it committed and passes over rows
older than them.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from application.flows.calendar import DateEnrolling
from application.flows.directory import FlowQueries
from application.flows.enrolments import Enrolments
from application.flows.flows import Flows
from application.flows.stepping import STOPPED_BY_FLOW, Stepping, Walked
from application.shared.clock import Clock
from application.shared.errors import NotFound, VersionConflict
from domain.flows.enrolment import Enrolment

STALE_AFTER = timedelta(seconds=60)  # a run "running" this long was left by a stopped worker
REMEMBERED = 200_000  # committed versions kept to pass over the read model's lag


@dataclass
class WakeRound(Walked):
    woken: int = 0
    entered: int = 0  # by a date start condition

    @property
    def busy(self) -> bool:
        return bool(self.woken or self.stopped or self.entered)

    @property
    def sent(self) -> int:  # the send worker's pacing reads it; flows do not pace
        return 0


class Waking:
    """One round of the flow worker (see the module)."""

    def __init__(
        self,
        flows: Flows,
        enrolments: Enrolments,
        stepping: Stepping,
        queries: FlowQueries,
        clock: Clock,
        *,
        dates: DateEnrolling | None = None,
        batch: int = 500,
    ) -> None:
        self.flows = flows
        self.enrolments = enrolments
        self.stepping = stepping
        self.queries = queries
        self.clock = clock
        self.dates = dates
        self.batch = batch
        self._committed: OrderedDict[UUID, int] = OrderedDict()
        self._versions: dict[str, int | None] = {}

    def run_once(self) -> WakeRound:
        done = WakeRound()
        self._versions = {}  # each flow's version, read once a round
        now = self.clock.now()
        due = self.queries.due(now, limit=self.batch, stale_before=now - STALE_AFTER)
        moved = self._walk_all(self._fresh(due), done, stop=False)
        done.woken += moved
        stopping = self._fresh(self.queries.to_stop(limit=self.batch))
        self._walk_all(stopping, done, stop=True)
        if self.dates is not None:
            done.entered = self.dates.run_once()
        return done

    def _fresh(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            row
            for row in rows
            if int(row["version"]) >= self._committed.get(UUID(row["enrolment_id"]), 0)
        ]

    def _walk_all(self, rows: list[dict[str, Any]], done: WakeRound, *, stop: bool) -> int:
        changed = [e for row in rows if (e := self._walk(row, done, stop=stop)) is not None]
        if not changed:
            return 0
        try:
            self.flows.commit(*changed)
        except VersionConflict:
            # The batch was refused whole (another worker moved one of them): walk each
            # again from what is stored and commit it alone; effects repeat nothing.
            changed = [e for row in rows if (e := self._walk_alone(row, done, stop=stop))]
        for enrolment in changed:
            self._committed[enrolment.id] = enrolment.version
            self._committed.move_to_end(enrolment.id)
        while len(self._committed) > REMEMBERED:
            self._committed.popitem(last=False)
        return len(changed)

    def _walk_alone(self, row: dict[str, Any], done: WakeRound, *, stop: bool) -> Enrolment | None:
        enrolment = self._walk(row, WakeRound(), stop=stop)
        if enrolment is None:
            return None
        try:
            self.flows.commit(enrolment)
        except VersionConflict:
            return None
        return enrolment

    def _walk(self, row: dict[str, Any], done: WakeRound, *, stop: bool) -> Enrolment | None:
        """The enrolment of `row` moved on (events pending), or None if nothing changed."""
        tenant_id = UUID(row["tenant_id"])
        try:
            enrolment = self.flows.enrolment_of(tenant_id, UUID(row["enrolment_id"]))
        except NotFound:
            return None
        if stop:
            if enrolment.stop(at=self.clock.now(), reason=STOPPED_BY_FLOW):
                done.stopped += 1
        else:
            if row["flow_id"] not in self._versions:
                self._versions[row["flow_id"]] = self.queries.flow_version(
                    row["tenant_id"], row["flow_id"]
                )
            version = self._versions[row["flow_id"]]
            flow = self.enrolments.flow(tenant_id, enrolment.flow_id, version)
            done.add(self.stepping.walk(enrolment, flow))
        return enrolment if enrolment.pending_events else None
