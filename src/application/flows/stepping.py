"""Walking a run (FLOW-3, FLOW-5): make each node's move until the run waits or ends.

Exactly once in effect: a step's effect is made first, then the step is recorded on the
enrolment; the caller commits the enrolment after the walk. A crash in between makes
the next walk find the run where the last commit left it and make the same effects
again with the same keys (`Enrolment.effect_key`), which every effect turns into the
same ids (the message's, the behaviour's, the points'), so nothing happens twice.
A node is never recorded twice in a run (the enrolment refuses it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from application.flows.ports import (
    Effect,
    EffectFailed,
    FlowEffects,
    LeadFactsSource,
    TenantCalendar,
)
from application.shared.clock import Clock
from application.shared.errors import NotFound
from domain.flows.enrolment import Enrolment, Outcome
from domain.flows.flow import Flow
from domain.flows.graph import MAX_NODES, FlowGraph
from domain.flows.progress import Move, next_move

STOPPED_BY_FLOW = "the flow was disabled with stop"
DEFAULT_TIMEZONE = "Asia/Shanghai"  # DESIGN: each tenant's zone, Asia/Shanghai by default


@dataclass
class Walked:
    """What walks did (the worker logs it; tests and the bench read it)."""

    steps: int = 0
    effects: int = 0
    skipped: int = 0
    failed: int = 0
    waits: int = 0
    ended: int = 0
    stopped: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, other: Walked) -> None:
        for name in ("steps", "effects", "skipped", "failed", "waits", "ended", "stopped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Stepping:
    """Walks runs of enrolments through the version of the graph they started on."""

    def __init__(
        self,
        effects: FlowEffects,
        facts: LeadFactsSource,
        calendar: TenantCalendar,
        clock: Clock,
    ) -> None:
        self.effects = effects
        self.facts = facts
        self.calendar = calendar
        self.clock = clock
        self._graphs: dict[tuple[UUID, int], FlowGraph] = {}
        self._zones: dict[UUID, ZoneInfo] = {}

    def walk(self, enrolment: Enrolment, flow: Flow) -> Walked:
        """Move the run on as far as it goes now; its events are left pending."""
        done = Walked()
        if flow.stopped and enrolment.in_progress:
            enrolment.stop(at=self.clock.now(), reason=STOPPED_BY_FLOW)
            done.stopped += 1
            return done
        graph = self.graph(flow, enrolment.flow_version)
        zone = self.zone(enrolment.tenant_id)
        for _ in range(MAX_NODES * 2 + 1):  # each node at most once, a wait twice
            now = self.clock.now().astimezone(zone)
            move = next_move(graph, enrolment, now)
            if move.kind in (Move.IDLE, Move.FINISHED):
                return done
            assert move.node is not None
            node = move.node
            done.steps += 1
            if move.kind == Move.WAKE:
                enrolment.step(node.id, outcome=Outcome.WAITED, next_node=node.next, at=now)
            elif move.kind == Move.END:
                enrolment.end(node.id, at=now)
                done.ended += 1
            elif move.kind == Move.WAIT:
                assert move.until is not None
                enrolment.wait(node.id, until=move.until, at=now)
                done.waits += 1
            elif move.kind == Move.BRANCH:
                facts = self.facts.facts_of(enrolment.tenant_id, enrolment.lead_id)
                yes = facts is not None and node.branch_filter().matches(facts, now=now)
                enrolment.step(
                    node.id,
                    outcome=Outcome.YES if yes else Outcome.NO,
                    next_node=node.yes if yes else node.no,
                    at=now,
                )
            else:
                self._effect(enrolment, flow, graph, node.id, now, done)
        return done

    def _effect(
        self,
        enrolment: Enrolment,
        flow: Flow,
        graph: FlowGraph,
        node_id: str,
        now: datetime,
        done: Walked,
    ) -> None:
        node = graph.node(node_id)
        effect = Effect(
            tenant_id=enrolment.tenant_id,
            lead_id=enrolment.lead_id,
            flow_id=flow.id,
            flow_version=enrolment.flow_version,
            flow_name=flow.name,
            node=node,
            key=enrolment.effect_key(node.id),
        )
        try:
            skipped = self.effects.make(effect)
        except EffectFailed as failure:
            reason = str(failure)[:300]
            enrolment.step(
                node.id, outcome=Outcome.FAILED, next_node=node.next, at=now, detail=reason
            )
            done.failed += 1
            done.reasons.append(reason)
            return
        if skipped is None:
            enrolment.step(node.id, outcome=Outcome.DONE, next_node=node.next, at=now)
            done.effects += 1
        else:
            enrolment.step(
                node.id, outcome=Outcome.SKIPPED, next_node=node.next, at=now, detail=skipped
            )
            done.skipped += 1
            done.reasons.append(skipped)

    def graph(self, flow: Flow, version: int) -> FlowGraph:
        """A published version's graph (parsed once: versions never change)."""
        key = (flow.id, version)
        if key not in self._graphs:
            self._graphs[key] = FlowGraph.parse(flow.published_version(version)["graph"])
        return self._graphs[key]

    def zone(self, tenant_id: UUID) -> ZoneInfo:
        if tenant_id not in self._zones:
            try:
                name = self.calendar.timezone_of(tenant_id)
            except NotFound:  # a tenant the platform did not create (tests, imports)
                name = DEFAULT_TIMEZONE
            self._zones[tenant_id] = ZoneInfo(name)
        return self._zones[tenant_id]
