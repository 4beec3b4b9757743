"""Employees: tenant members with roles, in a department (ORG-1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.access import parse_roles
from domain.shared.errors import StateConflict
from domain.shared.text import email_address, required_text


class Employee(Aggregate):
    """A member of the tenant whom leads, cards and tasks can reference."""

    TOPIC = "org.Employee"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Hired: ClassVar[type[AggregateEvent]]
        ProfileUpdated: ClassVar[type[AggregateEvent]]
        Transferred: ClassVar[type[AggregateEvent]]
        RolesGranted: ClassVar[type[AggregateEvent]]
        Left: ClassVar[type[AggregateEvent]]

    @classmethod
    def hire(
        cls,
        *,
        employee_id: UUID,
        tenant_id: UUID,
        name: str,
        email: str | None,
        mobile: str | None,
        department_id: UUID | None,
        roles: list[str],
    ) -> Employee:
        """Add an employee with at least one ORG-1 role."""
        return cls(
            id=employee_id,
            tenant_id=tenant_id,
            name=required_text(name, field="name"),
            email=email_address(email, field="email") if email else None,
            mobile=required_text(mobile, field="mobile", max_length=32) if mobile else None,
            department_id=department_id,
            roles=sorted(role.value for role in parse_roles(roles)),
        )

    @event("Hired", topic="org.Employee.Hired")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        name: str,
        email: str | None,
        mobile: str | None,
        department_id: UUID | None,
        roles: list[str],
    ) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.email = email
        self.mobile = mobile
        self.department_id = department_id
        self.roles = roles
        self.has_left = False

    def update_profile(self, *, name: str, email: str | None, mobile: str | None) -> None:
        """Correct the employee's name and contact details."""
        self._require_employed()
        name = required_text(name, field="name")
        email = email_address(email, field="email") if email else None
        mobile = required_text(mobile, field="mobile", max_length=32) if mobile else None
        if (name, email, mobile) != (self.name, self.email, self.mobile):
            self._profile_updated(name=name, email=email, mobile=mobile)

    @event("ProfileUpdated", topic="org.Employee.ProfileUpdated")
    def _profile_updated(self, name: str, email: str | None, mobile: str | None) -> None:
        self.name, self.email, self.mobile = name, email, mobile

    def transfer_to(self, department_id: UUID | None) -> None:
        """Move the employee to another department."""
        self._require_employed()
        if department_id != self.department_id:
            self._transferred(department_id=department_id)

    @event("Transferred", topic="org.Employee.Transferred")
    def _transferred(self, department_id: UUID | None) -> None:
        self.department_id = department_id

    def grant_roles(self, roles: list[str]) -> None:
        """Replace the employee's roles."""
        self._require_employed()
        new_roles = sorted(role.value for role in parse_roles(roles))
        if new_roles != self.roles:
            self._roles_granted(roles=new_roles)

    @event("RolesGranted", topic="org.Employee.RolesGranted")
    def _roles_granted(self, roles: list[str]) -> None:
        self.roles = roles

    def leave(self) -> None:
        """Record that the employee left; their customers are handed over separately (ORG-3)."""
        self._require_employed()
        self._left()

    @event("Left", topic="org.Employee.Left")
    def _left(self) -> None:
        self.has_left = True

    def _require_employed(self) -> None:
        if self.has_left:
            raise StateConflict("employee has left")
