"""The segments' lead profiles (SEG-1…3): what filters read of each lead, kept from the
leads' events, the behaviour log (stitched to leads as the timeline is) and the scoring
context's events, on both stores; one lead's in-memory facts come from the same rows.

Each test reads a private copy of the read model (its own table prefix and view), fed
from the running huoke's upstreams, so it can also replay them in another order and be
given a scoring event of its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking

from adapters.persistence.infrastructure import close_view
from adapters.persistence.runners import catch_up, rebuild
from application.leads.commands import ChangeConsent, CreateLead, UpdateLead
from application.leads.scope import LeadScope
from application.leads.settings import DefineCustomField
from application.scoring.commands import AdjustScore
from application.segments.profile_tables import profile_indexes, profile_tables
from application.segments.profiles import ProfileQueries, SegmentProfiles
from application.shared.behaviours import Behaviour
from application.shared.context import RequestContext, acting
from application.shared.tenant_rows import RecordTenants
from application.shared.views import View, iso
from entrypoints.container import Runtime
from tests.settling import settle

EARLY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def profiles_model(prefix: str) -> type[SegmentProfiles]:
    """SegmentProfiles under other table names (a copy next to the real one)."""
    tenants = RecordTenants(f"{prefix}_record_tenants")
    return type(
        "TestProfiles",
        (SegmentProfiles,),
        {
            "name": prefix,
            "prefix": prefix,
            "tenants": tenants,
            "tables": {**profile_tables(prefix), **tenants.definition},
            "indexes": profile_indexes(prefix),
            "platform_wide": {
                tenants.table: "whose record an id is",
                f"{prefix}_leads_changed": "the change feed, across tenants",
            },
        },
    )


@dataclass
class Profiles:
    """A private copy of the read model kept up to date on demand."""

    runtime: Runtime
    model: SegmentProfiles
    view: View
    prefix: str

    @property
    def upstreams(self) -> list[Any]:
        known = set(self.runtime.upstream_names)
        return [self.runtime.container.providers[n]() for n in self.model.follows if n in known]

    def sync(self) -> ProfileQueries:
        settle(self.runtime)
        for upstream in self.upstreams:
            while catch_up(self.model, self.view, upstream):
                pass
        return ProfileQueries(self.view, prefix=self.prefix)

    def lead_row(self, tenant_id: UUID, lead_id: UUID) -> dict[str, Any]:
        (row,) = self.view.rows(
            f"SELECT * FROM {self.prefix}_leads WHERE tenant_id = ? AND lead_id = ?",
            (str(tenant_id), str(lead_id)),
        )
        return row


@pytest.fixture(scope="session")
def profiles(runtime: Runtime) -> Iterator[Profiles]:
    prefix = "test_segments"
    model = profiles_model(prefix)
    view = runtime.container.infrastructure().open_view(model, create_table=True)
    view.reset()
    try:
        yield Profiles(runtime, model(view=view), view, prefix)
    finally:
        close_view(view)


@pytest.fixture
def system(runtime: Runtime) -> Iterator[Runtime]:
    with acting(RequestContext(request_id="test-segment-profiles")):
        yield runtime


def seen(tenant_id: UUID, kind: str, minute: int, **fields: Any) -> Behaviour:
    return Behaviour(
        tenant_id=tenant_id,
        kind=kind,
        channel=fields.pop("channel", "web"),
        occurred_at=EARLY + timedelta(minutes=minute),
        received_at=datetime.now(UTC),
        message_id=fields.pop("message_id", str(uuid4())),
        source_id="test",
        **fields,
    )


def take(runtime: Runtime, *rows: Behaviour) -> None:
    runtime.container.ingestion().take(list(rows))
    settle(runtime)


def define_fields(runtime: Runtime, tenant_id: UUID) -> None:
    settings = runtime.container.lead_settings()
    settings.define_field(tenant_id, DefineCustomField(key="budget", name="预算", type="number"))
    for key in ("grade", "code"):
        settings.define_field(tenant_id, DefineCustomField(key=key, name=key, type="text"))


def test_a_lead_s_fields_tags_consent_and_deletion(system: Runtime, profiles: Profiles) -> None:
    tenant_id = uuid4()
    company = LeadScope.whole_company(tenant_id)
    define_fields(system, tenant_id)
    leads = system.container.leads()
    lead = leads.create_lead(
        company,
        CreateLead(
            mobile="13800138000",
            email="wang@acme.cn",
            name="王芳",
            company="Acme",
            city="上海",
            custom={"budget": 5000, "grade": "A"},
            source={"level1": "线上", "level2": "官网"},
        ),
    ).lead
    facts = profiles.sync().facts_of(tenant_id, lead.id)
    assert facts is not None
    assert facts.fields["name"] == "王芳" and facts.fields["city"] == "上海"
    assert facts.fields["mobile"] == "+8613800138000" and facts.fields["email"] == "wang@acme.cn"
    assert (facts.fields["source_level1"], facts.fields["source_level2"]) == ("线上", "官网")
    assert facts.fields["custom.budget"] == "5000" and facts.fields["custom.grade"] == "A"
    assert facts.fields["score"] == 0 and facts.fields["stage"] is None
    assert facts.fields["last_seen_at"] is None
    assert facts.tags == frozenset() and facts.consent == {} and list(facts.behaviours) == []

    version = leads.lead(company, lead.id).version
    leads.update_lead(
        company,
        lead.id,
        UpdateLead(title="CTO", custom={"budget": None, "code": "00123", "grade": "B"}),
        expected_version=version,
    )
    leads.tag(company, lead.id, ["vip", "展会"], add=True)
    leads.tag(company, lead.id, ["vip"], add=False)
    leads.change_consent(
        company, lead.id, ChangeConsent(channel="email", state="unsubscribed", source="link")
    )
    queries = profiles.sync()
    facts = queries.facts_of(tenant_id, lead.id)
    assert facts is not None
    assert facts.fields["title"] == "CTO"
    assert "custom.budget" not in facts.fields  # cleared
    assert facts.fields["custom.code"] == "00123" and facts.fields["custom.grade"] == "B"
    assert facts.tags == frozenset({"展会"})
    assert facts.consent == {"email": "unsubscribed"}
    numbers = profiles.view.rows(
        f"SELECT key, text_value, number_value FROM {profiles.prefix}_fields "
        "WHERE tenant_id = ? AND lead_id = ? ORDER BY key",
        (str(tenant_id), str(lead.id)),
    )
    assert [(r["key"], r["text_value"], r["number_value"]) for r in numbers] == [
        ("code", "00123", 123.0),  # numeric text is a number too
        ("grade", "B", None),
    ]

    leads.delete(company, lead.id, "test")
    queries = profiles.sync()
    assert queries.facts_of(tenant_id, lead.id) is None
    assert profiles.lead_row(tenant_id, lead.id)["live"] == 0


def test_behaviours_join_the_lead_before_and_after_it_is_identified(
    system: Runtime, profiles: Profiles
) -> None:
    tenant_id = uuid4()
    company = LeadScope.whole_company(tenant_id)
    known = (
        system.container.leads()
        .create_lead(company, CreateLead(email="li.lei@acme.cn", name="李雷"))
        .lead.id
    )
    take(
        system,
        seen(tenant_id, "page", 0, name="价格", anonymous_id="p-1",
             properties={"url": "https://acme.cn/pricing?email=li.lei@acme.cn&utm_source=baidu",
                         "title": "价格", "dwell_ms": 4000}),
        seen(tenant_id, "identify", 1, anonymous_id="p-1",
             properties={"email": "li.lei@acme.cn", "plan": "pro"}),
    )  # fmt: skip
    take(
        system,
        seen(tenant_id, "track", 5, name="下载白皮书", anonymous_id="p-1",
             properties={"format": "pdf", "phone": "13800138000", "pages": 12,
                         "nested": {"a": 1}, "trial": True}),
    )  # fmt: skip
    facts = profiles.sync().facts_of(tenant_id, known)
    assert facts is not None
    assert [(b.kind, b.name) for b in facts.behaviours] == [
        ("page", "价格"),
        ("identify", ""),
        ("track", "下载白皮书"),
    ]
    page, identify, track = facts.behaviours
    assert page.at == EARLY and page.channel == "web"
    assert page.properties == {
        "url": "https://acme.cn/pricing",  # the query (here an e-mail) is left out
        "utm_source": "baidu",
        "title": "价格",
        "dwell_ms": 4000,
    }
    assert identify.properties == {}  # traits are personal
    assert track.properties == {"format": "pdf", "pages": 12, "trial": True}
    assert facts.fields["last_seen_at"] == iso(EARLY + timedelta(minutes=5))
    stored = json.dumps([b.properties for b in facts.behaviours], ensure_ascii=False)
    assert "li.lei" not in stored and "138" not in stored


def test_a_merge_moves_tags_fields_and_behaviours_to_the_survivor(
    system: Runtime, profiles: Profiles
) -> None:
    tenant_id = uuid4()
    company = LeadScope.whole_company(tenant_id)
    define_fields(system, tenant_id)
    leads = system.container.leads()
    survivor = leads.create_lead(
        company, CreateLead(mobile="13900139000", name="韩梅梅", custom={"grade": "A"})
    ).lead.id
    merged = leads.create_lead(
        company,
        CreateLead(email="han@acme.cn", company="Acme", custom={"budget": "12.5"}),
    ).lead.id
    leads.tag(company, survivor, ["老客户"], add=True)
    leads.tag(company, merged, ["展会"], add=True)
    take(
        system,
        seen(tenant_id, "click", 30, channel="email", lead_id=merged,
             properties={"url": "https://acme.cn/offer"}),
        seen(tenant_id, "open", 10, channel="email", lead_id=survivor),
    )  # fmt: skip
    queries = profiles.sync()
    before = queries.facts_of(tenant_id, survivor)
    assert before is not None and before.fields["last_seen_at"] == iso(
        EARLY + timedelta(minutes=10)
    )

    leads.merge(company, survivor, merged, {})
    take(system, seen(tenant_id, "page", 40, lead_id=merged))  # after: the survivor's
    queries = profiles.sync()
    assert queries.facts_of(tenant_id, merged) is None
    facts = queries.facts_of(tenant_id, survivor)
    assert facts is not None
    assert facts.tags == frozenset({"老客户", "展会"})
    assert facts.fields["custom.grade"] == "A" and facts.fields["custom.budget"] == "12.5"
    assert facts.fields["company"] == "Acme" and facts.fields["email"] == "han@acme.cn"
    assert sorted(b.kind for b in facts.behaviours) == ["click", "open", "page"]
    assert facts.fields["last_seen_at"] == iso(EARLY + timedelta(minutes=40))
    assert profiles.lead_row(tenant_id, merged)["live"] == 0


class ScoreProbe(Aggregate):
    """A stand-in of the scoring context's lead score: an event of topic
    `scoring.LeadScore.*` carrying the lead's scores after a change."""

    TOPIC = "tests.segments.ScoreProbe"
    Created = None  # type: ignore[assignment]

    @event("Started", topic="tests.segments.ScoreProbe.Started")
    def __init__(self) -> None:
        pass

    class Scored(Aggregate.Event):
        TOPIC = "scoring.LeadScore.ProbeScored"
        tenant_id: UUID
        lead_id: UUID
        behaviour_score: int
        profile_score: int
        score: int
        behaviour_band: str
        profile_band: str
        stage: str
        temperature: str


def scored(tenant_id: UUID, lead_id: UUID, score: int, stage: str) -> Any:
    return ScoreProbe.Scored(  # type: ignore[call-arg]
        originator_id=uuid4(),
        originator_version=2,
        timestamp=datetime.now(UTC),
        tenant_id=tenant_id,
        lead_id=lead_id,
        behaviour_score=score - 10,
        profile_score=10,
        score=score,
        behaviour_band="B",
        profile_band="1",
        stage=stage,
        temperature="warm",
    )


def test_scores_are_copied_from_the_scoring_context_s_events_whenever_they_come(
    system: Runtime, profiles: Profiles
) -> None:
    tenant_id = uuid4()
    company = LeadScope.whole_company(tenant_id)
    lead_id = (
        system.container.leads().create_lead(company, CreateLead(mobile="13700137000")).lead.id
    )
    probe = f"probe-{uuid4().hex[:8]}"
    profiles.sync()
    profiles.model.process_event(scored(tenant_id, lead_id, 60, "培育中"), Tracking(probe, 1))
    facts = profiles.sync().facts_of(tenant_id, lead_id)
    assert facts is not None
    assert (facts.fields["score"], facts.fields["behaviour_score"]) == (60, 50)
    assert facts.fields["profile_score"] == 10
    assert (facts.fields["behaviour_band"], facts.fields["profile_band"]) == ("B", "1")
    assert (facts.fields["stage"], facts.fields["temperature"]) == ("培育中", "warm")

    # Scores that come before the profile has seen the lead wait for its registration.
    model = profiles_model("test_seg_scores")
    view = system.container.infrastructure().open_view(model, create_table=True)
    try:
        follower = model(view=view)
        follower.process_event(scored(tenant_id, lead_id, 40, "孵化中"), Tracking(probe, 1))
        queries = ProfileQueries(view, prefix="test_seg_scores")
        assert queries.facts_of(tenant_id, lead_id) is None  # no lead yet
        rebuild_from = [system.container.providers["leads"]()]
        for upstream in rebuild_from:
            while catch_up(follower, view, upstream):
                pass
        facts = queries.facts_of(tenant_id, lead_id)
        assert facts is not None
        assert (facts.fields["score"], facts.fields["stage"]) == (40, "孵化中")
        assert facts.fields["mobile"] == "+8613700137000"
    finally:
        view.reset()
        close_view(view)


def test_changed_after_answers_each_changed_lead_once_in_change_order(
    system: Runtime, profiles: Profiles
) -> None:
    tenant_id = uuid4()
    company = LeadScope.whole_company(tenant_id)
    leads = system.container.leads()
    queries = profiles.sync()
    start = max([c.position for c in queries.changed_after(0, limit=100_000)], default=0)
    first = leads.create_lead(company, CreateLead(mobile="13600136000")).lead.id
    second = leads.create_lead(company, CreateLead(mobile="13600136001")).lead.id
    leads.tag(company, first, ["a"], add=True)
    changes = [c for c in profiles.sync().changed_after(start) if c.tenant_id == str(tenant_id)]
    assert [c.lead_id for c in changes] == [str(second), str(first)]
    assert changes[0].position < changes[1].position
    take(system, seen(tenant_id, "open", 1, channel="email", lead_id=second))
    later = profiles.sync().changed_after(changes[1].position)
    assert [c.lead_id for c in later if c.tenant_id == str(tenant_id)] == [str(second)]


def test_the_profiles_end_the_same_whichever_upstream_comes_first(
    system: Runtime, profiles: Profiles
) -> None:
    tenant_id = uuid4()
    company = LeadScope.whole_company(tenant_id)
    leads = system.container.leads()
    take(
        system,
        seen(tenant_id, "page", 0, anonymous_id="o-1"),
        seen(tenant_id, "identify", 1, anonymous_id="o-1", properties={"email": "o@acme.cn"}),
        seen(tenant_id, "page", 2, anonymous_id="o-2", user_id="M-o"),
        seen(tenant_id, "identify", 3, anonymous_id="o-3", properties={"mobile": "13500135000"}),
    )
    first, second, third = [
        UUID(r["lead_id"])
        for r in profiles.sync().view.rows(
            f"SELECT lead_id FROM {profiles.prefix}_leads WHERE tenant_id = ? ORDER BY created_at",
            (str(tenant_id),),
        )
    ]
    leads.tag(company, second, ["x"], add=True)
    leads.merge(company, first, second, {})
    take(system, seen(tenant_id, "page", 5, anonymous_id="o-2"))

    def replayed(prefix: str, order: tuple[str, ...]) -> list[tuple[Any, ...]]:
        model = profiles_model(prefix)
        view = system.container.infrastructure().open_view(model, create_table=True)
        try:
            known = set(system.upstream_names)
            upstreams = [system.container.providers[n]() for n in order if n in known]
            rebuild(model(view=view), view, upstreams)
            found: list[tuple[Any, ...]] = []
            for table, columns in (
                ("leads", "lead_id, live, mobile, email, last_seen_at"),
                ("tags", "lead_id, tag"),
                ("behaviours", "position, lead_id, kind"),
            ):
                found += [
                    (table, *row.values())
                    for row in view.rows(
                        f"SELECT {columns} FROM {prefix}_{table} WHERE tenant_id = ? "
                        f"ORDER BY {columns}",
                        (str(tenant_id),),
                    )
                ]
            return found
        finally:
            view.reset()
            close_view(view)

    follows = SegmentProfiles.follows
    behaviours_first = replayed("test_seg_order_a", tuple(reversed(follows)))
    leads_first = replayed("test_seg_order_b", follows)
    assert behaviours_first == leads_first
    lead_rows = [row for row in leads_first if row[0] == "leads"]
    assert [(row[1], row[2]) for row in lead_rows] == sorted(
        [(str(first), 1), (str(second), 0), (str(third), 1)]
    )
    assert {row[2] for row in leads_first if row[0] == "behaviours"} <= {str(first), str(third)}
    assert (
        "tags",
        str(first),
        "x",
    ) in leads_first


def test_a_manual_score_adjustment_of_the_scoring_context_reaches_the_profile(
    system: Runtime, profiles: Profiles
) -> None:
    if "scoring" not in system.upstream_names:
        pytest.skip("the scoring context is not wired")
    tenant_id = uuid4()
    company = LeadScope.whole_company(tenant_id)
    lead_id = (
        system.container.leads().create_lead(company, CreateLead(mobile="13300133000")).lead.id
    )
    system.container.scoring().adjust(tenant_id, lead_id, AdjustScore(points=60, reason="展会"))
    facts = profiles.sync().facts_of(tenant_id, lead_id)
    assert facts is not None
    assert (facts.fields["score"], facts.fields["behaviour_score"]) == (60, 60)
    assert facts.fields["profile_score"] == 0
    assert facts.fields["behaviour_band"] and facts.fields["profile_band"]
    assert facts.fields["stage"] and facts.fields["temperature"]
