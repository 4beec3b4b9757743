"""Platform staff accounts: the people who run huoke for all tenants (back office)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.access import ALL, READ, Action, Grants, PermissionMatrix
from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import email_address, required_text


class StaffRole(StrEnum):
    ADMIN = "admin"
    SUPPORT = "support"
    BILLING = "billing"
    AUDITOR = "auditor"


STAFF_RESOURCES = ("tenants", "staff", "billing", "history")

# resource -> staff role -> actions (the back office, /api/v1/admin)
STAFF_GRANTS: Grants = {
    "tenants": {
        StaffRole.ADMIN: ALL,
        StaffRole.SUPPORT: ALL - {Action.DELETE},
        StaffRole.BILLING: READ,
        StaffRole.AUDITOR: READ,
    },
    "staff": {StaffRole.ADMIN: ALL, StaffRole.AUDITOR: READ},
    "billing": {
        StaffRole.ADMIN: ALL,
        StaffRole.SUPPORT: READ,
        StaffRole.BILLING: ALL,
        StaffRole.AUDITOR: READ,
    },
    "history": {role: (ALL if role is StaffRole.ADMIN else READ) for role in StaffRole},
}
STAFF_PERMISSIONS = PermissionMatrix([STAFF_GRANTS])


def staff_is_allowed(roles: frozenset[StaffRole], resource: str, action: Action) -> bool:
    """Whether any of the staff `roles` may perform `action` on `resource`."""
    return STAFF_PERMISSIONS.allows(roles, resource, action)


def parse_staff_roles(values: list[str]) -> frozenset[StaffRole]:
    """Staff roles from their names; at least one."""
    known = {role.value for role in StaffRole}
    if not values:
        raise InvalidValue("at least one role is required", field="roles")
    for value in values:
        if value not in known:
            raise InvalidValue(
                f"unknown staff role {value!r}; expected one of {', '.join(sorted(known))}",
                field="roles",
            )
    return frozenset(StaffRole(value) for value in values)


class StaffAccount(Aggregate):
    """A staff member: e-mail, roles and the hash of their access token."""

    TOPIC = "tenancy.StaffAccount"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Enrolled: ClassVar[type[AggregateEvent]]
        Disabled: ClassVar[type[AggregateEvent]]

    @classmethod
    def enrol(
        cls, *, staff_id: UUID, email: str, display_name: str, roles: list[str], token_hash: str
    ) -> StaffAccount:
        """Enrol a staff member with at least one role."""
        return cls(
            id=staff_id,
            email=email_address(email, field="email"),
            display_name=required_text(display_name, field="display_name"),
            roles=sorted(parse_staff_roles(roles)),
            token_hash=token_hash,
        )

    @event("Enrolled", topic="tenancy.StaffAccount.Enrolled")
    def __init__(
        self, id: UUID, email: str, display_name: str, roles: list[str], token_hash: str
    ) -> None:
        self.email = email
        self.display_name = display_name
        self.roles = roles
        self.token_hash = token_hash
        self.is_active = True

    @property
    def staff_roles(self) -> frozenset[StaffRole]:
        return frozenset(StaffRole(role) for role in self.roles)

    def disable(self) -> None:
        """Disable the account: its token stops working for good."""
        if not self.is_active:
            raise StateConflict("staff account is already disabled")
        self._disabled()

    @event("Disabled", topic="tenancy.StaffAccount.Disabled")
    def _disabled(self) -> None:
        self.is_active = False
