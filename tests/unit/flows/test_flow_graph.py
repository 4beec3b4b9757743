"""A flow's graph (FLOW-1, FLOW-3): each node checked as it is parsed; what keeps a
draft from running named by node."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from domain.flows.graph import Channel, FlowGraph
from domain.shared.errors import InvalidValue
from tests.unit.flows.graphs import WELCOME

SHANGHAI = timezone(timedelta(hours=8))


def with_nodes(*changes: tuple[int, dict[str, Any]]) -> dict[str, Any]:
    graph = copy.deepcopy(WELCOME)
    for index, node in changes:
        graph["nodes"][index] = node
    return graph


def test_a_complete_graph_parses_round_trips_and_has_no_problems() -> None:
    graph = FlowGraph.parse(WELCOME)
    assert FlowGraph.parse(graph.to_tree()) == graph
    assert graph.problems() == []
    graph.require_runnable()


@pytest.mark.parametrize(
    ("node", "field"),
    [
        ({"id": "mail", "kind": "teleport", "next": "wait"}, "graph.nodes[0].kind"),
        ({"id": "mail", "kind": "add_tag", "tag": "x", "colour": "red", "next": "wait"},
         "graph.nodes[0].colour"),
        ({"id": "mail", "kind": "add_score", "points": 0, "next": "wait"},
         "graph.nodes[0].points"),
        ({"id": "mail", "kind": "wait", "amount": 3, "next": "wait"}, "graph.nodes[0].unit"),
        ({"id": "mail", "kind": "wait", "amount": 3, "unit": "weeks", "next": "wait"},
         "graph.nodes[0].unit"),
        ({"id": "mail", "kind": "wait", "until": "2027-01-01T09:00", "next": "wait"},
         "graph.nodes[0].until"),
        ({"id": "mail", "kind": "branch", "filter": {"field": "nope", "op": "equals",
          "value": 1}, "yes": "end", "no": "end"}, "graph.nodes[0].filter.field"),
        ({"id": "a b", "kind": "end"}, "graph.nodes[0].id"),
        ({"id": "wait", "kind": "end"}, "graph.nodes[1].id"),  # the second use is named
    ],
)  # fmt: skip
def test_a_malformed_node_is_refused_by_its_field(node: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        FlowGraph.parse(with_nodes((0, node)))
    assert refused.value.field == field, refused.value.message


@pytest.mark.parametrize(
    ("changes", "node_id", "rule"),
    [
        ([(5, {"id": "end", "kind": "add_tag", "tag": "x"})], "end", "has no End"),
        ([(4, {"id": "sms", "kind": "send_sms", "text": "x", "next": "end"})],
         "sms", "choose its signature_id"),
        ([(2, {"id": "opened", "kind": "branch", "filter": {"all": []}, "yes": "vip"})],
         "opened", "both a yes and a no"),
        ([(3, {"id": "vip", "kind": "add_tag", "tag": "x", "next": "nowhere"})],
         "vip", "nowhere does not exist"),
        ([(3, {"id": "vip", "kind": "add_tag", "tag": "x", "next": "mail"})],
         "mail", "leads back to itself"),
        ([(2, {"id": "opened", "kind": "branch", "filter": {"all": []}, "yes": "end",
               "no": "sms"})], "vip", "no path from the start"),
    ],
)  # fmt: skip
def test_what_keeps_a_draft_from_running_is_named_by_node(
    changes: list[tuple[int, dict[str, Any]]], node_id: str, rule: str
) -> None:
    graph = FlowGraph.parse(with_nodes(*changes))
    problems = graph.problems()
    assert any(p.node_id == node_id and rule in p.rule for p in problems), problems
    with pytest.raises(InvalidValue) as refused:
        graph.require_runnable()
    assert refused.value.field.startswith("graph")


def test_a_send_on_a_channel_the_tenant_has_not_set_up_is_named() -> None:
    graph = FlowGraph.parse(WELCOME)
    problems = graph.problems(channels={Channel.EMAIL})
    assert [(p.node_id, p.rule) for p in problems] == [
        ("sms", "the tenant has not set up sms sending")
    ]
    with pytest.raises(InvalidValue) as refused:
        graph.require_runnable({Channel.EMAIL})
    assert refused.value.field == "graph.nodes.sms"


def test_an_empty_draft_parses_but_cannot_run() -> None:
    graph = FlowGraph.parse({"nodes": []})
    assert [p.rule for p in graph.problems()] == [
        "a flow needs a first node after its start condition"
    ]


@pytest.mark.parametrize(
    ("amount", "unit", "started", "ends"),
    [
        (90, "minutes", datetime(2027, 1, 1, 23, 0), datetime(2027, 1, 2, 0, 30)),
        (3, "days", datetime(2027, 1, 30, 9, 0), datetime(2027, 2, 2, 9, 0)),
        (1, "months", datetime(2027, 1, 31, 9, 0), datetime(2027, 2, 28, 9, 0)),
        (1, "years", datetime(2028, 2, 29, 9, 0), datetime(2029, 2, 28, 9, 0)),
    ],
)
def test_waits_count_calendar_months_and_years_in_the_tenants_zone(
    amount: int, unit: str, started: datetime, ends: datetime
) -> None:
    graph = FlowGraph.parse(
        with_nodes((1, {"id": "wait", "kind": "wait", "amount": amount, "unit": unit,
                        "next": "opened"}))
    )  # fmt: skip
    wait = graph.node("wait")
    assert wait.wait_ends_at(started.replace(tzinfo=SHANGHAI)) == ends.replace(tzinfo=SHANGHAI)


def test_a_wait_until_a_date_time_ends_then() -> None:
    until = "2027-03-01T09:00:00+08:00"
    graph = FlowGraph.parse(
        with_nodes((1, {"id": "wait", "kind": "wait", "until": until, "next": "opened"}))
    )
    started = datetime(2027, 1, 1, tzinfo=SHANGHAI)
    assert graph.node("wait").wait_ends_at(started) == datetime.fromisoformat(until)
