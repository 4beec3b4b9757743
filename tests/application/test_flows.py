"""Flows over the running system on both backends (FLOW-1…6): a start condition met
enrols the lead and the first actions follow within the policy's hop; waits wake on a
controllable clock; an unsubscribed lead passes a send without a send (the skip is
recorded); stop ends waiting runs without their remaining actions; versions; stats."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.flows.commands import DisableFlow, DraftFlow, EditFlow
from application.flows.directory import FlowQueries
from application.flows.stepping import Stepping
from application.flows.waking import Waking
from application.leads.commands import ChangeConsent, CreateLead
from application.leads.scope import LeadScope
from application.messaging.sms_commands import SubmitSignature
from application.shared.context import RequestContext, acting
from domain.flows.enrolment import enrolment_id
from domain.shared.errors import InvalidValue
from entrypoints.container import Runtime
from tests.settling import settle


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def system(runtime: Runtime) -> Iterator[Runtime]:
    with acting(RequestContext(request_id="test-flows")):
        yield runtime


def new_lead(runtime: Runtime, tenant_id: UUID, mobile: str, **fields: Any) -> UUID:
    made = runtime.container.leads().create_lead(
        LeadScope.whole_company(tenant_id), CreateLead(mobile=mobile, **fields)
    )
    settle(runtime)
    return made.lead.id


def tag(runtime: Runtime, tenant_id: UUID, lead_id: UUID, *tags: str) -> None:
    runtime.container.leads().tag(LeadScope.whole_company(tenant_id), lead_id, list(tags), add=True)
    settle(runtime)


def lead_tags(runtime: Runtime, tenant_id: UUID, lead_id: UUID) -> list[str]:
    return runtime.container.leads().lead(LeadScope.whole_company(tenant_id), lead_id).tags


def enabled_flow(runtime: Runtime, tenant_id: UUID, trigger: dict[str, Any], nodes: list[Any]):
    flows = runtime.container.flows()
    draft = flows.draft(
        tenant_id,
        DraftFlow(
            name="测试流程", trigger=trigger, graph={"start": nodes[0]["id"], "nodes": nodes}
        ),
    )
    assert draft.problems == [], draft.problems
    flow = flows.enable(tenant_id, draft.flow_id, expected_version=draft.version)
    settle(runtime)
    return flow


def waking_at(runtime: Runtime, clock: MovableClock) -> Waking:
    c = runtime.container
    stepping = Stepping(c.flow_effects(), c.profile_queries(), c.tenancy(), clock)
    return Waking(c.flows(), c.flow_enrolments(), stepping, c.flow_queries(), clock)


WELCOME = [
    {"id": "hello", "kind": "add_tag", "tag": "欢迎", "next": "points"},
    {"id": "points", "kind": "add_score", "points": 10, "next": "wait"},
    {"id": "wait", "kind": "wait", "amount": 3, "unit": "days", "next": "later"},
    {"id": "later", "kind": "add_tag", "tag": "三天后", "next": "end"},
    {"id": "end", "kind": "end"},
]


def test_a_tag_enrols_the_lead_and_the_wait_fires_once_on_time(system: Runtime) -> None:
    tenant_id = uuid4()
    flow = enabled_flow(system, tenant_id, {"kind": "tag_added", "tag": "新注册"}, WELCOME)
    lead_id = new_lead(system, tenant_id, "13800139001")
    tag(system, tenant_id, lead_id, "新注册")
    assert "欢迎" in lead_tags(system, tenant_id, lead_id)
    assert system.container.scoring().lead_score(tenant_id, lead_id).behaviour_score == 10
    enrolment = system.container.flows().enrolment_of(
        tenant_id, enrolment_id(flow.flow_id, lead_id)
    )
    assert enrolment.status == "waiting" and enrolment.at == "wait"
    assert enrolment.wake_at is not None

    clock = MovableClock(enrolment.wake_at - timedelta(minutes=1))
    waking = waking_at(system, clock)
    assert waking.run_once().woken == 0  # not yet due
    clock.moment = enrolment.wake_at + timedelta(seconds=1)
    assert waking.run_once().woken == 1
    settle(system)
    assert "三天后" in lead_tags(system, tenant_id, lead_id)
    assert waking.run_once().woken == 0  # once only
    ended = system.container.flows().enrolment_of(tenant_id, enrolment.id)
    assert ended.status == "ended"
    assert ended.visited == ["hello", "points", "wait", "later", "end"]

    stats = system.container.flow_reading().stats(tenant_id, flow.flow_id)
    nodes = {n.node_id: n for n in stats.nodes}
    assert (nodes["hello"].entered, nodes["hello"].completed) == (1, 1)
    assert (nodes["end"].entered, nodes["end"].completed) == (1, 1)
    assert stats.enrolled == 1 and stats.ended == 1 and stats.finished_share == 1.0

    # The same tag again: the enrolment rule ("once") admits nobody a second time.
    system.container.leads().tag(LeadScope.whole_company(tenant_id), lead_id, ["新注册"], add=False)
    tag(system, tenant_id, lead_id, "新注册")
    again = system.container.flows().enrolment_of(tenant_id, enrolment.id)
    assert again.run == 1


def test_stop_ends_waiting_runs_without_their_remaining_actions(system: Runtime) -> None:
    tenant_id = uuid4()
    flow = enabled_flow(system, tenant_id, {"kind": "tag_added", "tag": "新注册"}, WELCOME)
    lead_id = new_lead(system, tenant_id, "13800139002")
    tag(system, tenant_id, lead_id, "新注册")
    flows = system.container.flows()
    current = flows.flow(tenant_id, flow.flow_id)
    flows.disable(
        tenant_id, flow.flow_id, DisableFlow(mode="stop"), expected_version=current.version
    )
    settle(system)
    clock = MovableClock(datetime.now(UTC) + timedelta(days=4))
    waking = waking_at(system, clock)
    waking.run_once()  # (or the runtime's own worker first: stopping needs no clock)
    settle(system)
    assert waking.run_once().woken == 0  # four days on, the stopped run's wait is not woken
    stopped = flows.enrolment_of(tenant_id, enrolment_id(flow.flow_id, lead_id))
    assert stopped.status == "stopped"
    assert "三天后" not in lead_tags(system, tenant_id, lead_id)


def test_an_unsubscribed_lead_passes_a_send_without_a_send(system: Runtime) -> None:
    tenant_id = uuid4()
    nodes: list[dict[str, Any]] = [
        {"id": "sms", "kind": "send_sms", "text": "欢迎光临 回T退订", "next": "t"},
        {"id": "t", "kind": "add_tag", "tag": "已触达", "next": "end"},
        {"id": "end", "kind": "end"},
    ]
    flows = system.container.flows()
    graph = {"start": "sms", "nodes": nodes}
    draft = flows.draft(
        tenant_id, DraftFlow(name="短信", trigger={"kind": "tag_added", "tag": "x"}, graph=graph)
    )
    # A signature still to choose, and no SMS set up: enabling names the node.
    rules = [p.rule for p in draft.problems if p.node_id == "sms"]
    assert rules == ["choose its signature_id", "the tenant has not set up sms sending"]
    with pytest.raises(InvalidValue, match="sms") as refused:
        flows.enable(tenant_id, draft.flow_id, expected_version=draft.version)
    assert refused.value.field == "graph.nodes.sms"

    signatures = system.container.sms_signatures()
    signature = signatures.submit(tenant_id, SubmitSignature(text="获客科技", purpose="公司简称"))
    signatures.approve(tenant_id, signature.id, reviewer="admin", expected_version=1)
    settle(system)
    nodes[0]["signature_id"] = str(signature.id)
    current = flows.flow(tenant_id, draft.flow_id)
    edited = flows.edit(
        tenant_id,
        draft.flow_id,
        EditFlow(name="短信", trigger={"kind": "tag_added", "tag": "x"}, graph=graph),
        expected_version=current.version,
    )
    assert edited.problems == []
    flows.enable(tenant_id, draft.flow_id, expected_version=edited.version)
    settle(system)

    scope = LeadScope.whole_company(tenant_id)
    reachable = new_lead(system, tenant_id, "13800139011")
    gone = new_lead(system, tenant_id, "13800139012")
    system.container.leads().change_consent(
        scope, gone, ChangeConsent(channel="sms", state="unsubscribed", source="test")
    )
    settle(system)
    for lead_id in (reachable, gone):
        tag(system, tenant_id, lead_id, "x")
    steps = {
        lead_id: flows.enrolment_of(tenant_id, enrolment_id(draft.flow_id, lead_id))
        for lead_id in (reachable, gone)
    }
    assert all(e.status == "ended" for e in steps.values())
    reading = system.container.flow_reading()
    path = reading.enrolment(tenant_id, draft.flow_id, gone).steps
    assert next((s.node_id, s.outcome, s.detail) for s in path) == (
        "sms",
        "skipped",
        "not contactable",
    )
    assert "已触达" in lead_tags(system, tenant_id, gone)  # the run went on past the send
    deadline = time.monotonic() + 10
    while True:  # the send worker hands the reachable lead's text to the sandbox
        stats = reading.stats(tenant_id, draft.flow_id)
        if stats.sends[0].sent == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert (stats.sends[0].sent, stats.sends[0].skipped) == (1, 1)
    nodes_seen = {n.node_id: n for n in stats.nodes}
    assert (nodes_seen["sms"].completed, nodes_seen["sms"].skipped) == (1, 1)


def test_editing_an_enabled_flow_publishes_a_version_running_runs_keep_theirs(
    system: Runtime,
) -> None:
    tenant_id = uuid4()
    flow = enabled_flow(system, tenant_id, {"kind": "tag_added", "tag": "新注册"}, WELCOME)
    first = new_lead(system, tenant_id, "13800139003")
    tag(system, tenant_id, first, "新注册")
    flows = system.container.flows()
    changed = [dict(node) for node in WELCOME]
    changed[3] = {"id": "later", "kind": "add_tag", "tag": "新版本", "next": "end"}
    current = flows.flow(tenant_id, flow.flow_id)
    edited = flows.edit(
        tenant_id,
        flow.flow_id,
        EditFlow(
            name=current.name, trigger=current.trigger, graph={"start": "hello", "nodes": changed}
        ),
        expected_version=current.version,
    )
    assert edited.live_version == 2
    settle(system)
    second = new_lead(system, tenant_id, "13800139004")
    tag(system, tenant_id, second, "新注册")
    clock = MovableClock(datetime.now(UTC) + timedelta(days=3, minutes=5))
    waking_at(system, clock).run_once()
    settle(system)
    assert "三天后" in lead_tags(system, tenant_id, first)  # finished on version 1
    assert "新版本" in lead_tags(system, tenant_id, second)
    queries: FlowQueries = system.container.flow_queries()
    assert queries.status_counts(tenant_id, flow.flow_id) == {"ended": 2}


def test_a_lead_s_path_through_a_flow_is_on_its_timeline(system: Runtime) -> None:
    tenant_id = uuid4()
    enabled_flow(system, tenant_id, {"kind": "tag_added", "tag": "新注册"}, WELCOME)
    lead_id = new_lead(system, tenant_id, "13800139091")
    tag(system, tenant_id, lead_id, "新注册")
    queries = system.container.lead_queries()
    scope = LeadScope.whole_company(tenant_id)
    whole = queries.timeline(scope, lead_id, cursor=None, limit=100).items
    steps = [e.details["node_id"] for e in whole if e.kind == "flows.step"]
    assert steps == ["points", "hello"]  # newest first; the wait has not ended
    assert whole[[e.kind for e in whole].index("flows.step")].details["flow_name"] == "测试流程"
    # Page by page (two at a time) the merged timeline holds the same entries, in order.
    paged, cursor = [], None
    while True:
        page = queries.timeline(scope, lead_id, cursor=cursor, limit=2)
        paged += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert [(e.kind, e.at) for e in paged] == [(e.kind, e.at) for e in whole]
