"""Follow-up and sidebar pages (跟进任务 · 侧边栏素材, WECOM-2): the to-dos of the
signed-in person's data scope (open, overdue, done) with their employees' counts, each
marked done from the list; a form to assign a task to employees about a customer or a
group; a task's page with each assignee's result and cancelling; the chat-sidebar
material library in folders, a form to add one, switching one on or off."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post

from application.shared.callers import TenantCaller
from application.shared.errors import ApplicationError, InvalidInput
from application.wecom.follow_up_commands import (
    AssignFollowUp,
    CancelFollowUp,
    CompleteFollowUp,
    FollowUpDetails,
)
from application.wecom.follow_ups import FollowUps
from application.wecom.sidebar_commands import AddMaterial
from application.wecom.sidebar_materials import SidebarMaterials
from domain.shared.access import Action
from domain.shared.errors import DomainError, InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, listed, parse_form, version_of
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import confirm_page, page, query_of, redirect, signed_in_viewer
from entrypoints.web.pages import tenant_may as may
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Option, Row, Table
from entrypoints.web.wecom.mass_send_pages import MassSendConsole

TASKS = "wecom_tasks"
LIBRARY = "wecom_mass_sends"  # the material library is marketing content
FOLLOW_UPS = "/console/wecom/follow-ups"
MATERIALS = "/console/wecom/sidebar-materials"
SECTION = "营销触达"
STATUSES = {
    "open": N_("待办"),
    "overdue": N_("已逾期"),
    "done": N_("已完成"),
    "all": N_("全部"),
}
KINDS = {"todo": N_("待办"), "sop": N_("SOP 任务")}
ABOUT = {"nothing": N_("不关联"), "customer": N_("客户"), "group": N_("客户群")}
MATERIAL_KINDS = {
    "script": N_("话术"),
    "image": N_("图片"),
    "link": N_("链接"),
    "file": N_("文件"),
    "miniprogram": N_("小程序"),
}
TASK_FIELDS = ("title", "note", "kind", "about_kind", "about_id", "assignees", "due_at",
               "remind_before_minutes")  # fmt: skip
MATERIAL_FIELDS = ("title", "kind", "folder", "text", "url", "media_id", "desc")


class FollowUpPages(Controller):
    path = "/wecom/follow-ups"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def to_dos(
        self,
        request: Request[Any, Any, Any],
        wecom_follow_ups: FollowUps,
        wecom_mass_send_console: MassSendConsole,
    ) -> Response[Any]:
        caller = may(request, TASKS, Action.READ)
        return _to_do_page(request, caller, wecom_follow_ups, wecom_mass_send_console, {}, {})

    @post("/")
    async def assign(
        self,
        request: Request[Any, Any, Any],
        wecom_follow_ups: FollowUps,
        wecom_mass_send_console: MassSendConsole,
    ) -> Response[Any]:
        caller = may(request, TASKS, Action.CREATE)
        data = await form_data(request)
        timezone = signed_in_viewer(request).timezone
        try:
            command = parse_form(AssignFollowUp, task_fields(data, timezone))
            made = await change(lambda: wecom_follow_ups.assign(caller, command))
        except (FormErrors, InvalidInput, InvalidValue) as invalid:
            errors, status = _task_errors(errors_of(invalid)), 422
        except (ApplicationError, DomainError) as refusal:  # someone outside their scope
            errors, status = {"assignees": next(iter(errors_of(refusal).values()))}, 403
        else:
            flash = Flash("success", _("任务已分配"))
            return redirect(request, f"{FOLLOW_UPS}/{made.id}", flash=flash)
        values = {name: data.get(name, "") for name in TASK_FIELDS}
        return await in_thread(
            lambda: _to_do_page(
                request, caller, wecom_follow_ups, wecom_mass_send_console, values, errors,
                status=status,
            )
        )  # fmt: skip


class FollowUpTaskPages(Controller):
    path = "/wecom/follow-ups/{follow_up_id:uuid}"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def detail(
        self, request: Request[Any, Any, Any], follow_up_id: UUID, wecom_follow_ups: FollowUps
    ) -> Response[Any]:
        caller = may(request, TASKS, Action.READ)
        task = wecom_follow_ups.task(caller, follow_up_id)  # another's (or not theirs): 404
        return _task_page(request, caller, task, {})

    @post("/done")
    async def complete(
        self, request: Request[Any, Any, Any], follow_up_id: UUID, wecom_follow_ups: FollowUps
    ) -> Response[Any]:
        caller = may(request, TASKS, Action.CLOSE)
        await in_thread(lambda: wecom_follow_ups.task(caller, follow_up_id))
        data = await form_data(request)
        userid = str(data.get("userid", "") or "").strip() or None
        note = str(data.get("note", "") or "").strip()[:1000]
        try:
            await change(
                lambda: wecom_follow_ups.complete(
                    caller, follow_up_id, CompleteFollowUp(userid=userid, note=note)
                )
            )
        except (ApplicationError, DomainError) as refusal:
            task = await in_thread(lambda: wecom_follow_ups.task(caller, follow_up_id))
            errors = {"__all__": next(iter(errors_of(refusal).values()))}
            return _task_page(request, caller, task, errors, status=409)
        back = str(data.get("next", "") or "")
        where = back if back.startswith(FOLLOW_UPS) else f"{FOLLOW_UPS}/{follow_up_id}"
        return redirect(request, where, flash=Flash("success", _("已标记为完成")))

    @get("/cancel", sync_to_thread=True)
    def cancel_confirmation(
        self, request: Request[Any, Any, Any], follow_up_id: UUID, wecom_follow_ups: FollowUps
    ) -> Response[Any]:
        caller = may(request, TASKS, Action.UPDATE)
        return _cancel_page(request, wecom_follow_ups.task(caller, follow_up_id), {})

    @post("/cancel")
    async def cancel(
        self, request: Request[Any, Any, Any], follow_up_id: UUID, wecom_follow_ups: FollowUps
    ) -> Response[Any]:
        caller = may(request, TASKS, Action.UPDATE)
        task = await in_thread(lambda: wecom_follow_ups.task(caller, follow_up_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            command = CancelFollowUp(reason=str(data.get("reason", "") or "").strip()[:1000])
            await change(
                lambda: wecom_follow_ups.cancel(
                    caller, follow_up_id, command, expected_version=version
                )
            )
        except (FormErrors, ApplicationError, DomainError) as refusal:
            errors = {"__all__": next(iter(errors_of(refusal).values()))}
            return _cancel_page(request, task, errors, status=409)
        return redirect(
            request, f"{FOLLOW_UPS}/{follow_up_id}", flash=Flash("success", _("任务已取消"))
        )


class SidebarMaterialPages(Controller):
    path = "/wecom/sidebar-materials"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def materials(
        self, request: Request[Any, Any, Any], wecom_sidebar_materials: SidebarMaterials
    ) -> Response[Any]:
        caller = may(request, LIBRARY, Action.READ)
        return _materials_page(request, caller, wecom_sidebar_materials, {}, {})

    @post("/")
    async def add(
        self, request: Request[Any, Any, Any], wecom_sidebar_materials: SidebarMaterials
    ) -> Response[Any]:
        caller = may(request, LIBRARY, Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(AddMaterial, material_fields(data))
            await change(lambda: wecom_sidebar_materials.add(caller.tenant_id, command))
        except (FormErrors, InvalidInput, InvalidValue) as invalid:
            errors = {k.removeprefix("fields."): v for k, v in errors_of(invalid).items()}
        else:
            return redirect(request, MATERIALS, flash=Flash("success", _("素材已添加")))
        values = {name: data.get(name, "") for name in MATERIAL_FIELDS}
        return await in_thread(
            lambda: _materials_page(request, caller, wecom_sidebar_materials, values, errors)
        )

    @post("/{material_id:uuid}/switch")
    async def switch(
        self,
        request: Request[Any, Any, Any],
        material_id: UUID,
        wecom_sidebar_materials: SidebarMaterials,
    ) -> Response[Any]:
        caller = may(request, LIBRARY, Action.UPDATE)
        await in_thread(lambda: wecom_sidebar_materials.material(caller.tenant_id, material_id))
        data = await form_data(request)
        enabled = str(data.get("enabled", "")) == "1"
        await change(lambda: wecom_sidebar_materials.switch(caller.tenant_id, material_id, enabled))
        message = _("素材已启用") if enabled else _("素材已停用")
        return redirect(request, MATERIALS, flash=Flash("success", message))


# --- forms ---------------------------------------------------------------------------------


def task_fields(data: Mapping[str, Any], timezone: str) -> dict[str, Any]:
    """The command from the form: the due time typed in the viewer's zone."""
    fields: dict[str, Any] = {
        "title": data.get("title", ""),
        "note": data.get("note", ""),
        "kind": data.get("kind") or "todo",
        "assignees": listed(data.get("assignees", [])),
        "remind_before_minutes": data.get("remind_before_minutes", ""),
    }
    about = str(data.get("about_kind") or "nothing")
    if about != "nothing":
        fields["about"] = {"kind": about, "id": str(data.get("about_id", "") or "").strip()}
    typed = str(data.get("due_at", "") or "").strip()
    if typed:
        try:
            due = datetime.fromisoformat(typed).replace(tzinfo=ZoneInfo(timezone))
        except ValueError:
            raise FormErrors({"due_at": _("请填写日期和时间")}) from None
        fields["due_at"] = due.isoformat()
    if not fields["assignees"]:
        raise FormErrors({"assignees": _("请选择至少一位员工")})
    return fields


def _task_errors(errors: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, message in errors.items():
        key = "about_id" if name.startswith("about") else name.split(".")[0]
        out.setdefault(key, message)
    return out


def material_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "title": data.get("title", ""),
        "kind": data.get("kind") or "script",
        "folder": data.get("folder", ""),
        "fields": {
            name: str(data.get(name, "") or "").strip()
            for name in ("text", "url", "media_id", "desc")
            if str(data.get(name, "") or "").strip()
        },
    }


# --- pages ---------------------------------------------------------------------------------


def _to_do_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    follow_ups: FollowUps,
    console: MassSendConsole,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int | None = None,
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    query = query_of(request, ("status", "cursor"))
    chosen = query["status"] if query["status"] in STATUSES else "open"
    listed_to_dos = follow_ups.to_dos(
        caller, status=chosen, cursor=query["cursor"] or None, limit=PAGE_SIZE
    )
    may_close = caller.may(TASKS, Action.CLOSE)
    rows = [
        Row(
            f"{todo.task_id}-{todo.userid}",
            [
                Cell(todo.title, href=f"{FOLLOW_UPS}/{todo.task_id}"),
                Cell(f"{todo.name}（{todo.userid}）" if todo.name else todo.userid),
                Cell(_about(todo.about.kind, todo.about.id)),
                Cell(local_time(todo.due_at, timezone) if todo.due_at else "—"),
                Cell(_("已逾期"), badge="bad")
                if todo.overdue
                else Cell(_("已完成"), badge="ok")
                if todo.done
                else Cell(_("已取消"), badge="bad")
                if todo.state == "cancelled"
                else Cell(_("待办"), badge="info"),
            ],
        )
        for todo in listed_to_dos.items
    ]
    table = Table(
        id="wecom-to-dos",
        url=FOLLOW_UPS,
        columns=[
            Column("title", "任务"),
            Column("employee", "员工"),
            Column("about", "关联"),
            Column("due_at", "截止时间"),
            Column("state", "状态"),
        ],
        rows=rows,
        caption="待办",
        next_cursor=listed_to_dos.next_cursor,
        filters=[
            Filter(
                "status",
                "状态",
                kind="select",
                options=tuple(Option(k, label) for k, label in STATUSES.items()),
            )
        ],
        query=query,
        empty_message="没有待办",
    )
    bound = console.bound(caller.tenant_id)
    assignable = follow_ups.assignable(caller)
    members = [
        (userid, label)
        for userid, label in (console.member_options(caller.tenant_id) if bound else [])
        if assignable is None or userid in assignable
    ]
    ticked = values.get("assignees") or []
    return page(
        request,
        "wecom/follow_ups.html",
        title=_("跟进任务"),
        table=table,
        to_dos=listed_to_dos.items if may_close else [],
        counts=sorted(follow_ups.counts(caller).items()),
        may_assign=caller.may(TASKS, Action.CREATE),
        members=members,
        ticked=ticked if isinstance(ticked, list) else [ticked],
        kinds=[(k, _(v)) for k, v in KINDS.items()],
        abouts=[(k, _(v)) for k, v in ABOUT.items()],
        values=values,
        errors=errors,
        status=status or (422 if errors else 200),
    )


def _task_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    task: FollowUpDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    state = {
        "open": (_("进行中"), "info"),
        "done": (_("已完成"), "ok"),
        "cancelled": (_("已取消"), "bad"),
    }[task.state]
    return page(
        request,
        "wecom/follow_up.html",
        title=task.title,
        task=task,
        state=state,
        kind=_(KINDS[task.kind]),
        about=_about(task.about.kind, task.about.id),
        may_close=caller.may(TASKS, Action.CLOSE) and task.state == "open",
        may_cancel=caller.may(TASKS, Action.UPDATE) and task.state == "open",
        errors=errors,
        status=status,
    )


def _cancel_page(
    request: Request[Any, Any, Any],
    task: FollowUpDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("取消任务"),
        description=_("「{title}」取消后员工不再需要处理；已完成的记录保留。").format(
            title=task.title
        ),
        action=f"{FOLLOW_UPS}/{task.id}/cancel",
        confirm_label=_("确认取消"),
        reason_required=False,
        fields={"version": task.version},
        errors=errors,
        cancel=f"{FOLLOW_UPS}/{task.id}",
        status=status,
    )


def _materials_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    materials: SidebarMaterials,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> Response[Any]:
    query = query_of(request, ("folder", "cursor"))
    folder = query["folder"] or None
    listed_materials = materials.materials(
        caller.tenant_id, folder=folder, cursor=query["cursor"] or None, limit=PAGE_SIZE
    )
    rows = [
        Row(
            str(m.id),
            [
                Cell(m.title),
                Cell(_(MATERIAL_KINDS.get(m.kind, m.kind))),
                Cell(m.folder or _("（顶层）")),
                Cell(m.fields.text[:40] or m.fields.url or m.fields.media_id or "—"),
                Cell(_("已启用"), badge="ok") if m.enabled else Cell(_("已停用"), badge="bad"),
            ],
        )
        for m in listed_materials.items
    ]
    folders = materials.folders(caller.tenant_id)
    table = Table(
        id="wecom-sidebar-materials",
        url=MATERIALS,
        columns=[
            Column("title", "标题"),
            Column("kind", "类型"),
            Column("folder", "分类"),
            Column("content", "内容"),
            Column("enabled", "状态"),
        ],
        rows=rows,
        caption="侧边栏素材",
        next_cursor=listed_materials.next_cursor,
        filters=[
            Filter(
                "folder",
                "分类",
                kind="select",
                options=tuple(Option(f.folder, f.folder or "（顶层）") for f in folders),
            )
        ],
        query=query,
        empty_message="还没有素材",
    )
    return page(
        request,
        "wecom/sidebar_materials.html",
        title=_("侧边栏素材"),
        table=table,
        listed=listed_materials.items,
        may_add=caller.may(LIBRARY, Action.CREATE),
        may_switch=caller.may(LIBRARY, Action.UPDATE),
        kinds=[(k, _(v)) for k, v in MATERIAL_KINDS.items()],
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


def _about(kind: str, ident: str) -> str:
    if kind == "nothing" or not ident:
        return "—"
    return f"{_(ABOUT.get(kind, kind))}：{ident}"


PAGES: tuple[Any, ...] = (FollowUpPages, FollowUpTaskPages, SidebarMaterialPages)
NAV = (
    NavItem(
        label="跟进任务",
        path=FOLLOW_UPS,
        resource=TASKS,
        audience=Audience.TENANT,
        section=SECTION,
        action=Action.READ,
        order=39,
    ),
    NavItem(
        label="侧边栏素材",
        path=MATERIALS,
        resource=LIBRARY,
        audience=Audience.TENANT,
        section=SECTION,
        action=Action.READ,
        order=43,
    ),
)
