"""A lead's enrolment in one flow (FLOW-5): one stream per (flow, lead), holding its runs.

A run starts when the start condition admits the lead (the enrolment rule decides: once
ever, again after N days, or every time; never while a run is still going) and walks
the version of the graph it started on, one node at a time: each step names the node it
completes, which must be the node the run is at, so no node runs twice in a run (graphs
have no cycles). A wait parks the run until a time; the run ends on an End or is stopped
when its flow is disabled with "stop". Effects (sends, tags, points) are made by the
application with ids derived from `effect_key`, so doing one again after a crash
changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.flows.flow import EnrolmentRule
from domain.shared.errors import StateConflict

ENROLMENTS = UUID("8f1d3b56-5b3e-4c55-9a55-2f3f4c7b5e10")  # namespace of enrolment ids
MAX_CAUSES = 50  # recent start causes remembered, so a redelivered one admits nobody


class RunStatus(StrEnum):
    RUNNING = "running"  # at a node that is about to run
    WAITING = "waiting"  # at a wait, until `wake_at`
    ENDED = "ended"  # reached an End
    STOPPED = "stopped"  # its flow was disabled with "stop"


class Outcome(StrEnum):
    """How a node finished: an action done, skipped (no consent, outside the 48-hour
    window: the reason is recorded) or failed; a branch's answer; a wait over."""

    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    YES = "yes"
    NO = "no"
    WAITED = "waited"


def enrolment_id(flow_id: UUID, lead_id: UUID) -> UUID:
    return uuid5(ENROLMENTS, f"{flow_id}:{lead_id}")


class Enrolment(Aggregate):
    """One lead in one flow: its runs, the current one's position."""

    TOPIC = "flows.Enrolment"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Opened: ClassVar[type[AggregateEvent]]
        RunStarted: ClassVar[type[AggregateEvent]]
        Stepped: ClassVar[type[AggregateEvent]]
        WaitStarted: ClassVar[type[AggregateEvent]]
        RunEnded: ClassVar[type[AggregateEvent]]
        RunStopped: ClassVar[type[AggregateEvent]]

    @classmethod
    def open(cls, *, flow_id: UUID, lead_id: UUID, tenant_id: UUID) -> Enrolment:
        return cls(
            id=enrolment_id(flow_id, lead_id), tenant_id=tenant_id, flow_id=flow_id, lead_id=lead_id
        )

    @event("Opened", topic="flows.Enrolment.Opened")
    def __init__(self, id: UUID, tenant_id: UUID, flow_id: UUID, lead_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.flow_id = flow_id
        self.lead_id = lead_id
        self.run = 0  # runs so far; the current one's number
        self.status: str | None = None  # None: never started
        self.flow_version = 0  # the flow version the current run walks
        self.at: str | None = None  # the node the current run is at
        self.wake_at: datetime | None = None
        self.started_at: datetime | None = None
        self.visited: list[str] = []  # the current run's completed nodes, in order
        self.causes: list[str] = []

    @property
    def in_progress(self) -> bool:
        return self.status in (RunStatus.RUNNING, RunStatus.WAITING)

    def effect_key(self, node_id: str) -> str:
        """What ids of the current run's effect at `node_id` are derived from."""
        return f"{self.id}:{self.run}:{node_id}"

    def may_start(
        self, *, cause: str, at: datetime, rule: str, every_days: int | None = None
    ) -> bool:
        """Whether the start condition met by `cause` (an upstream event's id) admits
        the lead now under the flow's enrolment rule."""
        if self.in_progress or cause in self.causes:
            return False
        if self.run == 0:
            return True
        parsed = EnrolmentRule(rule)
        if parsed is EnrolmentRule.ONCE:
            return False
        if parsed is EnrolmentRule.EVERY_DAYS:
            assert self.started_at is not None and every_days is not None
            return at >= self.started_at + timedelta(days=every_days)
        return True

    def start(
        self,
        *,
        cause: str,
        at: datetime,
        flow_version: int,
        first_node: str,
        rule: str,
        every_days: int | None = None,
    ) -> bool:
        """Begin a run at `first_node` of `flow_version` if the rule admits it; answers whether
        it did (a refusal changes nothing: the lead is simply not enrolled again)."""
        if not self.may_start(cause=cause, at=at, rule=rule, every_days=every_days):
            return False
        self._run_started(
            run=self.run + 1, cause=cause, at=at, flow_version=flow_version, first_node=first_node
        )
        return True

    @event("RunStarted", topic="flows.Enrolment.RunStarted")
    def _run_started(
        self, run: int, cause: str, at: datetime, flow_version: int, first_node: str
    ) -> None:
        self.run, self.flow_version, self.at = run, flow_version, first_node
        self.started_at = at
        self.status, self.wake_at, self.visited = RunStatus.RUNNING.value, None, []
        self.causes = [*self.causes, cause][-MAX_CAUSES:]

    def step(
        self,
        node_id: str,
        *,
        outcome: str,
        next_node: str | None,
        at: datetime,
        detail: str | None = None,
    ) -> None:
        """Record that the run's current node finished and move to `next_node`."""
        parsed = Outcome(outcome)
        if parsed is Outcome.WAITED:
            self._require_at(node_id, RunStatus.WAITING)
            assert self.wake_at is not None
            if at < self.wake_at:
                raise StateConflict(f"the wait at {node_id} lasts until {self.wake_at}")
        else:
            self._require_at(node_id, RunStatus.RUNNING)
        self._stepped(
            run=self.run,
            node_id=node_id,
            outcome=parsed.value,
            next_node=next_node,
            at=at,
            detail=detail,
        )

    @event("Stepped", topic="flows.Enrolment.Stepped")
    def _stepped(
        self,
        run: int,
        node_id: str,
        outcome: str,
        next_node: str | None,
        at: datetime,
        detail: str | None,
    ) -> None:
        self.visited = [*self.visited, node_id]
        self.at, self.status, self.wake_at = next_node, RunStatus.RUNNING.value, None

    def wait(self, node_id: str, *, until: datetime, at: datetime) -> None:
        """Park the run at the wait `node_id` until `until`."""
        self._require_at(node_id, RunStatus.RUNNING)
        self._wait_started(run=self.run, node_id=node_id, until=until, at=at)

    @event("WaitStarted", topic="flows.Enrolment.WaitStarted")
    def _wait_started(self, run: int, node_id: str, until: datetime, at: datetime) -> None:
        self.status, self.wake_at = RunStatus.WAITING.value, until

    def end(self, node_id: str, *, at: datetime) -> None:
        """The run reached the End `node_id`."""
        self._require_at(node_id, RunStatus.RUNNING)
        self._run_ended(run=self.run, node_id=node_id, at=at)

    @event("RunEnded", topic="flows.Enrolment.RunEnded")
    def _run_ended(self, run: int, node_id: str, at: datetime) -> None:
        self.visited = [*self.visited, node_id]
        self.status, self.at, self.wake_at = RunStatus.ENDED.value, None, None

    def stop(self, *, at: datetime, reason: str) -> bool:
        """End a running or waiting run where it is, without its remaining nodes;
        answers whether there was one."""
        if not self.in_progress:
            return False
        self._run_stopped(run=self.run, node_id=self.at, at=at, reason=reason)
        return True

    @event("RunStopped", topic="flows.Enrolment.RunStopped")
    def _run_stopped(self, run: int, node_id: str | None, at: datetime, reason: str) -> None:
        self.status, self.at, self.wake_at = RunStatus.STOPPED.value, None, None

    def _require_at(self, node_id: str, status: RunStatus) -> None:
        if self.status != status.value or self.at != node_id:
            raise StateConflict(
                f"run {self.run} is {self.status} at {self.at}, not {status.value} at {node_id}"
            )
        if node_id in self.visited:  # graphs have no cycles: a second visit is a bug
            raise StateConflict(f"{node_id} already ran in run {self.run}")
