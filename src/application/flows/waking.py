"""The flow worker's round (FLOW-5): wake the waits that are due, finish runs a stopped
worker left, end the runs of flows disabled with "stop", and enrol the leads whose date
start condition has come (`calendar.py`).

Each round takes a batch of due runs from the read model, walks each (`stepping.py`)
and commits the batch's enrolments together (one transaction: a group commit of its
own); on a conflict (another worker moved one of them) they are committed one by one
and the conflicting ones are left to the next round. Effects are made before the
commit with deterministic keys, so a crash anywhere repeats none of them.

The read model lags the commits a little, so a run this process just moved may be
listed as due once more: rounds take due waits in (wake_at, id) order after the last one
taken, starting over only when none are left, and the worker remembers the versions it
committed and passes over rows older than them.
"""

from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
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
LOADERS = 4  # enrolments read at once (of the process's pool of connections, 10 by default)
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
        self._after: tuple[str, str] | None = None  # the last due wait taken
        self._loaders: ThreadPoolExecutor | None = None

    def run_once(self) -> WakeRound:
        done = WakeRound()
        self._versions = {}  # each flow's version, read once a round
        now = self.clock.now()
        due = self.queries.due(
            now, limit=self.batch, stale_before=now - STALE_AFTER, after=self._after
        )
        waits = [row for row in due if row["wake_at"] is not None]
        # Go on after the last wait taken; when none are left, start over (by then the
        # read model shows what moved, and a wait refused by a conflict is taken again).
        self._after = (waits[-1]["wake_at"], waits[-1]["enrolment_id"]) if waits else None
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
        loaded = self._loaded(rows)
        changed = [
            e for row in rows if (e := self._walk(row, done, stop=stop, loaded=loaded)) is not None
        ]
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

    def _loaded(self, rows: list[dict[str, Any]]) -> dict[str, Enrolment | None]:
        """The rows' enrolments as stored, loaded `LOADERS` at a time: a round's time is
        mostly these reads' round trips (bench/flows.py), the walks are quick."""
        if len(rows) < 2:
            return {}
        if self._loaders is None:
            self._loaders = ThreadPoolExecutor(LOADERS, thread_name_prefix="flow-loader")
        found = self._loaders.map(self._load, rows)
        return {row["enrolment_id"]: enrolment for row, enrolment in zip(rows, found, strict=True)}

    def _load(self, row: dict[str, Any]) -> Enrolment | None:
        try:
            return self.flows.enrolment_of(UUID(row["tenant_id"]), UUID(row["enrolment_id"]))
        except NotFound:
            return None

    def _walk(
        self,
        row: dict[str, Any],
        done: WakeRound,
        *,
        stop: bool,
        loaded: dict[str, Enrolment | None] | None = None,
    ) -> Enrolment | None:
        """The enrolment of `row` moved on (events pending), or None if nothing changed."""
        tenant_id = UUID(row["tenant_id"])
        key = row["enrolment_id"]
        enrolment = loaded[key] if loaded and key in loaded else self._load(row)
        if enrolment is None:
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
