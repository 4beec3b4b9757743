"""Routes of the caller's own tenant and its API keys (TEN-1, ORG-1)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import Parameter

from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT, MAX_LIMIT
from application.tenancy.commands import (
    ApiKeyDetails,
    IssueApiKey,
    IssuedApiKey,
    TenantDetails,
    UpdateTenant,
)
from application.tenancy.directory import TenancyQueries
from application.tenancy.tenancy import Tenancy
from domain.shared.access import Action
from entrypoints.http.conventions import (
    ListOf,
    if_match,
    optional_if_match,
    page_of,
    tenant_may,
    with_etag,
)

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[str | None, Parameter(description="next_cursor of the previous page")]


class TenantController(Controller):
    path = "/api/v1/tenant"
    tags = ["tenant"]

    @get(
        "/",
        operation_id="getTenant",
        guards=[tenant_may("tenant", Action.READ)],
        sync_to_thread=True,
    )
    def get_tenant(self, tenancy: Tenancy, caller: TenantCaller) -> Response[TenantDetails]:
        """The caller's tenant: name, owner, timezone, settings and status.

        Its `ETag` is the version to send as `If-Match` when changing it."""
        return with_etag(tenancy.tenant(caller.tenant_id))

    @patch(
        "/",
        operation_id="updateTenant",
        guards=[tenant_may("tenant", Action.UPDATE)],
        sync_to_thread=True,
    )
    def update_tenant(
        self,
        request: Request[Any, Any, Any],
        data: UpdateTenant,
        tenancy: Tenancy,
        caller: TenantCaller,
    ) -> Response[TenantDetails]:
        """Change the tenant's name, owner, timezone or settings.

        Only the fields sent change; `settings` keys are merged (a `null` value removes one)."""
        version = if_match(request)
        return with_etag(tenancy.update_tenant(caller.tenant_id, data, expected_version=version))


class ApiKeyController(Controller):
    path = "/api/v1/api-keys"
    tags = ["access"]

    @get(
        "/",
        operation_id="listApiKeys",
        guards=[tenant_may("access", Action.READ)],
        sync_to_thread=True,
    )
    def list_keys(
        self,
        tenancy_queries: TenancyQueries,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[ApiKeyDetails]:
        """The tenant's API keys, newest first (never their secrets)."""
        return page_of(tenancy_queries.api_keys(caller.tenant_id, cursor=cursor, limit=limit))

    @post(
        "/",
        operation_id="issueApiKey",
        guards=[tenant_may("access", Action.CREATE)],
        sync_to_thread=True,
    )
    def issue_key(
        self, data: IssueApiKey, tenancy: Tenancy, caller: TenantCaller
    ) -> Response[IssuedApiKey]:
        """Issue an API key with ORG-1 roles.

        The `token` is shown in this answer only: store it now. `employee_id` makes the
        key act as that employee (their data scope applies)."""
        return with_etag(tenancy.issue_api_key(caller.tenant_id, data), status_code=201)

    @get(
        "/{key_id:uuid}",
        operation_id="getApiKey",
        guards=[tenant_may("access", Action.READ)],
        sync_to_thread=True,
    )
    def get_key(
        self, key_id: UUID, tenancy: Tenancy, caller: TenantCaller
    ) -> Response[ApiKeyDetails]:
        """One API key of the tenant."""
        return with_etag(tenancy.api_key(caller.tenant_id, key_id))

    @delete(
        "/{key_id:uuid}",
        operation_id="revokeApiKey",
        status_code=200,
        guards=[tenant_may("access", Action.DELETE)],
        sync_to_thread=True,
    )
    def revoke_key(
        self,
        request: Request[Any, Any, Any],
        key_id: UUID,
        tenancy: Tenancy,
        caller: TenantCaller,
    ) -> Response[ApiKeyDetails]:
        """Revoke an API key for good.

        Requests with it answer 401 from now on; the key stays listed as `revoked`."""
        version = optional_if_match(request)
        return with_etag(tenancy.revoke_api_key(caller.tenant_id, key_id, expected_version=version))

    @post(
        "/{key_id:uuid}/revoke",
        operation_id="revokeApiKeyAction",
        status_code=200,
        guards=[tenant_may("access", Action.DELETE)],
        sync_to_thread=True,
        deprecated=True,
    )
    def revoke_key_action(
        self,
        request: Request[Any, Any, Any],
        key_id: UUID,
        tenancy: Tenancy,
        caller: TenantCaller,
    ) -> Response[ApiKeyDetails]:
        """Revoke an API key (the former route).

        The same as `DELETE /api/v1/api-keys/{key_id}`, kept for existing clients."""
        version = optional_if_match(request)
        return with_etag(tenancy.revoke_api_key(caller.tenant_id, key_id, expected_version=version))
