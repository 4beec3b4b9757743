"""Ports the tenancy use cases need from the outside world."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class SecretHasher(Protocol):
    """Slow, salted hashing of API-key and staff-token secrets (argon2 in production)."""

    def hash(self, secret: str) -> str:
        """A self-describing hash of `secret` (algorithm, parameters, salt)."""
        ...

    def verify(self, secret_hash: str, secret: str) -> bool:
        """Whether `secret` matches `secret_hash`."""
        ...


class EmployeeRoster(Protocol):
    """Tells whether an employee currently works for a tenant (the org context knows)."""

    def is_current_employee(self, tenant_id: UUID, employee_id: UUID) -> bool:
        """True for an employee of `tenant_id` who has not left."""
        ...
