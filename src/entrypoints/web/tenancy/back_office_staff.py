"""Back office: platform staff accounts (as /api/v1/admin/staff): the list with who can
sign in to the console, enrolling a staff member (the token shown once), disabling an
account, and giving a staff member a console login with an initial password."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.logins.commands import GrantStaffLogin
from application.logins.directory import LoginQueries
from application.logins.logins import Logins
from application.shared.errors import AlreadyExists, InvalidInput
from application.shared.history import RecordHistory
from application.shared.pages import DEFAULT_LIMIT
from application.tenancy.commands import EnrolStaff, StaffDetails
from application.tenancy.directory import TenancyQueries
from application.tenancy.tenancy import Tenancy
from domain.shared.access import Action
from domain.shared.errors import InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import (
    FormErrors,
    errors_of,
    form_data,
    listed,
    parse_form,
    reason_of,
    version_of,
)
from entrypoints.web.i18n import gettext as _
from entrypoints.web.i18n import local_time
from entrypoints.web.pages import (
    confirm_page,
    history_for,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    staff_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import Cell, Column, Row, Table
from entrypoints.web.tenancy.back_office_labels import (
    ADMIN,
    TEMPLATE_HELPERS,
    role_label,
    role_options,
)
from entrypoints.web.tenancy.record_pages import record_page

FORM_REFUSALS = (FormErrors, InvalidInput, InvalidValue, AlreadyExists)


class StaffPages(Controller):
    path = "/admin/staff"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def staff(
        self,
        request: Request[Any, Any, Any],
        tenancy_queries: TenancyQueries,
        login_queries: LoginQueries,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = staff_may(request, "staff", Action.READ)
        found = tenancy_queries.staff(cursor=cursor or None, limit=DEFAULT_LIMIT)
        logins = login_queries.of_staff([member.id for member in found.items])  # one query
        timezone = signed_in_viewer(request).timezone
        table = Table(
            id="staff",
            url=f"{ADMIN}/staff",
            caption="平台员工",
            columns=[
                Column("display_name", "姓名"),
                Column("email", "邮箱"),
                Column("roles", "角色"),
                Column("active", "状态"),
                Column("login", "控制台登录"),
                Column("created_at", "加入时间"),
            ],
            rows=[
                Row(
                    str(member.id),
                    [
                        Cell(member.display_name, href=f"{ADMIN}/staff/{member.id}"),
                        Cell(member.email),
                        Cell("、".join(role_label(role) for role in member.roles)),
                        Cell(
                            _("正常") if member.active else _("已停用"),
                            badge="ok" if member.active else "bad",
                        ),
                        Cell(logins[member.id].identifier if member.id in logins else _("无")),
                        Cell(local_time(member.created_at, timezone)),
                    ],
                )
                for member in found.items
            ],
            next_cursor=found.next_cursor,
            query=query_of(request, ("cursor",)),
            empty_message="暂无平台员工",
        )
        actions = (
            [(_("添加平台员工"), f"{ADMIN}/staff/new")]
            if caller.may("staff", Action.CREATE)
            else []
        )
        return page(
            request,
            "tenancy/back_office/list.html",
            title=_("平台员工"),
            table=table,
            actions=actions,
        )

    # --- enrol -----------------------------------------------------------------------

    @get("/new", sync_to_thread=False)
    def enrol_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        staff_may(request, "staff", Action.CREATE)
        return self._enrol_form(request, {}, {})

    @post("/new")
    async def enrol(self, request: Request[Any, Any, Any], tenancy: Tenancy) -> Response[Any]:
        staff_may(request, "staff", Action.CREATE)
        data = await form_data(request)
        data["roles"] = listed(data.get("roles", []))
        try:
            command = parse_form(EnrolStaff, data)
            enrolled = await change(lambda: tenancy.enrol_staff(command))
        except FORM_REFUSALS as refusal:
            errors = {
                ("roles" if k.startswith("roles") else k): v for k, v in errors_of(refusal).items()
            }
            return self._enrol_form(request, data, errors, 422)
        # The token is in this answer only: shown on this page, never again.
        return page(
            request,
            "tenancy/back_office/enrolled.html",
            title=_("已添加平台员工"),
            member=enrolled,
            **TEMPLATE_HELPERS,
        )

    def _enrol_form(
        self,
        request: Request[Any, Any, Any],
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response[Any]:
        return page(
            request,
            "tenancy/back_office/enrol.html",
            title=_("添加平台员工"),
            values=values,
            errors=errors,
            roles=role_options(),
            status=status,
        )

    # --- one staff member ------------------------------------------------------------

    @get("/{staff_id:uuid}", sync_to_thread=True)
    def member(
        self,
        request: Request[Any, Any, Any],
        staff_id: UUID,
        tenancy: Tenancy,
        login_queries: LoginQueries,
        history: RecordHistory,
    ) -> Response[Any]:
        staff = staff_may(request, "staff", Action.READ)
        member = tenancy.staff(staff_id)
        login = login_queries.of_staff([staff_id]).get(staff_id)
        return record_page(
            request,
            "tenancy/back_office/staff_member.html",
            title=member.display_name,
            record_id=staff_id,
            caller=staff,
            history=history,
            member=member,
            login=login,
            may_disable=member.active and staff.may("staff", Action.CLOSE),
            may_grant=member.active and login is None and staff.may("staff", Action.CREATE),
            login_history=history_for(history, staff, login.login_id) if login else None,
            **TEMPLATE_HELPERS,
        )

    # --- disable ---------------------------------------------------------------------

    @get("/{staff_id:uuid}/disable", sync_to_thread=True)
    def disable_form(
        self, request: Request[Any, Any, Any], staff_id: UUID, tenancy: Tenancy
    ) -> Response[Any]:
        staff_may(request, "staff", Action.CLOSE)
        return self._disable_form(request, tenancy.staff(staff_id), {})

    @post("/{staff_id:uuid}/disable")
    async def disable(
        self, request: Request[Any, Any, Any], staff_id: UUID, tenancy: Tenancy
    ) -> Response[Any]:
        staff_may(request, "staff", Action.CLOSE)
        data = await form_data(request)
        try:
            version = version_of(data)
        except FormErrors as stale:
            member = await in_thread(lambda: tenancy.staff(staff_id))
            return self._disable_form(request, member, stale.errors, 422)
        # The version the confirmation page showed: a change since then answers 409.
        await change(
            lambda: tenancy.disable_staff(staff_id, expected_version=version),
            reason=reason_of(data),
        )
        return redirect(
            request, f"{ADMIN}/staff/{staff_id}", flash=Flash("success", _("已停用平台员工"))
        )

    def _disable_form(
        self,
        request: Request[Any, Any, Any],
        member: StaffDetails,
        errors: dict[str, str],
        status: int = 200,
    ) -> Response[Any]:
        return confirm_page(
            request,
            title=_("停用平台员工"),
            description=_(
                "停用 {name}（{email}）：其访问令牌立即失效，且无法恢复；账号保留在历史中。"
            ).format(name=member.display_name, email=member.email),
            action=f"{ADMIN}/staff/{member.id}/disable",
            cancel=f"{ADMIN}/staff/{member.id}",
            confirm_label=_("确认停用"),
            reason_required=False,
            fields={"version": member.version},
            errors=errors,
            status=status,
        )

    # --- a console login -------------------------------------------------------------

    @get("/{staff_id:uuid}/login", sync_to_thread=True)
    def login_form(
        self, request: Request[Any, Any, Any], staff_id: UUID, tenancy: Tenancy
    ) -> Response[Any]:
        staff_may(request, "staff", Action.CREATE)
        member = tenancy.staff(staff_id)
        return self._login_form(request, member, {"identifier": member.email}, {})

    @post("/{staff_id:uuid}/login")
    async def grant_login(
        self, request: Request[Any, Any, Any], staff_id: UUID, tenancy: Tenancy, logins: Logins
    ) -> Response[Any]:
        staff_may(request, "staff", Action.CREATE)
        data = await form_data(request)
        try:
            password = str(data.get("password", ""))
            if not password:
                raise FormErrors({"password": _("必填")})
            if password != data.get("password_confirmation"):
                raise FormErrors({"password_confirmation": _("两次输入的密码不一致")})
            command = parse_form(GrantStaffLogin, {**data, "staff_id": staff_id})
            await change(lambda: logins.grant_staff_login(command))
        except FORM_REFUSALS as refusal:
            member = await in_thread(lambda: tenancy.staff(staff_id))
            values = {"identifier": data.get("identifier", "")}
            return self._login_form(request, member, values, errors_of(refusal), 422)
        return redirect(
            request,
            f"{ADMIN}/staff/{staff_id}",
            flash=Flash("success", _("已开通控制台登录")),
        )

    def _login_form(
        self,
        request: Request[Any, Any, Any],
        member: StaffDetails,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response[Any]:
        return page(
            request,
            "tenancy/back_office/grant_login.html",
            title=_("开通控制台登录"),
            member=member,
            values=values,
            errors=errors,
            status=status,
        )
