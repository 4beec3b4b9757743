"""Scoring over the running system on both backends (SCORE-1…5): behaviour rules score
as behaviours arrive (and a visitor's earlier behaviours once identified), attribute
rules as leads change, expiry on a controllable clock, the matrix, funnel, recent
conversions and a lead's history; a replay scores nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic

from adapters.persistence.infrastructure import close_view
from adapters.persistence.runners import rebuild
from application.leads.commands import CreateLead, UpdateLead
from application.leads.scope import LeadScope
from application.scoring.commands import AddRule, AdjustScore, ChangeSettings
from application.scoring.keeping import COLUMNS as KEEPING_COLUMNS
from application.scoring.keeping import PREFIX as KEEPING
from application.scoring.keeping import ScoreKeeping
from application.scoring.restating import ScoreExpiry
from application.shared.behaviours import BEHAVIOURS, Behaviour
from application.shared.context import RequestContext, acting
from application.shared.lead_behaviours import stitched_indexes, stitched_tables
from application.shared.tenant_rows import RecordTenants
from domain.scoring.lead_score import LeadScore
from entrypoints.container import Runtime
from tests.settling import settle

STATE_FIELDS = (
    "tenant_id", "lead_id", "behaviour_score", "profile_score", "score", "behaviour_band",
    "profile_band", "stage", "temperature",
)  # fmt: skip
EARLY = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in China


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def system(runtime: Runtime) -> Iterator[Runtime]:
    with acting(RequestContext(request_id="test-scoring")):
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


def new_lead(runtime: Runtime, tenant_id: UUID, mobile: str, **fields: Any) -> UUID:
    made = runtime.container.leads().create_lead(
        LeadScope.whole_company(tenant_id), CreateLead(mobile=mobile, **fields)
    )
    settle(runtime)
    return made.lead.id


def rule(runtime: Runtime, tenant_id: UUID, **fields: Any) -> str:
    added = runtime.container.scoring().add_rule(tenant_id, AddRule(**fields))
    settle(runtime)
    return added.id


def score_of(runtime: Runtime, tenant_id: UUID, lead_id: UUID) -> Any:
    return runtime.container.scoring().lead_score(tenant_id, lead_id)


def test_behaviours_score_by_rule_once_per_day_and_a_known_lead_is_scored_at_once(
    system: Runtime,
) -> None:
    tenant_id = uuid4()
    lead_id = new_lead(system, tenant_id, "13800138101")
    rule(system, tenant_id, title="浏览官网", category="website", points=5,
         frequency="per_day", behaviour={"kind": "page"})  # fmt: skip
    rule(system, tenant_id, title="下载白皮书", category="content", points=20,
         behaviour={"kind": "track", "name": "download"}, validity_days=30)  # fmt: skip
    take(system, *(seen(tenant_id, "page", m, lead_id=lead_id) for m in range(10)))
    take(system, seen(tenant_id, "track", 20, lead_id=lead_id, name="download"))
    score = score_of(system, tenant_id, lead_id)
    assert (score.behaviour_score, score.score, score.cell) == (25, 25, "A1")
    take(system, seen(tenant_id, "page", 24 * 60, lead_id=lead_id))  # the next day
    score = score_of(system, tenant_id, lead_id)
    assert (score.behaviour_score, score.cell, score.stage) == (30, "B1", "孵化中")
    board = system.container.score_board()
    history = board.history(tenant_id, lead_id)
    assert [h.kind for h in history][:2] == ["scoring.StageChanged", "scoring.PointsAwarded"]
    assert all(h.rule_id for h in history if h.kind == "scoring.PointsAwarded")
    [conversion] = board.conversions(tenant_id, cursor=None, limit=10).items
    assert (conversion.from_stage, conversion.to_stage) == ("初始线索", "孵化中")


def test_a_visitors_earlier_behaviours_score_when_it_is_identified(system: Runtime) -> None:
    tenant_id = uuid4()
    rule(system, tenant_id, title="浏览", category="website", points=3, behaviour={"kind": "page"})
    take(system, *(seen(tenant_id, "page", m, anonymous_id="anon-1") for m in range(4)))
    take(
        system,
        seen(tenant_id, "identify", 5, anonymous_id="anon-1", properties={"mobile": "13800138102"}),
    )
    take(system, seen(tenant_id, "page", 6, anonymous_id="anon-1"))
    lead_id = _only_lead(system, tenant_id)
    assert score_of(system, tenant_id, lead_id).behaviour_score == 15


def test_attribute_rules_hold_points_while_the_lead_matches(system: Runtime) -> None:
    tenant_id = uuid4()
    rule(system, tenant_id, title="总监", category="profile", points=30,
         attribute={"field": "title", "op": "contains", "value": "总监"})  # fmt: skip
    rule(system, tenant_id, title="VIP", category="profile", points=26,
         attribute={"field": "tags", "value": "VIP"})  # fmt: skip
    lead_id = new_lead(system, tenant_id, "13800138103", title="市场总监")
    assert score_of(system, tenant_id, lead_id).profile_score == 30
    leads = system.container.leads()
    scope = LeadScope.whole_company(tenant_id)
    leads.tag(scope, lead_id, ["VIP"], add=True)
    settle(system)
    assert score_of(system, tenant_id, lead_id).profile_score == 56
    assert score_of(system, tenant_id, lead_id).cell == "A3"
    version = leads.lead(scope, lead_id).version
    leads.update_lead(scope, lead_id, UpdateLead(title="专员"), expected_version=version)
    leads.tag(scope, lead_id, ["VIP"], add=False)
    settle(system)
    assert score_of(system, tenant_id, lead_id).profile_score == 0
    # a rule added later reaches the leads that match it already
    rule(system, tenant_id, title="上海", category="profile", points=10,
         attribute={"field": "city", "value": "上海"})  # fmt: skip
    other = new_lead(system, tenant_id, "13800138104", city="上海")
    assert score_of(system, tenant_id, other).profile_score == 10


def test_points_expire_exactly_on_a_controllable_clock_and_a_second_sweep_does_nothing(
    system: Runtime,
) -> None:
    tenant_id = uuid4()
    lead_id = new_lead(system, tenant_id, "13800138105")
    rule(system, tenant_id, title="打开邮件", category="email", points=10, validity_days=7,
         behaviour={"kind": "open"})  # fmt: skip
    rule(system, tenant_id, title="点击", category="email", points=15, validity_days=30,
         behaviour={"kind": "click"})  # fmt: skip
    take(system, seen(tenant_id, "open", 0, lead_id=lead_id, channel="email"),
         seen(tenant_id, "click", 1, lead_id=lead_id, channel="email"))  # fmt: skip
    assert score_of(system, tenant_id, lead_id).behaviour_score == 25
    clock = FixedClock(EARLY + timedelta(days=7, minutes=-1))
    expiry = ScoreExpiry(system.container.scoring(), system.container.score_board(), clock)
    expiry.sweep()
    settle(system)
    assert score_of(system, tenant_id, lead_id).behaviour_score == 25
    clock.moment = EARLY + timedelta(days=7)
    assert expiry.sweep() >= 1
    settle(system)
    assert score_of(system, tenant_id, lead_id).behaviour_score == 15
    before = system.container.scoring().history(score_of(system, tenant_id, lead_id).lead_id)
    expiry.sweep()
    settle(system)
    assert score_of(system, tenant_id, lead_id).behaviour_score == 15
    clock.moment = EARLY + timedelta(days=60)
    expiry.sweep()
    settle(system)
    assert score_of(system, tenant_id, lead_id).behaviour_score == 0
    del before


def test_matrix_funnel_settings_and_manual_adjustment(system: Runtime) -> None:
    tenant_id = uuid4()
    leads = [new_lead(system, tenant_id, f"1380013820{n}") for n in range(3)]
    scoring = system.container.scoring()
    scoring.adjust(tenant_id, leads[0], AdjustScore(points=60, reason="展会深聊"))
    scoring.adjust(tenant_id, leads[1], AdjustScore(points=80, reason="大客户", part="profile"))
    settle(system)
    board = system.container.score_board()
    scheme = scoring.rulebook(tenant_id).scheme
    counts = {c.cell: c.count for c in board.matrix(tenant_id, scheme).cells if c.count}
    assert counts == {"A1": 1, "C1": 1, "A4": 1}
    funnel = {s.stage: s.count for s in board.funnel(tenant_id, scheme).stages}
    assert funnel == {"初始线索": 1, "孵化中": 0, "培育中": 1, "市场认可": 1}
    scoring.change_settings(
        tenant_id,
        ChangeSettings(behaviour_bands=[0, 10, 20, 30]),
        expected_version=None,
    )
    settle(system)
    assert score_of(system, tenant_id, leads[0]).cell == "D1"
    counts = {
        c.cell: c.count
        for c in board.matrix(tenant_id, scoring.rulebook(tenant_id).scheme).cells
        if c.count
    }
    assert counts == {"A1": 1, "D1": 1, "A4": 1}
    groups = board.value_groups(tenant_id, 20)
    assert [b.count for b in groups.bands] == [1, 0, 0, 1, 1]


def _only_lead(runtime: Runtime, tenant_id: UUID) -> UUID:
    from application.leads.queries import LeadFilter

    found = runtime.container.lead_queries().search(
        LeadScope.whole_company(tenant_id), LeadFilter(), limit=100
    )
    [lead] = found.items
    return lead.id


@pytest.mark.parametrize(
    "follows", [(BEHAVIOURS, "tracking", "leads"), ("leads", "tracking", BEHAVIOURS)]
)
def test_a_replay_of_every_upstream_in_either_order_scores_nothing_twice(
    system: Runtime, follows: tuple[str, ...]
) -> None:
    tenant_id = uuid4()
    rule(system, tenant_id, title="浏览", category="website", points=2, behaviour={"kind": "page"})
    rule(system, tenant_id, title="总监", category="profile", points=30,
         attribute={"field": "title", "value": "总监"})  # fmt: skip
    known = new_lead(system, tenant_id, "13800138301", title="总监")
    take(system, *(seen(tenant_id, "page", m, lead_id=known) for m in range(3)))
    take(system, seen(tenant_id, "page", 4, anonymous_id="anon-r"))
    take(
        system,
        seen(tenant_id, "identify", 5, anonymous_id="anon-r", properties={"mobile": "13800138302"}),
    )
    leads = [known, *(lead for lead in _leads(system, tenant_id) if lead != known)]
    before = [score_of(system, tenant_id, lead) for lead in leads]
    assert [(s.behaviour_score, s.profile_score) for s in before] == [(6, 30), (2, 0)]
    prefix = f"test_keeping_{'_'.join(name[:3] for name in follows)}"
    tenants = RecordTenants(f"{prefix}_record_tenants")
    model = type(
        "Replayed",
        (ScoreKeeping,),
        {
            "name": prefix,
            "prefix": prefix,
            "follows": follows,
            "tenants": tenants,
            "tables": {
                **stitched_tables(prefix, KEEPING_COLUMNS),
                f"{prefix}_leads": ScoreKeeping.tables[f"{KEEPING}_leads"],
                **tenants.definition,
            },
            "indexes": stitched_indexes(prefix),
        },
    )
    infrastructure = system.container.infrastructure()
    view = infrastructure.open_view(model, create_table=True)
    try:
        upstreams = [system.container.providers[name]() for name in follows]
        rebuild(model(view=view, scoring=system.container.scoring()), view, upstreams)
    finally:
        close_view(view)
    settle(system)
    after = [score_of(system, tenant_id, lead) for lead in leads]
    assert [(s.version, s.score) for s in after] == [(s.version, s.score) for s in before]


def _leads(runtime: Runtime, tenant_id: UUID) -> list[UUID]:
    from application.leads.queries import LeadFilter

    found = runtime.container.lead_queries().search(
        LeadScope.whole_company(tenant_id), LeadFilter(), limit=100
    )
    return [lead.id for lead in found.items]


def test_every_score_event_carries_the_leads_state_and_a_busy_score_loads_from_a_snapshot(
    system: Runtime,
) -> None:
    from tests.integration.test_snapshots import assert_reloads_from_snapshot

    tenant_id = uuid4()
    lead_id = new_lead(system, tenant_id, "13800138401")
    scoring = system.container.scoring()
    rule(system, tenant_id, title="浏览", category="website", points=1, validity_days=1,
         behaviour={"kind": "page"})  # fmt: skip
    for n in range(60):
        scoring.adjust(tenant_id, lead_id, AdjustScore(points=1 if n % 2 else -1, reason="测试"))
    take(system, *(seen(tenant_id, "page", m, lead_id=lead_id) for m in range(5)))
    score_id = LeadScore.create_id(tenant_id, lead_id)
    loaded = assert_reloads_from_snapshot(scoring, score_id)
    assert loaded.placement == scoring.repository.get(score_id).placement
    for event in scoring.history(score_id):
        topic = get_topic(type(event))
        assert topic.startswith("scoring.LeadScore."), topic
        assert all(hasattr(event, name) for name in STATE_FIELDS), topic
        assert event.lead_id == lead_id and event.tenant_id == tenant_id


def test_a_merged_leads_behaviour_points_move_to_the_survivor_once(system: Runtime) -> None:
    tenant_id = uuid4()
    rule(system, tenant_id, title="浏览", category="website", points=4, behaviour={"kind": "page"})
    survivor = new_lead(system, tenant_id, "13800138501")
    merged = new_lead(system, tenant_id, "13800138502")
    take(system, seen(tenant_id, "page", 0, lead_id=survivor))
    take(system, *(seen(tenant_id, "page", m, lead_id=merged) for m in range(1, 4)))
    system.container.scoring().adjust(tenant_id, merged, AdjustScore(points=10, reason="电话"))
    system.container.leads().merge(LeadScope.whole_company(tenant_id), survivor, merged, {})
    settle(system)
    assert score_of(system, tenant_id, survivor).behaviour_score == 4 + 12 + 10
    take(system, seen(tenant_id, "page", 9, lead_id=merged))  # the old id now means the survivor
    assert score_of(system, tenant_id, survivor).behaviour_score == 30
    board = system.container.score_board()
    scheme = system.container.scoring().rulebook(tenant_id).scheme
    assert board.matrix(tenant_id, scheme).total == 1  # the merged lead left the counts
