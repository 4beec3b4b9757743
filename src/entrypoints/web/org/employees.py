"""Employee pages (企业设置 · 员工): the list with department and "include left" filters
and each one's console login; hire, edit profile / transfer / change roles, and record
leaving after a confirmation step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from pydantic import BaseModel

from application.logins.directory import LoginQueries, LoginSummary
from application.org.commands import EmployeeDetails, HireEmployee, ReviseEmployee
from application.org.directory import OrgQueries
from application.org.organisation import Organisation
from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput
from application.shared.history import RecordHistory
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import (
    FormErrors,
    errors_of,
    form_data,
    listed,
    optional_id,
    parse_form,
    reason_of,
    version_of,
)
from entrypoints.web.i18n import gettext as _
from entrypoints.web.i18n import local_time
from entrypoints.web.org.roles import role_names, role_options
from entrypoints.web.org.tree import department_options, names_of, open_departments
from entrypoints.web.pages import (
    confirm_page,
    history_for,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Option, Row, Table

BASE = "/console/employees"
FILTERS = ("department_id", "include_left", "cursor")
M = TypeVar("M", bound=BaseModel)


class EmployeePages(Controller):
    path = "/employees"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def employees(
        self,
        request: Request[Any, Any, Any],
        org_queries: OrgQueries,
        login_queries: LoginQueries,
        department_id: UUID | None = None,
        include_left: str | None = None,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.READ)
        timezone = signed_in_viewer(request).timezone
        departments = open_departments(org_queries, caller.tenant_id)
        department_names = names_of(departments)
        listed = org_queries.employees(
            caller.tenant_id,
            department_id=department_id,
            include_left=bool(include_left),
            cursor=cursor or None,
            limit=PAGE_SIZE,
        )
        # The login column for those who may read logins: one query for the whole page.
        shows_logins = caller.may("logins", Action.READ)
        logins = (
            login_queries.of_employees(caller.tenant_id, [e.id for e in listed.items])
            if shows_logins
            else {}
        )
        columns = [
            Column("name", "姓名"),
            Column("email", "邮箱"),
            Column("mobile", "手机号"),
            Column("department", "部门"),
            Column("roles", "角色"),
            Column("state", "状态"),
        ]
        if shows_logins:
            columns.append(Column("login", "控制台登录"))
        rows = []
        for employee in listed.items:
            cells = [
                Cell(employee.name, href=f"{BASE}/{employee.id}"),
                Cell(employee.email or "—"),
                Cell(employee.mobile or "—"),
                Cell(_department_name(employee.department_id, department_names)),
                Cell(role_names(employee.roles)),
                Cell(_("已离职"), badge="bad") if employee.left else Cell(_("在职"), badge="ok"),
            ]
            if shows_logins:
                cells.append(_login_cell(logins.get(employee.id), timezone))
            rows.append(Row(str(employee.id), cells))
        may_hire = caller.may("org", Action.CREATE)
        table = Table(
            id="employees",
            url=BASE,
            columns=columns,
            rows=rows,
            caption="员工",
            next_cursor=listed.next_cursor,
            filters=[
                Filter(
                    "department_id",
                    "部门",
                    kind="select",
                    options=tuple(Option(v, t) for v, t in department_options(departments)),
                ),
                Filter("include_left", "包含已离职员工", kind="checkbox"),
            ],
            query=query_of(request, FILTERS),
            empty_message="没有符合条件的员工",
            empty_action=("新增员工", f"{BASE}/new") if may_hire else None,
        )
        return page(request, "org/employees.html", title=_("员工"), table=table, may_hire=may_hire)

    @get("/new", sync_to_thread=True)
    def hire_form(
        self,
        request: Request[Any, Any, Any],
        org_queries: OrgQueries,
        department_id: UUID | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.CREATE)
        values = {"department_id": str(department_id or ""), "roles": []}
        return employee_form(request, org_queries, caller, None, values, {})

    @post("/new")
    async def hire(
        self, request: Request[Any, Any, Any], org: Organisation, org_queries: OrgQueries
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.CREATE)
        data = await form_data(request)
        try:
            command = _hire(data, _roles(data))
            hired = await change(lambda: org.hire_employee(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = errors_of(refusal)
        else:
            return redirect(request, f"{BASE}/{hired.id}", flash=Flash("success", _("员工已添加")))
        values = {**data, "roles": _roles(data)}
        return await in_thread(
            lambda: employee_form(request, org_queries, caller, None, values, errors)
        )

    @get("/{employee_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        employee_id: UUID,
        org: Organisation,
        login_queries: LoginQueries,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.READ)
        employee = org.employee(caller.tenant_id, employee_id)  # 404 for another tenant's
        department = (
            org.department(caller.tenant_id, employee.department_id)
            if employee.department_id
            else None
        )
        shows_logins = caller.may("logins", Action.READ)
        login = (
            login_queries.of_employees(caller.tenant_id, [employee.id]).get(employee.id)
            if shows_logins
            else None
        )
        return page(
            request,
            "org/employee.html",
            title=employee.name,
            employee=employee,
            department=department,
            roles=role_names(employee.roles),
            shows_logins=shows_logins,
            login=login,
            login_identifier=_identifier_shown(login.identifier) if login else "",
            may_grant=caller.may("logins", Action.CREATE) and not employee.left,
            may_revoke=caller.may("logins", Action.DELETE),
            may_update=caller.may("org", Action.UPDATE) and not employee.left,
            may_leave=caller.may("org", Action.CLOSE) and not employee.left,
            # ORG-3 through WeCom: the employee's customer transfers (the wecom context's page)
            shows_transfers=caller.may("wecom_transfers", Action.READ),
            history=history_for(history, caller, employee.id),
        )

    @get("/{employee_id:uuid}/edit", sync_to_thread=True)
    def edit_form(
        self,
        request: Request[Any, Any, Any],
        employee_id: UUID,
        org: Organisation,
        org_queries: OrgQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.UPDATE)
        employee = org.employee(caller.tenant_id, employee_id)
        values = {
            "name": employee.name,
            "email": employee.email or "",
            "mobile": employee.mobile or "",
            "department_id": str(employee.department_id or ""),
            "roles": list(employee.roles),
            "version": str(employee.version),
        }
        return employee_form(request, org_queries, caller, employee, values, {})

    @post("/{employee_id:uuid}/edit")
    async def revise(
        self,
        request: Request[Any, Any, Any],
        employee_id: UUID,
        org: Organisation,
        org_queries: OrgQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.UPDATE)
        current = await in_thread(lambda: org.employee(caller.tenant_id, employee_id))
        data = await form_data(request)
        roles = _roles(data)
        try:
            version = version_of(data)
            command = _revision(data, roles)
            await change(
                lambda: org.revise_employee(
                    caller.tenant_id, employee_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = errors_of(refusal)
        else:
            return redirect(request, f"{BASE}/{employee_id}", flash=Flash("success", _("已保存")))
        values = {**data, "roles": roles}
        return await in_thread(
            lambda: employee_form(request, org_queries, caller, current, values, errors)
        )

    @get("/{employee_id:uuid}/leave", sync_to_thread=True)
    def leave_confirmation(
        self, request: Request[Any, Any, Any], employee_id: UUID, org: Organisation
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.CLOSE)
        return _leave_page(request, org.employee(caller.tenant_id, employee_id), {})

    @post("/{employee_id:uuid}/leave")
    async def leave(
        self, request: Request[Any, Any, Any], employee_id: UUID, org: Organisation
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.CLOSE)
        employee = await in_thread(lambda: org.employee(caller.tenant_id, employee_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(
                lambda: org.record_leaving(caller.tenant_id, employee_id, expected_version=version),
                reason=reason_of(data),
            )
        except DomainError as refusal:  # already left
            return _leave_page(request, employee, errors_of(refusal), status=409)
        except FormErrors as invalid:
            return _leave_page(request, employee, invalid.errors, status=422)
        return redirect(request, f"{BASE}/{employee_id}", flash=Flash("success", _("已记录离职")))


def employee_form(
    request: Request[Any, Any, Any],
    org_queries: OrgQueries,
    caller: TenantCaller,
    employee: EmployeeDetails | None,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response[Any]:
    """The hire / edit form; with errors, again with what was typed (422)."""
    departments = open_departments(org_queries, caller.tenant_id)
    return page(
        request,
        "org/employee_form.html",
        title=_("编辑员工") if employee else _("新增员工"),
        employee=employee,
        departments=department_options(departments),
        role_choices=role_options(),
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


def _roles(data: dict[str, Any]) -> list[str]:
    """The ticked role checkboxes."""
    return listed(data.get("roles", []))


def _hire(data: dict[str, Any], roles: list[str]) -> HireEmployee:
    """The hire command, or every field's error at once."""
    return _checked(lambda: parse_form(HireEmployee, {**data, "roles": roles}), data, roles)


def _revision(data: dict[str, Any], roles: list[str]) -> ReviseEmployee:
    """Every field of the edit form: an emptied e-mail, mobile or department is cleared;
    the use case records only what differs (profile, transfer, roles)."""
    typed = _checked(lambda: parse_form(ReviseEmployee, {**data, "roles": roles}), data, roles)
    cleared = {
        name: None for name in ("email", "mobile") if not str(data.get(name, "") or "").strip()
    }
    department = {"department_id": optional_id(data, "department_id")}
    return typed.model_copy(update={**department, **cleared})


def _checked(parse: Callable[[], M], data: dict[str, Any], roles: list[str]) -> M:
    """`parse()`, with the form's own rules beside the command's: a name and a role."""
    errors: dict[str, str] = {}
    if not str(data.get("name", "") or "").strip():
        errors["name"] = _("必填")
    if not roles:
        errors["roles"] = _("请至少选择一个角色")
    try:
        command = parse()
    except FormErrors as invalid:
        raise FormErrors({**invalid.errors, **errors}) from None
    if errors:
        raise FormErrors(errors)
    return command


def _leave_page(
    request: Request[Any, Any, Any],
    employee: EmployeeDetails,
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("记录离职"),
        description=_(
            "确认「{name}」已离职？离职后其控制台登录失效，记录保留在历史中；其名下线索需另行交接。"
        ).format(name=employee.name),
        action=f"{BASE}/{employee.id}/leave",
        confirm_label=_("确认离职"),
        reason_required=False,
        fields={"version": employee.version},
        errors=errors,
        cancel=f"{BASE}/{employee.id}",
        status=status,
    )


def _department_name(department_id: UUID | None, names: dict[UUID, str]) -> str:
    if department_id is None:
        return "—"
    return names.get(department_id, _("（已撤销的部门）"))


def _login_cell(login: LoginSummary | None, timezone: str) -> Cell:
    if login is None:
        return Cell(_("未开通"))
    if login.last_signed_in_at is None:
        return Cell(_("已开通 · 尚未登录"), badge="info")
    last = local_time(login.last_signed_in_at, timezone)
    return Cell(_("已开通 · 最近登录 {time}").format(time=last), badge="ok")


def _identifier_shown(identifier: str) -> str:
    """`email:wang@acme.cn` / `mobile:+86…` as people write them."""
    return identifier.split(":", 1)[-1]
