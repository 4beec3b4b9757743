"""Group pages (线索 · 用户组, SEG-1, SEG-3): the list with member counts; form a static
group or a smart group from a filter tree (JSON); a group with its members (cursor
paging), adding leads to a static group by id; rename or change the filter; delete."""

from __future__ import annotations

import json
import re
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.segments.group_commands import (
    ChooseMembers,
    FormGroup,
    GroupDetails,
    ReviseGroup,
)
from application.segments.group_directory import GroupQueries
from application.segments.groups import Groups
from application.shared.errors import ApplicationError, InvalidInput
from application.shared.history import RecordHistory
from domain.segments.group_permissions import GROUPS
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import (
    FormErrors,
    errors_of,
    form_data,
    listed,
    parse_form,
    version_of,
)
from entrypoints.web.i18n import gettext as _
from entrypoints.web.i18n import local_time
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import (
    confirm_page,
    history_for,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.segments.filter_form import filter_errors, filter_tree_of
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, BulkAction, Cell, Column, Row, Table

BASE = "/console/segments/groups"
LEADS = "/console/leads"
EXAMPLE = {
    "all": [
        {"field": "tags", "op": "equals", "value": "高意向"},
        {"behaviour": {"kind": "*", "within_days": 30}, "did": True},
    ]
}
_IDS = re.compile(r"[0-9a-fA-F-]{36}")


def _kind(kind: str) -> str:
    return _("智能组") if kind == "smart" else _("静态组")


class GroupPages(Controller):
    path = "/segments/groups"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def groups(
        self,
        request: Request[Any, Any, Any],
        group_queries: GroupQueries,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, GROUPS, Action.READ)
        timezone = signed_in_viewer(request).timezone
        listed = group_queries.groups(
            caller.tenant_id, kind=None, cursor=cursor or None, limit=PAGE_SIZE
        )
        rows = [
            Row(
                str(group.id),
                [
                    Cell(group.name, href=f"{BASE}/{group.id}"),
                    Cell(_kind(group.kind), badge="info" if group.kind == "smart" else None),
                    Cell(str(group.members)),
                    Cell(local_time(group.updated_at, timezone)),
                ],
            )
            for group in listed.items
        ]
        may_create = caller.may(GROUPS, Action.CREATE)
        table = Table(
            id="groups",
            url=BASE,
            columns=[
                Column("name", "名称"),
                Column("kind", "类型"),
                Column("members", "成员数", numeric=True),
                Column("updated", "更新时间"),
            ],
            rows=rows,
            caption="用户组",
            next_cursor=listed.next_cursor,
            query=query_of(request, ("cursor",)),
            empty_message="还没有用户组",
            empty_action=("新建用户组", f"{BASE}/new") if may_create else None,
        )
        return page(
            request,
            "segments/groups.html",
            title=_("用户组"),
            table=table,
            counts=group_queries.counts(caller.tenant_id),
            may_create=may_create,
        )

    @get("/new", sync_to_thread=True)
    def new_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        tenant_may(request, GROUPS, Action.CREATE)
        values = {"kind": "smart", "filter": json.dumps(EXAMPLE, ensure_ascii=False, indent=2)}
        return _form(request, None, values, {})

    @post("/new")
    async def create(
        self, request: Request[Any, Any, Any], segment_groups: Groups
    ) -> Response[Any]:
        caller = tenant_may(request, GROUPS, Action.CREATE)
        data = await form_data(request)
        try:
            kind = str(data.get("kind") or "static")
            tree = filter_tree_of(data) if kind == "smart" else None
            command = parse_form(
                FormGroup, {"name": data.get("name"), "kind": kind, "filter": tree}
            )
            formed = await change(lambda: segment_groups.form(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return _form(request, None, data, filter_errors(refusal))
        return redirect(request, f"{BASE}/{formed.id}", flash=Flash("success", _("已保存")))

    @get("/{lead_group_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        lead_group_id: UUID,
        segment_groups: Groups,
        group_queries: GroupQueries,
        history: RecordHistory,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, GROUPS, Action.READ)
        timezone = signed_in_viewer(request).timezone
        group = segment_groups.group(caller.tenant_id, lead_group_id)
        return _detail(request, group, group_queries, history, caller, timezone, cursor, {}, {})

    @post("/{lead_group_id:uuid}/members")
    async def add_members(
        self,
        request: Request[Any, Any, Any],
        lead_group_id: UUID,
        segment_groups: Groups,
        group_queries: GroupQueries,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, GROUPS, Action.UPDATE)
        data = await form_data(request)
        try:
            ids = _IDS.findall(str(data.get("lead_ids") or ""))
            if not ids:
                raise FormErrors({"lead_ids": _("填写线索 ID，每行一个")})
            command = parse_form(ChooseMembers, {"lead_ids": ids})
            added = await change(lambda: segment_groups.add_members(caller, lead_group_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = errors_of(refusal)
            group = await in_thread(lambda: segment_groups.group(caller.tenant_id, lead_group_id))
            timezone = signed_in_viewer(request).timezone
            return await in_thread(
                lambda: _detail(
                    request, group, group_queries, history, caller, timezone, None,
                    data, errors, status=422,
                )
            )  # fmt: skip
        message = _("已加入 {n} 条线索，{m} 条未找到").format(n=added.changed, m=added.not_found)
        return redirect(request, f"{BASE}/{lead_group_id}", flash=Flash("success", message))

    @post("/{lead_group_id:uuid}/members/remove")
    async def remove_members(
        self, request: Request[Any, Any, Any], lead_group_id: UUID, segment_groups: Groups
    ) -> Response[Any]:
        caller = tenant_may(request, GROUPS, Action.UPDATE)
        await in_thread(lambda: segment_groups.group(caller.tenant_id, lead_group_id))  # 404
        data = await form_data(request)
        ids = [value for value in listed(data.get("ids")) if _IDS.fullmatch(value)]
        url = f"{BASE}/{lead_group_id}"
        if not ids:
            return redirect(request, url, flash=Flash("error", _("请先选择线索")))
        try:
            command = parse_form(ChooseMembers, {"lead_ids": ids})
            removed = await change(
                lambda: segment_groups.remove_members(caller.tenant_id, lead_group_id, command)
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            message = next(iter(errors_of(refusal).values()), _("未能移出"))
            return redirect(request, url, flash=Flash("error", message))
        message = _("已移出 {n} 条线索").format(n=removed.changed)
        return redirect(request, url, flash=Flash("success", message))

    @get("/{lead_group_id:uuid}/edit", sync_to_thread=True)
    def edit_form(
        self, request: Request[Any, Any, Any], lead_group_id: UUID, segment_groups: Groups
    ) -> Response[Any]:
        caller = tenant_may(request, GROUPS, Action.UPDATE)
        group = segment_groups.group(caller.tenant_id, lead_group_id)
        values = {
            "name": group.name,
            "kind": group.kind,
            "filter": json.dumps(group.filter, ensure_ascii=False, indent=2)
            if group.filter
            else "",
            "version": str(group.version),
        }
        return _form(request, group, values, {})

    @post("/{lead_group_id:uuid}/edit")
    async def revise(
        self, request: Request[Any, Any, Any], lead_group_id: UUID, segment_groups: Groups
    ) -> Response[Any]:
        caller = tenant_may(request, GROUPS, Action.UPDATE)
        current = await in_thread(lambda: segment_groups.group(caller.tenant_id, lead_group_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            tree = filter_tree_of(data) if current.kind == "smart" else None
            command = parse_form(ReviseGroup, {"name": data.get("name"), "filter": tree})
            await change(
                lambda: segment_groups.revise(
                    caller.tenant_id, lead_group_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return _form(request, current, {**data, "kind": current.kind}, filter_errors(refusal))
        return redirect(request, f"{BASE}/{lead_group_id}", flash=Flash("success", _("已保存")))

    @get("/{lead_group_id:uuid}/delete", sync_to_thread=True)
    def delete_confirmation(
        self, request: Request[Any, Any, Any], lead_group_id: UUID, segment_groups: Groups
    ) -> Response[Any]:
        caller = tenant_may(request, GROUPS, Action.DELETE)
        group = segment_groups.group(caller.tenant_id, lead_group_id)
        with_members = request.query_params.get("with_members") == "1"
        return _delete_page(request, group, {}, with_members=with_members)

    @post("/{lead_group_id:uuid}/delete")
    async def delete(
        self, request: Request[Any, Any, Any], lead_group_id: UUID, segment_groups: Groups
    ) -> Response[Any]:
        caller = tenant_may(request, GROUPS, Action.DELETE)
        group = await in_thread(lambda: segment_groups.group(caller.tenant_id, lead_group_id))
        data = await form_data(request)
        with_members = data.get("with_members") == "1"
        try:
            version = version_of(data)
            await change(
                lambda: segment_groups.delete(
                    caller, lead_group_id, with_members=with_members, expected_version=version
                )
            )
        except (FormErrors, DomainError, ApplicationError) as refusal:
            errors = errors_of(refusal) or {"version": _("未能删除")}
            return _delete_page(request, group, errors, with_members=with_members, status=409)
        return redirect(request, BASE, flash=Flash("success", _("用户组已删除")))


def _detail(
    request: Request[Any, Any, Any],
    group: GroupDetails,
    group_queries: GroupQueries,
    history: RecordHistory,
    caller: Any,
    timezone: Any,
    cursor: str | None,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    listed = group_queries.members(
        caller.tenant_id, group.id, cursor=cursor or None, limit=PAGE_SIZE
    )
    rows = [
        Row(
            str(member.lead_id),
            [
                Cell(member.name or str(member.lead_id)[:8], href=f"{LEADS}/{member.lead_id}"),
                Cell(member.mobile or ""),
                Cell(member.company or ""),
                Cell(str(member.score) if member.score is not None else ""),
                Cell(local_time(member.joined_at, timezone)),
            ],
        )
        for member in listed.items
    ]
    may_update = caller.may(GROUPS, Action.UPDATE)
    table = Table(
        id="members",
        url=f"{BASE}/{group.id}",
        columns=[
            Column("name", "姓名"),
            Column("mobile", "手机"),
            Column("company", "公司"),
            Column("score", "分数", numeric=True),
            Column("joined", "加入时间"),
        ],
        rows=rows,
        caption="成员",
        next_cursor=listed.next_cursor,
        query=query_of(request, ("cursor",)),
        empty_message="还没有成员",
        bulk_actions=(
            [BulkAction("remove", "移出用户组", f"{BASE}/{group.id}/members/remove")]
            if may_update and group.kind == "static"
            else []
        ),
    )
    return page(
        request,
        "segments/group_detail.html",
        title=group.name,
        group=group,
        kind=_kind(group.kind),
        tree=json.dumps(group.filter, ensure_ascii=False, indent=2) if group.filter else None,
        table=table,
        may_update=may_update,
        may_add=may_update and group.kind == "static",
        may_delete=caller.may(GROUPS, Action.DELETE),
        values=values,
        errors=errors,
        history=history_for(history, caller, group.id),
        status=status,
    )


def _form(
    request: Request[Any, Any, Any],
    group: GroupDetails | None,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response[Any]:
    return page(
        request,
        "segments/group_form.html",
        title=_("编辑用户组") if group else _("新建用户组"),
        group=group,
        values=values,
        kinds=[("static", _("静态组")), ("smart", _("智能组"))],
        errors=errors,
        status=422 if errors else 200,
    )


def _delete_page(
    request: Request[Any, Any, Any],
    group: GroupDetails,
    errors: dict[str, str],
    *,
    with_members: bool = False,
    status: int = 200,
) -> Response[Any]:
    if with_members:
        title = _("删除用户组及其线索")
        description = _("删除「{name}」和组内的 {n} 条线索：线索删除后不能恢复。").format(
            name=group.name, n=group.members
        )
    else:
        title = _("删除用户组")
        description = _("删除「{name}」：组内的线索保留，只删除分组。").format(name=group.name)
    return confirm_page(
        request,
        title=title,
        description=description,
        action=f"{BASE}/{group.id}/delete",
        confirm_label=_("确认删除"),
        reason_required=False,
        fields={"version": group.version, **({"with_members": "1"} if with_members else {})},
        errors=errors,
        cancel=f"{BASE}/{group.id}",
        status=status,
    )


PAGES: tuple[Any, ...] = (GroupPages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="用户组",
        path=BASE,
        resource=GROUPS,
        audience=Audience.TENANT,
        section="线索",
        action=Action.READ,
        order=21,
    ),
)
