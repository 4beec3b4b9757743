"""The ORG-1 role matrix: what each tenant role may do and how much data it sees, as the
contexts of huoke declare it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.audit.permissions import AUDIT_GRANTS
from domain.leads.permissions import LEADS_GRANTS
from domain.org.permissions import ORG_GRANTS
from domain.shared.access import (
    HISTORY_GRANTS,
    Action,
    DataScope,
    PermissionMatrix,
    TenantRole,
    parse_roles,
    tenant_grants,
    widest_data_scope,
)
from domain.shared.errors import InvalidValue
from domain.tenancy.permissions import TENANCY_GRANTS

MATRIX = PermissionMatrix([TENANCY_GRANTS, ORG_GRANTS, HISTORY_GRANTS, LEADS_GRANTS, AUDIT_GRANTS])
RESOURCES = MATRIX.resources
ADMIN, MARKETER, SALES = TenantRole.TENANT_ADMIN, TenantRole.MARKETER, TenantRole.SALES
MANAGER, ANALYST, AUDITOR = TenantRole.SALES_MANAGER, TenantRole.DATA_ANALYST, TenantRole.AUDITOR
C, R, U, D, CL, X = list(Action)  # create, read, update, delete, close, export
WRITES = [C, U, D, CL]
resources = st.sampled_from(RESOURCES)
actions = st.sampled_from(list(Action))
role_sets = st.frozensets(st.sampled_from(list(TenantRole)), min_size=1)


def may(role: TenantRole, action: Action, resource: str) -> bool:
    return MATRIX.allows({role}, resource, action)


@given(resource=resources, action=actions)
def test_a_tenant_admin_may_do_everything(resource: str, action: Action) -> None:
    assert may(ADMIN, action, resource)


@given(resource=resources, action=actions)
def test_an_auditor_only_reads_but_reads_everything(resource: str, action: Action) -> None:
    assert may(AUDITOR, action, resource) is (action is R)


@given(resource=st.sampled_from(["tenant", "access", "org", "billing", "audit", "history"]))
def test_only_a_tenant_admin_changes_tenant_keys_org_billing_audit_or_history(
    resource: str,
) -> None:
    for role in set(TenantRole) - {ADMIN}:
        assert [may(role, action, resource) for action in [*WRITES, X]] == [False] * 5


@pytest.mark.parametrize("action", [C, U, D, CL])
def test_a_marketer_cannot_change_employees_or_departments(action: Action) -> None:
    assert may(MARKETER, R, "org")
    assert not may(MARKETER, action, "org")


@given(roles=role_sets, action=actions)
def test_no_role_may_act_on_an_unknown_resource(
    roles: frozenset[TenantRole], action: Action
) -> None:
    assert not MATRIX.allows(roles, "payroll", action)


@given(roles=role_sets, resource=resources, action=actions)
def test_several_roles_allow_exactly_what_any_one_of_them_allows(
    roles: frozenset[TenantRole], resource: str, action: Action
) -> None:
    one_by_one = any(may(role, action, resource) for role in roles)

    assert MATRIX.allows(roles, resource, action) is one_by_one
    assert MATRIX.allows(set(roles), resource, action) is one_by_one


def test_no_roles_allow_nothing() -> None:
    assert not MATRIX.allows(frozenset(), "leads", R)


@pytest.mark.parametrize(
    ("roles", "scope"),
    [
        ({SALES}, DataScope.OWN),
        ({MANAGER}, DataScope.DEPARTMENT),
        ({SALES, MANAGER}, DataScope.DEPARTMENT),
        ({ADMIN}, DataScope.COMPANY),
        ({MARKETER}, DataScope.COMPANY),
        ({ANALYST}, DataScope.COMPANY),
        ({AUDITOR}, DataScope.COMPANY),
        ({SALES, MARKETER}, DataScope.COMPANY),
    ],
)
def test_the_widest_role_decides_how_much_data_is_seen(
    roles: set[TenantRole], scope: DataScope
) -> None:
    assert widest_data_scope(frozenset(roles)) is scope


@given(roles=role_sets)
def test_only_sales_roles_limit_the_data_scope(roles: frozenset[TenantRole]) -> None:
    scope = widest_data_scope(roles)

    if roles - {SALES, MANAGER}:
        assert scope is DataScope.COMPANY
    else:
        assert scope is (DataScope.DEPARTMENT if MANAGER in roles else DataScope.OWN)


def test_parsing_roles_gives_the_set_named_without_repeats() -> None:
    assert parse_roles(["sales", "auditor", "sales"]) == {SALES, AUDITOR}


@pytest.mark.parametrize("values", [[], ["sales", "admin"], ["SALES"], [" sales"]])
def test_parsing_refuses_missing_or_unknown_roles_on_the_field_named(values: list[str]) -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_roles(values, field="employee.roles")

    assert refused.value.field == "employee.roles"


def test_an_unknown_role_is_named_in_the_refusal() -> None:
    with pytest.raises(InvalidValue, match="unknown role 'admin'; expected one of auditor, "):
        parse_roles(["sales", "admin"])


def test_leads_are_followed_up_by_sales_worked_and_exported_by_marketers_and_managers() -> None:
    assert [may(SALES, a, "leads") for a in (C, R, U, CL, D, X)] == [True] * 4 + [False] * 2
    for role in (MARKETER, MANAGER):
        assert all(may(role, a, "leads") for a in (C, R, U, D, CL, X))
    assert [may(ANALYST, a, "leads") for a in (R, X, C, U, D, CL)] == [True] * 2 + [False] * 4


def test_analysts_read_the_audit_but_not_api_keys_and_marketers_read_neither() -> None:
    assert may(ANALYST, R, "audit") and not may(ANALYST, R, "access")
    assert not may(MARKETER, R, "audit") and not may(MARKETER, R, "access")
    assert not may(SALES, R, "billing") and may(MARKETER, R, "billing")


def test_a_resource_declared_by_two_contexts_is_refused() -> None:
    with pytest.raises(ValueError, match="'leads' is declared by two contexts"):
        PermissionMatrix([LEADS_GRANTS, {"leads": tenant_grants()}])
