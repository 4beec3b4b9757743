"""Mass-send pages (客户群发, WECOM-2, WECOM-5): the tenant's tasks with a form for a new
one — to customers (by tag and added date, or all), to customer groups, or a Moments
post; from listed employees or all staff; now or at a time — and a task's page: its
plan (who it reaches, who is left out by the visible range or the interface accounts
and why), submitting after a confirmation step, each employee's result and the
customers per result, results asked again on demand, cancelling before WeCom has it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post

from application.shared.callers import TenantCaller
from application.shared.errors import ApplicationError, InvalidInput, NotFound
from application.wecom.corps import WecomCorps
from application.wecom.mass_send_commands import (
    CancelMassSend,
    DraftWecomMassSend,
    WecomMassSendDetails,
)
from application.wecom.mass_sends import MassSends
from application.wecom.member_directory import MemberQueries
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

RESOURCE = "wecom_mass_sends"
BASE = "/console/wecom/mass-sends"
SECTION = "营销触达"
TARGETS = {
    "customers": N_("群发客户"),
    "groups": N_("群发客户群"),
    "moments": N_("发表到客户朋友圈"),
}
SCOPES = {"all_staff": N_("全员（限可见范围与已购接口账号）"), "employees": N_("指定员工")}
STATES = {
    "draft": (N_("草稿"), "info"),
    "scheduled": (N_("定时发送"), "info"),
    "submitting": (N_("提交中"), "warn"),
    "submitted": (N_("已提交，等待员工发送"), "warn"),
    "finished": (N_("已结束"), "ok"),
    "cancelled": (N_("已取消"), "bad"),
}
PART_STATES = {
    "planned": (N_("待提交"), "info"),
    "left_out": (N_("未覆盖"), "bad"),
    "submitted": (N_("待员工发送"), "warn"),
    "sent": (N_("已发送"), "ok"),
    "failed": (N_("失败"), "bad"),
    "not_sent": (N_("未发送"), "bad"),
}
REASONS = {
    "outside_visible_range": N_("不在应用的可见范围内"),
    "over_account_quota": N_("超出已购买的接口账号数"),
    "inactive": N_("企业微信账号已停用或未激活"),
    "departed": N_("员工已离职"),
    "unknown_member": N_("通讯录中没有该成员"),
    "no_matching_customers": N_("没有符合条件的客户"),
}
RESULTS = {
    "sent": N_("已送达"),
    "not_sent": N_("员工未发送"),
    "not_friend": N_("已不是好友"),
    "received_already": N_("当天已收到其他群发"),
    "excluded": N_("企业微信未纳入"),
}
FINISH_REASONS = {
    "all_sent": N_("所有员工都已发送"),
    "all_refused": N_("企业微信拒绝了所有员工的任务"),
    "window_closed": N_("结果收集期已过，未发送的员工记为未发送"),
    "nobody_reached": N_("到发送时间时没有可覆盖的员工"),
}
SEPARATORS = re.compile(r"[\s,，、;；]+")
SHOWN_AGAIN = (
    "name", "target", "text", "link_title", "link_url", "image_media_id", "scope", "userids",
    "tags", "exclude_tags", "added_from", "added_to", "send_at",
)  # fmt: skip


class MassSendConsole:
    """What the mass-send pages show beside the tasks: the corp's members in the visible
    range (to choose employees from) and whether the tenant bound a corp."""

    def __init__(self, members: MemberQueries, corps: WecomCorps) -> None:
        self.members = members
        self.corps = corps

    def bound(self, tenant_id: UUID) -> bool:
        try:
            self.corps.bound_corp(tenant_id)
        except NotFound:
            return False
        return True

    def member_options(self, tenant_id: UUID) -> list[tuple[str, str]]:
        found = self.members.members(tenant_id, in_visible_range=True, cursor=None, limit=100)
        return [(m.userid, f"{m.name}（{m.userid}）") for m in found.items]


class MassSendListPages(Controller):
    path = "/wecom/mass-sends"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def tasks(
        self,
        request: Request[Any, Any, Any],
        wecom_mass_sends: MassSends,
        wecom_mass_send_console: MassSendConsole,
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.READ)
        return _list_page(request, caller, wecom_mass_sends, wecom_mass_send_console, {}, {})

    @post("/new")
    async def draft(
        self,
        request: Request[Any, Any, Any],
        wecom_mass_sends: MassSends,
        wecom_mass_send_console: MassSendConsole,
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        timezone = signed_in_viewer(request).timezone
        try:
            command = parse_form(DraftWecomMassSend, command_fields(data, timezone))

            def drafted() -> WecomMassSendDetails:
                made = wecom_mass_sends.draft(caller.tenant_id, command)
                return wecom_mass_sends.plan(caller.tenant_id, made.id)

            made = await change(drafted)
        except (FormErrors, InvalidInput, InvalidValue) as invalid:
            errors = form_errors(errors_of(invalid))
        else:
            flash = Flash("success", _("群发已保存：请查看覆盖的员工，确认后提交"))
            return redirect(request, f"{BASE}/{made.id}", flash=flash)
        values = {name: data.get(name, "") for name in SHOWN_AGAIN}
        return await in_thread(
            lambda: _list_page(
                request, caller, wecom_mass_sends, wecom_mass_send_console, values, errors
            )
        )


class MassSendPages(Controller):
    path = "/wecom/mass-sends/{wecom_mass_send_id:uuid}"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def detail(
        self, request: Request[Any, Any, Any], wecom_mass_send_id: UUID, wecom_mass_sends: MassSends
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.READ)
        task = wecom_mass_sends.task(caller.tenant_id, wecom_mass_send_id)  # 404: another's
        return _detail_page(request, caller, wecom_mass_sends, task, {})

    @post("/plan")
    async def plan(
        self, request: Request[Any, Any, Any], wecom_mass_send_id: UUID, wecom_mass_sends: MassSends
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.UPDATE)
        return await _act(
            request, caller, wecom_mass_sends, wecom_mass_send_id,
            lambda: wecom_mass_sends.plan(caller.tenant_id, wecom_mass_send_id),
            _("已重新计算覆盖的员工"),
        )  # fmt: skip

    @post("/collect")
    async def collect(
        self, request: Request[Any, Any, Any], wecom_mass_send_id: UUID, wecom_mass_sends: MassSends
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.UPDATE)
        return await _act(
            request, caller, wecom_mass_sends, wecom_mass_send_id,
            lambda: wecom_mass_sends.collect(caller.tenant_id, wecom_mass_send_id),
            _("已从企业微信获取最新结果"),
        )  # fmt: skip

    @get("/submit", sync_to_thread=True)
    def submit_confirmation(
        self, request: Request[Any, Any, Any], wecom_mass_send_id: UUID, wecom_mass_sends: MassSends
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.UPDATE)
        task = wecom_mass_sends.task(caller.tenant_id, wecom_mass_send_id)
        return _submit_page(request, task, {})

    @post("/submit")
    async def submit(
        self, request: Request[Any, Any, Any], wecom_mass_send_id: UUID, wecom_mass_sends: MassSends
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.UPDATE)
        task = await in_thread(lambda: wecom_mass_sends.task(caller.tenant_id, wecom_mass_send_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            done = await change(
                lambda: wecom_mass_sends.submit(
                    caller.tenant_id, wecom_mass_send_id, expected_version=version
                )
            )
        except (FormErrors, ApplicationError, DomainError) as refusal:
            errors = {"__all__": next(iter(errors_of(refusal).values()))}
            now = await in_thread(
                lambda: wecom_mass_sends.task(caller.tenant_id, wecom_mass_send_id)
            )
            return _submit_page(request, now or task, errors, status=_status(refusal))
        if done.state == "scheduled":
            message = _("已定时：到时间后自动提交给企业微信")
        else:
            message = _("已提交给企业微信：{n} 位员工将在群发助手中收到任务").format(
                n=done.parts.reached
            )
        return redirect(request, f"{BASE}/{wecom_mass_send_id}", flash=Flash("success", message))

    @get("/cancel", sync_to_thread=True)
    def cancel_confirmation(
        self, request: Request[Any, Any, Any], wecom_mass_send_id: UUID, wecom_mass_sends: MassSends
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.UPDATE)
        task = wecom_mass_sends.task(caller.tenant_id, wecom_mass_send_id)
        return _cancel_page(request, task, {})

    @post("/cancel")
    async def cancel(
        self, request: Request[Any, Any, Any], wecom_mass_send_id: UUID, wecom_mass_sends: MassSends
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.UPDATE)
        task = await in_thread(lambda: wecom_mass_sends.task(caller.tenant_id, wecom_mass_send_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            command = CancelMassSend(reason=str(data.get("reason", "") or "").strip()[:300])
            await change(
                lambda: wecom_mass_sends.cancel(
                    caller.tenant_id, wecom_mass_send_id, command, expected_version=version
                )
            )
        except (FormErrors, ApplicationError, DomainError) as refusal:
            errors = {"__all__": next(iter(errors_of(refusal).values()))}
            return _cancel_page(request, task, errors, status=409)
        flash = Flash("success", _("群发已取消"))
        return redirect(request, f"{BASE}/{wecom_mass_send_id}", flash=flash)


async def _act(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    sends: MassSends,
    task_id: UUID,
    action: Any,
    done: str,
) -> Response[Any]:
    """Run an action of the task's page and show the page again (with the refusal)."""
    await in_thread(lambda: sends.task(caller.tenant_id, task_id))  # another's: 404 first
    await form_data(request)
    try:
        await change(action)
    except (ApplicationError, DomainError) as refusal:
        message = next(iter(errors_of(refusal).values()))
        task = await in_thread(lambda: sends.task(caller.tenant_id, task_id))
        return _detail_page(request, caller, sends, task, {"__all__": message}, status=409)
    return redirect(request, f"{BASE}/{task_id}", flash=Flash("success", done))


# --- the form ------------------------------------------------------------------------------


def command_fields(data: Mapping[str, Any], timezone: str) -> dict[str, Any]:
    """The command's shape from the flat form: one link and one image at most, tags
    typed with commas, dates as the start of the first day and the end of the last in
    the viewer's zone, the send time in that zone."""
    errors: dict[str, str] = {}
    zone = ZoneInfo(timezone)
    attachments: list[dict[str, str]] = []
    title = str(data.get("link_title", "") or "").strip()
    url = str(data.get("link_url", "") or "").strip()
    if title or url:
        attachments.append({"kind": "link", "title": title, "url": url})
    media_id = str(data.get("image_media_id", "") or "").strip()
    if media_id:
        attachments.append({"kind": "image", "media_id": media_id})
    scope = str(data.get("scope") or "all_staff")
    audience: dict[str, Any] = {"scope": scope}
    if scope == "employees":
        audience["userids"] = listed(data.get("userids", []))
    for name in ("tags", "exclude_tags"):
        values = [v for v in SEPARATORS.split(str(data.get(name, "") or "")) if v]
        if values:
            audience[name] = values
    for name, extra in (("added_from", timedelta(0)), ("added_to", timedelta(days=1))):
        typed = str(data.get(name, "") or "").strip()
        if not typed:
            continue
        try:
            day = date.fromisoformat(typed)
        except ValueError:
            errors[name] = _("请填写日期，例如 2026-11-01")
            continue
        moment = datetime.combine(day, time(0), zone) + extra
        audience[name] = (moment - timedelta(microseconds=1) if extra else moment).isoformat()
    fields: dict[str, Any] = {
        "name": str(data.get("name", "") or "").strip(),
        "target": data.get("target") or "customers",
        "content": {"text": str(data.get("text", "") or ""), "attachments": attachments},
        "audience": audience,
    }
    typed = str(data.get("send_at", "") or "").strip()
    if typed:
        try:
            fields["send_at"] = datetime.fromisoformat(typed).replace(tzinfo=zone).isoformat()
        except ValueError:
            errors["send_at"] = _("请填写日期和时间")
    if not fields["name"]:
        errors["name"] = _("必填")
    if scope == "employees" and not audience.get("userids"):
        errors["userids"] = _("请选择员工，或选择全员")
    if errors:
        raise FormErrors(errors)
    return fields


def form_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Errors by the form's field names (`content.attachments.0.url` → `link_url`)."""
    out: dict[str, str] = {}
    for name, message in errors.items():
        parts = [p for p in name.split(".") if not p.isdigit()]
        key = parts[-1] if parts else "__all__"
        if parts[:1] == ["content"]:
            key = {"url": "link_url", "title": "link_title", "media_id": "image_media_id"}.get(
                key, "text"
            )
        elif key in ("audience", "scope"):
            key = "scope"
        out.setdefault(key, message)
    return out


# --- the pages -----------------------------------------------------------------------------


def state_cell(state: str) -> Cell:
    label, badge = STATES.get(state, (state, "info"))
    return Cell(_(label), badge=badge)


def reason_text(reason: str, accounts: int | None = None) -> str:
    if reason == "over_account_quota" and accounts is not None:
        return _("超出已购买的接口账号数（{n} 个）").format(n=accounts)
    return _(REASONS[reason]) if reason in REASONS else reason


def _list_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    sends: MassSends,
    console: MassSendConsole,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    query = query_of(request, ("state", "cursor"))
    state = query["state"] if query["state"] in STATES else None
    listed_tasks = sends.tasks(
        caller.tenant_id, state=state, cursor=query["cursor"] or None, limit=PAGE_SIZE
    )
    rows = [
        Row(
            str(task.id),
            [
                Cell(task.name, href=f"{BASE}/{task.id}"),
                Cell(_(TARGETS.get(task.target, task.target))),
                Cell(_("全员") if task.scope == "all_staff" else _("指定员工")),
                state_cell(task.state),
                Cell(str(task.parts.reached)),
                Cell(str(task.parts.left_out)),
                Cell(str(task.parts.sent)),
                Cell(local_time(task.send_at, timezone) if task.send_at else "—"),
                Cell(local_time(task.created_at, timezone)),
            ],
        )
        for task in listed_tasks.items
    ]
    table = Table(
        id="wecom-mass-sends",
        url=BASE,
        columns=[
            Column("name", "名称"),
            Column("target", "群发对象"),
            Column("scope", "发送员工"),
            Column("state", "状态"),
            Column("reached", "覆盖员工", numeric=True),
            Column("left_out", "未覆盖", numeric=True),
            Column("sent", "已发送员工", numeric=True),
            Column("send_at", "定时"),
            Column("created_at", "创建时间"),
        ],
        rows=rows,
        caption="客户群发",
        next_cursor=listed_tasks.next_cursor,
        filters=[
            Filter(
                "state",
                "状态",
                kind="select",
                options=tuple(Option(k, label) for k, (label, _b) in STATES.items()),
            )
        ],
        query=query,
        empty_message="还没有群发任务",
    )
    bound = console.bound(caller.tenant_id)
    chosen = values.get("userids") or []
    return page(
        request,
        "wecom/mass_sends.html",
        title=_("客户群发"),
        table=table,
        bound=bound,
        may_draft=caller.may(RESOURCE, Action.CREATE),
        targets=[(k, _(v)) for k, v in TARGETS.items()],
        scopes=[(k, _(v)) for k, v in SCOPES.items()],
        members=console.member_options(caller.tenant_id) if bound else [],
        chosen=chosen if isinstance(chosen, list) else [chosen],
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


def _detail_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    sends: MassSends,
    task: WecomMassSendDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    query = query_of(request, ("state", "cursor"))
    part_state = query["state"] if query["state"] in PART_STATES else None
    parts = sends.parts(
        caller.tenant_id,
        task.id,
        state=part_state,
        cursor=query["cursor"] or None,
        limit=PAGE_SIZE,
    )
    accounts = task.plan.accounts if task.plan else None
    rows = [
        Row(
            part.userid,
            [
                Cell(f"{part.name}（{part.userid}）" if part.name else part.userid),
                Cell(_(PART_STATES[part.state][0]), badge=PART_STATES[part.state][1]),
                Cell(reason_text(part.reason, accounts) if part.reason else "—"),
                Cell("—" if part.customers is None else str(part.customers)),
                Cell(str(part.sent)),
                Cell(str(part.not_sent)),
                Cell(str(part.not_friend + part.received_already + part.excluded)),
                Cell(local_time(part.sent_at, timezone) if part.sent_at else "—"),
            ],
        )
        for part in parts.items
    ]
    table = Table(
        id="wecom-mass-send-parts",
        url=f"{BASE}/{task.id}",
        columns=[
            Column("employee", "员工"),
            Column("state", "状态"),
            Column("reason", "原因"),
            Column("customers", "计划客户数", numeric=True),
            Column("sent", "已送达", numeric=True),
            Column("not_sent", "未发送", numeric=True),
            Column("failed", "未送达", numeric=True),
            Column("sent_at", "发送时间"),
        ],
        rows=rows,
        caption="每位员工的结果",
        next_cursor=parts.next_cursor,
        filters=[
            Filter(
                "state",
                "状态",
                kind="select",
                options=tuple(Option(k, label) for k, (label, _b) in PART_STATES.items()),
            )
        ],
        query=query,
        empty_message="计算覆盖的员工后在这里列出",
    )
    editable = task.state in ("draft", "scheduled")
    may_update = caller.may(RESOURCE, Action.UPDATE)
    return page(
        request,
        "wecom/mass_send.html",
        title=task.name,
        task=task,
        state=state_cell(task.state),
        target=_(TARGETS.get(task.target, task.target)),
        audience=audience_lines(task, timezone),
        left_out=[
            (f"{e.name}（{e.userid}）" if e.name else e.userid, reason_text(e.reason, accounts))
            for e in (task.plan.left_out if task.plan else [])
        ],
        results=[(_(RESULTS[k]), n) for k, n in task.customers.items() if k in RESULTS],
        finish_reason=_(FINISH_REASONS[task.finish_reason])
        if task.finish_reason in FINISH_REASONS
        else "",
        table=table,
        may_plan=may_update and task.state == "draft",
        may_submit=may_update and task.state == "draft",
        may_cancel=may_update and editable,
        may_collect=may_update and task.state in ("submitting", "submitted"),
        errors=errors,
        status=status,
    )


def audience_lines(task: WecomMassSendDetails, timezone: str) -> list[str]:
    """Who sends and to whom, in words."""
    audience = task.audience
    lines = [
        _("全员（仅限应用可见范围内、已购接口账号内的员工）")
        if audience.scope == "all_staff"
        else _("指定员工：{who}").format(who="、".join(audience.userids))
    ]
    if audience.tags:
        lines.append(_("客户标签（任一）：{tags}").format(tags="、".join(audience.tags)))
    if audience.exclude_tags:
        lines.append(_("排除标签：{tags}").format(tags="、".join(audience.exclude_tags)))
    if audience.added_from:
        lines.append(_("添加时间不早于 {at}").format(at=local_time(audience.added_from, timezone)))
    if audience.added_to:
        lines.append(_("添加时间不晚于 {at}").format(at=local_time(audience.added_to, timezone)))
    if task.target == "customers" and len(lines) == 1:
        lines.append(_("每位员工的全部客户"))
    return lines


def _submit_page(
    request: Request[Any, Any, Any],
    task: WecomMassSendDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    reached = task.plan.reached if task.plan else []
    left = len(task.plan.left_out) if task.plan else 0
    when = (
        _("到定时时间 {at} 自动提交").format(
            at=local_time(task.send_at, signed_in_viewer(request).timezone)
        )
        if task.send_at
        else _("立即提交")
    )
    return confirm_page(
        request,
        title=_("提交群发"),
        description=_(
            "「{name}」将{when}：覆盖 {n} 位员工（{left} 位未覆盖，见任务页）。提交时按应用可见范围"
            "和已购接口账号重新计算覆盖的员工；员工在企业微信的群发助手中确认后才会发出，"
            "提交后不能取消。"
        ).format(name=task.name, when=when, n=len(reached), left=left),
        action=f"{BASE}/{task.id}/submit",
        confirm_label=_("确认提交"),
        reason_required=None,
        fields={"version": task.version},
        errors=errors,
        cancel=f"{BASE}/{task.id}",
        status=status,
    )


def _cancel_page(
    request: Request[Any, Any, Any],
    task: WecomMassSendDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("取消群发"),
        description=_("「{name}」还没有交给企业微信，取消后不会发送。").format(name=task.name),
        action=f"{BASE}/{task.id}/cancel",
        confirm_label=_("确认取消"),
        reason_required=False,
        fields={"version": task.version},
        errors=errors,
        cancel=f"{BASE}/{task.id}",
        status=status,
    )


def _status(refusal: Exception) -> int:
    if isinstance(refusal, NotFound):
        return 404
    code = getattr(refusal, "code", "")
    return 503 if code in ("provider_unavailable", "wecom_refused", "wecom_rate_limited") else 409


PAGES: tuple[Any, ...] = (MassSendListPages, MassSendPages)
NAV = (
    NavItem(
        label="客户群发",
        path=BASE,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section=SECTION,
        action=Action.READ,
        order=38,
    ),
)
