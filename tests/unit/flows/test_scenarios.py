"""The scenario library (FLOW-4): every scenario copies into a draft, and once the tenant
has chosen what only it can choose, the draft can be enabled."""

from __future__ import annotations

import copy
from uuid import uuid4

import pytest

from domain.flows.flow import Flow
from domain.flows.graph import Channel, FlowGraph
from domain.flows.scenarios import SCENARIOS, Scenario, Stage
from domain.flows.triggers import Trigger

CHOICES = {
    "template_id": "t-1", "sender_name": "获客", "sender_address": "news@mail.acme.cn",
    "signature_id": "s-1", "account_id": "a-1", "data": {"first": "您好"},
    "group_id": "g-1", "tag": "t", "url": "/pricing", "field": "custom.event_date",
}  # fmt: skip


def test_the_library_covers_each_stage_and_the_named_scenarios() -> None:
    assert {s.stage for s in SCENARIOS} == set(Stage)
    assert {"welcome_series", "new_fan_48h", "dormant_reactivation", "birthday",
            "event_reminder", "abandoned_page_visit"} <= {s.key for s in SCENARIOS}  # fmt: skip
    assert len({s.key for s in SCENARIOS}) == len(SCENARIOS)


@pytest.mark.parametrize("found", SCENARIOS, ids=lambda s: s.key)
def test_a_scenario_copies_into_a_draft_that_names_only_the_tenants_choices(
    found: Scenario,
) -> None:
    flow = Flow.draft(
        flow_id=uuid4(), tenant_id=uuid4(), name=found.name, trigger=found.trigger,
        graph=found.graph, enrolment_rule=found.enrolment_rule, every_days=found.every_days,
        copied_from=found.key,
    )  # fmt: skip
    problems = FlowGraph.parse(flow.graph).problems()
    assert all(p.rule.startswith("choose its ") for p in problems), problems

    graph = copy.deepcopy(found.graph)
    for node in graph["nodes"]:
        for name in FlowGraph.parse(graph).node(node["id"]).missing:
            node[name] = CHOICES[name]
    trigger = dict(found.trigger)
    for name in Trigger.parse(trigger).missing:
        trigger[name] = CHOICES[name]
    flow.edit(
        name=flow.name, trigger=trigger, graph=graph, enrolment_rule=found.enrolment_rule,
        every_days=found.every_days, channels=tuple(Channel),
    )  # fmt: skip
    flow.enable(tuple(Channel))
    assert flow.enabled and flow.copied_from == found.key
