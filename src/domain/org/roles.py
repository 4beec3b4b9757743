"""Roles of ORG-1 and what each may do, per bounded context (seed 004 权限)."""

from __future__ import annotations

from enum import StrEnum

from domain.shared.errors import InvalidValue


class Action(StrEnum):
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    CLOSE = "close"
    EXPORT = "export"


class TenantRole(StrEnum):
    TENANT_ADMIN = "tenant_admin"
    MARKETER = "marketer"
    SALES = "sales"
    SALES_MANAGER = "sales_manager"
    DATA_ANALYST = "data_analyst"
    AUDITOR = "auditor"


class DataScope(StrEnum):
    """How much of the tenant's data a role sees in scoped lists (ORG-2)."""

    OWN = "own"
    DEPARTMENT = "department"
    COMPANY = "company"


# Resources are the bounded contexts callers act on, plus `access` (API keys)
# and `history` (event history of any record).
RESOURCES = (
    "tenant",
    "access",
    "org",
    "history",
    "billing",
    "cards",
    "leads",
    "tracking",
    "messaging",
    "campaigns",
    "flows",
    "archive",
    "members",
    "analytics",
    "audit",
)

_ALL = frozenset(Action)
_READ = frozenset({Action.READ})
_WORK = frozenset({Action.CREATE, Action.READ, Action.UPDATE, Action.DELETE, Action.CLOSE})
_FOLLOW_UP = frozenset({Action.CREATE, Action.READ, Action.UPDATE, Action.CLOSE})

_GRANTS: dict[TenantRole, dict[str, frozenset[Action]]] = {
    TenantRole.TENANT_ADMIN: {resource: _ALL for resource in RESOURCES},
    TenantRole.MARKETER: {
        "tenant": _READ,
        "org": _READ,
        "history": _READ,
        "billing": _READ,
        "cards": _WORK,
        "leads": _WORK | {Action.EXPORT},
        "tracking": _WORK,
        "messaging": _WORK,
        "campaigns": _WORK,
        "flows": _WORK,
        "members": _WORK,
        "analytics": _READ | {Action.EXPORT},
    },
    TenantRole.SALES: {
        "tenant": _READ,
        "org": _READ,
        "history": _READ,
        "cards": _FOLLOW_UP,
        "leads": _FOLLOW_UP,
        "tracking": _READ,
    },
    TenantRole.SALES_MANAGER: {
        "tenant": _READ,
        "org": _READ,
        "history": _READ,
        "cards": _WORK,
        "leads": _WORK | {Action.EXPORT},
        "tracking": _READ,
        "analytics": _READ,
    },
    TenantRole.DATA_ANALYST: {
        **{resource: _READ for resource in RESOURCES if resource not in ("access", "archive")},
        "leads": _READ | {Action.EXPORT},
        "analytics": _READ | {Action.EXPORT},
    },
    TenantRole.AUDITOR: {resource: _READ for resource in RESOURCES},
}

_SCOPES = {
    TenantRole.SALES: DataScope.OWN,
    TenantRole.SALES_MANAGER: DataScope.DEPARTMENT,
}


def is_allowed(
    roles: frozenset[TenantRole] | set[TenantRole], resource: str, action: Action
) -> bool:
    """Whether any of `roles` may perform `action` on `resource`."""
    return any(action in _GRANTS[role].get(resource, frozenset()) for role in roles)


def widest_data_scope(roles: frozenset[TenantRole]) -> DataScope:
    """The widest data scope among `roles` (ORG-2); roles without a limit see the company."""
    order = [DataScope.OWN, DataScope.DEPARTMENT, DataScope.COMPANY]
    return max((_SCOPES.get(role, DataScope.COMPANY) for role in roles), key=order.index)


def parse_roles(values: list[str], *, field: str = "roles") -> frozenset[TenantRole]:
    """Tenant roles from their names; at least one, each one of ORG-1's."""
    if not values:
        raise InvalidValue("at least one role is required", field=field)
    known = {role.value for role in TenantRole}
    unknown = [value for value in values if value not in known]
    if unknown:
        raise InvalidValue(
            f"unknown role {unknown[0]!r}; expected one of {', '.join(sorted(known))}", field=field
        )
    return frozenset(TenantRole(value) for value in values)
