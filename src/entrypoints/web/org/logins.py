"""An employee's console login (ORG-1/ORG-2 in the console): a tenant admin gives one,
with the employee's e-mail or mobile as the identifier and an optional initial password
(without one, a set-password link goes out through the outbox), or revokes it after a
confirmation step. Signed in, the employee acts with their own roles and data scope."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.logins.commands import GrantEmployeeLogin
from application.logins.directory import LoginQueries, LoginSummary
from application.logins.logins import Logins
from application.org.commands import EmployeeDetails
from application.org.organisation import Organisation
from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput, NotFound
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, parse_form, reason_of
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import confirm_page, page, redirect, tenant_may
from entrypoints.web.sessions import Flash

EMPLOYEES = "/console/employees"


class EmployeeLoginPages(Controller):
    path = "/employees/{employee_id:uuid}/login"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def grant_form(
        self,
        request: Request[Any, Any, Any],
        employee_id: UUID,
        org: Organisation,
        login_queries: LoginQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, "logins", Action.CREATE)
        employee = org.employee(caller.tenant_id, employee_id)  # 404 for another tenant's
        existing = _live_login(login_queries, caller, employee)
        if existing is not None:
            return redirect(request, f"{EMPLOYEES}/{employee.id}")
        values = {"identifier": employee.email or employee.mobile or ""}
        return _grant_page(request, employee, values, {})

    @post("/")
    async def grant(
        self,
        request: Request[Any, Any, Any],
        employee_id: UUID,
        org: Organisation,
        logins: Logins,
    ) -> Response[Any]:
        caller = tenant_may(request, "logins", Action.CREATE)
        employee = await in_thread(lambda: org.employee(caller.tenant_id, employee_id))
        data = await form_data(request)
        try:
            password = _password(data)
            command = parse_form(
                GrantEmployeeLogin,
                {"employee_id": str(employee.id), "identifier": data.get("identifier", "")},
            ).model_copy(update={"password": password})
            # Argon2 hashing takes a while: off the event loop, like signing in.
            await change(lambda: logins.grant_employee_login(caller, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = errors_of(refusal)
        else:
            done = _("已开通登录") if password else _("已开通登录，设置密码的链接已发给员工")
            return redirect(request, f"{EMPLOYEES}/{employee.id}", flash=Flash("success", done))
        values = {"identifier": data.get("identifier", "")}
        return _grant_page(request, employee, values, errors)

    @get("/revoke", sync_to_thread=True)
    def revoke_confirmation(
        self,
        request: Request[Any, Any, Any],
        employee_id: UUID,
        org: Organisation,
        login_queries: LoginQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, "logins", Action.DELETE)
        employee = org.employee(caller.tenant_id, employee_id)
        login = _live_login(login_queries, caller, employee)
        if login is None:
            raise NotFound(f"employee {employee.id} has no login")
        return _revoke_page(request, employee, login, {})

    @post("/revoke")
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        employee_id: UUID,
        org: Organisation,
        logins: Logins,
        login_queries: LoginQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, "logins", Action.DELETE)
        employee = await in_thread(lambda: org.employee(caller.tenant_id, employee_id))
        login = await in_thread(lambda: _live_login(login_queries, caller, employee))
        if login is None:
            raise NotFound(f"employee {employee.id} has no login")
        data = await form_data(request)
        try:
            await change(
                lambda: logins.revoke(caller, login.login_id),
                reason=reason_of(data),
            )
        except DomainError as refusal:  # revoked meanwhile
            return _revoke_page(request, employee, login, errors_of(refusal), 409)
        return redirect(
            request, f"{EMPLOYEES}/{employee.id}", flash=Flash("success", _("登录已撤销"))
        )


def _live_login(
    login_queries: LoginQueries, caller: TenantCaller, employee: EmployeeDetails
) -> LoginSummary | None:
    return login_queries.of_employees(caller.tenant_id, [employee.id]).get(employee.id)


def _password(data: dict[str, Any]) -> str | None:
    """The initial password typed twice, or None: the employee sets one by link."""
    password = str(data.get("password", "") or "")
    if not password:
        return None
    if password != data.get("password_confirmation"):
        raise FormErrors({"password_confirmation": _("两次输入的密码不一致")})
    return password


def _grant_page(
    request: Request[Any, Any, Any],
    employee: EmployeeDetails,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response[Any]:
    return page(
        request,
        "org/login_form.html",
        title=_("开通控制台登录"),
        employee=employee,
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


def _revoke_page(
    request: Request[Any, Any, Any],
    employee: EmployeeDetails,
    login: LoginSummary,
    errors: dict[str, str],
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("撤销控制台登录"),
        description=_(
            "撤销后「{name}」（{identifier}）立即退出所有会话，不能再登录控制台；"
            "员工记录和角色不变。"
        ).format(name=employee.name, identifier=login.identifier.split(":", 1)[-1]),
        action=f"{EMPLOYEES}/{employee.id}/login/revoke",
        confirm_label=_("确认撤销"),
        reason_required=False,
        errors=errors,
        cancel=f"{EMPLOYEES}/{employee.id}",
        status=status,
    )
