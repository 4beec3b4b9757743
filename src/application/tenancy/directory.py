"""The tenancy read model: lists of tenants, API keys and staff accounts (back office)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from pydantic import BaseModel

from application.shared.pages import Page, fetch_page
from application.shared.tenant_rows import RecordTenants, insert, update
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
    version = 2  # 2: tenant-first statements, record tenants
    follows = ("tenancy",)
    tenants = RecordTenants("tenancy_record_tenants")
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
        **tenants.definition,
    }
    indexes = {
        "tenancy_tenants_created": "tenancy_tenants (created_at, tenant_id)",
        "tenancy_tenants_branches": "tenancy_tenants (head_office_id, created_at, tenant_id)",
        "tenancy_api_keys_created": "tenancy_api_keys (tenant_id, created_at, key_id)",
        "tenancy_staff_created": "tenancy_staff (created_at, staff_id)",
    }
    # What serves the platform rather than one tenant, and why (DESIGN: tenant_id leads
    # every other key and index).
    platform_wide = {
        "tenancy_staff": "staff accounts belong to the platform, not to a tenant",
        "tenancy_tenants_created": "the back office lists every tenant, newest first",
        "tenancy_tenants_branches": "a head office's branches are other tenants",
        tenants.table: "whose record an id is, for events stored unstamped",
    }

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(Tenant.Registered)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                insert(
                    "tenancy_tenants",
                    {
                        "tenant_id": str(event.originator_id),
                        "name": event.name,
                        "status": "active",
                        "timezone": event.timezone,
                        "version": event.originator_version,
                        "created_at": iso(event.timestamp),
                        "updated_at": iso(event.timestamp),
                        "head_office_id": None,
                    },
                )
            ],
        )

    @process_event.register(Tenant.Renamed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._update_tenant(event, tracking, name=event.name)

    @process_event.register(Tenant.TimezoneChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._update_tenant(event, tracking, timezone=event.timezone)

    @process_event.register(Tenant.Suspended)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._update_tenant(event, tracking, status="suspended")

    @process_event.register(Tenant.Reactivated)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._update_tenant(event, tracking, status="active")

    @process_event.register(Tenant.HeadOfficeAssigned)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._update_tenant(event, tracking, head_office_id=str(event.head_office_id))

    @process_event.register(Tenant.OwnerChanged)
    @process_event.register(Tenant.SettingsUpdated)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._update_tenant(event, tracking)

    def _update_tenant(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        changes = {**changes, "version": event.originator_version}
        changes["updated_at"] = iso(event.timestamp)
        # A tenant is its own record: its id is the tenant.
        where = {"tenant_id": str(event.originator_id)}
        self.view.write(tracking, [update("tenancy_tenants", changes, where=where)])

    @process_event.register(ApiKey.Issued)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                insert(
                    "tenancy_api_keys",
                    {
                        "tenant_id": str(event.tenant_id),
                        "key_id": str(event.originator_id),
                        "name": event.name,
                        "roles": ",".join(event.roles),
                        "employee_id": str(event.employee_id) if event.employee_id else None,
                        "revoked": 0,
                        "version": event.originator_version,
                        "created_at": iso(event.timestamp),
                    },
                ),
                *self.tenants.remember(self.view, event, event.tenant_id),
            ],
        )

    @process_event.register(ApiKey.Revoked)
    def _(self, event: Any, tracking: Tracking) -> None:
        where = {"tenant_id": self.tenants.of(self.view, event), "key_id": str(event.originator_id)}
        changes = {"revoked": 1, "version": event.originator_version}
        self.view.write(tracking, [update("tenancy_api_keys", changes, where=where)])

    @process_event.register(StaffAccount.Enrolled)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                insert(
                    "tenancy_staff",
                    {
                        "staff_id": str(event.originator_id),
                        "email": event.email,
                        "display_name": event.display_name,
                        "roles": ",".join(event.roles),
                        "active": 1,
                        "version": event.originator_version,
                        "created_at": iso(event.timestamp),
                    },
                )
            ],
        )

    @process_event.register(StaffAccount.Disabled)
    def _(self, event: Any, tracking: Tracking) -> None:
        changes = {"active": 0, "version": event.originator_version}
        where = {"staff_id": str(event.originator_id)}  # a platform record: no tenant
        self.view.write(tracking, [update("tenancy_staff", changes, where=where)])


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
