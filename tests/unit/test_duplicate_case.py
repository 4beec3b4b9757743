"""Duplicate cases, automatic merge rules and what counts as "similar" (LEAD-4)."""

from __future__ import annotations

from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.leads.duplicate_case import (
    DuplicateCase,
    MergeRules,
    company_key,
    plain_text,
    similarity_key,
)
from domain.shared.errors import InvalidValue, StateConflict
from tests.unit.events import replay, topics

RECORD = {
    "identities": [{"kind": "mobile", "value": "+8613800138000"}],
    "profile": {"name": "李雷", "city": "成都"},
    "custom": {},
}


def a_pair(**overrides: object) -> DuplicateCase:
    fields: dict[str, object] = {
        "tenant_id": uuid4(),
        "lead_ids": [uuid4(), uuid4()],
        "reason": "similar_name_company",
        "record": None,
    }
    return DuplicateCase.open(**{**fields, **overrides})  # type: ignore[arg-type]


# What "similar" means


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("王五", "上海火客科技有限公司"), (" 王 五 ", "上海火客")),
        (("Li Lei", "Acme Co., Ltd."), ("li lei", "ACME")),
        (("ＬＩ　ＬＥＩ", "Ａｃｍｅ Inc"), ("Li Lei", "acme")),  # full-width forms
        (("张三", "火客集团股份有限公司"), ("张三", "火客")),
    ],
)
def test_spelling_width_spacing_and_legal_forms_do_not_hide_a_duplicate(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    assert similarity_key(*first) == similarity_key(*second) is not None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("王五", "火客"), ("王六", "火客")),
        (("王五", "火客"), ("王五", "获客")),
        (("Li", "Tesco"), ("Li", "Tes")),  # "co" ends a word only after a space
    ],
)
def test_other_names_or_companies_are_not_similar(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    assert similarity_key(*first) != similarity_key(*second)


def test_a_name_or_company_alone_is_never_a_suspicion() -> None:
    assert similarity_key("王五", None) is None
    assert similarity_key(None, "火客") is None
    assert similarity_key("王五", "有限公司") is not None  # only a legal form: kept as is
    assert company_key("  ") == plain_text(None) == ""


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=20), st.text(max_size=20))
def test_normalising_twice_changes_nothing(name: str, company: str) -> None:
    assert plain_text(plain_text(name)) == plain_text(name)
    key = similarity_key(name, company)
    if key is not None:
        assert similarity_key(*key.split("\x1f")) is not None


# The case


def test_the_same_pair_in_either_order_is_the_same_case() -> None:
    tenant_id, first, second = uuid4(), uuid4(), uuid4()

    one = DuplicateCase.create_id(tenant_id, [first, second])

    assert one == DuplicateCase.create_id(tenant_id, [second, first])
    assert one != DuplicateCase.create_id(uuid4(), [first, second])
    assert one != DuplicateCase.create_id(tenant_id, [first, second], RECORD)
    assert a_pair(tenant_id=tenant_id, lead_ids=[second, first]).id == one


def test_opening_records_one_event_that_replays_to_the_same_case() -> None:
    case = a_pair()

    events = case.collect_events()

    assert topics(events) == ["leads.DuplicateCase.Opened"]
    again = replay(events, DuplicateCase)
    assert (again.lead_ids, again.state, again.reason) == (case.lead_ids, "open", case.reason)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reason": "looks alike"}, "reason"),
        ({"lead_ids": []}, "lead_ids"),
        ({"lead_ids": [uuid4(), uuid4(), uuid4()]}, "lead_ids"),
        ({"lead_ids": [uuid4()]}, "record"),  # one lead is a duplicate only of a record
        ({"lead_ids": [uuid4()], "record": {"profile": {}}}, "record"),
    ],
)
def test_opening_refuses_what_is_no_case(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        a_pair(**overrides)
    assert refused.value.field == field


def test_the_same_lead_twice_is_no_pair() -> None:
    lead_id = uuid4()
    with pytest.raises(InvalidValue) as refused:
        a_pair(lead_ids=[lead_id, lead_id])
    assert refused.value.field == "lead_ids"


def test_an_import_case_keeps_the_incoming_record() -> None:
    case = a_pair(lead_ids=[uuid4()], record=RECORD, reason="same_mobile")
    assert case.record == RECORD


def test_merging_names_the_survivor_and_the_merged_leads() -> None:
    case = a_pair()
    survivor, other = case.lead_ids
    case.collect_events()

    case.merge(survivor, {"city": "杭州"}, rule="rules.0")

    [merged] = case.collect_events()
    assert topics([merged]) == ["leads.DuplicateCase.Merged"]
    assert (merged.survivor_id, merged.merged_ids, merged.chosen) == (  # type: ignore[attr-defined]
        survivor,
        [other],
        {"city": "杭州"},
    )
    assert (case.state, case.survivor_id, case.rule) == ("merged", survivor, "rules.0")


def test_the_survivor_is_one_of_the_case_leads() -> None:
    case = a_pair()
    with pytest.raises(InvalidValue) as refused:
        case.merge(uuid4(), {})
    assert refused.value.field == "survivor_id"
    assert case.state == "open"


def test_a_closed_case_takes_no_second_decision() -> None:
    dismissed, deleted = a_pair(), a_pair()
    dismissed.dismiss("namesakes")
    deleted.delete_duplicate(deleted.lead_ids[1], "test data")
    dismissed.collect_events()

    for case in (dismissed, deleted):
        with pytest.raises(StateConflict):
            case.merge(case.lead_ids[0], {})
        with pytest.raises(StateConflict):
            case.dismiss("again")
    assert dismissed.collect_events() == []
    assert (dismissed.state, dismissed.note, deleted.state) == ("dismissed", "namesakes", "deleted")


def test_deleting_needs_a_lead_of_the_case_and_a_reason() -> None:
    case = a_pair()
    with pytest.raises(InvalidValue) as outsider:
        case.delete_duplicate(uuid4(), "spam")
    with pytest.raises(InvalidValue) as blank:
        case.dismiss("  ")
    assert (outsider.value.field, blank.value.field, case.state) == ("lead_id", "reason", "open")


# Merge rules


def test_rules_are_one_per_tenant_with_defaults_filled_in() -> None:
    tenant_id = uuid4()

    rules = MergeRules.configure(tenant_id=tenant_id, rules=[{"match": ["name", "mobile"]}])

    assert rules.id == MergeRules.create_id(tenant_id) != MergeRules.create_id(uuid4())
    assert rules.rules == [
        {"match": ["mobile", "name"], "survivor": "oldest", "fields": "keep_non_empty"}
    ]
    assert topics(rules.collect_events()) == ["leads.MergeRules.Configured"]


def test_the_first_rule_whose_fields_all_agree_applies() -> None:
    rules = MergeRules.configure(
        tenant_id=uuid4(),
        rules=[
            {"match": ["mobile", "name"]},
            {"match": ["email"], "survivor": "newest", "fields": "prefer_newest"},
        ],
    )

    assert rules.rule_for({"mobile"}) is None
    assert rules.rule_for({"mobile", "name", "company"}) == (0, rules.rules[0])
    assert rules.rule_for({"email", "mobile"}) == (1, rules.rules[1])


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"match": []}, "rules.0.match"),
        ({"match": ["company"]}, "rules.0.match"),  # a company is many people
        ({"match": ["name", "name"]}, "rules.0.match"),
        ({"match": ["birthday"]}, "rules.0.match"),
        ({"match": ["name"], "survivor": "richest"}, "rules.0.survivor"),
        ({"match": ["name"], "fields": "all"}, "rules.0.fields"),
        ({"match": ["name"], "when": "always"}, "rules.0.when"),
    ],
)
def test_a_bad_rule_is_refused_naming_its_place(rule: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        MergeRules.configure(tenant_id=uuid4(), rules=[rule])
    assert refused.value.field == field


def test_changing_to_the_same_rules_records_nothing() -> None:
    rules = MergeRules.configure(tenant_id=uuid4(), rules=[{"match": ["email"]}])
    rules.collect_events()

    rules.change([{"match": ["email"], "survivor": "oldest"}])
    assert rules.collect_events() == []
    rules.change([])
    assert topics(rules.collect_events()) == ["leads.MergeRules.Changed"]
    assert rules.rule_for({"email"}) is None
