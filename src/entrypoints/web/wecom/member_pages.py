"""企业微信 · 通讯录 (WECOM-4, WECOM-5): the corp's members as the last contacts sync found
them, by department or link, with a button to sync now; a member's page with the huoke
employee they are (matched by mobile or e-mail, or chosen here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get, post

from application.shared.callers import TenantCaller
from application.shared.errors import ApplicationError
from application.wecom.commands import LinkMember, MemberDetails
from application.wecom.contacts import ContactsSync, MemberLinks
from application.wecom.corps import WecomCorps
from application.wecom.member_directory import MemberQueries
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, optional_id
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import page, query_of, redirect, signed_in_viewer, tenant_may
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Option, Row, Table
from entrypoints.web.wecom.corp_pages import SETTINGS_SECTION

RESOURCE = "wecom_corp"
MEMBERS = "/console/wecom/members"
FILTERS = ("department", "linked", "range", "cursor")
STATUS_NAMES = {1: N_("已激活"), 2: N_("已禁用"), 4: N_("未激活"), 5: N_("已退出企业")}


class WecomMemberPages(Controller):
    path = "/wecom/members"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def members(
        self,
        request: Request[Any, Any, Any],
        wecom_members: MemberQueries,
        wecom_corps: WecomCorps,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        return _members_page(request, caller, wecom_members, wecom_corps)

    @post("/sync")
    async def sync(
        self,
        request: Request[Any, Any, Any],
        wecom_contacts_sync: ContactsSync,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        try:
            report = await change(lambda: wecom_contacts_sync.sync(caller.tenant_id))
        except (ApplicationError, DomainError) as refusal:  # no corp, no plan, WeCom away
            message = next(iter(errors_of(refusal).values()))
            return redirect(request, MEMBERS, flash=Flash("error", message))
        flash = Flash(
            "success",
            _("已同步：{members} 位成员，{changed} 位新增或变更，{left} 位离开可见范围").format(
                members=report.members, changed=report.changed, left=report.left_range
            ),
        )
        return redirect(request, MEMBERS, flash=flash)

    @get("/{userid:str}", sync_to_thread=True)
    def member(
        self,
        request: Request[Any, Any, Any],
        userid: str,
        wecom_members: MemberQueries,
        wecom_corps: WecomCorps,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        member = wecom_members.member(caller.tenant_id, userid)  # 404: not the tenant's
        return _member_page(request, caller, member, wecom_members, wecom_corps, {})

    @post("/{userid:str}/link")
    async def link(
        self,
        request: Request[Any, Any, Any],
        userid: str,
        wecom_members: MemberQueries,
        wecom_member_links: MemberLinks,
        wecom_corps: WecomCorps,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        member = await in_thread(lambda: wecom_members.member(caller.tenant_id, userid))
        data = await form_data(request)
        try:
            command = LinkMember(employee_id=optional_id(data, "employee_id"))
            await change(lambda: wecom_member_links.link(caller.tenant_id, userid, command))
        except (FormErrors, ApplicationError, DomainError) as refusal:
            errors = errors_of(refusal)
            return await in_thread(
                lambda: _member_page(
                    request, caller, member, wecom_members, wecom_corps, errors, status=422
                )
            )
        flash = Flash("success", _("已关联员工") if command.employee_id else _("已取消关联"))
        return redirect(request, f"{MEMBERS}/{userid}", flash=flash)


def _department_names(corps: WecomCorps, caller: TenantCaller) -> dict[int, str]:
    bound = corps.corps(caller.tenant_id)
    return {d.id: d.name for d in bound[0].departments} if bound else {}


def _members_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    members: MemberQueries,
    corps: WecomCorps,
) -> Response[Any]:
    query = query_of(request, FILTERS)
    departments = _department_names(corps, caller)
    department = query["department"]
    linked = {"yes": True, "no": False}.get(query["linked"])
    in_range = {"in": True, "out": False}.get(query["range"])
    listed = members.members(
        caller.tenant_id,
        department_id=int(department) if department.isdigit() else None,
        linked=linked,
        in_visible_range=in_range,
        cursor=query["cursor"] or None,
        limit=PAGE_SIZE,
    )
    employees = members.employee_names(caller.tenant_id, include_left=True)
    rows = [
        Row(
            member.userid,
            [
                Cell(member.userid, href=f"{MEMBERS}/{member.userid}"),
                Cell(member.name),
                Cell("、".join(departments.get(d, str(d)) for d in member.department_ids) or "—"),
                Cell(member.mobile or "—"),
                _status_cell(member),
                _employee_cell(member, employees),
            ],
        )
        for member in listed.items
    ]
    table = Table(
        id="wecom-members",
        url=MEMBERS,
        columns=[
            Column("userid", "账号（userid）"),
            Column("name", "姓名"),
            Column("departments", "部门"),
            Column("mobile", "手机"),
            Column("status", "状态"),
            Column("employee", "火客员工"),
        ],
        rows=rows,
        caption="企业微信通讯录",
        next_cursor=listed.next_cursor,
        filters=[
            Filter(
                "department",
                "部门",
                kind="select",
                options=tuple(Option(str(i), name) for i, name in sorted(departments.items())),
            ),
            Filter(
                "linked",
                "关联员工",
                kind="select",
                options=(Option("yes", "已关联"), Option("no", "未关联")),
            ),
            Filter(
                "range",
                "可见范围",
                kind="select",
                options=(Option("in", "在可见范围内"), Option("out", "已离开可见范围")),
            ),
        ],
        query=query,
        empty_message="还没有同步通讯录",
    )
    return page(
        request,
        "wecom/members.html",
        title=_("企业微信通讯录"),
        table=table,
        bound=bool(corps.corps(caller.tenant_id)),
        may_sync=caller.may(RESOURCE, Action.UPDATE),
    )


def _member_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    member: MemberDetails,
    members: MemberQueries,
    corps: WecomCorps,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    departments = _department_names(corps, caller)
    employees = members.employee_names(caller.tenant_id, include_left=True)
    choices = members.employee_names(caller.tenant_id)
    return page(
        request,
        "wecom/member.html",
        title=_("成员 · {name}").format(name=member.name),
        member=member,
        departments="、".join(departments.get(d, str(d)) for d in member.department_ids) or "—",
        status_cell=_status_cell(member),
        employee_cell=_employee_cell(member, employees),
        employees=[(str(i), name) for i, name in choices.items()],
        synced_at=local_time(member.synced_at, signed_in_viewer(request).timezone),
        may_link=caller.may(RESOURCE, Action.UPDATE),
        errors=errors,
        status=status,
    )


def _status_cell(member: MemberDetails) -> Cell:
    if not member.in_visible_range:
        return Cell(_("已离开可见范围"), badge="bad")
    name = STATUS_NAMES.get(member.status)
    text = _(name) if name else str(member.status)
    return Cell(text, badge="ok" if member.status == 1 else "warn")


def _employee_cell(member: MemberDetails, employees: Mapping[Any, str]) -> Cell:
    if member.employee_id is None:
        return Cell(_("未关联"))
    name = employees.get(member.employee_id) or str(member.employee_id)
    if member.departed:
        return Cell(_("{name}（已离职）").format(name=name), badge="bad")
    return Cell(name, badge="ok")


PAGES: tuple[Any, ...] = (WecomMemberPages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="企微通讯录",
        path=MEMBERS,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section=SETTINGS_SECTION,
        action=Action.READ,
        order=61,
    ),
)
