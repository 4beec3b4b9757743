"""Roles of ORG-1, data scopes of ORG-2, and the permission matrix that every context
adds its own resources to (each context declares what each role may do with them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


ALL = frozenset(Action)
READ = frozenset({Action.READ})
MANAGE = frozenset({Action.CREATE, Action.READ, Action.UPDATE, Action.DELETE})
WORK = frozenset({Action.CREATE, Action.READ, Action.UPDATE, Action.DELETE, Action.CLOSE})
FOLLOW_UP = frozenset({Action.CREATE, Action.READ, Action.UPDATE, Action.CLOSE})

# resource -> role -> actions: what one context grants on the resources it owns
Grants = Mapping[str, Mapping[str, frozenset[Action]]]


class PermissionMatrix:
    """Which role may do what on which resource, merged from every context's grants.
    A resource no context declared is refused to every role."""

    def __init__(self, grants: Iterable[Grants]) -> None:
        self._grants: dict[str, dict[str, frozenset[Action]]] = {}
        for declared in grants:
            for resource, by_role in declared.items():
                if resource in self._grants:
                    raise ValueError(f"resource {resource!r} is declared by two contexts")
                self._grants[resource] = {str(role): frozenset(a) for role, a in by_role.items()}

    @property
    def resources(self) -> tuple[str, ...]:
        return tuple(self._grants)

    def allows(self, roles: Iterable[str], resource: str, action: Action) -> bool:
        """Whether any of `roles` may perform `action` on `resource`."""
        by_role = self._grants.get(resource, {})
        return any(action in by_role.get(str(role), frozenset()) for role in roles)


def tenant_grants(
    *,
    marketer: frozenset[Action] = frozenset(),
    sales: frozenset[Action] = frozenset(),
    sales_manager: frozenset[Action] = frozenset(),
    data_analyst: frozenset[Action] = READ,
) -> dict[str, frozenset[Action]]:
    """One resource's grants: a tenant admin may do everything and an auditor reads
    everything, always; the other roles get what the context says."""
    return {
        TenantRole.TENANT_ADMIN: ALL,
        TenantRole.MARKETER: marketer,
        TenantRole.SALES: sales,
        TenantRole.SALES_MANAGER: sales_manager,
        TenantRole.DATA_ANALYST: data_analyst,
        TenantRole.AUDITOR: READ,
    }


_SCOPES = {
    TenantRole.SALES: DataScope.OWN,
    TenantRole.SALES_MANAGER: DataScope.DEPARTMENT,
}


def widest_data_scope(roles: Iterable[TenantRole]) -> DataScope:
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


# The event history of any record (AUD-1) belongs to no single context.
HISTORY_GRANTS: Grants = {
    "history": tenant_grants(marketer=READ, sales=READ, sales_manager=READ),
}
