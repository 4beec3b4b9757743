"""The filter language (domain.shared.filters): parsing, evaluation for one lead, limits,
the paths of validation errors, and the tree round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar import Litestar, post
from litestar.testing import TestClient

from application.segments.filter_model import FilterTree
from application.shared.commands import Command
from domain.shared.errors import InvalidValue
from domain.shared.filters import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    BehaviourFact,
    Filter,
    LeadFacts,
    References,
    custom_field_columns,
    iso_text,
    number_of,
)
from entrypoints.http.problems import EXCEPTION_HANDLERS

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def when(tree: dict[str, Any], facts: LeadFacts, now: datetime = NOW) -> bool:
    return Filter.parse(tree).matches(facts, now=now)


def cond(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def lead(**fields: Any) -> LeadFacts:
    return LeadFacts(fields=fields)


def did(kind: str = "page", *, did: bool = True, **spec: Any) -> dict[str, Any]:
    return {"behaviour": {"kind": kind, **spec}, "did": did}


def seen(kind: str, days_ago: float, name: str = "", channel: str = "web", **props: Any):
    return BehaviourFact(kind, name, channel, NOW - timedelta(days=days_ago), props)


# --- text fields -----------------------------------------------------------------------


def test_equals_is_exact_and_contains_and_prefix_fold_ascii_case() -> None:
    facts = lead(name="Li Lei", city="Shanghai")
    assert when(cond("name", "equals", "Li Lei"), facts)
    assert not when(cond("name", "equals", "li lei"), facts)
    assert when(cond("name", "contains", "LEI"), facts)
    assert when(cond("city", "prefix", "shang"), facts)
    assert not when(cond("city", "prefix", "hai"), facts)
    assert when(cond("city", "in", ["Beijing", "Shanghai"]), facts)
    assert not when(cond("city", "in", ["beijing", "shanghai"]), facts)


def test_only_ascii_letters_fold_so_every_database_agrees() -> None:
    facts = lead(name="ÉCOLE")
    assert when(cond("name", "contains", "É"), facts)
    assert not when(cond("name", "contains", "é"), facts)  # SQLite's LOWER keeps É
    assert when(cond("name", "contains", "Écol"), facts)


def test_missing_values_fail_every_op_but_empty_and_not_equals() -> None:
    for facts in (lead(), lead(name=None), lead(name="")):
        assert when(cond("name", "empty", True), facts)
        assert not when(cond("name", "empty", False), facts)
        assert when(cond("name", "not_equals", "x"), facts)
        for op, value in (("equals", "x"), ("contains", "x"), ("prefix", "x"), ("in", ["x"])):
            assert not when(cond("name", op, value), facts), op
    assert not when(cond("name", "empty", True), lead(name="x"))
    assert not when(cond("name", "not_equals", "x"), lead(name="x"))


def test_like_wildcards_in_values_are_literal() -> None:
    assert not when(cond("name", "contains", "%"), lead(name="abc"))
    assert when(cond("name", "contains", "_%"), lead(name="a_%b"))


# --- numbers, times, custom fields ---------------------------------------------------


def test_number_fields() -> None:
    facts = lead(score=42, behaviour_score=0)
    assert when(cond("score", "equals", 42), facts)
    assert when(cond("score", "equals", 42.0), facts)
    assert when(cond("score", "range", {"from": 40, "to": 42}), facts)
    assert not when(cond("score", "range", {"to": 41.5}), facts)
    assert when(cond("score", "in", [1, 42]), facts)
    assert when(cond("behaviour_score", "not_equals", 5), facts)
    assert not when(cond("profile_score", "equals", 0), facts)  # missing


def test_time_fields_within_days_and_ranges() -> None:
    facts = lead(created_at=iso_text(NOW - timedelta(days=3)), last_seen_at=None)
    assert when(cond("created_at", "within_days", 3), facts)
    assert not when(cond("created_at", "within_days", 2), facts)
    assert when(
        cond("created_at", "range", {"from": "2026-06-01", "to": "2026-06-13T00:00Z"}), facts
    )
    assert not when(cond("created_at", "range", {"to": "2026-06-12T11:59:59+00:00"}), facts)
    assert when(cond("last_seen_at", "empty", True), facts)
    assert not when(cond("last_seen_at", "within_days", 365), facts)


def test_time_bounds_are_normalised_to_utc_text() -> None:
    tree = cond("created_at", "range", {"from": "2026-06-01T08:00:00+08:00"})
    assert Filter.parse(tree).to_tree()["value"] == {"from": "2026-06-01T00:00:00.000000Z"}


def test_custom_fields_compare_numbers_numerically_and_text_as_text() -> None:
    text, number = custom_field_columns(5)
    assert (text, number) == ("5", 5.0)
    assert custom_field_columns(True) == ("true", None)
    assert number_of(" 2.5e1 ") == 25.0 and number_of("abc") is None and number_of("inf") is None
    facts = lead(**{"custom.age": "30", "custom.level": "abc", "custom.code": "007"})
    assert when(cond("custom.age", "equals", 30), facts)
    assert when(cond("custom.age", "equals", "30"), facts)
    assert not when(cond("custom.age", "equals", "30.0"), facts)
    assert when(cond("custom.code", "equals", 7), facts)  # numbers read from the text
    assert when(cond("custom.age", "range", {"from": 18, "to": 30}), facts)
    assert when(cond("custom.age", "range", {"from": 4}), facts)  # 30 >= 4 as numbers
    assert not when(cond("custom.level", "range", {"from": 0}), facts)  # text, not number
    assert when(cond("custom.level", "range", {"from": "a", "to": "b"}), facts)
    assert when(cond("custom.age", "range", {"from": "3", "to": "4"}), facts)  # text order
    assert when(cond("custom.level", "prefix", "AB"), facts)
    assert when(cond("custom.missing", "empty", True), facts)
    assert when(cond("custom.missing", "not_equals", 1), facts)
    assert when(cond("custom.age", "in", ["x", 30]), facts)


# --- tags and consent -----------------------------------------------------------------


def test_tags() -> None:
    facts = LeadFacts(fields={}, tags=frozenset({"VIP", "展会"}))
    assert when(cond("tags", "equals", "VIP"), facts)
    assert not when(cond("tags", "equals", "vip"), facts)
    assert when(cond("tags", "in", ["x", "展会"]), facts)
    assert when(cond("tags", "all", ["VIP", "展会"]), facts)
    assert not when(cond("tags", "all", ["VIP", "x"]), facts)
    assert when(cond("tags", "empty", False), facts)
    assert when(cond("tags", "empty", True), LeadFacts(fields={}))


def test_consent() -> None:
    facts = LeadFacts(fields={}, consent={"email": "granted", "sms": "withdrawn"})
    assert when(cond("consent.email", "equals", "granted"), facts)
    assert when(cond("consent.email", "equals", "subscribed"), facts)
    assert when(cond("consent.sms", "equals", "withdrawn"), facts)
    assert when(cond("consent.wechat", "equals", "unknown"), facts)
    assert when(cond("consent.email", "not_equals", "unknown"), facts)
    assert when(cond("consent.wechat", "in", ["granted", "unknown"]), facts)
    stored = LeadFacts(fields={}, consent={"email": "suppressed"})
    assert when(cond("consent.email", "equals", "withdrawn"), stored)
    assert not when(cond("consent.email", "equals", "unsubscribed"), stored)


# --- behaviours -----------------------------------------------------------------------


def test_behaviours_within_a_window_at_least_n_times_and_did_not() -> None:
    facts = LeadFacts(
        fields={},
        behaviours=[
            seen("page", 1, url="/pricing"),
            seen("page", 10, url="/Pricing/plans"),
            seen("track", 40, name="signup", plan="pro", seats=5),
        ],
    )
    assert when(did("page", within_days=2), facts)
    assert not when(did("page", within_days=2, at_least=2), facts)
    assert when(did("page", within_days=30, at_least=2), facts)
    assert when(did("*", within_days=30), facts)
    assert when(did("track", did=False, within_days=30), facts)  # dormant for tracks
    assert not when(did("track", did=False), facts)
    assert when(did("track", name="signup"), facts)
    assert not when(did("track", name="Signup"), facts)
    assert when(did("page", channel="web"), facts)
    assert not when(did("page", channel="email"), facts)
    assert when(did("track", since="2026-05-01T00:00:00Z"), facts)
    assert not when(did("track", since="2026-05-07T00:00:00Z"), facts)
    where = [{"property": "url", "op": "prefix", "value": "/pricing"}]
    assert when(did("page", where=where, at_least=2), facts)
    assert when(
        did("track", where=[{"property": "seats", "op": "range", "value": {"from": 5, "to": 9}}]),
        facts,
    )
    assert not when(
        did("track", where=[{"property": "seats", "op": "equals", "value": "5"}]), facts
    )
    assert when(did("track", where=[{"property": "plan", "op": "in", "value": ["pro", 1]}]), facts)
    assert when(did("track", where=[{"property": "coupon", "op": "empty", "value": True}]), facts)
    assert not when(did("page", within_days=30), LeadFacts(fields={}))


def test_behaviour_property_types_are_strict() -> None:
    facts = LeadFacts(fields={}, behaviours=[seen("track", 0, flag=True, n=1, s="1")])

    def prop(name: str, value: Any) -> bool:
        return when(did("track", where=[{"property": name, "op": "equals", "value": value}]), facts)

    assert prop("flag", True) and not prop("flag", 1) and not prop("flag", "true")
    assert prop("n", 1) and prop("n", 1.0) and not prop("n", True) and not prop("n", "1")
    assert prop("s", "1") and not prop("s", 1)


# --- nesting and references -----------------------------------------------------------


def test_all_any_not_nest() -> None:
    facts = lead(city="Shanghai", score=10)
    tree = {
        "all": [
            {"any": [cond("city", "equals", "Beijing"), cond("score", "range", {"from": 5})]},
            {"not": cond("city", "equals", "Beijing")},
        ]
    }
    assert when(tree, facts)
    assert not when({"not": tree}, facts)
    assert when({"all": []}, facts) and not when({"any": []}, facts)
    assert Filter.parse(tree).depth == 3
    assert Filter.parse(tree).condition_count == 3


def test_references_say_what_a_filter_reads() -> None:
    tree = {
        "any": [
            cond("tags", "equals", "VIP"),
            cond("custom.age", "equals", 3),
            cond("consent.email", "equals", "granted"),
            did("page", where=[{"property": "url", "op": "contains", "value": "x"}]),
        ]
    }
    assert Filter.parse(tree).references() == References(
        frozenset({"tags", "custom.age", "consent.email"}), frozenset({"page"}), False
    )
    assert Filter.parse(did("*", within_days=30)).references().time_relative
    assert Filter.parse(cond("created_at", "within_days", 7)).references().time_relative
    assert not Filter.parse(did("page", since="2026-01-01")).references().time_relative


def test_twenty_conditions_are_fine() -> None:
    tree = {"all": [cond("score", "range", {"from": i}) for i in range(20)]}
    assert Filter.parse(tree).condition_count == 20


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError):
        Filter.parse({"all": []}).matches(lead(), now=datetime(2026, 1, 1))


# --- validation: every error names the bad node ----------------------------------------


def error_path(tree: Any, **options: Any) -> str | None:
    with pytest.raises(InvalidValue) as raised:
        Filter.parse(tree, **options)
    return raised.value.field


@pytest.mark.parametrize(
    ("tree", "path"),
    [
        ([], "filter"),
        ({}, "filter"),
        ({"all": {}}, "filter.all"),
        ({"all": [cond("name", "equals", "a")], "any": []}, "filter.any"),
        ({"all": [{}, cond("name", "equals", "a")]}, "filter.all[0]"),
        ({"all": [cond("name", "equals", "a"), cond("nam", "equals", "a")]}, "filter.all[1].field"),
        ({"any": [cond("name", "equals", 1)]}, "filter.any[0].value"),
        ({"any": [cond("name", "equals", "")]}, "filter.any[0].value"),
        ({"any": [cond("name", "equals", "x" * 201)]}, "filter.any[0].value"),
        ({"any": [cond("name", "equals", "a\x00")]}, "filter.any[0].value"),
        ({"not": cond("name", "range", {"from": "a"})}, "filter.not.op"),
        ({"not": cond("score", "contains", "1")}, "filter.not.op"),
        ({"not": {"field": "name", "op": "equals"}}, "filter.not.value"),
        ({"not": {"field": "name", "op": "equals", "value": "a", "x": 1}}, "filter.not.x"),
        (cond("score", "equals", True), "filter.value"),
        (cond("score", "equals", float("nan")), "filter.value"),
        (cond("score", "equals", 1e16), "filter.value"),
        (cond("score", "in", []), "filter.value"),
        (cond("score", "in", [1, "2"]), "filter.value[1]"),
        (cond("score", "in", list(range(201))), "filter.value"),
        (cond("score", "range", {}), "filter.value"),
        (cond("score", "range", {"from": 5, "to": 1}), "filter.value.to"),
        (cond("score", "range", {"from": 1, "up": 2}), "filter.value.up"),
        (cond("custom.age", "range", {"from": 1, "to": "2"}), "filter.value.to"),
        (cond("created_at", "range", {"from": "yesterday"}), "filter.value.from"),
        (cond("created_at", "within_days", 0), "filter.value"),
        (cond("created_at", "within_days", "7"), "filter.value"),
        (cond("created_at", "equals", "2026-01-01"), "filter.op"),
        (cond("tags", "not_equals", "x"), "filter.op"),
        (cond("tags", "all", "x"), "filter.value"),
        (cond("consent.email", "equals", "yes"), "filter.value"),
        (cond("consent.fax", "equals", "granted"), "filter.field"),
        (cond("name", "empty", "yes"), "filter.value"),
        (did("page", within_days=0), "filter.behaviour.within_days"),
        (did("page", within_days=3, since="2026-01-01"), "filter.behaviour.since"),
        (did("page", since="last week"), "filter.behaviour.since"),
        (did("page", at_least=0), "filter.behaviour.at_least"),
        (did("page", at_least=True), "filter.behaviour.at_least"),
        (did("page", colour="red"), "filter.behaviour.colour"),
        (did("Page"), "filter.behaviour.kind"),
        (did("page", name=""), "filter.behaviour.name"),
        (did("page", channel="Web!"), "filter.behaviour.channel"),
        (did("page", where={}), "filter.behaviour.where"),
        (
            did("page", where=[{"property": "url", "op": "equals"}]),
            "filter.behaviour.where[0].value",
        ),
        (
            did("page", where=[{"property": "u", "op": "equals", "value": 1}, {"op": "empty"}]),
            "filter.behaviour.where[1].property",
        ),
        (
            did("page", where=[{"property": "url", "op": "not_equals", "value": "x"}]),
            "filter.behaviour.where[0].op",
        ),
        (
            did("page", where=[{"property": "url", "op": "in", "value": [None]}]),
            "filter.behaviour.where[0].value[0]",
        ),
        ({"behaviour": {"kind": "page"}, "did": "no"}, "filter.did"),
        ({"behaviour": "page"}, "filter.behaviour"),
    ],
)
def test_every_validation_error_names_the_bad_node(tree: Any, path: str) -> None:
    assert error_path(tree) == path


def test_the_root_path_and_the_known_kinds_can_be_given() -> None:
    assert error_path(cond("x", "equals", 1), path="search") == "search.field"
    assert error_path(did("pageview"), kinds={"page"}) == "filter.behaviour.kind"
    Filter.parse(did("*"), kinds={"page"})


def test_limits_on_conditions_and_depth() -> None:
    too_many = {"all": [cond("score", "equals", i) for i in range(MAX_CONDITIONS + 1)]}
    assert error_path(too_many) == f"filter.all[{MAX_CONDITIONS}]"
    props = [{"property": "p", "op": "equals", "value": i} for i in range(10)]
    behaviours = {"all": [did("page", where=props) for _ in range(5)]}  # 5 x 11 conditions
    assert error_path(behaviours) == "filter.all[4]"
    deep: dict[str, Any] = cond("score", "equals", 1)
    for _ in range(MAX_DEPTH - 1):
        deep = {"not": deep}
    assert Filter.parse(deep).depth == MAX_DEPTH
    assert error_path({"all": [deep]}) == "filter.all[0]" + ".not" * (MAX_DEPTH - 1)


@pytest.mark.parametrize(
    ("tree", "path"),
    [
        (cond("name; DROP TABLE segments_leads; --", "equals", "x"), "filter.field"),
        (cond("name) OR (1=1", "equals", "x"), "filter.field"),
        (cond("custom.age' OR '1'='1", "equals", "x"), "filter.field"),
        (cond("custom.Age", "equals", "x"), "filter.field"),
        (cond('custom.a"b', "equals", "x"), "filter.field"),
        (cond("custom." + "a" * 41, "equals", "x"), "filter.field"),
        (cond("consent.email'--", "equals", "granted"), "filter.field"),
        (cond("l.tenant_id", "equals", "x"), "filter.field"),
        (cond("name", "= 'x' OR 1=1 --", "x"), "filter.op"),
        (cond("name", "equals); DELETE FROM segments_leads; --", "x"), "filter.op"),
        (cond("score", "equals", "1 OR 1=1"), "filter.value"),
        (cond("score", "range", {"from": "0; DROP TABLE x"}), "filter.value.from"),
        (did("page; DROP TABLE x"), "filter.behaviour.kind"),
        (did("page", channel="web' OR '1"), "filter.behaviour.channel"),
        (
            did("page", where=[{"property": 'url"); DROP', "op": "equals", "value": "x"}]),
            "filter.behaviour.where[0].property",
        ),
        (
            did("page", where=[{"property": "$.a", "op": "equals", "value": "x"}]),
            "filter.behaviour.where[0].property",
        ),
        ({"all": [cond("name", "equals", "x")], "'; DROP TABLE x; --": 1}, "filter.?"),
    ],
)
def test_injection_attempts_in_names_and_operators_are_rejected(tree: Any, path: str) -> None:
    assert error_path(tree) == path


def test_hostile_values_are_just_text() -> None:
    hostile = "x'); DROP TABLE segments_leads; --"
    filter = Filter.parse(cond("name", "equals", hostile))
    assert filter.matches(lead(name=hostile), now=NOW)
    assert not filter.matches(lead(name="x"), now=NOW)


# --- round trip ---------------------------------------------------------------------------

names = st.sampled_from(["name", "city", "custom.k1", "score", "created_at", "tags", "consent.sms"])
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=8)
numbers = st.integers(-100, 100) | st.floats(-1e6, 1e6, allow_nan=False)


@st.composite
def field_conditions(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(names)
    if field == "tags":
        op = draw(st.sampled_from(["equals", "in", "all", "empty"]))
        value: Any = {"equals": draw(texts), "empty": draw(st.booleans())}.get(
            op, draw(st.lists(texts, min_size=1, max_size=3))
        )
    elif field == "consent.sms":
        op, value = "equals", draw(st.sampled_from(["granted", "withdrawn", "unknown"]))
    elif field == "created_at":
        op = draw(st.sampled_from(["within_days", "range", "empty"]))
        moment = iso_text(NOW - timedelta(seconds=draw(st.integers(0, 10**8))))
        value = {"within_days": 7, "range": {"to": moment}, "empty": False}[op]
    elif field == "score":
        op = draw(st.sampled_from(["equals", "in", "range"]))
        low, high = sorted(draw(st.tuples(numbers, numbers)))
        value = {"equals": low, "in": [low, high], "range": {"from": low, "to": high}}[op]
    else:
        op = draw(st.sampled_from(["equals", "not_equals", "contains", "prefix", "in", "empty"]))
        value = draw(st.lists(texts, min_size=1, max_size=3)) if op == "in" else draw(texts)
        if op == "empty":
            value = draw(st.booleans())
    return cond(field, op, value)


behaviours = st.builds(
    lambda kind, days, least, did_it, props: did(
        kind,
        did=did_it,
        within_days=days,
        **({"at_least": least} if least > 1 else {}),
        **({"where": props} if props else {}),
    ),
    st.sampled_from(["*", "page", "track"]),
    st.integers(1, 100),
    st.integers(1, 5),
    st.booleans(),
    st.lists(
        st.builds(
            lambda p, v: {"property": p, "op": "equals", "value": v},
            st.sampled_from(["a", "b_c"]),
            texts | st.integers(-5, 5) | st.booleans(),
        ),
        max_size=2,
    ),
)
trees = st.recursive(
    field_conditions() | behaviours,
    lambda children: (
        st.lists(children, max_size=3).map(lambda n: {"all": n})
        | st.lists(children, max_size=3).map(lambda n: {"any": n})
        | children.map(lambda n: {"not": n})
    ),
    max_leaves=8,
)


@settings(max_examples=200)
@given(trees)
def test_to_tree_and_parse_round_trip(tree: dict[str, Any]) -> None:
    try:
        parsed = Filter.parse(tree)
    except InvalidValue:  # nested too deep for the recursion's shape
        return
    again = Filter.parse(parsed.to_tree())
    assert again == parsed
    assert again.to_tree() == parsed.to_tree()
    assert parsed.to_tree() == tree  # these trees are already normalised


@settings(max_examples=100)
@given(trees, st.lists(st.sampled_from(["VIP", "x"]), max_size=2))
def test_not_is_the_negation_of_a_tree(tree: dict[str, Any], tags: list[str]) -> None:
    try:
        parsed = Filter.parse({"not": tree})
    except InvalidValue:
        return
    facts = LeadFacts(fields={"name": "x", "score": 3}, tags=frozenset(tags))
    assert parsed.matches(facts, now=NOW) != Filter.parse(tree).matches(facts, now=NOW)


# --- at the edge: pydantic and problem+json ---------------------------------------------


class SaveTree(Command):
    filter: FilterTree


@post("/trees", sync_to_thread=False)
def save_tree(data: SaveTree) -> dict[str, Any]:
    return data.filter


def test_the_edge_type_keeps_the_normalised_tree() -> None:
    tree = {"field": "created_at", "op": "range", "value": {"from": "2026-06-01T08:00+08:00"}}
    saved = SaveTree.model_validate({"filter": tree})
    assert saved.filter["value"] == {"from": "2026-06-01T00:00:00.000000Z"}
    with pytest.raises(InvalidValue) as raised:
        SaveTree.model_validate({"filter": did("pageview")})  # not a behaviour kind
    assert raised.value.field == "filter.behaviour.kind"


@pytest.mark.parametrize(
    ("tree", "path"),
    [
        (
            {"all": [cond("name", "equals", "a"), cond("name'--", "equals", "a")]},
            "filter.all[1].field",
        ),
        ({"any": [cond("custom.x; DROP TABLE t", "equals", "a")]}, "filter.any[0].field"),
        ({"any": [cond("name", "equals' OR 1=1", "a")]}, "filter.any[0].op"),
        ({"any": [did("page", within_days=-1)]}, "filter.any[0].behaviour.within_days"),
        ({"not": cond("score", "equals", "1; --")}, "filter.not.value"),
    ],
)
def test_an_invalid_tree_answers_422_naming_the_bad_node(tree: dict[str, Any], path: str) -> None:
    app = Litestar([save_tree], exception_handlers=EXCEPTION_HANDLERS)
    with TestClient(app) as client:
        answer = client.post("/trees", json={"filter": tree})
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid_value"
    assert answer.json()["field"] == path
