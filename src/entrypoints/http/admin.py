"""The back office under /api/v1/admin: tenants and staff, for platform staff (TEN-1, BIL-6)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post

from application.shared.history import HistoryEntry, RecordHistory
from application.shared.pages import DEFAULT_LIMIT
from application.tenancy.commands import (
    ApiKeyDetails,
    EnrolledStaff,
    EnrolStaff,
    IssueApiKey,
    IssuedApiKey,
    RegisterTenant,
    StaffDetails,
    SuspendTenant,
    TenantDetails,
    UpdateTenant,
)
from application.tenancy.directory import TenancyQueries, TenantSummary
from application.tenancy.tenancy import Tenancy
from domain.shared.access import Action
from domain.tenancy import TenantStatus
from entrypoints.http.conventions import (
    ListOf,
    if_match,
    page_of,
    staff_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit


class AdminTenantController(Controller):
    path = "/api/v1/admin/tenants"
    tags = ["admin"]

    @get(
        "/",
        operation_id="adminListTenants",
        guards=[staff_may("tenants", Action.READ)],
        sync_to_thread=True,
    )
    def list_tenants(
        self,
        tenancy_queries: TenancyQueries,
        status: TenantStatus | None = None,
        q: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[TenantSummary]:
        """Tenants, newest first.

        Filter by `status` and by a part of the name (`q`)."""
        return page_of(
            tenancy_queries.tenants(
                status=status.value if status else None, name_contains=q, cursor=cursor, limit=limit
            )
        )

    @post(
        "/",
        operation_id="adminRegisterTenant",
        guards=[staff_may("tenants", Action.CREATE)],
        sync_to_thread=True,
    )
    def register(self, data: RegisterTenant, tenancy: Tenancy) -> Response[TenantDetails]:
        """Register an enterprise as a tenant.

        Then issue its first `tenant_admin` key with
        `POST /api/v1/admin/tenants/{tenant_id}/api-keys`."""
        return with_etag(tenancy.register_tenant(data), status_code=201)

    @get(
        "/{tenant_id:uuid}",
        operation_id="adminGetTenant",
        guards=[staff_may("tenants", Action.READ)],
        sync_to_thread=True,
    )
    def get_tenant(self, tenant_id: UUID, tenancy: Tenancy) -> Response[TenantDetails]:
        """One tenant, with its status and settings."""
        return with_etag(tenancy.tenant(tenant_id))

    @patch(
        "/{tenant_id:uuid}",
        operation_id="adminUpdateTenant",
        guards=[staff_may("tenants", Action.UPDATE)],
        sync_to_thread=True,
    )
    def update(
        self,
        request: Request[Any, Any, Any],
        tenant_id: UUID,
        data: UpdateTenant,
        tenancy: Tenancy,
    ) -> Response[TenantDetails]:
        """Change a tenant's name, owner, timezone or settings."""
        return with_etag(tenancy.update_tenant(tenant_id, data, expected_version=if_match(request)))

    @post(
        "/{tenant_id:uuid}/suspend",
        operation_id="adminSuspendTenant",
        status_code=200,
        guards=[staff_may("tenants", Action.CLOSE)],
        sync_to_thread=True,
    )
    def suspend(
        self,
        request: Request[Any, Any, Any],
        tenant_id: UUID,
        data: SuspendTenant,
        tenancy: Tenancy,
    ) -> Response[TenantDetails]:
        """Suspend a tenant, with a reason.

        Its API keys answer 403 until it is reactivated; nothing is deleted."""
        return with_etag(
            tenancy.suspend_tenant(tenant_id, data.reason, expected_version=if_match(request))
        )

    @post(
        "/{tenant_id:uuid}/reactivate",
        operation_id="adminReactivateTenant",
        status_code=200,
        guards=[staff_may("tenants", Action.UPDATE)],
        sync_to_thread=True,
    )
    def reactivate(
        self, request: Request[Any, Any, Any], tenant_id: UUID, tenancy: Tenancy
    ) -> Response[TenantDetails]:
        """Lift a tenant's suspension."""
        return with_etag(tenancy.reactivate_tenant(tenant_id, expected_version=if_match(request)))

    @get(
        "/{tenant_id:uuid}/api-keys",
        operation_id="adminListApiKeys",
        guards=[staff_may("tenants", Action.READ)],
        sync_to_thread=True,
    )
    def list_keys(
        self,
        tenant_id: UUID,
        tenancy: Tenancy,
        tenancy_queries: TenancyQueries,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[ApiKeyDetails]:
        """A tenant's API keys, newest first (never their secrets)."""
        tenancy.tenant(tenant_id)  # 404 for an unknown tenant
        return page_of(tenancy_queries.api_keys(tenant_id, cursor=cursor, limit=limit))

    @post(
        "/{tenant_id:uuid}/api-keys",
        operation_id="adminIssueApiKey",
        guards=[staff_may("tenants", Action.CREATE)],
        sync_to_thread=True,
    )
    def issue_key(
        self, tenant_id: UUID, data: IssueApiKey, tenancy: Tenancy
    ) -> Response[IssuedApiKey]:
        """Issue an API key for a tenant, e.g. its first `tenant_admin` key.

        The `token` is shown in this answer only."""
        return with_etag(tenancy.issue_api_key(tenant_id, data), status_code=201)


class AdminStaffController(Controller):
    path = "/api/v1/admin/staff"
    tags = ["admin"]

    @get(
        "/",
        operation_id="adminListStaff",
        guards=[staff_may("staff", Action.READ)],
        sync_to_thread=True,
    )
    def list_staff(
        self, tenancy_queries: TenancyQueries, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> ListOf[StaffDetails]:
        """Staff accounts, newest first."""
        return page_of(tenancy_queries.staff(cursor=cursor, limit=limit))

    @post(
        "/",
        operation_id="adminEnrolStaff",
        guards=[staff_may("staff", Action.CREATE)],
        sync_to_thread=True,
    )
    def enrol(self, data: EnrolStaff, tenancy: Tenancy) -> Response[EnrolledStaff]:
        """Enrol a platform staff member.

        The `token` is shown in this answer only."""
        return with_etag(tenancy.enrol_staff(data), status_code=201)

    @get(
        "/{staff_id:uuid}",
        operation_id="adminGetStaff",
        guards=[staff_may("staff", Action.READ)],
        sync_to_thread=True,
    )
    def get_staff(self, staff_id: UUID, tenancy: Tenancy) -> Response[StaffDetails]:
        """One staff account."""
        return with_etag(tenancy.staff(staff_id))

    @delete(
        "/{staff_id:uuid}",
        operation_id="adminDisableStaff",
        status_code=200,
        guards=[staff_may("staff", Action.CLOSE)],
        sync_to_thread=True,
    )
    def disable(
        self, request: Request[Any, Any, Any], staff_id: UUID, tenancy: Tenancy
    ) -> Response[StaffDetails]:
        """Disable a staff account for good.

        Its token answers 401 from now on; the account stays in the history."""
        return with_etag(tenancy.disable_staff(staff_id, expected_version=if_match(request)))

    @post(
        "/{staff_id:uuid}/disable",
        operation_id="adminDisableStaffAction",
        status_code=200,
        guards=[staff_may("staff", Action.CLOSE)],
        sync_to_thread=True,
        deprecated=True,
    )
    def disable_action(
        self, request: Request[Any, Any, Any], staff_id: UUID, tenancy: Tenancy
    ) -> Response[StaffDetails]:
        """Disable a staff account (the former route).

        The same as `DELETE /api/v1/admin/staff/{staff_id}`, kept for existing clients."""
        return with_etag(tenancy.disable_staff(staff_id, expected_version=if_match(request)))


class AdminHistoryController(Controller):
    path = "/api/v1/admin/history"
    tags = ["admin", "history"]

    @get(
        "/{aggregate_id:uuid}",
        operation_id="adminGetHistory",
        guards=[staff_may("history", Action.READ)],
        sync_to_thread=True,
    )
    def history(self, aggregate_id: UUID, history: RecordHistory) -> list[HistoryEntry]:
        """Every event of any record, with actor, request id and reason (AUD-2)."""
        return history.of(aggregate_id, tenant_id=None)
