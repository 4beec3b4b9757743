"""Tenant API keys: issued with ORG-1 roles and a name; revocation is final."""

from __future__ import annotations

import copy
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.access import TenantRole
from domain.shared.errors import InvalidValue, StateConflict
from domain.tenancy import ApiKey
from tests.unit.events import replay, topics

KNOWN_ROLES = [role.value for role in TenantRole]


def a_key(**overrides: Any) -> ApiKey:
    fields: dict[str, Any] = {
        "key_id": uuid4(),
        "tenant_id": uuid4(),
        "name": "CRM sync",
        "roles": ["sales"],
        "secret_hash": "argon2$abc",
    }
    return ApiKey.issue(**{**fields, **overrides})


def test_issuing_records_the_key_with_sorted_unique_roles() -> None:
    tenant_id, employee_id = uuid4(), uuid4()

    key = a_key(
        tenant_id=tenant_id,
        name="  H5 front-end ",
        roles=["sales_manager", "marketer", "sales_manager"],
        employee_id=employee_id,
    )

    assert key.tenant_id == tenant_id and key.employee_id == employee_id
    assert key.name == "H5 front-end"
    assert key.roles == ["marketer", "sales_manager"]
    assert key.tenant_roles == frozenset({TenantRole.MARKETER, TenantRole.SALES_MANAGER})
    assert key.secret_hash == "argon2$abc"
    assert key.is_revoked is False


def test_a_key_acts_for_no_employee_unless_told() -> None:
    assert a_key().employee_id is None


def test_issuing_emits_one_issued_event() -> None:
    events = a_key().collect_events()

    assert topics(events) == ["tenancy.ApiKey.Issued"]
    assert events[0].originator_topic == "tenancy.ApiKey"


@pytest.mark.parametrize(
    "roles",
    [[], ["owner"], ["sales", "Sales"], ["tenant_admin", ""], ["staff_admin"]],
)
def test_issuing_refuses_missing_or_unknown_roles(roles: list[str]) -> None:
    with pytest.raises(InvalidValue) as refused:
        a_key(roles=roles)

    assert refused.value.field == "roles"


@pytest.mark.parametrize("name", ["", "   ", "k" * 101])
def test_issuing_refuses_a_blank_or_overlong_name(name: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        a_key(name=name)

    assert refused.value.field == "name"


def test_a_name_of_one_hundred_characters_is_accepted() -> None:
    assert a_key(name="k" * 100).name == "k" * 100


def test_revoking_marks_the_key_revoked_with_one_event() -> None:
    key = a_key()
    key.collect_events()

    key.revoke()

    assert key.is_revoked is True
    assert topics(key.collect_events()) == ["tenancy.ApiKey.Revoked"]
    assert key.version == 2


def test_revoking_twice_is_a_state_conflict_that_changes_nothing() -> None:
    key = a_key()
    key.revoke()
    before = copy.deepcopy(key)

    with pytest.raises(StateConflict, match="already revoked"):
        key.revoke()

    assert key == before
    assert topics(key.collect_events()) == ["tenancy.ApiKey.Issued", "tenancy.ApiKey.Revoked"]


def test_replaying_a_revoked_key_gives_an_equal_key() -> None:
    key = a_key(roles=["auditor", "data_analyst"], employee_id=uuid4())
    key.revoke()

    rebuilt = replay(key.collect_events(), ApiKey)

    assert vars(rebuilt) == vars(key)
    assert rebuilt.is_revoked and rebuilt.roles == ["auditor", "data_analyst"]


role_lists = st.lists(
    st.one_of(st.sampled_from(KNOWN_ROLES), st.text(max_size=15)),
    max_size=8,
)


@given(roles=role_lists)
def test_any_role_list_is_refused_on_roles_or_kept_sorted_and_unique(roles: list[str]) -> None:
    try:
        key = a_key(roles=roles)
    except InvalidValue as refused:
        assert refused.field == "roles"
        assert not roles or any(role not in KNOWN_ROLES for role in roles)
    else:
        assert roles and all(role in KNOWN_ROLES for role in roles)
        assert key.roles == sorted(set(roles))
