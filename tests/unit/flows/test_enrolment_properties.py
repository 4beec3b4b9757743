"""Enrolments (FLOW-5) over random valid graphs, random branch answers, random clocks and
random crashes: every run ends on an End or waits, never runs a node twice, and each
effect happens once however often a crashed step is done again."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.flows.enrolment import Enrolment, Outcome, RunStatus
from domain.flows.graph import FlowGraph, NodeKind
from domain.flows.progress import Move, next_move
from domain.shared.errors import StateConflict

START = datetime(2027, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
EFFECTS = [
    {"kind": "add_tag", "tag": "t"},
    {"kind": "send_sms", "signature_id": "s", "text": "回T退订"},
    {"kind": "add_score", "points": 5},
]


@st.composite
def graphs(draw: st.DrawFn) -> FlowGraph:
    """A graph whose exits only point forward (no cycles) and whose last node is an End;
    nodes no path reaches are dropped, so every such graph can run."""
    count = draw(st.integers(2, 12))
    nodes: list[dict[str, Any]] = []
    for index in range(count - 1):
        later = st.integers(index + 1, count - 1).map(lambda j: f"n{j}")
        shape = draw(st.sampled_from(["effect", "wait", "branch", "end"]))
        node: dict[str, Any] = {"id": f"n{index}"}
        if shape == "effect":
            node |= draw(st.sampled_from(EFFECTS)) | {"next": draw(later)}
        elif shape == "wait":
            amount = draw(st.integers(1, 48))
            node |= {"kind": "wait", "amount": amount, "unit": "hours", "next": draw(later)}
        elif shape == "branch":
            node |= {"kind": "branch", "filter": {"all": []}, "yes": draw(later), "no": draw(later)}
        else:
            node |= {"kind": "end"}
        nodes.append(node)
    nodes.append({"id": f"n{count - 1}", "kind": "end"})
    full = FlowGraph.parse({"start": "n0", "nodes": nodes})
    reachable = set(full._walk())
    kept = [node for node in nodes if node["id"] in reachable]
    graph = FlowGraph.parse({"start": "n0", "nodes": kept})
    assert graph.problems() == []
    return graph


def rebuilt(events: list[Any]) -> Enrolment:
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    assert isinstance(aggregate, Enrolment)
    return aggregate


@given(
    graph=graphs(),
    answers=st.lists(st.booleans(), min_size=20, max_size=20),
    crashes=st.lists(st.booleans(), min_size=40, max_size=40),
    pauses=st.lists(st.integers(1, 72), min_size=20, max_size=20),
)
def test_a_run_ends_once_visits_each_node_once_and_makes_each_effect_once(
    graph: FlowGraph, answers: list[bool], crashes: list[bool], pauses: list[int]
) -> None:
    stored: list[Any] = []  # what the event store holds
    enrolment = Enrolment.open(flow_id=uuid4(), lead_id=uuid4(), tenant_id=uuid4())
    assert enrolment.start(cause="tagged-1", at=START, flow_version=1, first_node="n0", rule="once")
    stored += enrolment.collect_events()
    made: Counter[str] = Counter()  # effects by key, as an idempotent channel keeps them
    requested = 0
    now = START
    crashed = False
    for round_ in range(200):
        move = next_move(graph, enrolment, now)
        if move.kind == Move.FINISHED:
            break
        if move.kind == Move.IDLE:
            now += timedelta(hours=pauses[round_ % len(pauses)])
            continue
        node = move.node
        assert node is not None
        if move.kind == Move.EFFECT:
            requested += 1
            made[enrolment.effect_key(node.id)] += 0 if made[enrolment.effect_key(node.id)] else 1
            enrolment.step(node.id, outcome=Outcome.DONE, next_node=node.next, at=now)
        elif move.kind == Move.BRANCH:
            yes = answers[round_ % len(answers)]
            exit = node.yes if yes else node.no
            outcome = Outcome.YES if yes else Outcome.NO
            enrolment.step(node.id, outcome=outcome, next_node=exit, at=now)
        elif move.kind == Move.WAIT:
            assert move.until is not None
            enrolment.wait(node.id, until=move.until, at=now)
        elif move.kind == Move.WAKE:
            enrolment.step(node.id, outcome=Outcome.WAITED, next_node=node.next, at=now)
        else:
            enrolment.end(node.id, at=now)
        # The worker dies before saving (not twice running): the step is done again.
        crashed = crashes[round_ % len(crashes)] and not crashed
        if crashed:
            enrolment.collect_events()
            enrolment = rebuilt(stored)
        else:
            stored += enrolment.collect_events()
    final = rebuilt(stored)
    assert final.status == RunStatus.ENDED.value
    assert graph.node(final.visited[-1]).kind is NodeKind.END
    assert len(final.visited) == len(set(final.visited))
    effects = [n for n in final.visited if graph.node(n).is_effect]
    assert sorted(made) == sorted(final.effect_key(n) for n in effects)
    assert set(made.values()) <= {1} and requested >= len(effects)


def test_a_step_at_another_node_or_a_node_twice_is_refused() -> None:
    graph = FlowGraph.parse(
        {"start": "a", "nodes": [{"id": "a", "kind": "add_tag", "tag": "t", "next": "b"},
                                 {"id": "b", "kind": "end"}]}
    )  # fmt: skip
    enrolment = Enrolment.open(flow_id=uuid4(), lead_id=uuid4(), tenant_id=uuid4())
    enrolment.start(cause="c", at=START, flow_version=1, first_node="a", rule="once")
    with pytest.raises(StateConflict):
        enrolment.step("b", outcome=Outcome.DONE, next_node=None, at=START)
    enrolment.step("a", outcome=Outcome.DONE, next_node="b", at=START)
    with pytest.raises(StateConflict):
        enrolment.step("a", outcome=Outcome.DONE, next_node="b", at=START)
    assert next_move(graph, enrolment, START).kind == Move.END


def test_a_wait_is_not_over_before_its_time_and_stop_ends_it_without_the_rest() -> None:
    enrolment = Enrolment.open(flow_id=uuid4(), lead_id=uuid4(), tenant_id=uuid4())
    enrolment.start(cause="c", at=START, flow_version=1, first_node="w", rule="once")
    enrolment.wait("w", until=START + timedelta(days=3), at=START)
    with pytest.raises(StateConflict):
        enrolment.step("w", outcome=Outcome.WAITED, next_node="x", at=START + timedelta(days=2))
    assert enrolment.stop(at=START + timedelta(days=1), reason="flow disabled: stop")
    assert (enrolment.status, enrolment.at) == (RunStatus.STOPPED.value, None)
    assert not enrolment.stop(at=START, reason="again")


@pytest.mark.parametrize(
    ("rule", "every_days", "after", "admitted"),
    [("once", None, 400, False), ("every_days", 30, 29, False), ("every_days", 30, 30, True),
     ("every_time", None, 0, True)],
)  # fmt: skip
def test_the_enrolment_rule_decides_whether_a_finished_lead_enters_again(
    rule: str, every_days: int | None, after: int, admitted: bool
) -> None:
    enrolment = Enrolment.open(flow_id=uuid4(), lead_id=uuid4(), tenant_id=uuid4())
    enrolment.start(cause="c1", at=START, flow_version=1, first_node="e", rule=rule,
                    every_days=every_days)  # fmt: skip
    again = dict(at=START + timedelta(days=after), flow_version=2, first_node="e", rule=rule,
                 every_days=every_days)  # fmt: skip
    assert not enrolment.start(cause="c2", **again)  # never while a run is going
    enrolment.end("e", at=START)
    assert not enrolment.start(cause="c1", **again)  # the same cause again admits nobody
    assert enrolment.start(cause="c2", **again) is admitted
    if admitted:
        assert (enrolment.run, enrolment.flow_version) == (2, 2)
