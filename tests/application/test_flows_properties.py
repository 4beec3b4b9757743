"""Flows over the running system (FLOW-1, FLOW-3, FLOW-5), random graphs against random
lives: whatever valid graphs a tenant enables and whatever happens to its leads (trigger
tags added and removed, the fields branches read changed, the clock moved on so waits
wake), every enrolment's run rests on an End or at a wait (never at an action), no run
steps through a node twice, and each send node of a run queues exactly one message under
its deterministic id (queued or sent; settled as a skip the step records for a lead
unsubscribed from SMS; failed by the pipeline for a lead without a mobile), counted in
the send queue, so a send made twice or not at all shows.

The domain's own property test (tests/unit/flows/test_enrolment_properties.py) walks one
enrolment by hand; this one goes through the policy that enrols, the effects in the
other contexts, the read model and the worker's rounds, on SQLite (the session's runtime,
one tenant per example; tests/application/test_flows.py covers both backends)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.flows.commands import DraftFlow, StepDetails
from application.flows.directory import FlowQueries
from application.flows.ports import send_task_id, step_id
from application.leads.commands import ChangeConsent, CreateLead, UpdateLead
from application.leads.scope import LeadScope
from application.messaging.sms_commands import SubmitSignature
from application.shared.context import RequestContext, acting
from domain.flows.graph import FlowGraph, NodeKind
from entrypoints.container import Runtime
from tests.application.test_flows import MovableClock, waking_at
from tests.settling import settle

TRIGGER_TAGS = ("入口A", "入口B")  # what starts flows; no action sets them, so no flow feeds itself
ACTION_TAGS = ("甲", "乙")  # what actions set and branches read
CITIES = ("上海", "北京")
LIVE = 1  # the version every run walks: the flows are enabled once and never edited

TRIGGERS = st.sampled_from(
    [{"kind": "tag_added", "tag": tag} for tag in TRIGGER_TAGS]
    + [{"kind": "tag_removed", "tag": TRIGGER_TAGS[0]}]
)
EFFECTS = st.sampled_from(
    [{"kind": "add_tag", "tag": tag} for tag in ACTION_TAGS]
    + [{"kind": "remove_tag", "tag": tag} for tag in ACTION_TAGS]
    + [{"kind": "add_score", "points": 5}, {"kind": "send_sms", "text": "欢迎 回T退订"}]
)
FILTERS = st.sampled_from(
    [{"field": "tags", "op": "equals", "value": tag} for tag in (*ACTION_TAGS, *TRIGGER_TAGS)]
    + [{"field": "city", "op": "equals", "value": city} for city in CITIES]
)
WAITS = st.one_of(
    st.builds(lambda n: {"amount": n, "unit": "hours"}, st.integers(1, 48)),
    st.builds(lambda n: {"amount": n, "unit": "days"}, st.integers(1, 3)),
    st.builds(lambda n: {"until_hours": n}, st.integers(1, 96)),  # from the example's start
)


@st.composite
def graphs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """The nodes of a valid graph, the first one its start: exits only point to later
    nodes (no cycles), the last node is an End, nodes no path reaches are dropped, and
    at least one node sends an SMS."""
    count = draw(st.integers(3, 12))
    shapes = ["effect", "effect", "send", "wait", "wait", "branch", "end"]
    nodes: list[dict[str, Any]] = []
    for index in range(count - 1):
        # Mostly on to the next node, so paths are long; sometimes further.
        later = st.one_of(st.just(index + 1), st.integers(index + 1, count - 1))
        exit = later.map(lambda j: f"n{j}")
        shape = draw(st.sampled_from(shapes[:-1] if index == 0 else shapes))
        node: dict[str, Any] = {"id": f"n{index}"}
        if shape == "send":
            node |= {"kind": "send_sms", "text": "你好 回T退订", "next": draw(exit)}
        elif shape == "effect":
            node |= draw(EFFECTS) | {"next": draw(exit)}
        elif shape == "wait":
            node |= {"kind": "wait", **draw(WAITS), "next": draw(exit)}
        elif shape == "branch":
            node |= {"kind": "branch", "filter": draw(FILTERS)}
            node |= {"yes": draw(exit), "no": draw(exit)}
        else:
            node |= {"kind": "end"}
        nodes.append(node)
    nodes.append({"id": f"n{count - 1}", "kind": "end"})
    by_id = {node["id"]: node for node in nodes}
    reachable: list[str] = []
    stack = ["n0"]
    while stack:
        node_id = stack.pop()
        if node_id not in reachable:
            reachable.append(node_id)
            stack += [by_id[node_id][e] for e in ("next", "yes", "no") if e in by_id[node_id]]
    kept = [node for node in nodes if node["id"] in reachable]
    if not any(node["kind"] == "send_sms" for node in kept):  # a send first, then the rest
        kept.insert(0, {"id": "send", "kind": "send_sms", "text": "你好 回T退订", "next": "n0"})
    return kept


@dataclass(frozen=True)
class Lead:
    has_mobile: bool  # False: known by e-mail only, so no SMS reaches the lead
    texts: bool  # False: unsubscribed from SMS


# What happens, in order: to which lead (an index, modulo the leads), and what.
TAGGED = st.tuples(st.just("tag"), st.integers(0, 9), st.sampled_from(TRIGGER_TAGS))
EVENTS = st.one_of(
    TAGGED,
    st.tuples(st.just("untag"), st.integers(0, 9), st.sampled_from(TRIGGER_TAGS)),
    st.tuples(st.just("city"), st.integers(0, 9), st.sampled_from(CITIES)),
    st.tuples(st.just("clock"), st.just(0), st.integers(1, 96).map(str)),  # hours on
)
LEADS = st.builds(Lead, st.booleans(), st.booleans())


@pytest.mark.parametrize("runtime", ["sqlite"], indirect=True)  # PostgreSQL: twice as slow
@settings(max_examples=25, deadline=None)
@given(
    flows=st.lists(
        st.tuples(TRIGGERS, graphs(), st.sampled_from(["once", "every_time"])),
        min_size=1,
        max_size=2,
    ),
    leads=st.lists(LEADS, min_size=1, max_size=3),
    # Most examples enrol someone: a trigger tag comes first.
    events=st.tuples(TAGGED, st.lists(EVENTS, min_size=2, max_size=12)).map(
        lambda drawn: [drawn[0], *drawn[1]]
    ),
)
def test_random_flows_rest_at_an_end_or_a_wait_visit_nodes_once_and_send_once(
    runtime: Runtime,
    flows: list[tuple[dict[str, Any], list[dict[str, Any]], str]],
    leads: list[Lead],
    events: list[tuple[str, int, str]],
) -> None:
    with acting(RequestContext(request_id="test-flows-properties")):
        tenant = Tenant(runtime, uuid4(), MovableClock(datetime.now(UTC)))
        flow_graphs = dict(tenant.enable(trigger, nodes, rule) for trigger, nodes, rule in flows)
        lead_ids = [tenant.new_lead(index, lead) for index, lead in enumerate(leads)]
        for what, pick, value in events:
            tenant.happen(what, lead_ids[pick % len(lead_ids)], value)
        settle(runtime)
        for flow_id, graph in flow_graphs.items():
            tenant.check(flow_id, graph)

        # Time passes until every waiting run is over: then every run rests on an End.
        for _ in range(12):
            if not tenant.waiting(flow_graphs):
                break
            tenant.happen("clock", lead_ids[0], str(24 * 30))
        assert not tenant.waiting(flow_graphs)
        for flow_id, graph in flow_graphs.items():
            assert {e.status for e in tenant.runs(flow_id)} <= {"ended"}
            tenant.check(flow_id, graph)


class Tenant:
    """One example's tenant: its SMS set up, its flows, leads and clock."""

    def __init__(self, runtime: Runtime, tenant_id: UUID, clock: MovableClock) -> None:
        self.runtime = runtime
        self.tenant_id = tenant_id
        self.scope = LeadScope.whole_company(tenant_id)
        self.clock = clock
        self.began = clock.now()
        self.waking = waking_at(runtime, clock)
        self.queries: FlowQueries = runtime.container.flow_queries()
        self.people: dict[UUID, Lead] = {}
        signatures = runtime.container.sms_signatures()
        signature = signatures.submit(
            tenant_id, SubmitSignature(text="获客科技", purpose="公司简称")
        )
        signatures.approve(tenant_id, signature.id, reviewer="admin", expected_version=1)
        self.signature_id = str(signature.id)
        settle(runtime)

    def enable(
        self, trigger: dict[str, Any], nodes: list[dict[str, Any]], rule: str
    ) -> tuple[UUID, FlowGraph]:
        nodes = [dict(node) for node in nodes]  # the drawn nodes stay as drawn
        for node in nodes:  # the tenant's own signature; a wait "until" from the start
            if node["kind"] == "send_sms":
                node["signature_id"] = self.signature_id
            if "until_hours" in node:
                until = self.began + timedelta(hours=node.pop("until_hours"))
                node["until"] = until.isoformat()
        flows = self.runtime.container.flows()
        graph = {"start": nodes[0]["id"], "nodes": nodes}
        draft = flows.draft(
            self.tenant_id,
            DraftFlow(name="随机流程", trigger=trigger, graph=graph, enrolment_rule=rule),
        )
        assert draft.problems == [], draft.problems
        flows.enable(self.tenant_id, draft.flow_id, expected_version=draft.version)
        settle(self.runtime)
        return draft.flow_id, FlowGraph.parse(graph)

    def new_lead(self, index: int, lead: Lead) -> UUID:
        known = {"mobile": f"1390000{index:04d}"} if lead.has_mobile else {}
        made = self.runtime.container.leads().create_lead(
            self.scope, CreateLead(email=f"lead{index}@acme.cn", name=f"线索{index}", **known)
        )
        if not lead.texts:
            self.runtime.container.leads().change_consent(
                self.scope,
                made.lead.id,
                ChangeConsent(channel="sms", state="unsubscribed", source="test"),
            )
        settle(self.runtime)
        self.people[made.lead.id] = lead
        return made.lead.id

    def happen(self, what: str, lead_id: UUID, value: str) -> None:
        leads = self.runtime.container.leads()
        if what in ("tag", "untag"):
            leads.tag(self.scope, lead_id, [value], add=what == "tag")
        elif what == "city":
            version = leads.lead(self.scope, lead_id).version
            leads.update_lead(self.scope, lead_id, UpdateLead(city=value), expected_version=version)
        else:
            self.clock.moment += timedelta(hours=int(value))
            settle(self.runtime)  # the read model lists the runs the clock made due
            self.waking.run_once()
        settle(self.runtime)

    def runs(self, flow_id: UUID) -> list[Any]:
        listed = self.queries.enrolments(
            self.tenant_id, flow_id, status=None, cursor=None, limit=100
        ).items
        flows = self.runtime.container.flows()
        return [flows.enrolment_of(self.tenant_id, e.enrolment_id) for e in listed]

    def waiting(self, flow_graphs: dict[UUID, Any]) -> bool:
        return any(e.status == "waiting" for flow_id in flow_graphs for e in self.runs(flow_id))

    def check(self, flow_id: UUID, graph: FlowGraph) -> None:
        """The invariants over the flow's enrolments, their steps and its sends."""
        sends: dict[str, int] = defaultdict(int)  # send node -> steps through it, all runs
        queue = self.runtime.container.send_queue()
        for enrolment in self.runs(flow_id):
            rests = graph.node(enrolment.at).kind if enrolment.at else None
            assert (enrolment.status, rests) in (("ended", None), ("waiting", NodeKind.WAIT))
            by_run: dict[int, list[StepDetails]] = defaultdict(list)
            for step in self.queries.steps(self.tenant_id, enrolment.id):
                by_run[step.run].append(step)
            assert set(by_run) <= set(range(1, enrolment.run + 1))
            for run in range(1, enrolment.run + 1):
                path = by_run[run]
                visited = [step.node_id for step in path]
                assert len(visited) == len(set(visited)), f"run {run} visits a node twice"
                self._is_a_path(graph, path, ends=run < enrolment.run or enrolment.at is None)
                for step in path:
                    if graph.node(step.node_id).kind is NodeKind.SEND_SMS:
                        sends[step.node_id] += 1
                        self._sent_once(queue, enrolment, run, step)
            assert [s.node_id for s in by_run[enrolment.run]] == enrolment.visited
            if enrolment.at is not None:  # waiting: the last step led to the wait
                last = by_run[enrolment.run][-1] if by_run[enrolment.run] else None
                assert enrolment.at == (_exit(graph, last) if last else graph.start)
        # No other message in the send tasks: one per step through a send node, no more.
        for node in graph.nodes.values():
            if node.kind is NodeKind.SEND_SMS:
                counts = queue.counts(self.tenant_id, send_task_id(flow_id, LIVE, node.id))
                assert sum(counts.values()) == sends[node.id], (node.id, counts)

    def _is_a_path(self, graph: FlowGraph, path: list[StepDetails], *, ends: bool) -> None:
        """The steps follow the graph's exits from its start (a branch by its answer)."""
        if path:
            assert path[0].node_id == graph.start
        for step, following in pairwise(path):
            assert following.node_id == _exit(graph, step), (step, following)
        if ends:
            assert graph.node(path[-1].node_id).kind is NodeKind.END
            assert path[-1].outcome == "ended"

    def _sent_once(self, queue: Any, enrolment: Any, run: int, step: StepDetails) -> None:
        """The step's message is in the queue under the id its key gives, in the state the
        lead allows: an unsubscribed lead's skipped at once (the step says why), a lead
        without a mobile's failed by the pipeline, anyone else's queued or sent."""
        key = f"{enrolment.id}:{run}:{step.node_id}"
        message = queue.message(str(step_id(key, "message")))
        assert message is not None, f"no message for {key}"
        assert message.lead_id == enrolment.lead_id
        lead = self.people[enrolment.lead_id]
        if not lead.texts:
            assert (step.outcome, step.detail) == ("skipped", "not contactable")
            assert message.state == "skipped"
        elif not lead.has_mobile:
            assert step.outcome == "done"
            assert (message.state, message.detail) in (
                ("queued", ""),
                ("failed", "the lead has no mobile"),
            )
        else:
            assert step.outcome == "done"
            assert message.state in ("queued", "sent"), message


def _exit(graph: FlowGraph, step: StepDetails) -> str | None:
    node = graph.node(step.node_id)
    if node.kind is NodeKind.BRANCH:
        return node.yes if step.outcome == "yes" else node.no
    return node.next
