"""What a caller sends to the logins use cases, and what they answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pydantic import Field

from application.shared.commands import Command


class GrantEmployeeLogin(Command):
    """Give an employee a console login; without a password, a link to set one is sent."""

    employee_id: UUID
    identifier: str = Field(min_length=1, max_length=254, description="e-mail or mobile")
    password: str | None = Field(default=None, max_length=128)


class GrantStaffLogin(Command):
    staff_id: UUID
    identifier: str = Field(min_length=1, max_length=254)
    password: str = Field(max_length=128)


class SignIn(Command):
    identifier: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=128)


@dataclass(frozen=True)
class Session:
    """What a session cookie carries: whose login, and the password epoch it was opened in."""

    login_id: UUID
    epoch: int


@dataclass(frozen=True)
class LoginDetails:
    id: UUID
    identifier: str
    kind: str
    tenant_id: UUID | None
    subject_id: UUID
    revoked: bool
    locked_until: datetime | None
    last_signed_in_at: datetime | None
    version: int
