"""A tenant's lead settings (LEAD-2, LEAD-5, LEAD-6, LEAD-11, SEG-4): rules by example,
and properties that any sequence of commands keeps."""

from __future__ import annotations

import copy
from collections.abc import Callable
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.leads.lead_settings import (
    DEFAULT_STATUSES,
    SYSTEM_GROUP,
    SYSTEM_TAGS,
    UNGROUPED,
    LeadSettings,
)
from domain.shared.errors import DomainError, InvalidValue, StateConflict
from tests.unit.events import replay, topics


def fresh() -> LeadSettings:
    return LeadSettings.start(uuid4())


def with_field(kind: str, *, required: bool = False, options: list[str] | None = None):
    settings = fresh()
    settings.define_field("f", "字段", kind, required=required, options=options or [])
    return settings


# --- custom fields ---------------------------------------------------------------------------


def test_values_are_stored_as_their_type_says() -> None:
    assert with_field("number").check_custom({"f": "12"}, complete=False) == {"f": 12}
    assert with_field("number").check_custom({"f": " 2.5 "}, complete=False) == {"f": 2.5}
    assert with_field("date").check_custom({"f": "2026-03-01"}, complete=False) == {
        "f": "2026-03-01"
    }
    select = with_field("single_select", options=["小", "大"])
    assert select.check_custom({"f": " 大 "}, complete=False) == {"f": "大"}


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("number", "twelve"),
        ("number", True),
        ("number", "nan"),
        ("date", "2026-13-01"),
        ("date", 20260301),
        ("text", 5),
        ("text", "x" * 501),
        ("single_select", "中"),
    ],
)
def test_a_value_of_the_wrong_type_names_the_field(kind: str, value: object) -> None:
    settings = with_field(kind, options=["小", "大"] if kind == "single_select" else None)
    with pytest.raises(InvalidValue) as refused:
        settings.check_custom({"f": value}, complete=False)  # type: ignore[dict-item]
    assert refused.value.field == "custom.f"


def test_required_fields_must_be_present_on_new_leads_and_never_cleared() -> None:
    settings = with_field("text", required=True)
    with pytest.raises(InvalidValue, match="required"):
        settings.check_custom({}, complete=True)
    with pytest.raises(InvalidValue, match="required"):
        settings.check_custom({"f": None}, complete=False)
    assert settings.check_custom({}, complete=False) == {}  # an update that leaves it alone


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(InvalidValue) as refused:
        fresh().check_custom({"colour": "red"}, complete=False)
    assert refused.value.field == "custom.colour"


def test_once_used_a_field_keeps_its_type_and_options() -> None:
    settings = with_field("single_select", options=["小", "大"])
    settings.change_field("f", kind="text")  # no data yet: allowed
    settings.change_field("f", kind="single_select", options=["小", "大"])
    settings.record_use(["f"])
    with pytest.raises(StateConflict, match="type cannot change"):
        settings.change_field("f", kind="number")
    with pytest.raises(StateConflict, match="options"):
        settings.change_field("f", options=["小"])
    with pytest.raises(StateConflict):
        settings.remove_field("f")
    settings.change_field("f", name="规模", required=True, options=["小", "大", "中"])
    assert settings.fields["f"]["options"] == ["小", "大", "中"]


def test_only_the_first_use_is_recorded() -> None:
    settings = with_field("text")
    settings.collect_events()
    settings.record_use(["f"])
    settings.record_use(["f"])
    assert topics(settings.collect_events()) == ["leads.LeadSettings.CustomFieldsUsed"]


def test_field_definitions_are_checked() -> None:
    settings = fresh()
    for key, kind, options, field in [
        ("Bad Key", "text", [], "key"),
        ("f", "colour", [], "type"),
        ("f", "single_select", [], "options"),
        ("f", "single_select", ["a", "a"], "options"),
        ("f", "text", ["a"], "options"),
    ]:
        with pytest.raises(InvalidValue) as refused:
            settings.define_field(key, "名", kind, required=False, options=options)
        assert refused.value.field == field
    settings.define_field("f", "名", "text", required=False, options=[])
    settings.define_field("f", "名", "text", required=False, options=[])  # the same: no-op
    with pytest.raises(StateConflict):
        settings.define_field("f", "名", "number", required=False, options=[])


@given(number=st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
def test_any_number_or_its_text_is_a_number(number: float) -> None:
    settings = with_field("number")
    assert settings.check_custom({"f": number}, complete=False) == {"f": number}
    assert settings.check_custom({"f": repr(number)}, complete=False)["f"] == number


@given(text=st.text(max_size=20).filter(str.strip))
def test_text_that_is_not_a_number_is_refused_as_one(text: str) -> None:
    """(Blank text clears a value instead, like None.)"""
    try:
        float(text)
    except ValueError:
        with pytest.raises(InvalidValue):
            with_field("number").check_custom({"f": text}, complete=False)


# --- sources, owners, statuses, user types ---------------------------------------------------


def test_sources_are_free_until_configured_then_enumerated() -> None:
    settings = fresh()
    assert settings.check_source({"level1": "随便"}) == {"level1": "随便"}
    settings.add_source("线上", "官网")
    settings.add_source("线下", "展会")
    settings.add_source("线上", "官网")  # already there: no event
    assert topics(settings.collect_events())[1:] == ["leads.LeadSettings.SourceAdded"] * 2
    assert settings.check_source({"level2": "展会"}) == {"level1": "线下", "level2": "展会"}
    for source, field in [
        ({"level1": "电话"}, "source.level1"),
        ({"level1": "线下", "level2": "官网"}, "source.level2"),
        ({"level2": "广告"}, "source.level1"),
    ]:
        with pytest.raises(InvalidValue) as refused:
            settings.check_source(source)
        assert refused.value.field == field


def test_the_most_specific_owner_rule_wins() -> None:
    settings = fresh()
    web, online, form = uuid4(), uuid4(), uuid4()
    settings.set_default_owner("官网", web)
    settings.set_default_owner("线上", online)
    settings.set_default_owner("表单", form)
    assert settings.default_owner({"level1": "线上", "level2": "官网"}) == web
    assert settings.default_owner({"level1": "线上", "level2": "广告"}) == online
    assert settings.default_owner({"channel": "表单", "level2": "官网"}) == form
    assert settings.default_owner({"level1": "线下"}) is None


def test_statuses_default_and_removal() -> None:
    settings = fresh()
    assert settings.statuses == DEFAULT_STATUSES and settings.default_status == "new"
    with pytest.raises(InvalidValue) as refused:
        settings.check_status("negotiating")
    assert refused.value.field == "status"
    settings.add_status("negotiating", "洽谈中")
    settings.choose_default_status("negotiating")
    with pytest.raises(StateConflict):
        settings.remove_status("negotiating")
    settings.remove_status("new")
    assert list(settings.statuses) == ["contacted", "qualified", "unqualified", "negotiating"]


def test_custom_user_types_need_a_mobile_or_email() -> None:
    settings = fresh()
    settings.check_user_type("person", ["wechat_openid"])
    with pytest.raises(InvalidValue) as unknown:
        settings.check_user_type("supplier", ["mobile"])
    assert unknown.value.field == "user_type"
    settings.add_user_type("supplier", "供应商")
    settings.check_user_type("supplier", ["email"])
    with pytest.raises(InvalidValue) as no_contact:
        settings.check_user_type("supplier", ["wechat_openid", "member_id"])
    assert no_contact.value.field == "mobile"
    with pytest.raises(StateConflict):
        settings.add_user_type("person", "人")


# --- tags ------------------------------------------------------------------------------------


def test_system_tags_and_built_in_groups_stay_as_they_are() -> None:
    settings = fresh()
    assert [n for n, t in settings.tags.items() if t["system"]] == list(SYSTEM_TAGS)
    for attempt in (
        lambda: settings.remove_tag("扫码"),
        lambda: settings.move_tag("扫码", UNGROUPED),
        lambda: settings.add_tags(["新"], SYSTEM_GROUP),
        lambda: settings.remove_tag_group(SYSTEM_GROUP),
        lambda: settings.rename_tag_group(UNGROUPED, "其他"),
    ):
        with pytest.raises(StateConflict):
            attempt()


def test_removing_a_group_leaves_its_tags_ungrouped() -> None:
    settings = fresh()
    settings.add_tag_group("g1", "意向")
    settings.add_tags(["高意向", "低意向"], "g1")
    settings.add_tags(["展会"])
    settings.remove_tag_group("g1")
    assert {n: t["group_id"] for n, t in settings.tags.items() if not t["system"]} == {
        "高意向": UNGROUPED,
        "低意向": UNGROUPED,
        "展会": UNGROUPED,
    }
    assert settings.unknown_tags([" 展会", "新", "新", "扫码"]) == ["新"]


def test_renaming_a_tag_keeps_its_group_and_place_and_needs_a_free_name() -> None:
    settings = fresh()
    settings.add_tag_group("g1", "意向")
    settings.add_tags(["高意向", "低意向"], "g1")
    settings.collect_events()
    settings.rename_tag("高意向", " 强意向 ")
    renamed = settings.collect_events()
    assert topics(renamed) == ["leads.LeadSettings.TagRenamed"]
    assert (renamed[0].tag, renamed[0].name) == ("高意向", "强意向")
    custom = [n for n, t in settings.tags.items() if not t["system"]]
    assert custom == ["强意向", "低意向"] and settings.tags["强意向"]["group_id"] == "g1"
    assert settings.unknown_tags(["高意向"]) == ["高意向"]

    settings.rename_tag("强意向", "强意向")  # the same name: nothing to record
    assert settings.collect_events() == []
    for taken in ("低意向", "扫码"):
        with pytest.raises(StateConflict):
            settings.rename_tag("强意向", taken)
    with pytest.raises(StateConflict):  # a system tag keeps its name
        settings.rename_tag("扫码", "扫一扫")
    for bad in ("", "a,b", "x" * 51):
        with pytest.raises(InvalidValue):
            settings.rename_tag("强意向", bad)
    with pytest.raises(InvalidValue):
        settings.rename_tag("没有", "新")


# --- properties of any command sequence ------------------------------------------------------

keys = st.sampled_from(["a", "b", "c", "Bad"])
kinds = st.sampled_from(["text", "number", "date", "single_select", "colour"])
option_lists = st.lists(st.sampled_from(["x", "y", "z", ""]), max_size=3)
names = st.sampled_from(["甲", "乙", "丙", "", "x" * 51])
group_ids = st.sampled_from(["g1", "g2", UNGROUPED, SYSTEM_GROUP])
tag_names = st.sampled_from(["t1", "t2", "t3", "扫码", "a,b", ""])
status_keys = st.sampled_from(["new", "contacted", "s1", "s2", "Bad"])


class SettingsCommands(RuleBasedStateMachine):
    """Drives one tenant's settings with random commands and checks them after each."""

    def __init__(self) -> None:
        super().__init__()
        self.settings = fresh()
        self.history = list(self.settings.collect_events())
        self.first_used_type: dict[str, str] = {}

    def attempt(self, command: Callable[[], None]) -> bool:
        """A refused command changes nothing; an accepted one's events replay to it."""
        before = copy.deepcopy(self.settings)
        try:
            command()
        except DomainError:
            assert self.settings == before
            return False
        emitted = self.settings.collect_events()
        assert self.settings.version == before.version + len(emitted)
        self.history.extend(emitted)
        return True

    @rule(key=keys, name=names, kind=kinds, required=st.booleans(), options=option_lists)
    def define_field(
        self, key: str, name: str, kind: str, required: bool, options: list[str]
    ) -> None:
        self.attempt(
            lambda: self.settings.define_field(key, name, kind, required=required, options=options)
        )

    @rule(key=keys, kind=st.none() | kinds, options=st.none() | option_lists)
    def change_field(self, key: str, kind: str | None, options: list[str] | None) -> None:
        self.attempt(lambda: self.settings.change_field(key, kind=kind, options=options))

    @rule(key=keys)
    def remove_field(self, key: str) -> None:
        if self.attempt(lambda: self.settings.remove_field(key)):
            assert key not in self.first_used_type  # a field in use is never removed

    @rule(chosen=st.lists(keys, max_size=2))
    def record_use(self, chosen: list[str]) -> None:
        if self.attempt(lambda: self.settings.record_use(chosen)):
            for key in chosen:
                self.first_used_type.setdefault(key, self.settings.fields[key]["type"])

    @rule(level1=names, level2=st.none() | names)
    def add_source(self, level1: str, level2: str | None) -> None:
        self.attempt(lambda: self.settings.add_source(level1, level2))

    @rule(level1=names, level2=st.none() | names)
    def remove_source(self, level1: str, level2: str | None) -> None:
        self.attempt(lambda: self.settings.remove_source(level1, level2))

    @rule(key=status_keys, name=names)
    def add_status(self, key: str, name: str) -> None:
        self.attempt(lambda: self.settings.add_status(key, name))

    @rule(key=status_keys)
    def remove_status(self, key: str) -> None:
        self.attempt(lambda: self.settings.remove_status(key))

    @rule(key=status_keys)
    def choose_default_status(self, key: str) -> None:
        self.attempt(lambda: self.settings.choose_default_status(key))

    @rule(group_id=group_ids, name=names)
    def add_tag_group(self, group_id: str, name: str) -> None:
        self.attempt(lambda: self.settings.add_tag_group(group_id, name))

    @rule(group_id=group_ids)
    def remove_tag_group(self, group_id: str) -> None:
        self.attempt(lambda: self.settings.remove_tag_group(group_id))

    @rule(tags=st.lists(tag_names, max_size=3), group_id=group_ids)
    def add_tags(self, tags: list[str], group_id: str) -> None:
        self.attempt(lambda: self.settings.add_tags(tags, group_id))

    @rule(tag=tag_names, group_id=group_ids)
    def move_tag(self, tag: str, group_id: str) -> None:
        self.attempt(lambda: self.settings.move_tag(tag, group_id))

    @rule(tag=tag_names, name=tag_names)
    def rename_tag(self, tag: str, name: str) -> None:
        before = dict(self.settings.tags)
        if self.attempt(lambda: self.settings.rename_tag(tag, name)):
            assert len(self.settings.tags) == len(before)  # a rename never merges two tags
            assert self.settings.tags[name] == before[tag]
            assert tag == name or tag not in self.settings.tags

    @rule(tag=tag_names)
    def remove_tag(self, tag: str) -> None:
        self.attempt(lambda: self.settings.remove_tag(tag))

    @invariant()
    def the_default_status_exists(self) -> None:
        assert self.settings.default_status in self.settings.statuses

    @invariant()
    def system_tags_stay_whole_and_every_tag_has_a_group(self) -> None:
        tags = self.settings.tags
        assert [n for n, t in tags.items() if t["system"]] == list(SYSTEM_TAGS)
        assert all(tags[n]["group_id"] == SYSTEM_GROUP for n in SYSTEM_TAGS)
        assert all(t["group_id"] in self.settings.tag_groups for t in tags.values())
        assert {UNGROUPED, SYSTEM_GROUP} <= set(self.settings.tag_groups)

    @invariant()
    def a_field_in_use_keeps_its_first_type(self) -> None:
        for key, kind in self.first_used_type.items():
            assert self.settings.fields[key]["type"] == kind
            assert self.settings.fields[key]["used"] is True

    @invariant()
    def replaying_the_history_reproduces_the_settings(self) -> None:
        rebuilt = replay(self.history, LeadSettings)
        assert vars(rebuilt) == vars(self.settings)


SettingsCommands.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestAnyCommandSequenceKeepsTheSettingsInvariants = SettingsCommands.TestCase
