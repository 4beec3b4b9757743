"""Who is calling, and the one authorization check every use case goes through."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from application.shared.context import Actor, ActorKind
from application.shared.errors import PermissionDenied
from domain.shared.access import Action, DataScope, PermissionMatrix, TenantRole, widest_data_scope


@dataclass(frozen=True)
class TenantCaller:
    """A request made with a tenant's API key, or by an employee signed in to the console
    (`key_id` is then their login's id); `permissions` is the matrix every context
    registered its resources in."""

    key_id: UUID
    tenant_id: UUID
    roles: frozenset[TenantRole]
    permissions: PermissionMatrix = field(compare=False, repr=False)
    employee_id: UUID | None = None
    signed_in: bool = False  # through a console session rather than an API key

    @property
    def actor(self) -> Actor:
        if self.signed_in and self.employee_id is not None:
            return Actor(ActorKind.EMPLOYEE, str(self.employee_id), self.tenant_id)
        return Actor(ActorKind.API_KEY, str(self.key_id), self.tenant_id)

    @property
    def data_scope(self) -> DataScope:
        return widest_data_scope(self.roles)

    def may(self, resource: str, action: Action) -> bool:
        return self.permissions.allows(self.roles, resource, action)

    def require(self, resource: str, action: Action) -> None:
        """Refuse (403) unless one of the key's roles grants `action` on `resource`."""
        if not self.may(resource, action):
            raise PermissionDenied(
                f"roles {', '.join(sorted(self.roles))} may not {action.value} {resource}"
            )


@dataclass(frozen=True)
class StaffCaller:
    """A request made by a platform staff member (back office, /api/v1/admin)."""

    staff_id: UUID
    roles: frozenset[str]
    permissions: PermissionMatrix = field(compare=False, repr=False)

    @property
    def actor(self) -> Actor:
        return Actor(ActorKind.STAFF, str(self.staff_id))

    def may(self, resource: str, action: Action) -> bool:
        return self.permissions.allows(self.roles, resource, action)

    def require(self, resource: str, action: Action) -> None:
        """Refuse (403) unless one of the staff roles grants `action` on `resource`."""
        if not self.permissions.allows(self.roles, resource, action):
            raise PermissionDenied(
                f"staff roles {', '.join(sorted(self.roles))} may not {action.value} {resource}"
            )


Caller = TenantCaller | StaffCaller
