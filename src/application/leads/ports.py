"""Ports the leads use cases need from the outside world."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class OwnerNotifier(Protocol):
    """Tells an employee that a lead was assigned to them (LEAD-7)."""

    def owner_assigned(self, tenant_id: UUID, lead_id: UUID, owner_id: UUID) -> None:
        """Deliver the notice (WeCom message, e-mail, app push…); must not raise on a
        delivery failure the lead change should survive."""
        ...


class EmployeeRoster(Protocol):
    """Tells whether an employee currently works for a tenant (the org context knows)."""

    def is_current_employee(self, tenant_id: UUID, employee_id: UUID) -> bool:
        """True for an employee of `tenant_id` who has not left."""
        ...
