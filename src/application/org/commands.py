"""Commands and answers of the organisation context (ORG-1)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command


class EstablishDepartment(Command):
    name: str = Field(min_length=1, max_length=100, examples=["华东销售部"])
    parent_id: UUID | None = Field(default=None, description="null for a root department")


class ReviseDepartment(Command):
    """Rename and/or move; omitted fields stay. `parent_id: null` moves to the root."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    parent_id: UUID | None = None
    move: bool = Field(default=False, description="true to apply parent_id (null = root)")


class HireEmployee(Command):
    name: str = Field(min_length=1, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    mobile: str | None = Field(default=None, max_length=32)
    department_id: UUID | None = None
    roles: list[str] = Field(min_length=1, max_length=6, examples=[["sales"]])


class ReviseEmployee(Command):
    """Fields to change; omitted fields stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    mobile: str | None = Field(default=None, max_length=32)
    department_id: UUID | None = None
    roles: list[str] | None = Field(default=None, min_length=1, max_length=6)


class DepartmentDetails(BaseModel):
    id: UUID
    name: str
    parent_id: UUID | None
    dissolved: bool
    version: int
    created_at: datetime


class EmployeeDetails(BaseModel):
    id: UUID
    name: str
    email: str | None
    mobile: str | None
    department_id: UUID | None
    roles: list[str]
    left: bool
    version: int
    created_at: datetime
