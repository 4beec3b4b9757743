"""Filters compiled to SQL select exactly the leads `Filter.matches` selects, on SQLite and
PostgreSQL (issue 16 item 2), and the common shapes use an index on PostgreSQL.

Rows go straight into a copy of the segments' profile tables (prefix `filtertest`) through a
View; the in-memory facts are built from the same rows the way `ProfileQueries.facts_of`
builds them (custom fields as their text, consent states as stored, behaviour properties
decoded from their JSON). One database per backend; each example uses a fresh tenant.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from adapters.persistence.infrastructure import ProcessInfrastructure, close_view
from adapters.persistence.storage import Storage
from application.segments.filter_sql import compile_filter
from application.segments.profile_tables import profile_indexes, profile_tables
from application.shared.views import ReadModel, View
from domain.shared.filters import (
    BehaviourFact,
    Filter,
    LeadFacts,
    custom_field_columns,
    iso_text,
)
from tests.conftest import BACKENDS, TEST_CIPHER_KEY

PREFIX = "filtertest"
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
_positions = itertools.count(1)


class FilterTables(ReadModel):
    """Only the tables (the test writes rows itself)."""

    name = "filter_test"
    follows: ClassVar[tuple[str, ...]] = ()
    tables = profile_tables(PREFIX)
    indexes = profile_indexes(PREFIX)


@pytest.fixture(scope="module", params=BACKENDS)
def view(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[View]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    storage = Storage(
        var_dir=tmp_path_factory.mktemp("filters"), cipher_key=TEST_CIPHER_KEY, database_url=url
    )
    infrastructure = ProcessInfrastructure(storage, {})
    opened = infrastructure.open_view(FilterTables, create_table=True)
    yield opened
    close_view(opened)
    infrastructure.close()


# --- random leads ---------------------------------------------------------------------

TEXTS = ["a", "A", "ab", "Ab", "b", "ba", "é", "É", "x_%", "%", "_", "z\\", "李雷"]
TEXT_FIELDS = ["name", "city", "status", "stage", "source_level1", "owner_id"]
CUSTOM_KEYS = ["k1", "k2"]
CUSTOM_VALUES: list[Any] = ["5", "5.0", "2.5", "-1", "1e2", "abc", "ABC", "", " 7 ", 3, 2.5, True]
PROPERTY_VALUES: list[Any] = ["x", "X", "xy", "10", "", 10, 2.5, -3, True, False, None]
KINDS = ["page", "track", "click"]
NAMES = ["", "signup", "view"]
CHANNELS = ["web", "email"]
TAGS = ["t1", "t2", "t3"]
STATES = ["granted", "withdrawn"]


@dataclass
class Lead:
    lead_id: str
    live: bool
    fields: dict[str, Any]
    custom: dict[str, Any]
    tags: frozenset[str]
    consent: dict[str, str]
    behaviours: list[tuple[str, str, str, datetime, dict[str, Any] | None]]


def moments() -> st.SearchStrategy[datetime]:
    return st.integers(min_value=-60 * 24 * 60, max_value=60).map(
        lambda minutes: NOW + timedelta(minutes=minutes, microseconds=minutes * 7 % 1000)
    )


@st.composite
def leads(draw: st.DrawFn) -> Lead:
    fields: dict[str, Any] = {
        name: draw(st.sampled_from([None, "", *TEXTS])) for name in TEXT_FIELDS
    }
    for name in ("score", "behaviour_score", "profile_score"):
        fields[name] = draw(st.integers(min_value=-5, max_value=30))
    fields["created_at"] = iso_text(draw(moments()))
    seen = draw(st.none() | moments())
    fields["last_seen_at"] = None if seen is None else iso_text(seen)
    custom = {
        key: value
        for key in CUSTOM_KEYS
        if (value := draw(st.sampled_from([None, *CUSTOM_VALUES]))) is not None
    }
    behaviours = draw(
        st.lists(
            st.tuples(
                st.sampled_from(KINDS),
                st.sampled_from(NAMES),
                st.sampled_from(CHANNELS),
                moments(),
                st.none()
                | st.dictionaries(
                    st.sampled_from(["p1", "p2"]), st.sampled_from(PROPERTY_VALUES), max_size=2
                ),
            ),
            max_size=4,
        )
    )
    return Lead(
        lead_id=str(uuid4()),
        live=draw(st.integers(0, 9)) > 0,
        fields=fields,
        custom=custom,
        tags=frozenset(draw(st.sets(st.sampled_from(TAGS)))),
        consent={
            channel: state
            for channel in ("email", "sms")
            if (state := draw(st.sampled_from([None, *STATES]))) is not None
        },
        behaviours=behaviours,
    )


def store(view: View, tenant_id: UUID, people: list[Lead]) -> None:
    tenant = str(tenant_id)
    statements: list[tuple[str, list[Any]]] = []
    for lead in people:
        columns = ["tenant_id", "lead_id", "live", *lead.fields]
        values = [tenant, lead.lead_id, int(lead.live), *lead.fields.values()]
        statements.append(
            (
                f"INSERT INTO {PREFIX}_leads ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})",
                values,
            )
        )
        for key, value in lead.custom.items():
            text, number = custom_field_columns(value)
            statements.append(
                (
                    f"INSERT INTO {PREFIX}_fields (tenant_id, lead_id, key, text_value, "
                    "number_value) VALUES (?, ?, ?, ?, ?)",
                    [tenant, lead.lead_id, key, text, number],
                )
            )
        for tag in lead.tags:
            statements.append(
                (
                    f"INSERT INTO {PREFIX}_tags (tenant_id, lead_id, tag) VALUES (?, ?, ?)",
                    [tenant, lead.lead_id, tag],
                )
            )
        for channel, state in lead.consent.items():
            statements.append(
                (
                    f"INSERT INTO {PREFIX}_consent (tenant_id, lead_id, channel, state) "
                    "VALUES (?, ?, ?, ?)",
                    [tenant, lead.lead_id, channel, state],
                )
            )
        for kind, name, channel, at, properties in lead.behaviours:
            statements.append(
                (
                    f"INSERT INTO {PREFIX}_behaviours (tenant_id, position, at, lead_id, "
                    "linked_by, kind, name, channel, properties) "
                    "VALUES (?, ?, ?, ?, 'lead', ?, ?, ?, ?)",
                    [
                        tenant,
                        next(_positions),
                        iso_text(at),
                        lead.lead_id,
                        kind,
                        name,
                        channel,
                        None if properties is None else json.dumps(properties),
                    ],
                )
            )
    view.write(
        Tracking(application_name="filtertest", notification_id=next(_positions)), statements
    )


def facts_of(view: View, tenant_id: UUID, lead_id: str) -> LeadFacts:
    """The facts from the stored rows, as `ProfileQueries.facts_of` builds them."""
    where, params = "tenant_id = ? AND lead_id = ?", (str(tenant_id), lead_id)
    row = view.rows(f"SELECT * FROM {PREFIX}_leads WHERE {where}", params)[0]
    fields: dict[str, Any] = {
        key: value for key, value in row.items() if key not in ("tenant_id", "lead_id", "live")
    }
    for found in view.rows(f"SELECT key, text_value FROM {PREFIX}_fields WHERE {where}", params):
        fields[f"custom.{found['key']}"] = found["text_value"]
    tags = frozenset(
        r["tag"] for r in view.rows(f"SELECT tag FROM {PREFIX}_tags WHERE {where}", params)
    )
    consent = {
        r["channel"]: r["state"]
        for r in view.rows(f"SELECT channel, state FROM {PREFIX}_consent WHERE {where}", params)
    }
    behaviours = [
        BehaviourFact(
            kind=r["kind"],
            name=r["name"],
            channel=r["channel"],
            at=datetime.strptime(r["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC),
            properties=json.loads(r["properties"]) if r["properties"] else {},
        )
        for r in view.rows(
            f"SELECT kind, name, channel, at, properties FROM {PREFIX}_behaviours WHERE {where}",
            params,
        )
    ]
    return LeadFacts(fields=fields, tags=tags, consent=consent, behaviours=behaviours)


# --- random filters ---------------------------------------------------------------------

texts = st.sampled_from(TEXTS)
numbers = st.integers(min_value=-5, max_value=30) | st.sampled_from([2.5, 5.0, 100.0, -1.0])
days = st.integers(min_value=1, max_value=70)


def ranges(bound: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    def shape(pair: tuple[Any, Any], which: int) -> dict[str, Any]:
        low, high = sorted(pair)
        return [{"from": low, "to": high}, {"from": low}, {"to": high}][which]

    return st.builds(shape, st.tuples(bound, bound), st.integers(0, 2))


def condition(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


text_conditions = (
    st.builds(
        condition,
        st.sampled_from(TEXT_FIELDS),
        st.sampled_from(["equals", "not_equals", "contains", "prefix"]),
        texts,
    )
    | st.builds(
        condition,
        st.sampled_from(TEXT_FIELDS),
        st.just("in"),
        st.lists(texts, min_size=1, max_size=3),
    )
    | st.builds(condition, st.sampled_from(TEXT_FIELDS), st.just("empty"), st.booleans())
)
number_fields = st.sampled_from(["score", "behaviour_score", "profile_score"])
number_conditions = (
    st.builds(condition, number_fields, st.sampled_from(["equals", "not_equals"]), numbers)
    | st.builds(condition, number_fields, st.just("in"), st.lists(numbers, min_size=1, max_size=3))
    | st.builds(condition, number_fields, st.just("range"), ranges(numbers))
)
instants = st.integers(min_value=-70 * 24, max_value=2).map(
    lambda hours: iso_text(NOW + timedelta(hours=hours))
)
time_fields = st.sampled_from(["created_at", "last_seen_at"])
time_conditions = (
    st.builds(condition, time_fields, st.just("within_days"), days)
    | st.builds(condition, time_fields, st.just("range"), ranges(instants))
    | st.builds(condition, time_fields, st.just("empty"), st.booleans())
)
custom_fields = st.sampled_from(["custom.k1", "custom.k2", "custom.k3"])
custom_texts = st.sampled_from(["5", "5.0", "2.5", "abc", "AB", "a", "7", "-1"])
custom_conditions = (
    st.builds(
        condition,
        custom_fields,
        st.sampled_from(["equals", "not_equals"]),
        custom_texts | numbers,
    )
    | st.builds(condition, custom_fields, st.sampled_from(["contains", "prefix"]), custom_texts)
    | st.builds(
        condition,
        custom_fields,
        st.just("in"),
        st.lists(custom_texts | numbers, min_size=1, max_size=3),
    )
    | st.builds(condition, custom_fields, st.just("range"), ranges(numbers) | ranges(custom_texts))
    | st.builds(condition, custom_fields, st.just("empty"), st.booleans())
)
tag_conditions = (
    st.builds(condition, st.just("tags"), st.just("equals"), st.sampled_from(TAGS))
    | st.builds(
        condition,
        st.just("tags"),
        st.sampled_from(["in", "all"]),
        st.lists(st.sampled_from(TAGS), min_size=1, max_size=2),
    )
    | st.builds(condition, st.just("tags"), st.just("empty"), st.booleans())
)
consent_values = st.sampled_from(["granted", "withdrawn", "unknown", "subscribed", "suppressed"])
consent_conditions = st.builds(
    condition,
    st.sampled_from(["consent.email", "consent.sms", "consent.wechat"]),
    st.sampled_from(["equals", "not_equals"]),
    consent_values,
) | st.builds(
    condition,
    st.sampled_from(["consent.email", "consent.sms"]),
    st.just("in"),
    st.lists(consent_values, min_size=1, max_size=2),
)
property_values = st.sampled_from(["x", "X", "10", "xy"]) | st.sampled_from([10, 2.5, -3, True])
properties = (
    st.builds(
        lambda name, op, value: {"property": name, "op": op, "value": value},
        st.sampled_from(["p1", "p2"]),
        st.just("equals"),
        property_values,
    )
    | st.builds(
        lambda name, op, value: {"property": name, "op": op, "value": value},
        st.sampled_from(["p1", "p2"]),
        st.sampled_from(["contains", "prefix"]),
        st.sampled_from(["x", "X", "1"]),
    )
    | st.builds(
        lambda name, value: {"property": name, "op": "in", "value": value},
        st.sampled_from(["p1", "p2"]),
        st.lists(st.sampled_from(["x", "10"]) | st.sampled_from([10, 2.5]), min_size=1, max_size=2),
    )
    | st.builds(
        lambda name, value: {"property": name, "op": "range", "value": value},
        st.sampled_from(["p1", "p2"]),
        ranges(st.integers(-5, 12)) | ranges(st.sampled_from(["a", "x", "y", "1"])),
    )
    | st.builds(
        lambda name, value: {"property": name, "op": "empty", "value": value},
        st.sampled_from(["p1", "p2"]),
        st.booleans(),
    )
)


@st.composite
def behaviour_conditions(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"kind": draw(st.sampled_from(["*", *KINDS]))}
    if draw(st.booleans()):
        spec["name"] = draw(st.sampled_from(["signup", "view"]))
    if draw(st.integers(0, 3)) == 0:
        spec["channel"] = draw(st.sampled_from(CHANNELS))
    where = draw(st.lists(properties, max_size=2))
    if where:
        spec["where"] = where
    least = draw(st.integers(1, 3))
    if least > 1:
        spec["at_least"] = least
    window = draw(st.integers(0, 2))
    if window == 1:
        spec["within_days"] = draw(days)
    elif window == 2:
        spec["since"] = draw(instants)
    return {"behaviour": spec, "did": draw(st.booleans())}


leaves = (
    text_conditions
    | number_conditions
    | time_conditions
    | custom_conditions
    | tag_conditions
    | consent_conditions
    | behaviour_conditions()
)


def trees(depth: int = 1) -> st.SearchStrategy[dict[str, Any]]:
    if depth >= 4:
        return leaves
    below = st.deferred(lambda: trees(depth + 1))
    return st.one_of(
        leaves,
        st.lists(below, max_size=3).map(lambda nodes: {"all": nodes}),
        st.lists(below, max_size=3).map(lambda nodes: {"any": nodes}),
        below.map(lambda node: {"not": node}),
    )


# --- the property -----------------------------------------------------------------------


def selected(view: View, filter: Filter, tenant_id: UUID) -> set[str]:
    where, params = compile_filter(
        filter, tenant_id=tenant_id, now=NOW, dialect=view.dialect, prefix=PREFIX
    )
    return {
        r["lead_id"]
        for r in view.rows(f"SELECT l.lead_id FROM {PREFIX}_leads l WHERE {where}", params)
    }


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    people=st.lists(leads(), min_size=20, max_size=40),
    filters=st.lists(trees(), min_size=6, max_size=6),
)
def test_sql_selects_the_leads_the_filter_matches_in_memory(
    view: View, people: list[Lead], filters: list[dict[str, Any]]
) -> None:
    tenant_id = uuid4()
    store(view, tenant_id, people)
    facts = {lead.lead_id: facts_of(view, tenant_id, lead.lead_id) for lead in people if lead.live}
    for tree in filters:
        filter = Filter.parse(tree)
        in_memory = {lead_id for lead_id, fact in facts.items() if filter.matches(fact, now=NOW)}
        assert selected(view, filter, tenant_id) == in_memory, tree
        event("none" if not in_memory else "all" if len(in_memory) == len(facts) else "some")


def test_other_tenants_and_removed_leads_are_never_selected(view: View) -> None:
    mine, other = uuid4(), uuid4()
    base = {"created_at": iso_text(NOW)}
    store(
        view,
        mine,
        [
            Lead("m1", True, base, {}, frozenset(), {}, []),
            Lead("m2", False, base, {}, frozenset(), {}, []),
        ],
    )
    store(view, other, [Lead("o1", True, base, {}, frozenset(), {}, [])])
    assert selected(view, Filter.everyone(), mine) == {"m1"}


def test_injection_attempts_in_values_are_inert(view: View) -> None:
    tenant_id = uuid4()
    hostile = "x'); DROP TABLE filtertest_leads; --"
    lead = Lead(
        "l1",
        True,
        {"name": hostile, "created_at": iso_text(NOW)},
        {"k1": hostile},
        frozenset({hostile}),
        {},
        [("track", hostile, "web", NOW, {"p1": hostile})],
    )
    store(view, tenant_id, [lead])
    for tree in (
        condition("name", "equals", hostile),
        condition("name", "contains", "'); drop"),
        condition("custom.k1", "prefix", "x'"),
        condition("tags", "equals", hostile),
        {
            "behaviour": {
                "kind": "track",
                "name": hostile,
                "where": [{"property": "p1", "op": "contains", "value": "%' OR '1'='1"}],
            },
            "did": False,
        },
    ):
        filter = Filter.parse(tree)
        sql, _ = compile_filter(filter, tenant_id=tenant_id, now=NOW, dialect=view.dialect)
        assert "DROP" not in sql and "drop" not in sql and "'1'" not in sql
        expected = {"l1"} if filter.matches(facts_of(view, tenant_id, "l1"), now=NOW) else set()
        assert selected(view, filter, tenant_id) == expected
    assert (
        view.rows(
            f"SELECT COUNT(*) AS n FROM {PREFIX}_leads WHERE tenant_id = ?", [str(tenant_id)]
        )[0]["n"]
        == 1
    )


# --- index plans on PostgreSQL ----------------------------------------------------------

PLAN_PREFIX = "filterplan"
PLAN_LEADS = 30_000


class PlanTables(ReadModel):
    name = "filter_plan"
    follows: ClassVar[tuple[str, ...]] = ()
    tables = profile_tables(PLAN_PREFIX)
    indexes = profile_indexes(PLAN_PREFIX)


@pytest.fixture(scope="module")
def planned(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[View, UUID]]:
    """PostgreSQL tables holding 100,000 leads of one tenant (and a few of another), with
    tags, custom fields and 200,000 behaviours spread over a year, analysed."""
    storage = Storage(
        var_dir=tmp_path_factory.mktemp("plans"),
        cipher_key=TEST_CIPHER_KEY,
        database_url=postgres_url,
    )
    infrastructure = ProcessInfrastructure(storage, {})
    opened = infrastructure.open_view(PlanTables, create_table=True)
    tenant_id = uuid4()
    p, n = PLAN_PREFIX, PLAN_LEADS
    # lead i of the tenant (every 50th another's); its day: i days before NOW, modulo a year
    tenant = f"CASE WHEN i % 50 = 0 THEN 'other' ELSE '{tenant_id}' END"
    day = (
        f"to_char(TIMESTAMP '{NOW.replace(tzinfo=None).isoformat()}' "
        "- make_interval(days => i % 365), "
        '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')'
    )
    statements: list[tuple[str, list[Any]]] = [
        (
            f"INSERT INTO {p}_leads (tenant_id, lead_id, live, status, stage, owner_id, score, "
            f"created_at) SELECT {tenant}, 'lead-' || i, CASE WHEN i % 20 = 0 THEN 0 ELSE 1 END, "
            "'status-' || (i % 100), 'stage-' || (i % 16), 'owner-' || (i % 500), i % 101, "
            f"{day} FROM generate_series(1, {n}) AS i",
            [],
        ),
        (
            f"INSERT INTO {p}_tags (tenant_id, lead_id, tag) "
            f"SELECT {tenant}, 'lead-' || i, 'tag-' || (i % 300) FROM generate_series(1, {n}) AS i",
            [],
        ),
        (
            f"INSERT INTO {p}_fields (tenant_id, lead_id, key, text_value) SELECT {tenant}, "
            f"'lead-' || i, 'k' || (i % 4), 'v' || (i % 400) FROM generate_series(1, {n}) AS i",
            [],
        ),
        (  # two behaviours a lead: position j, lead i
            f"INSERT INTO {p}_behaviours (tenant_id, position, at, lead_id, linked_by, kind, "
            f"name, channel) SELECT {tenant}, j, {day.replace('i % 365', '(j * 7) % 365')}, "
            "'lead-' || i, 'lead', (ARRAY['page', 'track', 'click', 'open'])[1 + j % 4], "
            f"'n' || (j % 10), 'web' FROM generate_series(1, {2 * n}) AS j, "
            f"LATERAL (SELECT 1 + j % {n} AS i) AS lead",
            [],
        ),
    ]
    opened.write(Tracking(application_name="filterplan", notification_id=1), statements)
    for table in ("leads", "tags", "fields", "behaviours"):
        opened.write(
            Tracking(application_name="filterplan", notification_id=next(_positions) + 1),
            [(f"ANALYZE {p}_{table}", [])],
        )
    yield opened, tenant_id
    close_view(opened)
    infrastructure.close()


def plan_of(view: View, tenant_id: UUID, tree: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The index names the plan uses and the tables it reads by sequential scan."""
    where, params = compile_filter(
        Filter.parse(tree), tenant_id=tenant_id, now=NOW, dialect="postgres", prefix=PLAN_PREFIX
    )
    rows = view.rows(
        f"EXPLAIN (FORMAT JSON) SELECT l.lead_id FROM {PLAN_PREFIX}_leads l WHERE {where}", params
    )
    plan = next(iter(rows[0].values()))
    plan = json.loads(plan) if isinstance(plan, str) else plan
    indexes: set[str] = set()
    scanned: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if "Index Name" in node:
            indexes.add(node["Index Name"])
        if node.get("Node Type") == "Seq Scan":
            scanned.add(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return indexes, scanned


STATUS = {"field": "status", "op": "equals", "value": "status-7"}


# Real statistics, no planner switches: with 100,000 analysed leads a sequential scan is
# not the cheaper plan for these selective shapes, so the assertion shows the plan the
# application gets (enable_seqscan stays on).
@pytest.mark.parametrize(
    ("tree", "index"),
    [
        (
            cond_ := {"field": "status", "op": "equals", "value": "status-7"},
            "filterplan_leads_status",
        ),
        ({"field": "tags", "op": "equals", "value": "tag-42"}, "filterplan_tags_tag"),
        ({"field": "custom.k1", "op": "equals", "value": "v41"}, "filterplan_fields_text"),
        (
            {"behaviour": {"kind": "track", "within_days": 2}, "did": True},
            "filterplan_behaviours_kind_at",
        ),
        (
            {"all": [cond_, {"field": "score", "op": "range", "value": {"from": 95}}]},
            "filterplan_leads_status",
        ),
    ],
)
def test_common_shapes_use_an_index_on_postgresql(
    planned: tuple[View, UUID], tree: dict[str, Any], index: str
) -> None:
    view, tenant_id = planned
    indexes, scanned = plan_of(view, tenant_id, tree)
    assert index in indexes, (indexes, scanned)
    assert not scanned, scanned
