"""Flows (FLOW-1, FLOW-5): drafted disabled, enabled only when runnable, versioned while
enabled, disabled by draining or stopping."""

from __future__ import annotations

import copy
from uuid import uuid4

import pytest

from domain.flows.flow import Flow
from domain.flows.graph import Channel
from domain.shared.errors import InvalidValue, StateConflict
from tests.unit.flows.graphs import WELCOME

EVERY_CHANNEL = tuple(Channel)
TAGGED = {"kind": "tag_added", "tag": "新客"}


def drafted(graph: dict | None = None) -> Flow:
    return Flow.draft(
        flow_id=uuid4(), tenant_id=uuid4(), name="欢迎系列", trigger=TAGGED,
        graph=graph if graph is not None else WELCOME,
    )  # fmt: skip


def edit(flow: Flow, graph: dict) -> None:
    flow.edit(
        name=flow.name, trigger=flow.trigger, graph=graph, enrolment_rule="once",
        every_days=None, channels=EVERY_CHANNEL,
    )  # fmt: skip


def test_a_flow_is_drafted_disabled_and_may_be_incomplete() -> None:
    flow = drafted({"nodes": []})
    assert (flow.enabled, flow.live_version, flow.live) == (False, 0, None)
    with pytest.raises(InvalidValue) as refused:
        flow.enable(EVERY_CHANNEL)
    assert refused.value.field == "graph"


def test_enabling_publishes_the_draft_as_version_one() -> None:
    flow = drafted()
    flow.enable(EVERY_CHANNEL)
    assert (flow.enabled, flow.live_version) == (True, 1)
    assert flow.live == {"version": 1, "trigger": flow.trigger, "graph": flow.graph}


def test_an_action_on_a_channel_not_set_up_keeps_the_flow_disabled() -> None:
    flow = drafted()
    with pytest.raises(InvalidValue) as refused:
        flow.enable({Channel.EMAIL})
    assert refused.value.field == "graph.nodes.sms" and not flow.enabled
    assert flow.collect_events()[-1].__class__.__name__ == "Drafted"


def test_editing_an_enabled_flow_publishes_a_new_version_and_keeps_the_old() -> None:
    flow = drafted()
    flow.enable(EVERY_CHANNEL)
    changed = copy.deepcopy(WELCOME)
    changed["nodes"][1]["amount"] = 5
    edit(flow, changed)
    assert flow.live_version == 2
    assert flow.published_version(1)["graph"]["nodes"][1]["amount"] == 3
    assert flow.published_version(2)["graph"]["nodes"][1]["amount"] == 5


def test_an_enabled_flow_refuses_an_edit_that_cannot_run_and_keeps_its_version() -> None:
    flow = drafted()
    flow.enable(EVERY_CHANNEL)
    broken = copy.deepcopy(WELCOME)
    broken["nodes"][2].pop("no")
    with pytest.raises(InvalidValue) as refused:
        edit(flow, broken)
    assert refused.value.field == "graph.nodes.opened"
    assert (flow.live_version, flow.graph) == (1, flow.published_version(1)["graph"])


def test_an_edit_that_changes_nothing_records_nothing() -> None:
    flow = drafted()
    flow.collect_events()
    edit(flow, WELCOME)
    assert flow.collect_events() == []


def test_disabling_names_its_mode_and_re_enabling_an_unchanged_draft_keeps_the_version() -> None:
    flow = drafted()
    flow.enable(EVERY_CHANNEL)
    with pytest.raises(InvalidValue):
        flow.disable("pause")
    flow.disable("stop")
    assert not flow.enabled
    with pytest.raises(StateConflict):
        flow.disable("drain")
    flow.enable(EVERY_CHANNEL)
    assert flow.live_version == 1


def test_only_a_disabled_flow_is_archived_and_an_archived_one_changes_no_more() -> None:
    flow = drafted()
    flow.enable(EVERY_CHANNEL)
    with pytest.raises(StateConflict):
        flow.archive()
    flow.disable("drain")
    flow.archive()
    with pytest.raises(StateConflict):
        flow.enable(EVERY_CHANNEL)


@pytest.mark.parametrize(
    ("rule", "every_days", "field"),
    [("sometimes", None, "enrolment_rule"), ("every_days", None, "every_days"),
     ("every_days", 0, "every_days"), ("once", 7, "every_days")],
)  # fmt: skip
def test_an_enrolment_rule_is_checked(rule: str, every_days: int | None, field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        Flow.draft(
            flow_id=uuid4(), tenant_id=uuid4(), name="x", trigger=TAGGED, graph=WELCOME,
            enrolment_rule=rule, every_days=every_days,
        )  # fmt: skip
    assert refused.value.field == field


def test_a_trigger_is_checked_by_field() -> None:
    with pytest.raises(InvalidValue) as refused:
        Flow.draft(
            flow_id=uuid4(), tenant_id=uuid4(), name="x", graph=WELCOME,
            trigger={"kind": "page_visited", "url": "https://acme.cn", "match": "roughly"},
        )  # fmt: skip
    assert refused.value.field == "trigger.match"


def test_a_flow_whose_trigger_is_incomplete_is_not_enabled() -> None:
    flow = Flow.draft(
        flow_id=uuid4(), tenant_id=uuid4(), name="x", trigger={"kind": "joined_group"},
        graph=WELCOME,
    )  # fmt: skip
    with pytest.raises(InvalidValue) as refused:
        flow.enable(EVERY_CHANNEL)
    assert refused.value.field == "trigger.group_id" and not flow.enabled
