"""Scoring's domain (SCORE-1…5): rules, caps, frequency, expiry, the matrix, stages and
temperature, with properties for what must always hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.shared.behaviours import BehaviourKind
from domain.scoring.lead_score import LeadScore
from domain.scoring.rules import BEHAVIOUR_KINDS, LeadAttributes, ScoreRule
from domain.scoring.scheme import CELLS, DEFAULT_STAGES, Scheme
from domain.scoring.settings import ScoringSettings
from domain.shared.errors import InvalidValue

NOON = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in China
SCORE_FIELDS = (
    "tenant_id",
    "lead_id",
    "behaviour_score",
    "profile_score",
    "score",
    "behaviour_band",
    "profile_band",
    "stage",
    "temperature",
)


def behaviour_rule(points: int = 10, **fields: Any) -> ScoreRule:
    return ScoreRule.define(
        rule_id=fields.pop("rule_id", str(uuid4())),
        title=fields.pop("title", "浏览页面"),
        category=fields.pop("category", "website"),
        points=points,
        behaviour=fields.pop("behaviour", {"kind": "page"}),
        **fields,
    )


def attribute_rule(points: int = 20, **fields: Any) -> ScoreRule:
    return ScoreRule.define(
        rule_id=fields.pop("rule_id", str(uuid4())),
        title=fields.pop("title", "总监"),
        category=fields.pop("category", "profile"),
        points=points,
        attribute=fields.pop("attribute", {"field": "title", "op": "contains", "value": "总监"}),
        **fields,
    )


def new_score(scheme: Scheme | None = None) -> LeadScore:
    return LeadScore.start(uuid4(), uuid4(), scheme or Scheme())


def test_the_domain_knows_every_behaviour_kind_of_the_log() -> None:
    assert {kind.value for kind in BehaviourKind} == BEHAVIOUR_KINDS


def test_default_matrix_stages_and_temperature_follow_the_seed() -> None:
    scheme = Scheme()
    assert scheme.place(12, 35).cell == "A2"  # 小王 of seed 003 §1.9
    assert scheme.place(25, 25).cell == "A1"
    assert scheme.place(26, 51).cell == "B3"
    assert scheme.place(76, 0).cell == "D1"
    stages = {cell: scheme.stage_of(cell) for cell in CELLS}
    assert stages["A1"] == "初始线索"
    assert {c for c, s in stages.items() if s == "孵化中"} == {"A2", "B2", "B1"}
    assert {c for c, s in stages.items() if s == "培育中"} == {"A3", "B3", "C3", "C2", "C1"}
    assert {c for c, s in stages.items() if s == "市场认可"} == {
        "A4", "B4", "C4", "D4", "D3", "D2", "D1"
    }  # fmt: skip
    assert [scheme.temperature_of(s) for s in (100, 90, 89, 60, 59, 0)] == [
        "hot", "hot", "warm", "warm", "cold", "cold"
    ]  # fmt: skip


def test_once_per_day_scores_once_for_ten_behaviours_in_a_day_and_again_the_next_day() -> None:
    rule = behaviour_rule(5, frequency="per_day")
    score = new_score()
    for minute in range(10):
        score.score_behaviour(
            [rule], Scheme(), at=NOON + timedelta(minutes=minute), cause=f"behaviours:{minute + 1}"
        )
    assert score.placement.behaviour_score == 5
    score.score_behaviour([rule], Scheme(), at=NOON + timedelta(days=1), cause="behaviours:11")
    assert score.placement.behaviour_score == 10


def test_a_day_is_the_tenants_day() -> None:
    rule = behaviour_rule(5, frequency="per_day")
    score = new_score()
    late = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # 23:30 in China
    score.score_behaviour([rule], Scheme(), at=late, cause="behaviours:1")
    score.score_behaviour([rule], Scheme(), at=late + timedelta(hours=1), cause="behaviours:2")
    assert score.placement.behaviour_score == 10  # 00:30 the next day in China


def test_once_scores_once_and_unlimited_every_time() -> None:
    once, every = behaviour_rule(3, frequency="once"), behaviour_rule(2, frequency="unlimited")
    score = new_score()
    for n in range(4):
        score.score_behaviour([once, every], Scheme(), at=NOON, cause=f"behaviours:{n + 1}")
    assert score.live_points(rule_id=once.rule_id) == 3
    assert score.live_points(rule_id=every.rule_id) == 8


def test_a_cause_seen_again_scores_nothing() -> None:
    rule = behaviour_rule(4)
    score = new_score()
    score.score_behaviour([rule], Scheme(), at=NOON, cause="behaviours:7")
    assert score.score_behaviour([rule], Scheme(), at=NOON, cause="behaviours:7") == []
    assert score.score_behaviour([rule], Scheme(), at=NOON, cause="behaviours:3") == []
    assert score.placement.behaviour_score == 4


def test_caps_per_rule_and_per_category() -> None:
    rule = behaviour_rule(10, cap=25)
    other = behaviour_rule(10, category="website")
    score = new_score()
    for n in range(5):
        score.score_behaviour([rule], Scheme(), at=NOON, cause=f"behaviours:{n + 1}")
    assert score.live_points(rule_id=rule.rule_id) == 25
    capped = Scheme(categories={"website": (True, 30)})
    for n in range(5):
        score.score_behaviour([other], capped, at=NOON, cause=f"behaviours:{n + 10}")
    assert score.live_points(category="website") == 30
    off = Scheme(categories={"website": (False, None)})
    assert score.score_behaviour([other], off, at=NOON, cause="behaviours:99") == []


def test_expiry_removes_exactly_the_expired_points() -> None:
    short = behaviour_rule(10, validity_days=7)
    long = behaviour_rule(20, validity_days=30)
    forever = behaviour_rule(5)
    score = new_score()
    score.score_behaviour([short, long, forever], Scheme(), at=NOON, cause="behaviours:1")
    assert score.placement.behaviour_score == 35
    assert score.expire(Scheme(), now=NOON + timedelta(days=7) - timedelta(seconds=1)) == 0
    assert score.expire(Scheme(), now=NOON + timedelta(days=7)) == 1
    assert score.placement.behaviour_score == 25
    assert score.expire(Scheme(), now=NOON + timedelta(days=365)) == 1
    assert score.placement.behaviour_score == 5
    assert score.expire(Scheme(), now=NOON + timedelta(days=999)) == 0


def test_attribute_points_are_held_while_the_lead_matches() -> None:
    rule = attribute_rule(30)
    score = new_score()
    director = LeadAttributes({"title": "市场总监"}, frozenset())
    score.match_attributes([rule], director, Scheme(), at=NOON)
    score.match_attributes([rule], director, Scheme(), at=NOON)
    assert score.placement.profile_score == 30
    score.match_attributes(
        [rule], LeadAttributes({"title": "专员"}, frozenset()), Scheme(), at=NOON
    )
    assert score.placement.profile_score == 0
    tagged = attribute_rule(15, attribute={"field": "tags", "value": "VIP"})
    score.match_attributes([tagged], LeadAttributes({}, frozenset({"VIP"})), Scheme(), at=NOON)
    assert score.placement.profile_score == 15


def test_every_score_event_carries_the_state_after_it_and_a_stage_change_follows() -> None:
    score = new_score()
    score.collect_events()
    score.score_behaviour([behaviour_rule(30)], Scheme(), at=NOON, cause="behaviours:1")
    awarded, changed = score.collect_events()
    assert type(awarded).__name__ == "PointsAwarded"
    assert awarded.rule_id  # type: ignore[attr-defined]
    for event in (awarded, changed):
        assert all(hasattr(event, name) for name in SCORE_FIELDS)
    assert (changed.from_stage, changed.to_stage) == ("初始线索", "孵化中")  # type: ignore[attr-defined]
    assert (changed.behaviour_band, changed.profile_band) == ("B", "1")  # type: ignore[attr-defined]


def test_manual_adjustment_needs_a_reason_and_stays_within_bounds() -> None:
    score = new_score()
    with pytest.raises(InvalidValue):
        score.adjust(10, "  ", "behaviour", Scheme(), at=NOON)
    score.adjust(-40, "投诉", "behaviour", Scheme(), at=NOON)
    assert score.placement.behaviour_score == 0
    score.adjust(100, "大客户", "profile", Scheme(), at=NOON)
    score.adjust(100, "大客户", "behaviour", Scheme(), at=NOON)
    assert score.placement.score == 100


def test_settings_validate_bands_stages_and_temperature() -> None:
    settings_ = ScoringSettings.start(uuid4())
    with pytest.raises(InvalidValue):
        settings_.change_bands([0, 30, 20, 80], [0, 26, 51, 76])
    with pytest.raises(InvalidValue) as refused:
        settings_.change_stages([{"name": "全部", "cells": list(CELLS[:-1])}])
    assert "D4" in refused.value.message
    with pytest.raises(InvalidValue):
        settings_.change_temperature(hot=50, warm=60)
    settings_.change_bands([0, 10, 20, 30], [0, 26, 51, 76])
    assert settings_.scheme().place(10, 0).cell == "B1"
    settings_.change_stages([{"name": n, "cells": list(c)} for n, c in DEFAULT_STAGES])
    assert settings_.version == 2  # unchanged stages record nothing


def test_rules_are_validated_with_the_field_named() -> None:
    with pytest.raises(InvalidValue) as refused:
        behaviour_rule(10, behaviour={"kind": "teleport"})
    assert refused.value.field == "behaviour.kind"
    with pytest.raises(InvalidValue) as refused:
        attribute_rule(10, attribute={"field": "custom.Bad Key", "value": "x"})
    assert refused.value.field == "attribute.field"
    with pytest.raises(InvalidValue):
        attribute_rule(10, frequency="per_day")
    with pytest.raises(InvalidValue):
        behaviour_rule(0)


def test_a_restated_scheme_moves_the_lead_with_the_same_points() -> None:
    score = new_score()
    score.score_behaviour([behaviour_rule(20)], Scheme(), at=NOON, cause="behaviours:1")
    assert score.placement.cell == "A1"
    narrow = Scheme(behaviour_bounds=(0, 10, 20, 30))
    assert score.restate(narrow, at=NOON)
    assert score.placement.cell == "C1" and score.placement.stage == "培育中"
    assert not score.restate(narrow, at=NOON)


# --- properties ---------------------------------------------------------------------------

rules = st.builds(
    lambda points, frequency, validity, cap, category: behaviour_rule(
        points, frequency=frequency, validity_days=validity, cap=cap, category=category
    ),
    st.integers(-100, 100).filter(bool),
    st.sampled_from(["once", "per_day", "unlimited"]),
    st.none() | st.integers(1, 60),
    st.none() | st.integers(1, 200),
    st.sampled_from(["website", "email", "content"]),
)
steps = st.lists(
    st.tuples(
        st.sampled_from(["award", "adjust", "expire"]),
        st.integers(0, 4),  # which rule
        st.integers(0, 90 * 24),  # hours after NOON
        st.integers(-100, 100).filter(bool),  # points of an adjustment
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(rules, min_size=1, max_size=5), steps)
def test_a_score_stays_within_0_and_100_and_expiry_removes_exactly_what_expired(
    some_rules: list[ScoreRule], plan: list[tuple[str, int, int, int]]
) -> None:
    score = new_score()
    scheme = Scheme(categories={"email": (True, 50)})
    position = 0
    for action, which, hours, points in sorted(plan, key=lambda step: step[2]):
        at = NOON + timedelta(hours=hours)
        if action == "award":
            position += 1
            rule = some_rules[which % len(some_rules)]
            score.score_behaviour([rule], scheme, at=at, cause=f"behaviours:{position}")
        elif action == "adjust":
            score.adjust(points, "手动", "behaviour", scheme, at=at)
        else:
            before = [dict(e) for e in score.entries]
            score.expire(scheme, now=at)
            expected = [
                e
                for e in before
                if not e["expires_at"] or datetime.fromisoformat(e["expires_at"]) > at
            ]
            assert score.entries == expected
        placement = score.placement
        assert 0 <= placement.behaviour_score <= 100 and 0 <= placement.profile_score <= 100
        assert 0 <= placement.score <= 100
        assert placement.score == min(100, placement.behaviour_score + placement.profile_score)
        assert placement.stage == scheme.stage_of(placement.cell)
        for rule in some_rules:
            if rule.cap is not None:
                assert abs(score.live_points(rule_id=rule.rule_id)) <= rule.cap
        gains = sum(
            e["points"] for e in score.entries if e["category"] == "email" and e["points"] > 0
        )
        assert gains <= 50
