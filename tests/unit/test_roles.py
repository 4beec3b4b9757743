"""The ORG-1 role matrix: what each tenant role may do and how much data it sees."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.org import Action, DataScope, TenantRole, is_allowed, widest_data_scope
from domain.org.roles import RESOURCES, parse_roles
from domain.shared.errors import InvalidValue

ADMIN, MARKETER, SALES = TenantRole.TENANT_ADMIN, TenantRole.MARKETER, TenantRole.SALES
MANAGER, ANALYST, AUDITOR = TenantRole.SALES_MANAGER, TenantRole.DATA_ANALYST, TenantRole.AUDITOR
C, R, U, D, CL, X = list(Action)  # create, read, update, delete, close, export
WRITES = [C, U, D, CL]
resources = st.sampled_from(RESOURCES)
actions = st.sampled_from(list(Action))
role_sets = st.frozensets(st.sampled_from(list(TenantRole)), min_size=1)


def may(role: TenantRole, action: Action, resource: str) -> bool:
    return is_allowed(frozenset({role}), resource, action)


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


def test_a_marketer_runs_campaigns_and_exports_leads_but_not_api_keys_or_the_audit() -> None:
    assert [may(MARKETER, a, "campaigns") for a in (C, U, D, CL, X)] == [True] * 4 + [False]
    assert may(MARKETER, X, "leads") and may(MARKETER, X, "analytics")
    assert not may(MARKETER, R, "access")
    assert not may(MARKETER, R, "audit")
    assert not may(MARKETER, R, "archive")


def test_sales_follow_up_cards_and_leads_but_never_delete_or_export_them() -> None:
    for resource in ("cards", "leads"):
        assert [may(SALES, a, resource) for a in (C, R, U, CL)] == [True] * 4
        assert not may(SALES, D, resource)
        assert not may(SALES, X, resource)
    assert may(SALES, R, "tracking") and not may(SALES, U, "tracking")
    assert not may(SALES, R, "analytics")
    assert not may(SALES, R, "campaigns")


def test_a_sales_manager_may_delete_and_export_leads_and_read_analytics_only() -> None:
    assert may(MANAGER, D, "leads") and may(MANAGER, X, "leads")
    assert may(MANAGER, D, "cards") and not may(MANAGER, X, "cards")
    assert may(MANAGER, R, "analytics") and not may(MANAGER, X, "analytics")
    assert not may(MANAGER, R, "billing")


@given(resource=resources)
def test_a_data_analyst_reads_all_but_keys_and_archive_and_changes_nothing(resource: str) -> None:
    assert may(ANALYST, R, resource) is (resource not in ("access", "archive"))
    assert not any(may(ANALYST, action, resource) for action in WRITES)
    assert may(ANALYST, X, resource) is (resource in ("leads", "analytics"))


@given(roles=role_sets, action=actions)
def test_no_role_may_act_on_an_unknown_resource(
    roles: frozenset[TenantRole], action: Action
) -> None:
    assert not is_allowed(roles, "payroll", action)


@given(roles=role_sets, resource=resources, action=actions)
def test_several_roles_allow_exactly_what_any_one_of_them_allows(
    roles: frozenset[TenantRole], resource: str, action: Action
) -> None:
    one_by_one = any(may(role, action, resource) for role in roles)

    assert is_allowed(roles, resource, action) is one_by_one
    assert is_allowed(set(roles), resource, action) is one_by_one


def test_no_roles_allow_nothing() -> None:
    assert not is_allowed(frozenset(), "leads", R)


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
