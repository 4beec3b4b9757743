"""Platform staff accounts and what each staff role may do in the back office."""

from __future__ import annotations

import copy
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.access import Action
from domain.shared.errors import InvalidValue, StateConflict
from domain.tenancy import StaffAccount, StaffRole, parse_staff_roles, staff_is_allowed
from domain.tenancy.staff import STAFF_RESOURCES
from tests.unit.events import replay, topics

resources = st.sampled_from([*STAFF_RESOURCES, "unknown"])
actions = st.sampled_from(list(Action))


def an_account(**overrides: Any) -> StaffAccount:
    fields: dict[str, Any] = {
        "staff_id": uuid4(),
        "email": "ops@huoke.test",
        "display_name": "Ops",
        "roles": ["support"],
        "token_hash": "argon2$t",
    }
    return StaffAccount.enrol(**{**fields, **overrides})


def test_enrolling_normalises_the_email_and_sorts_the_roles() -> None:
    account = an_account(email="  Ops.Lead@HuoKe.Test ", roles=["support", "admin", "support"])

    assert account.email == "ops.lead@huoke.test"
    assert account.roles == ["admin", "support"]
    assert account.staff_roles == frozenset({StaffRole.ADMIN, StaffRole.SUPPORT})
    assert account.is_active is True
    assert topics(account.collect_events()) == ["tenancy.StaffAccount.Enrolled"]


@pytest.mark.parametrize(
    "email",
    ["", "ops", "ops@huoke", "@huoke.test", "o ps@huoke.test", "a@b@c.d", "x" * 250 + "@a.cn"],
)
def test_enrolling_refuses_anything_but_an_email_address(email: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        an_account(email=email)

    assert refused.value.field == "email"


@pytest.mark.parametrize("roles", [[], ["root"], ["admin", "tenant_admin"], ["Admin"]])
def test_enrolling_refuses_missing_or_unknown_staff_roles(roles: list[str]) -> None:
    with pytest.raises(InvalidValue) as refused:
        an_account(roles=roles)

    assert refused.value.field == "roles"


def test_enrolling_refuses_a_blank_display_name() -> None:
    with pytest.raises(InvalidValue) as refused:
        an_account(display_name="  ")

    assert refused.value.field == "display_name"


def test_disabling_is_final() -> None:
    account = an_account()
    account.disable()
    before = copy.deepcopy(account)

    with pytest.raises(StateConflict, match="already disabled"):
        account.disable()

    assert account == before and account.is_active is False
    events = account.collect_events()
    assert topics(events) == ["tenancy.StaffAccount.Enrolled", "tenancy.StaffAccount.Disabled"]
    assert vars(replay(events, StaffAccount)) == vars(account)


def test_parsing_staff_roles_gives_the_set_of_roles_named() -> None:
    assert parse_staff_roles(["billing", "auditor", "billing"]) == {
        StaffRole.BILLING,
        StaffRole.AUDITOR,
    }


@given(resource=resources, action=actions)
def test_an_admin_may_do_everything_on_every_staff_resource(resource: str, action: Action) -> None:
    allowed = staff_is_allowed(frozenset({StaffRole.ADMIN}), resource, action)

    assert allowed is (resource in STAFF_RESOURCES)


@given(resource=resources, action=actions)
def test_an_auditor_only_reads_every_staff_resource(resource: str, action: Action) -> None:
    allowed = staff_is_allowed(frozenset({StaffRole.AUDITOR}), resource, action)

    assert allowed is (action is Action.READ and resource in STAFF_RESOURCES)


@given(action=actions)
def test_billing_cannot_touch_tenants_beyond_reading(action: Action) -> None:
    billing = frozenset({StaffRole.BILLING})

    assert staff_is_allowed(billing, "tenants", action) is (action is Action.READ)
    assert staff_is_allowed(billing, "billing", action) is True
    assert staff_is_allowed(billing, "staff", action) is False


def test_support_manages_tenants_but_cannot_delete_them_or_manage_staff() -> None:
    support = frozenset({StaffRole.SUPPORT})

    assert staff_is_allowed(support, "tenants", Action.UPDATE)
    assert not staff_is_allowed(support, "tenants", Action.DELETE)
    assert not staff_is_allowed(support, "staff", Action.READ)
    assert not staff_is_allowed(support, "billing", Action.UPDATE)


@given(
    roles=st.frozensets(st.sampled_from(list(StaffRole)), min_size=1),
    resource=resources,
    action=actions,
)
def test_several_roles_allow_what_any_one_of_them_allows(
    roles: frozenset[StaffRole], resource: str, action: Action
) -> None:
    each = [staff_is_allowed(frozenset({role}), resource, action) for role in roles]

    assert staff_is_allowed(roles, resource, action) is any(each)


def test_no_role_allows_nothing() -> None:
    assert not staff_is_allowed(frozenset(), "tenants", Action.READ)
