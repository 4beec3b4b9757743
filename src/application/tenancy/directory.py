"""The tenancy read model: lists of tenants, API keys and staff accounts (back office)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from pydantic import BaseModel

from application.shared.pages import Page, fetch_page
from application.shared.views import ReadModel, View, iso, parse_iso
from application.tenancy.commands import ApiKeyDetails, StaffDetails
from domain.tenancy import ApiKey, StaffAccount, Tenant


class TenantSummary(BaseModel):
    id: UUID
    name: str
    status: str
    timezone: str
    head_office_id: UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class TenancyDirectory(ReadModel):
    """Keeps the tenant, API-key and staff lists in step with the tenancy events."""

    name = "tenancy_directory"
    follows = ("tenancy",)
    tables = {
        "tenancy_tenants": "tenant_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, "
        "timezone TEXT NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL, "
        "updated_at TEXT NOT NULL, head_office_id TEXT, PRIMARY KEY (tenant_id)",
        "tenancy_api_keys": "tenant_id TEXT NOT NULL, key_id TEXT NOT NULL, name TEXT NOT NULL, "
        "roles TEXT NOT NULL, employee_id TEXT, revoked INTEGER NOT NULL, "
        "version INTEGER NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (tenant_id, key_id)",
        "tenancy_staff": "staff_id TEXT NOT NULL, email TEXT NOT NULL, display_name TEXT NOT NULL, "
        "roles TEXT NOT NULL, active INTEGER NOT NULL, version INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, PRIMARY KEY (staff_id)",
    }
    indexes = {
        "tenancy_api_keys_id": "tenancy_api_keys (key_id)",
        "tenancy_tenants_created": "tenancy_tenants (created_at, tenant_id)",
        "tenancy_tenants_branches": "tenancy_tenants (head_office_id, created_at, tenant_id)",
        "tenancy_api_keys_created": "tenancy_api_keys (tenant_id, created_at, key_id)",
        "tenancy_staff_created": "tenancy_staff (created_at, staff_id)",
    }

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(Tenant.Registered)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                (
                    "INSERT INTO tenancy_tenants VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                    (
                        str(event.originator_id),
                        event.name,
                        "active",
                        event.timezone,
                        event.originator_version,
                        iso(event.timestamp),
                        iso(event.timestamp),
                    ),
                )
            ],
        )

    @process_event.register(Tenant.Renamed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._update_tenant(event, tracking, "name = ?", event.name)

    @process_event.register(Tenant.TimezoneChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._update_tenant(event, tracking, "timezone = ?", event.timezone)

    @process_event.register(Tenant.Suspended)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._update_tenant(event, tracking, "status = ?", "suspended")

    @process_event.register(Tenant.Reactivated)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._update_tenant(event, tracking, "status = ?", "active")

    @process_event.register(Tenant.HeadOfficeAssigned)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._update_tenant(event, tracking, "head_office_id = ?", str(event.head_office_id))

    @process_event.register(Tenant.OwnerChanged)
    @process_event.register(Tenant.SettingsUpdated)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._update_tenant(event, tracking, "status = status", None)

    def _update_tenant(self, event: Any, tracking: Tracking, assignment: str, value: Any) -> None:
        params = (value,) if value is not None else ()
        self.view.write(
            tracking,
            [
                (
                    f"UPDATE tenancy_tenants SET {assignment}, version = ?, updated_at = ? "
                    "WHERE tenant_id = ?",
                    (
                        *params,
                        event.originator_version,
                        iso(event.timestamp),
                        str(event.originator_id),
                    ),
                )
            ],
        )

    @process_event.register(ApiKey.Issued)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                (
                    "INSERT INTO tenancy_api_keys VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                    (
                        str(event.tenant_id),
                        str(event.originator_id),
                        event.name,
                        ",".join(event.roles),
                        str(event.employee_id) if event.employee_id else None,
                        event.originator_version,
                        iso(event.timestamp),
                    ),
                )
            ],
        )

    @process_event.register(ApiKey.Revoked)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                (
                    "UPDATE tenancy_api_keys SET revoked = 1, version = ? WHERE key_id = ?",
                    (event.originator_version, str(event.originator_id)),
                )
            ],
        )

    @process_event.register(StaffAccount.Enrolled)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                (
                    "INSERT INTO tenancy_staff VALUES (?, ?, ?, ?, 1, ?, ?)",
                    (
                        str(event.originator_id),
                        event.email,
                        event.display_name,
                        ",".join(event.roles),
                        event.originator_version,
                        iso(event.timestamp),
                    ),
                )
            ],
        )

    @process_event.register(StaffAccount.Disabled)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                (
                    "UPDATE tenancy_staff SET active = 0, version = ? WHERE staff_id = ?",
                    (event.originator_version, str(event.originator_id)),
                )
            ],
        )


class TenancyQueries:
    """Lists served from the tenancy read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def tenants(
        self,
        *,
        status: str | None,
        name_contains: str | None,
        cursor: str | None,
        limit: int,
        head_office_id: UUID | None = None,
    ) -> Page[TenantSummary]:
        where, params = ["1 = 1"], []
        if head_office_id:
            where.append("head_office_id = ?")
            params.append(str(head_office_id))
        if status:
            where.append("status = ?")
            params.append(status)
        if name_contains:
            where.append("LOWER(name) LIKE ?")
            params.append(f"%{name_contains.lower()}%")
        page = fetch_page(
            self.view,
            table="tenancy_tenants",
            where=" AND ".join(where),
            params=params,
            order_by=("created_at", "tenant_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                TenantSummary(
                    id=UUID(row["tenant_id"]),
                    name=row["name"],
                    status=row["status"],
                    timezone=row["timezone"],
                    version=row["version"],
                    created_at=parse_iso(row["created_at"]),
                    updated_at=parse_iso(row["updated_at"]),
                    head_office_id=UUID(row["head_office_id"]) if row["head_office_id"] else None,
                )
                for row in page.items
            ],
            page.next_cursor,
        )

    def api_keys(self, tenant_id: UUID, *, cursor: str | None, limit: int) -> Page[ApiKeyDetails]:
        page = fetch_page(
            self.view,
            table="tenancy_api_keys",
            where="tenant_id = ?",
            params=[str(tenant_id)],
            order_by=("created_at", "key_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                ApiKeyDetails(
                    id=UUID(row["key_id"]),
                    tenant_id=UUID(row["tenant_id"]),
                    name=row["name"],
                    roles=row["roles"].split(","),
                    revoked=bool(row["revoked"]),
                    employee_id=UUID(row["employee_id"]) if row["employee_id"] else None,
                    version=row["version"],
                    created_at=parse_iso(row["created_at"]),
                )
                for row in page.items
            ],
            page.next_cursor,
        )

    def staff(self, *, cursor: str | None, limit: int) -> Page[StaffDetails]:
        page = fetch_page(
            self.view,
            table="tenancy_staff",
            where="1 = 1",
            params=[],
            order_by=("created_at", "staff_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                StaffDetails(
                    id=UUID(row["staff_id"]),
                    email=row["email"],
                    display_name=row["display_name"],
                    roles=row["roles"].split(","),
                    active=bool(row["active"]),
                    version=row["version"],
                    created_at=parse_iso(row["created_at"]),
                )
                for row in page.items
            ],
            page.next_cursor,
        )
