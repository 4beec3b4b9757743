"""Routes of WeCom live codes and welcome messages (渠道活码与欢迎语, WECOM-1)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response
from litestar.params import Parameter

from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from application.wecom.department_welcomes import DepartmentWelcomeMessages
from application.wecom.live_code_commands import (
    DepartmentWelcomesDetails,
    LiveCodeDetails,
    LiveCodeStats,
    MakeLiveCode,
    ReviseLiveCode,
    SetDepartmentWelcome,
)
from application.wecom.live_code_directory import MAX_STATS_DAYS, LiveCodeQueries
from application.wecom.live_codes import LiveCodes
from domain.shared.access import Action
from entrypoints.http.conventions import (
    IF_MATCH,
    OPTIONAL_IF_MATCH,
    ListOf,
    get,
    page_of,
    patch,
    post,
    put,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit

Days = Annotated[int, Parameter(ge=1, le=MAX_STATS_DAYS, description="days back, today included")]


class WecomLiveCodeController(Controller):
    path = "/api/v1/wecom/live-codes"
    tags = ["wecom"]
    guards = [tenant_may("wecom_live_codes")]
    dependencies = IF_MATCH

    @get("/", operation_id="listWecomLiveCodes")
    def list_codes(
        self,
        wecom_live_code_queries: LiveCodeQueries,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        archived: bool = False,
    ) -> ListOf[LiveCodeDetails]:
        """The tenant's live codes, newest first (archived ones with `archived=true`)."""
        return page_of(
            wecom_live_code_queries.codes_of(
                caller.tenant_id, cursor=cursor, limit=limit, archived=archived
            )
        )

    @post("/", operation_id="makeWecomLiveCode", may=Action.CREATE)
    def make(
        self, data: MakeLiveCode, wecom_live_codes: LiveCodes, caller: TenantCaller
    ) -> Response[LiveCodeDetails]:
        """Make an employee code (员工活码: one employee, or several in turn or by load,
        with daily caps and a backup; tags and a welcome message for each new customer)
        or a group code (群活码: up to 5 customer groups, filled in turn) at WeCom.
        404 `corp` without a bound corp; 502 when WeCom refuses."""
        return with_etag(wecom_live_codes.make(caller.tenant_id, data), status_code=201)

    @get("/{live_code_id:uuid}", operation_id="getWecomLiveCode")
    def get_code(
        self, live_code_id: UUID, wecom_live_codes: LiveCodes, caller: TenantCaller
    ) -> Response[LiveCodeDetails]:
        """One live code: its settings, its QR image and the employees (or groups) WeCom
        hands customers to now."""
        return with_etag(wecom_live_codes.code(caller.tenant_id, live_code_id))

    @patch("/{live_code_id:uuid}", operation_id="reviseWecomLiveCode")
    def revise(
        self,
        live_code_id: UUID,
        data: ReviseLiveCode,
        wecom_live_codes: LiveCodes,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[LiveCodeDetails]:
        """Change the code's settings (If-Match; omitted ones stay); WeCom gets the new
        user list or groups on the same QR code. A one-employee code given several
        employees gets a new QR code (WeCom fixes a code's type)."""
        return with_etag(
            wecom_live_codes.revise(
                caller.tenant_id, live_code_id, data, expected_version=expected_version
            )
        )

    @post(
        "/{live_code_id:uuid}/archive",
        operation_id="archiveWecomLiveCode",
        status_code=200,
        may=Action.DELETE,
    )
    def archive(
        self,
        live_code_id: UUID,
        wecom_live_codes: LiveCodes,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[LiveCodeDetails]:
        """Delete the code at WeCom and stop acting on it (If-Match); its counts stay."""
        return with_etag(
            wecom_live_codes.archive(
                caller.tenant_id, live_code_id, expected_version=expected_version
            )
        )

    @get("/{live_code_id:uuid}/stats", operation_id="getWecomLiveCodeStats")
    def stats(
        self,
        live_code_id: UUID,
        wecom_live_codes: LiveCodes,
        caller: TenantCaller,
        days: Days = 30,
    ) -> LiveCodeStats:
        """Customers added per day (the tenant's days) and per employee, today against
        each one's cap, welcome messages sent and failed."""
        return wecom_live_codes.stats(caller.tenant_id, live_code_id, days=days)


class WecomWelcomeController(Controller):
    path = "/api/v1/wecom/welcome-messages"
    tags = ["wecom"]
    guards = [tenant_may("wecom_live_codes")]
    dependencies = OPTIONAL_IF_MATCH

    @get("/", operation_id="listWecomDepartmentWelcomes")
    def list_welcomes(
        self, wecom_department_welcomes: DepartmentWelcomeMessages, caller: TenantCaller
    ) -> Response[DepartmentWelcomesDetails]:
        """Every department of the bound corp with its welcome message (部门欢迎语), or
        the department whose message it inherits (none before a corp is bound)."""
        return with_etag(wecom_department_welcomes.welcomes(caller.tenant_id))

    @put("/{wecom_department_id:int}", operation_id="setWecomDepartmentWelcome")
    def set_welcome(
        self,
        wecom_department_id: int,
        data: SetDepartmentWelcome,
        wecom_department_welcomes: DepartmentWelcomeMessages,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[DepartmentWelcomesDetails]:
        """Set or clear the welcome message of one WeCom department.

        `welcome: null` clears it; its sub-departments without their own use it.
        If-Match (optional) is the version of the list."""
        return with_etag(
            wecom_department_welcomes.set_welcome(
                caller.tenant_id, wecom_department_id, data, expected_version=expected_version
            )
        )
