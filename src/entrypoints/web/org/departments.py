"""Department pages (企业设置 · 部门): the tree with counts; establish, rename, move, and
dissolve an empty department after a confirmation step."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.org.commands import DepartmentDetails, EstablishDepartment, ReviseDepartment
from application.org.directory import OrgQueries
from application.org.organisation import Organisation
from application.shared.errors import InvalidInput
from application.shared.history import RecordHistory
from domain.shared.access import Action
from domain.shared.errors import DomainError, InvalidValue, StateConflict
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import (
    GENERAL,
    FormErrors,
    errors_of,
    form_data,
    optional_id,
    parse_form,
    reason_of,
    version_of,
)
from entrypoints.web.i18n import gettext as _
from entrypoints.web.org.tree import department_options, department_tree, open_departments
from entrypoints.web.pages import confirm_page, history_for, page, redirect, tenant_may
from entrypoints.web.sessions import Flash

BASE = "/console/departments"
MAX_CHILDREN = 50  # sub-departments listed on a department's page


class DepartmentPages(Controller):
    path = "/departments"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def tree(self, request: Request[Any, Any, Any], org_queries: OrgQueries) -> Response[Any]:
        caller = tenant_may(request, "org", Action.READ)
        departments = open_departments(org_queries, caller.tenant_id)
        # The member counts are the ones the API's dissolve route checks (department_load).
        tree = department_tree(
            departments,
            lambda department_id: org_queries.department_load(caller.tenant_id, department_id)[1],
        )
        return page(
            request,
            "org/departments.html",
            title=_("部门"),
            tree=tree,
            total=len(departments),
            may_create=caller.may("org", Action.CREATE),
        )

    @get("/new", sync_to_thread=True)
    def new_form(
        self,
        request: Request[Any, Any, Any],
        org_queries: OrgQueries,
        parent_id: UUID | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.CREATE)
        values = {"parent_id": str(parent_id) if parent_id else ""}
        return department_form(request, org_queries, caller.tenant_id, None, values, {})

    @post("/new")
    async def establish(
        self, request: Request[Any, Any, Any], org: Organisation, org_queries: OrgQueries
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(EstablishDepartment, data)
            made = await change(lambda: org.establish_department(caller.tenant_id, command))
        except (FormErrors, InvalidInput, InvalidValue) as refusal:
            errors = errors_of(refusal)
        else:
            return redirect(request, f"{BASE}/{made.id}", flash=Flash("success", _("部门已建立")))
        return await in_thread(
            lambda: department_form(request, org_queries, caller.tenant_id, None, data, errors)
        )

    @get("/{department_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        department_id: UUID,
        org: Organisation,
        org_queries: OrgQueries,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.READ)
        department = org.department(caller.tenant_id, department_id)  # 404 for another's
        parent = (
            org.department(caller.tenant_id, department.parent_id) if department.parent_id else None
        )
        subs, members = org_queries.department_load(caller.tenant_id, department.id)
        children = org_queries.departments(
            caller.tenant_id, parent_id=department.id, cursor=None, limit=MAX_CHILDREN
        )
        return page(
            request,
            "org/department.html",
            title=department.name,
            department=department,
            parent=parent,
            sub_departments=subs,
            members=members,
            children=children.items,
            more_children=children.next_cursor is not None,
            may_update=caller.may("org", Action.UPDATE) and not department.dissolved,
            may_dissolve=caller.may("org", Action.DELETE) and not department.dissolved,
            may_create=caller.may("org", Action.CREATE) and not department.dissolved,
            history=history_for(history, caller, department.id),
        )

    @get("/{department_id:uuid}/edit", sync_to_thread=True)
    def edit_form(
        self,
        request: Request[Any, Any, Any],
        department_id: UUID,
        org: Organisation,
        org_queries: OrgQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.UPDATE)
        department = org.department(caller.tenant_id, department_id)
        values = {
            "name": department.name,
            "parent_id": str(department.parent_id or ""),
            "version": str(department.version),
        }
        return department_form(request, org_queries, caller.tenant_id, department, values, {})

    @post("/{department_id:uuid}/edit")
    async def revise(
        self,
        request: Request[Any, Any, Any],
        department_id: UUID,
        org: Organisation,
        org_queries: OrgQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.UPDATE)
        current = await change(lambda: org.department(caller.tenant_id, department_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            named = parse_form(ReviseDepartment, {"name": data.get("name", "")})
            parent_id = optional_id(data, "parent_id")
            # Only what changed: the same name records no rename, the same parent no move.
            command = ReviseDepartment(
                name=named.name if named.name != current.name else None,
                parent_id=parent_id,
                move=parent_id != current.parent_id,
            )
            await change(
                lambda: org.revise_department(
                    caller.tenant_id, department_id, command, expected_version=version
                )
            )
        except (
            FormErrors,
            InvalidInput,
            DomainError,
        ) as refusal:  # e.g. under its own sub-department
            errors = errors_of(refusal)
        else:
            return redirect(request, f"{BASE}/{department_id}", flash=Flash("success", _("已保存")))
        return await in_thread(
            lambda: department_form(request, org_queries, caller.tenant_id, current, data, errors)
        )

    @get("/{department_id:uuid}/dissolve", sync_to_thread=True)
    def dissolve_confirmation(
        self,
        request: Request[Any, Any, Any],
        department_id: UUID,
        org: Organisation,
        org_queries: OrgQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.DELETE)
        department = org.department(caller.tenant_id, department_id)
        subs, members = org_queries.department_load(caller.tenant_id, department.id)
        return _dissolve_page(request, department, subs, members, {})

    @post("/{department_id:uuid}/dissolve")
    async def dissolve(
        self,
        request: Request[Any, Any, Any],
        department_id: UUID,
        org: Organisation,
        org_queries: OrgQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, "org", Action.DELETE)
        data = await form_data(request)
        department = await change(lambda: org.department(caller.tenant_id, department_id))
        subs, members = await change(
            lambda: org_queries.department_load(caller.tenant_id, department.id)
        )
        try:
            version = version_of(data)
            await change(
                lambda: org.dissolve_department(
                    caller.tenant_id,
                    department_id,
                    sub_departments=subs,
                    members=members,
                    expected_version=version,
                ),
                reason=reason_of(data),
            )
        except StateConflict:
            errors = {GENERAL: _("只能撤销没有下级部门和在职成员的部门。")}
            return _dissolve_page(request, department, subs, members, errors, status=409)
        except FormErrors as invalid:
            return _dissolve_page(request, department, subs, members, invalid.errors, status=422)
        return redirect(request, BASE, flash=Flash("success", _("部门已撤销")))


def department_form(
    request: Request[Any, Any, Any],
    org_queries: OrgQueries,
    tenant_id: UUID,
    department: DepartmentDetails | None,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response[Any]:
    """The new/edit form; with errors, again with what was typed (422)."""
    departments = open_departments(org_queries, tenant_id)
    leave_out = department.id if department else None
    return page(
        request,
        "org/department_form.html",
        title=_("编辑部门") if department else _("新建部门"),
        department=department,
        parents=department_options(departments, leave_out=leave_out),
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


def _dissolve_page(
    request: Request[Any, Any, Any],
    department: DepartmentDetails,
    subs: int,
    members: int,
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    if subs or members:
        description = _(
            "「{name}」还有 {subs} 个下级部门、{members} 名在职成员，不能撤销："
            "请先调走成员、撤销或移走下级部门。"
        ).format(name=department.name, subs=subs, members=members)
    else:
        description = _("撤销后「{name}」不再出现在部门树中，但保留在历史记录里。").format(
            name=department.name
        )
    return confirm_page(
        request,
        title=_("撤销部门"),
        description=description,
        action=f"{BASE}/{department.id}/dissolve",
        confirm_label=_("确认撤销部门"),
        reason_required=False,
        fields={"version": department.version},
        errors=errors,
        cancel=f"{BASE}/{department.id}",
        status=status,
    )
