"""What the logins use cases need from other contexts and from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from application.shared.callers import StaffCaller


class PasswordHasher(Protocol):
    """Slow, salted password hashing (argon2)."""

    def hash(self, secret: str) -> str:
        """A self-describing hash of `secret` (algorithm, parameters, salt)."""
        ...

    def verify(self, secret_hash: str, secret: str) -> bool:
        """Whether `secret` matches `secret_hash`."""
        ...


class Member(Protocol):
    """What the org context tells about an employee."""

    @property
    def name(self) -> str: ...
    @property
    def roles(self) -> Sequence[str]: ...
    @property
    def left(self) -> bool: ...


class Employees(Protocol):
    """The tenant's employees (the org context)."""

    def employee(self, tenant_id: UUID, employee_id: UUID) -> Member:
        """The employee, or `NotFound` for an id the tenant does not have."""
        ...


class StaffAccounts(Protocol):
    """Platform staff accounts and tenant state (the tenancy context)."""

    def staff_caller(self, staff_id: UUID) -> StaffCaller:
        """The staff member as a caller with their current roles; `Unauthenticated` when
        the account is disabled, `NotFound` when there is none."""
        ...

    def tenant_is_active(self, tenant_id: UUID) -> bool:
        """False for a suspended tenant: its employees are refused like its API keys."""
        ...


class ResetLinks(Protocol):
    """Delivers a one-time password link (the outbox in the sandbox, e-mail or SMS later)."""

    def send(self, *, identifier: str, name: str, link: str, purpose: str) -> None:
        """Send `link` to the e-mail address or mobile in `identifier` (`email:…`)."""
        ...
