"""Commands and answers of the tenancy context (validated at the edge, frozen)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command
from domain.tenancy.tenant import DEFAULT_TIMEZONE

SettingValue = str | int | bool | None


class RegisterTenant(Command):
    name: str = Field(min_length=1, max_length=100, examples=["上海某某科技有限公司"])
    owner_name: str = Field(min_length=1, max_length=100)
    owner_contact: str = Field(min_length=3, max_length=254, description="mobile or e-mail")
    timezone: str = Field(default=DEFAULT_TIMEZONE, max_length=64)
    settings: dict[str, SettingValue] = Field(default_factory=dict)


class UpdateTenant(Command):
    """Fields to change; omitted fields stay as they are. A null setting removes it."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    owner_name: str | None = Field(default=None, min_length=1, max_length=100)
    owner_contact: str | None = Field(default=None, min_length=3, max_length=254)
    timezone: str | None = Field(default=None, max_length=64)
    settings: dict[str, SettingValue] | None = None


class SuspendTenant(Command):
    reason: str = Field(min_length=1, max_length=500)


class IssueApiKey(Command):
    name: str = Field(min_length=1, max_length=100, examples=["CRM sync"])
    roles: list[str] = Field(min_length=1, max_length=6, examples=[["marketer"]])
    employee_id: UUID | None = Field(default=None, description="the employee this key acts as")


class EnrolStaff(Command):
    email: str = Field(min_length=3, max_length=254)
    display_name: str = Field(min_length=1, max_length=100)
    roles: list[str] = Field(min_length=1, max_length=4, examples=[["support"]])


class TenantDetails(BaseModel):
    id: UUID
    name: str
    owner_name: str
    owner_contact: str
    timezone: str
    settings: dict[str, SettingValue]
    status: str
    head_office_id: UUID | None = Field(description="set on branch tenants (TEN-4)")
    version: int
    created_at: datetime
    updated_at: datetime


class ApiKeyDetails(BaseModel):
    id: UUID
    tenant_id: UUID
    name: str
    roles: list[str]
    employee_id: UUID | None
    revoked: bool
    version: int
    created_at: datetime


class IssuedApiKey(ApiKeyDetails):
    token: str | None = Field(
        description="the secret key, shown only in the answer that created it "
        "(null when an Idempotency-Key repeat replays that answer)"
    )


class StaffDetails(BaseModel):
    id: UUID
    email: str
    display_name: str
    roles: list[str]
    active: bool
    version: int
    created_at: datetime


class EnrolledStaff(StaffDetails):
    token: str | None = Field(description="the access token, shown only once")
