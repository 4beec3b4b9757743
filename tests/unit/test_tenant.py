"""Tenant (TEN-1): registration rules, lifecycle commands, their events and replay."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest

from domain.shared.errors import InvalidValue, StateConflict
from domain.tenancy import Tenant
from tests.unit.events import replay, topics


def a_tenant(**overrides: Any) -> Tenant:
    fields: dict[str, Any] = {
        "tenant_id": uuid4(),
        "name": "Acme 科技",
        "owner_name": "李雷",
        "owner_contact": "li@acme.cn",
    }
    return Tenant.register(**{**fields, **overrides})


def test_registering_records_the_cleaned_fields_with_defaults() -> None:
    tenant = a_tenant(name="  Acme 科技  ")

    assert (tenant.name, tenant.owner_name, tenant.owner_contact) == (
        "Acme 科技",
        "李雷",
        "li@acme.cn",
    )
    assert tenant.timezone == "Asia/Shanghai"
    assert tenant.settings == {}
    assert tenant.status == "active" and tenant.is_active
    assert tenant.tenant_id == tenant.id
    events = tenant.collect_events()
    assert topics(events) == ["tenancy.Tenant.Registered"]
    assert events[0].originator_topic == "tenancy.Tenant"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"owner_name": ""}, "owner_name"),
        ({"owner_contact": "x" * 255}, "owner_contact"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"settings": {"Theme": "dark"}}, "settings.Theme"),
        ({"settings": {"theme\n": "dark"}}, "settings.theme\n"),
        ({"settings": {"ratio": 1.5}}, "settings.ratio"),
        ({"settings": {"banner": "x" * 1001}}, "settings.banner"),
        ({"settings": {f"k{i}": i for i in range(51)}}, "settings"),
    ],
)
def test_registering_refuses_a_bad_field_and_names_it(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        a_tenant(**overrides)

    assert refused.value.field == field


def test_registering_accepts_fifty_settings_and_a_long_owner_contact() -> None:
    tenant = a_tenant(owner_contact="x" * 254, settings={f"k{i}": i for i in range(50)})

    assert len(tenant.settings) == 50


COMMANDS: list[tuple[Callable[[Tenant], None], str]] = [
    (lambda t: t.rename("Acme Global"), "tenancy.Tenant.Renamed"),
    (lambda t: t.change_owner("韩梅梅", "han@acme.cn"), "tenancy.Tenant.OwnerChanged"),
    (lambda t: t.move_to_timezone("Europe/Berlin"), "tenancy.Tenant.TimezoneChanged"),
    (lambda t: t.update_settings({"theme": "dark"}), "tenancy.Tenant.SettingsUpdated"),
    (lambda t: t.suspend("unpaid invoice"), "tenancy.Tenant.Suspended"),
]


@pytest.mark.parametrize(("command", "topic"), COMMANDS)
def test_each_effective_command_emits_exactly_its_past_tense_event(
    command: Callable[[Tenant], None], topic: str
) -> None:
    tenant = a_tenant()
    tenant.collect_events()

    command(tenant)

    assert topics(tenant.collect_events()) == [topic]
    assert tenant.version == 2


def test_commands_change_what_they_say() -> None:
    tenant = a_tenant(settings={"theme": "light", "quota.daily": 100})

    tenant.rename(" Acme Global ")
    tenant.change_owner("韩梅梅", "han@acme.cn")
    tenant.move_to_timezone("Europe/Berlin")
    tenant.update_settings({"theme": "dark", "quota.daily": None, "sso": True})

    assert tenant.name == "Acme Global"
    assert (tenant.owner_name, tenant.owner_contact) == ("韩梅梅", "han@acme.cn")
    assert tenant.timezone == "Europe/Berlin"
    assert tenant.settings == {"theme": "dark", "sso": True}


def test_suspending_then_reactivating_restores_an_active_tenant() -> None:
    tenant = a_tenant()
    tenant.suspend("unpaid invoice")
    assert tenant.status == "suspended" and not tenant.is_active

    tenant.reactivate()

    assert tenant.status == "active" and tenant.is_active
    assert topics(tenant.collect_events())[-2:] == [
        "tenancy.Tenant.Suspended",
        "tenancy.Tenant.Reactivated",
    ]


@pytest.mark.parametrize(
    "command",
    [
        lambda t: t.rename("  Acme 科技 "),
        lambda t: t.change_owner("李雷", " li@acme.cn"),
        lambda t: t.move_to_timezone("Asia/Shanghai"),
        lambda t: t.update_settings({"theme": "light"}),
        lambda t: t.update_settings({"never.set": None}),
        lambda t: t.update_settings({}),
    ],
)
def test_a_command_that_changes_nothing_emits_no_event(command: Callable[[Tenant], None]) -> None:
    tenant = a_tenant(settings={"theme": "light"})
    tenant.collect_events()

    command(tenant)

    assert tenant.collect_events() == []
    assert tenant.version == 1


@pytest.mark.parametrize(
    ("command", "error", "field"),
    [
        (lambda t: t.rename(""), InvalidValue, "name"),
        (lambda t: t.change_owner("韩梅梅", ""), InvalidValue, "owner_contact"),
        (lambda t: t.move_to_timezone("Asia/Atlantis"), InvalidValue, "timezone"),
        (lambda t: t.update_settings({"x": [1]}), InvalidValue, "settings.x"),
        (lambda t: t.update_settings({f"n{i}": 1 for i in range(50)}), InvalidValue, "settings"),
        (lambda t: t.suspend("  "), InvalidValue, "reason"),
        (lambda t: t.suspend("again"), StateConflict, None),
    ],
)
def test_a_refused_command_changes_nothing(
    command: Callable[[Tenant], None], error: type[Exception], field: str | None
) -> None:
    tenant = a_tenant(settings={"theme": "light"})
    tenant.suspend("unpaid invoice")
    before = copy.deepcopy(tenant)

    with pytest.raises(error) as refused:
        command(tenant)

    assert getattr(refused.value, "field", None) == field
    assert tenant == before


def test_reactivating_an_active_tenant_is_a_state_conflict() -> None:
    with pytest.raises(StateConflict, match="not suspended"):
        a_tenant().reactivate()


def test_switching_a_setting_between_one_and_true_is_recorded() -> None:
    tenant = a_tenant(settings={"quota.daily": 1, "sso": False})

    tenant.update_settings({"quota.daily": True, "sso": 0})

    assert [(type(v), v) for v in tenant.settings.values()] == [(bool, True), (int, 0)]


def test_replaying_the_collected_events_gives_an_equal_tenant() -> None:
    tenant = a_tenant()
    for command, _ in COMMANDS:
        command(tenant)
    tenant.reactivate()
    events = tenant.collect_events()

    rebuilt = replay(events, Tenant)

    assert len(events) == 7
    assert vars(rebuilt) == vars(tenant)
    assert rebuilt.settings == {"theme": "dark"} and rebuilt.status == "active"


def test_setting_names_must_be_lower_case_dotted_words() -> None:
    accepted = ["a", "theme", "quota.daily_max", "x" + "1" * 63]
    refused = ["", "1abc", "Theme", "a-b", "a b", "x" * 65, "theme\n"]

    for name in refused:
        with pytest.raises(InvalidValue):
            a_tenant(settings={name: 1})
    assert len(a_tenant(settings=dict.fromkeys(accepted, 1)).settings) == 4
