"""Live code pages (渠道活码与欢迎语, WECOM-1): the tenant's codes; a form to make or
change one (employees with daily caps, rotation, backup, tags, welcome message; or the
customer groups of a group code); a code's page with its QR code (drawn here with
segno from WeCom's QR image address), today's counts against the caps, customers per
day and per employee, and archiving after a confirmation step; and the department
welcome messages (欢迎语)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from adapters.tracking.qr_codes import SegnoQrCodes
from application.shared.callers import TenantCaller
from application.shared.errors import ApplicationError, InvalidInput, NotFound
from application.wecom.corps import WecomCorps
from application.wecom.department_welcomes import DepartmentWelcomeMessages
from application.wecom.live_code_commands import (
    LiveCodeDetails,
    MakeLiveCode,
    ReviseLiveCode,
    SetDepartmentWelcome,
)
from application.wecom.live_code_directory import LiveCodeQueries
from application.wecom.live_codes import LiveCodes
from application.wecom.member_directory import MemberQueries
from domain.shared.access import Action
from domain.shared.errors import DomainError, InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.charts import Bar, bar_chart
from entrypoints.web.forms import FormErrors, errors_of, form_data, listed, parse_form, version_of
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import confirm_page, page, query_of, redirect, signed_in_viewer
from entrypoints.web.pages import tenant_may as may
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Row, Table

RESOURCE = "wecom_live_codes"
BASE = "/console/wecom/live-codes"
WELCOMES = "/console/wecom/welcome-messages"
SECTION = "营销触达"
ROWS = 5  # employee rows a new code's form offers
ROTATIONS = (("order", N_("轮流分配")), ("load", N_("按负载（今日添加最少者优先）")))
WELCOME_MODES = (
    ("own", N_("使用活码自己的欢迎语")),
    ("department", N_("使用员工所在部门的欢迎语")),
    ("none", N_("不发送欢迎语")),
)
KINDS = (("employee", N_("员工活码")), ("group", N_("群活码")))


class LiveCodeConsole:
    """What the live-code pages show beside the codes: the corp's members to choose
    employees from, its corp tags, and whether the tenant has bound a corp."""

    def __init__(self, members: MemberQueries, corps: WecomCorps) -> None:
        self.members = members
        self.corps = corps

    def bound(self, tenant_id: UUID) -> bool:
        try:
            self.corps.bound_corp(tenant_id)
        except NotFound:
            return False
        return True

    def names(self, tenant_id: UUID) -> dict[str, str]:
        page_ = self.members.members(tenant_id, cursor=None, limit=100)
        return {m.userid: m.name for m in page_.items}

    def member_options(self, tenant_id: UUID) -> list[tuple[str, str]]:
        page_ = self.members.members(tenant_id, in_visible_range=True, cursor=None, limit=100)
        return [(m.userid, f"{m.name}（{m.userid}）") for m in page_.items]

    def tag_options(self, tenant_id: UUID) -> list[tuple[str, str]] | None:
        """The corp tags as WeCom has them now; None when WeCom cannot be asked."""
        try:
            tags = self.corps.api_of(tenant_id).corp_tags()
        except (ApplicationError, DomainError):
            return None
        return [(t.id, f"{t.group_name} · {t.name}") for t in tags]


class LiveCodeListPages(Controller):
    path = "/wecom/live-codes"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def codes(
        self,
        request: Request[Any, Any, Any],
        wecom_live_code_queries: LiveCodeQueries,
        wecom_live_code_console: LiveCodeConsole,
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.READ)
        query = query_of(request, ("cursor", "archived"))
        archived = query["archived"] == "1"
        listed_codes = wecom_live_code_queries.codes_of(
            caller.tenant_id, cursor=query["cursor"] or None, limit=PAGE_SIZE, archived=archived
        )
        timezone = signed_in_viewer(request).timezone
        names = wecom_live_code_console.names(caller.tenant_id)
        rows = [
            Row(
                str(code.id),
                [
                    Cell(code.name, href=f"{BASE}/{code.id}"),
                    Cell(_(dict(KINDS)[code.kind])),
                    Cell(_who(code, names)),
                    Cell(_("已归档"), badge="bad")
                    if code.archived
                    else Cell(_("使用中"), badge="ok"),
                    Cell(local_time(code.created_at, timezone)),
                ],
            )
            for code in listed_codes.items
        ]
        table = Table(
            id="wecom-live-codes",
            url=BASE,
            columns=[
                Column("name", "名称"),
                Column("kind", "类型"),
                Column("who", "员工或客户群"),
                Column("status", "状态"),
                Column("created_at", "创建时间"),
            ],
            rows=rows,
            caption="渠道活码",
            next_cursor=listed_codes.next_cursor,
            query=query,
            empty_message="还没有渠道活码",
        )
        return page(
            request,
            "wecom/live_codes.html",
            title=_("渠道活码"),
            table=table,
            archived=archived,
            bound=wecom_live_code_console.bound(caller.tenant_id),
            may_make=caller.may(RESOURCE, Action.CREATE),
        )

    @get("/new", sync_to_thread=True)
    def new(
        self, request: Request[Any, Any, Any], wecom_live_code_console: LiveCodeConsole
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.CREATE)
        return _form_page(request, caller, wecom_live_code_console, None, {}, {})

    @post("/")
    async def make(
        self,
        request: Request[Any, Any, Any],
        wecom_live_codes: LiveCodes,
        wecom_live_code_console: LiveCodeConsole,
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(MakeLiveCode, command_fields(data))
            made = await change(lambda: wecom_live_codes.make(caller.tenant_id, command))
        except (FormErrors, InvalidInput, InvalidValue) as invalid:
            errors, status = form_errors(errors_of(invalid)), 422
        except (ApplicationError, DomainError) as refusal:  # no corp, WeCom refused
            errors, status = {"__all__": errors_of(refusal).popitem()[1]}, _status(refusal)
        else:
            return redirect(request, f"{BASE}/{made.id}", flash=Flash("success", _("活码已生成")))
        return await in_thread(
            lambda: _form_page(
                request, caller, wecom_live_code_console, None, data, errors, status=status
            )
        )


class LiveCodePages(Controller):
    path = "/wecom/live-codes/{live_code_id:uuid}"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        live_code_id: UUID,
        wecom_live_codes: LiveCodes,
        wecom_live_code_console: LiveCodeConsole,
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.READ)
        code = wecom_live_codes.code(caller.tenant_id, live_code_id)  # 404 for another's
        stats = wecom_live_codes.stats(caller.tenant_id, live_code_id, days=14)
        names = wecom_live_code_console.names(caller.tenant_id)
        chart = bar_chart(
            _("近 14 天每天添加的客户"),
            [Bar(day.day.strftime("%m-%d"), day.added) for day in stats.per_day],
        )
        return page(
            request,
            "wecom/live_code.html",
            title=code.name,
            code=code,
            stats=stats,
            chart=chart,
            names=names,
            tag_names=dict(wecom_live_code_console.tag_options(caller.tenant_id) or [])
            if code.tags
            else {},
            rotation=_(dict(ROTATIONS)[code.rotation]),
            welcome_mode=_(dict(WELCOME_MODES)[code.welcome_mode]),
            kind=_(dict(KINDS)[code.kind]),
            may_update=caller.may(RESOURCE, Action.UPDATE) and not code.archived,
            may_archive=caller.may(RESOURCE, Action.DELETE) and not code.archived,
        )

    @get("/qr.svg", sync_to_thread=True)
    def qr(
        self, request: Request[Any, Any, Any], live_code_id: UUID, wecom_live_codes: LiveCodes
    ) -> Response[bytes]:
        caller = may(request, RESOURCE, Action.READ)
        code = wecom_live_codes.code(caller.tenant_id, live_code_id)
        return Response(
            SegnoQrCodes().svg(code.qr_code),
            media_type="image/svg+xml",
            headers={"Cache-Control": "private, max-age=300"},
        )

    @get("/edit", sync_to_thread=True)
    def edit(
        self,
        request: Request[Any, Any, Any],
        live_code_id: UUID,
        wecom_live_codes: LiveCodes,
        wecom_live_code_console: LiveCodeConsole,
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.UPDATE)
        code = wecom_live_codes.code(caller.tenant_id, live_code_id)
        return _form_page(request, caller, wecom_live_code_console, code, values_of(code), {})

    @post("/edit")
    async def revise(
        self,
        request: Request[Any, Any, Any],
        live_code_id: UUID,
        wecom_live_codes: LiveCodes,
        wecom_live_code_console: LiveCodeConsole,
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.UPDATE)
        code = await in_thread(lambda: wecom_live_codes.code(caller.tenant_id, live_code_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            fields = command_fields({**data, "kind": code.kind})
            fields.pop("kind")
            command = parse_form(ReviseLiveCode, fields)
            # What the form left empty is cleared, not kept (parse_form drops empties).
            if code.kind == "employee":
                cleared = {
                    "backup": fields.get("backup") or "",
                    "tags": fields.get("tags", []),
                    "welcome": command.welcome if "welcome" in fields else None,
                }
            else:
                cleared = {"auto_create_room": fields["auto_create_room"]}
            command = command.model_copy(update=cleared)
            await change(
                lambda: wecom_live_codes.revise(
                    caller.tenant_id, live_code_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, InvalidValue) as invalid:
            errors, status = form_errors(errors_of(invalid)), 422
        except (ApplicationError, DomainError) as refusal:  # changed meanwhile, WeCom refused
            errors, status = {"__all__": errors_of(refusal).popitem()[1]}, _status(refusal)
        else:
            flash = Flash("success", _("活码已保存"))
            return redirect(request, f"{BASE}/{live_code_id}", flash=flash)
        return await in_thread(
            lambda: _form_page(
                request, caller, wecom_live_code_console, code, data, errors, status=status
            )
        )

    @get("/archive", sync_to_thread=True)
    def archive_confirmation(
        self, request: Request[Any, Any, Any], live_code_id: UUID, wecom_live_codes: LiveCodes
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.DELETE)
        return _archive_page(request, wecom_live_codes.code(caller.tenant_id, live_code_id), {})

    @post("/archive")
    async def archive(
        self, request: Request[Any, Any, Any], live_code_id: UUID, wecom_live_codes: LiveCodes
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.DELETE)
        code = await in_thread(lambda: wecom_live_codes.code(caller.tenant_id, live_code_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(
                lambda: wecom_live_codes.archive(
                    caller.tenant_id, live_code_id, expected_version=version
                )
            )
        except (FormErrors, ApplicationError, DomainError) as refusal:
            errors = {"__all__": next(iter(errors_of(refusal).values()))}
            return _archive_page(request, code, errors, status=409)
        flash = Flash("success", _("活码已归档：扫码不再添加客户，统计保留"))
        return redirect(request, f"{BASE}/{live_code_id}", flash=flash)


class WelcomePages(Controller):
    path = "/wecom/welcome-messages"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def welcomes(
        self,
        request: Request[Any, Any, Any],
        wecom_department_welcomes: DepartmentWelcomeMessages,
        wecom_live_code_console: LiveCodeConsole,
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.READ)
        return _welcomes_page(
            request, caller, wecom_department_welcomes, wecom_live_code_console, None, {}, {}
        )

    @post("/{wecom_department_id:int}")
    async def set_welcome(
        self,
        request: Request[Any, Any, Any],
        wecom_department_id: int,
        wecom_department_welcomes: DepartmentWelcomeMessages,
        wecom_live_code_console: LiveCodeConsole,
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.UPDATE)
        data = await form_data(request)
        text = str(data.get("text", "") or "").strip()
        link = _link(data)
        try:
            welcome = {"text": text, "attachment": link} if text or link else None
            command = parse_form(SetDepartmentWelcome, {"welcome": welcome})
            await change(
                lambda: wecom_department_welcomes.set_welcome(
                    caller.tenant_id, wecom_department_id, command
                )
            )
        except NotFound:
            raise  # no such department (or no corp): the 404 page
        except (FormErrors, ApplicationError, DomainError) as refusal:
            errors = form_errors(errors_of(refusal))
            status = 422 if isinstance(refusal, FormErrors | InvalidInput | InvalidValue) else 409
            return await in_thread(
                lambda: _welcomes_page(
                    request,
                    caller,
                    wecom_department_welcomes,
                    wecom_live_code_console,
                    wecom_department_id,
                    data,
                    errors,
                    status=status,
                )
            )
        done = _("欢迎语已保存") if welcome else _("已清除该部门的欢迎语")
        return redirect(
            request, f"{WELCOMES}#d-{wecom_department_id}", flash=Flash("success", done)
        )


# --- the form ------------------------------------------------------------------------------


def command_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The command's fields from the form: employee rows (userid_N, cap_N), ticked tags,
    the welcome text and link, or a group code's chat ids (one a line)."""
    kind = str(data.get("kind") or "employee")
    fields: dict[str, Any] = {"name": data.get("name", ""), "kind": kind}
    if kind == "group":
        chats = [line.strip() for line in str(data.get("chat_ids", "")).splitlines()]
        fields["chat_ids"] = [c for c in chats if c]
        fields["auto_create_room"] = bool(data.get("auto_create_room"))
        for name in ("room_base_name", "room_base_id"):
            if data.get(name):
                fields[name] = data[name]
        return fields
    employees = []
    for n in range(1, 101):
        userid = str(data.get(f"userid_{n}", "") or "").strip()
        if f"userid_{n}" not in data:
            break
        if userid:
            cap = str(data.get(f"cap_{n}", "") or "").strip()
            employees.append({"userid": userid, "daily_cap": cap or None})
    fields["employees"] = employees
    fields["rotation"] = data.get("rotation") or "order"
    if data.get("backup"):
        fields["backup"] = data["backup"]
    tags = listed(data.get("tags", [])) + [
        t.strip() for t in str(data.get("tags_text", "") or "").split(",") if t.strip()
    ]
    if tags:
        fields["tags"] = tags
    mode = str(data.get("welcome_mode") or "none")
    fields["welcome_mode"] = mode
    if mode == "own":
        text = str(data.get("welcome_text", "") or "").strip()
        link = _link(data)
        if text or link:
            fields["welcome"] = {"text": text, "attachment": link}
    return fields


def _link(data: Mapping[str, Any]) -> dict[str, str] | None:
    title = str(data.get("link_title", "") or "").strip()
    url = str(data.get("link_url", "") or "").strip()
    if not (title or url):
        return None
    return {"kind": "link", "title": title, "url": url}


def form_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Errors by the form's field names (the command's and the domain's names differ:
    `employees.0.daily_cap`, `welcome.text`, `attachment.url`)."""
    out: dict[str, str] = {}
    for name, message in errors.items():
        if name.startswith("employees") or name == "daily_cap":
            key = "employees"
        elif name in ("attachment.url", "welcome.attachment.url"):
            key = "link_url"
        elif name in ("attachment.title", "welcome.attachment.title"):
            key = "link_title"
        elif name.startswith(("welcome", "attachment")):
            key = "welcome_text"
        elif name == "text":
            key = "text"
        else:
            key = name
        out.setdefault(key, message)
    return out


def values_of(code: LiveCodeDetails) -> dict[str, Any]:
    """The form's values for a code being changed."""
    values: dict[str, Any] = {
        "name": code.name,
        "kind": code.kind,
        "rotation": code.rotation,
        "backup": code.backup or "",
        "tags": list(code.tags),
        "welcome_mode": code.welcome_mode,
        "welcome_text": code.welcome.text if code.welcome else "",
        "chat_ids": "\n".join(code.chat_ids),
        "auto_create_room": code.auto_create_room,
        "room_base_name": code.room_base_name,
        "room_base_id": str(code.room_base_id),
    }
    attachment = code.welcome.attachment if code.welcome else None
    if attachment is not None and attachment.kind == "link":
        values["link_title"], values["link_url"] = attachment.title, attachment.url
    for n, employee in enumerate(code.employees, start=1):
        values[f"userid_{n}"] = employee.userid
        values[f"cap_{n}"] = "" if employee.daily_cap is None else str(employee.daily_cap)
    return values


def _form_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    console: LiveCodeConsole,
    code: LiveCodeDetails | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int | None = None,
) -> Response[Any]:
    bound = console.bound(caller.tenant_id)
    rows = max(ROWS, len(code.employees) + 2 if code else ROWS)
    employees = [
        (values.get(f"userid_{n}", ""), values.get(f"cap_{n}", "")) for n in range(1, rows + 1)
    ]
    ticked = values.get("tags") or []
    return page(
        request,
        "wecom/live_code_form.html",
        title=_("修改活码") if code else _("新建渠道活码"),
        code=code,
        bound=bound,
        members=console.member_options(caller.tenant_id) if bound else [],
        tag_options=console.tag_options(caller.tenant_id) if bound else None,
        employees=employees,
        ticked=ticked if isinstance(ticked, list) else [ticked],
        kinds=[(v, _(t)) for v, t in KINDS],
        rotations=[(v, _(t)) for v, t in ROTATIONS],
        welcome_modes=[(v, _(t)) for v, t in WELCOME_MODES],
        values=values,
        errors=errors,
        action=f"{BASE}/{code.id}/edit" if code else f"{BASE}/",
        status=status or (422 if errors else 200),
    )


def _archive_page(
    request: Request[Any, Any, Any],
    code: LiveCodeDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("归档活码"),
        description=_(
            "归档后企业微信里的「{name}」二维码将被删除，扫码不再添加客户、打标签或发送欢迎语；"
            "已有的统计保留。归档不可撤销。"
        ).format(name=code.name),
        action=f"{BASE}/{code.id}/archive",
        confirm_label=_("确认归档"),
        reason_required=None,
        fields={"version": code.version},
        errors=errors,
        cancel=f"{BASE}/{code.id}",
        status=status,
    )


def _welcomes_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    welcomes: DepartmentWelcomeMessages,
    console: LiveCodeConsole,
    editing: int | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    bound = console.bound(caller.tenant_id)
    details = welcomes.welcomes(caller.tenant_id) if bound else None
    names = {d.department_id: d.name for d in details.departments} if details else {}
    return page(
        request,
        "wecom/welcome_messages.html",
        title=_("欢迎语"),
        bound=bound,
        departments=details.departments if details else [],
        names=names,
        editing=editing,
        values=values,
        errors=errors,
        may_update=caller.may(RESOURCE, Action.UPDATE),
        status=status,
    )


def _status_cell(code: LiveCodeDetails) -> Cell:
    if code.archived:
        return Cell(_("已归档"), badge="bad")
    return Cell(_("使用中"), badge="ok")


def _who(code: LiveCodeDetails, names: Mapping[str, str]) -> str:
    if code.kind == "group":
        return _("{n} 个客户群").format(n=len(code.chat_ids))
    return "、".join(names.get(e.userid, e.userid) for e in code.employees)


def _status(refusal: Exception) -> int:
    if isinstance(refusal, NotFound):
        return 404
    code = getattr(refusal, "code", "")
    return 503 if code in ("provider_unavailable", "wecom_refused", "wecom_rate_limited") else 409


PAGES: tuple[Any, ...] = (LiveCodeListPages, LiveCodePages, WelcomePages)

NAV = (
    NavItem(
        label="渠道活码",
        path=BASE,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section=SECTION,
        action=Action.READ,
        order=36,
    ),
    NavItem(
        label="欢迎语",
        path=WELCOMES,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section=SECTION,
        action=Action.READ,
        order=37,
    ),
)
