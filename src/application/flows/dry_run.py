"""Dry runs (API): which path one lead would take through a flow now, and why, up to the
first wait; nothing is sent, stored or changed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID, uuid4

from application.flows.commands import DryRunResult, DryRunStep
from application.flows.flows import Flows
from application.flows.ports import LeadFactsSource
from application.flows.stepping import Stepping
from application.shared.clock import Clock
from application.shared.errors import NotFound
from domain.flows.enrolment import Enrolment, Outcome, enrolment_id
from domain.flows.flow import Flow
from domain.flows.graph import MAX_NODES, FlowGraph, Node
from domain.flows.progress import Move, next_move


class DryRuns:
    def __init__(
        self, flows: Flows, facts: LeadFactsSource, stepping: Stepping, clock: Clock
    ) -> None:
        self.flows = flows
        self.facts = facts
        self.stepping = stepping  # for the tenant's zone
        self.clock = clock

    def dry_run(self, tenant_id: UUID, flow_id: UUID, lead_id: UUID) -> DryRunResult:
        """The live version's path (the draft's while the flow was never enabled)."""
        flow = self.flows.flow_of(tenant_id, flow_id)
        facts = self.facts.facts_of(tenant_id, lead_id)
        if facts is None:
            raise NotFound(f"no lead {lead_id}")
        now = self.clock.now().astimezone(self.stepping.zone(tenant_id))
        graph = FlowGraph.parse(flow.live["graph"] if flow.live else flow.graph)
        would_enter, why = self._admission(flow, lead_id, now)
        if graph.problems():
            return DryRunResult(
                lead_id=lead_id, would_enter=False, why=str(graph.problems()[0]), path=[]
            )
        trial = Enrolment.open(flow_id=flow_id, lead_id=lead_id, tenant_id=tenant_id)
        assert graph.start is not None
        trial.start(
            cause=str(uuid4()), at=now, flow_version=1, first_node=graph.start, rule="every_time"
        )
        path: list[DryRunStep] = []
        for _ in range(MAX_NODES + 1):
            move = next_move(graph, trial, now)
            if move.node is None or move.kind in (Move.IDLE, Move.FINISHED):
                break
            node = move.node
            if move.kind == Move.END:
                path.append(_step(node, "end", "流程结束 · the run ends here"))
                break
            if move.kind == Move.WAIT:
                assert move.until is not None
                path.append(_step(node, "wait", f"等待至 · waits until {move.until.isoformat()}"))
                break
            if move.kind == Move.BRANCH:
                yes = node.branch_filter().matches(facts, now=now)
                path.append(
                    _step(
                        node,
                        "yes" if yes else "no",
                        "线索符合条件 · the lead matches the filter now"
                        if yes
                        else "线索不符合条件 · the lead does not match the filter now",
                    )
                )
                trial.step(
                    node.id,
                    outcome=Outcome.YES if yes else Outcome.NO,
                    next_node=node.yes if yes else node.no,
                    at=now,
                )
                continue
            path.append(_step(node, _verb(node, facts.consent), _action(node)))
            trial.step(node.id, outcome=Outcome.DONE, next_node=node.next, at=now)
        return DryRunResult(lead_id=lead_id, would_enter=would_enter, why=why, path=path)

    def _admission(self, flow: Flow, lead_id: UUID, now: datetime) -> tuple[bool, str]:
        if not flow.enabled:
            return False, "流程未启用 · the flow is not enabled"
        try:
            enrolment = self.flows.enrolment_of(flow.tenant_id, enrolment_id(flow.id, lead_id))
        except NotFound:
            return True, "线索尚未进入过此流程 · the lead has never entered this flow"
        admitted = enrolment.may_start(
            cause=str(uuid4()), at=now, rule=flow.enrolment_rule, every_days=flow.every_days
        )
        if admitted:
            return True, f"进入规则允许 · the enrolment rule {flow.enrolment_rule} admits it again"
        if enrolment.in_progress:
            return False, f"线索正在流程中 · the lead is still in run {enrolment.run}"
        return False, f"进入规则不允许 · the enrolment rule {flow.enrolment_rule} admits it no more"


def _step(node: Node, would: str, why: str) -> DryRunStep:
    return DryRunStep(node_id=node.id, kind=node.kind.value, would=would, why=why)


def _verb(node: Node, consent: Mapping[str, str]) -> str:
    if node.channel is None:
        return "do"
    state = consent.get(node.channel.value)
    return "skip" if state in ("unsubscribed", "suppressed") else "send"


def _action(node: Node) -> str:
    params = ", ".join(f"{k}={v}" for k, v in node.params.items() if k != "filter")
    return f"{node.kind.value}({params})"[:300]
