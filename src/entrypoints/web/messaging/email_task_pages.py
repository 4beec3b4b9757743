"""E-mail task pages (营销触达 · 邮件任务, MAIL-1, MAIL-5): the list by state; write a
task (subject, sender, reply-to, a template, an audience of a group, a filter tree or
lead ids); a task's page with its state, the progress of its send (polled while it
runs), a test send to an address, send now or at a time in the tenant's zone, take
back, cancel, copy, delete, and its report once messages went out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.messaging.email_reports import ReportQueries
from application.messaging.email_task_commands import (
    DraftEmailTask,
    EmailTaskDetails,
    ReviseEmailTask,
    ScheduleEmailTask,
    TestSend,
)
from application.messaging.email_tasks import EmailTasks
from application.messaging.test_sends import TestSends
from application.shared.callers import TenantCaller
from application.shared.errors import ApplicationError, InvalidInput
from application.shared.history import RecordHistory
from domain.shared.access import Action
from domain.shared.errors import DomainError, InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.charts import Bar, bar_chart
from entrypoints.web.forms import (
    GENERAL,
    FormErrors,
    errors_of,
    form_data,
    optional_id,
    parse_form,
    version_of,
)
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.messaging.common import (
    AUDIENCE_KINDS,
    SECTION,
    STATES,
    STOP_POLLING,
    audience_of,
    audience_values,
    audience_words,
    example_filter,
    local_input,
    send_at_of,
    shown_errors,
    state_cell,
    state_label,
    state_options,
)
from entrypoints.web.messaging.lookups import MessagingLookups
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
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Row, Table

BASE = "/console/messaging/email-tasks"
TEMPLATES = "/console/messaging/email-templates"
RESOURCE = "email_tasks"
FORM_FIELDS = (
    "name",
    "subject",
    "sender_name",
    "sender_address",
    "sender_local",
    "sender_domain",
    "reply_to",
    "template_id",
    "audience_kind",
    "group_id",
    "filter",
    "lead_ids",
)
STATE_FILTERS = ("draft", "scheduled", "sending", "sent", "cancelled")
RUNNING = ("scheduled", "sending")  # a task's page follows these until they end
REPORTED = ("sending", "sent", "cancelled")  # states in which messages went out
AUDIENCE_NAMES = {
    "mobile": N_("手机"),
    "desktop": N_("电脑"),
    "unknown": N_("未知（无标识或邮箱代理）"),
    "other": N_("其他"),
}
PROGRESS_LABELS = {
    "sent": N_("已发送"),
    "queued": N_("排队中"),
    "skipped": N_("已跳过（退订、屏蔽或超出频次）"),
    "failed": N_("失败"),
}


class EmailTaskPages(Controller):
    path = "/messaging/email-tasks"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def tasks(
        self,
        request: Request[Any, Any, Any],
        email_tasks: EmailTasks,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        timezone = signed_in_viewer(request).timezone
        state = request.query_params.get("state")  # `state` is a name Litestar keeps
        chosen = state if state in STATE_FILTERS else None
        listed = email_tasks.tasks(
            caller.tenant_id, state=chosen, cursor=cursor or None, limit=PAGE_SIZE
        )
        rows = [
            Row(
                str(task.id),
                [
                    Cell(task.name, href=f"{BASE}/{task.id}"),
                    Cell(task.subject),
                    state_cell(task.state),
                    Cell(local_time(task.send_at, timezone)),
                    Cell(str(task.recipients) if task.recipients else "—"),
                    Cell(_("查看报表"), href=f"{BASE}/{task.id}#report")
                    if task.recipients and task.state in REPORTED
                    else Cell("—"),
                    Cell(local_time(task.updated_at, timezone)),
                ],
            )
            for task in listed.items
        ]
        may_create = caller.may(RESOURCE, Action.CREATE)
        table = Table(
            id="email-tasks",
            url=BASE,
            columns=[
                Column("name", "名称"),
                Column("subject", "邮件主题"),
                Column("state", "状态"),
                Column("send_at", "发送时间"),
                Column("recipients", "收件人数", numeric=True),
                Column("report", "报表"),
                Column("updated", "更新时间"),
            ],
            rows=rows,
            caption="邮件任务",
            next_cursor=listed.next_cursor,
            filters=[Filter("state", "状态", kind="select", options=state_options(STATE_FILTERS))],
            query=query_of(request, ("state", "cursor")),
            empty_message="还没有邮件任务",
            empty_action=("新建邮件任务", f"{BASE}/new") if may_create else None,
        )
        return page(
            request,
            "messaging/email_tasks.html",
            title=_("邮件任务"),
            table=table,
            may_create=may_create,
        )

    @get("/new", sync_to_thread=True)
    def new_form(
        self,
        request: Request[Any, Any, Any],
        messaging_lookups: MessagingLookups,
        template_id: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        values = {
            "audience_kind": "group",
            "template_id": template_id or "",
            "filter": example_filter(),
        }
        chosen = messaging_lookups.template_subject(caller.tenant_id, template_id)
        if chosen is not None:  # written from a template: its name and subject to start
            values |= {"name": chosen[0], "subject": chosen[1]}
        return _form(request, caller, messaging_lookups, None, values, {})

    @post("/new")
    async def create(
        self,
        request: Request[Any, Any, Any],
        email_tasks: EmailTasks,
        messaging_lookups: MessagingLookups,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(DraftEmailTask, _details_of(data))
            drafted = await change(lambda: email_tasks.draft(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = shown_errors(refusal, FORM_FIELDS)
            return await in_thread(
                lambda: _form(request, caller, messaging_lookups, None, data, errors)
            )
        return redirect(request, f"{BASE}/{drafted.id}", flash=Flash("success", _("已保存草稿")))

    @get("/{email_task_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        email_task_id: UUID,
        email_tasks: EmailTasks,
        messaging_lookups: MessagingLookups,
        email_report_queries: ReportQueries,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        task = email_tasks.task(caller.tenant_id, email_task_id)
        report = _report(email_report_queries, caller, task)
        return _detail(request, caller, task, messaging_lookups, history, {}, {}, report=report)

    @get("/{email_task_id:uuid}/progress", sync_to_thread=True)
    def progress(
        self, request: Request[Any, Any, Any], email_task_id: UUID, email_tasks: EmailTasks
    ) -> Response[Any]:
        """The progress part of the task's page, polled while the task is running."""
        caller = tenant_may(request, RESOURCE, Action.READ)
        task = email_tasks.task(caller.tenant_id, email_task_id)
        return page(
            request,
            "messaging/task_progress.html",
            title=task.name,
            status=200 if task.state in RUNNING else STOP_POLLING,
            **_progress_context(task),
        )

    @get("/{email_task_id:uuid}/edit", sync_to_thread=True)
    def edit_form(
        self,
        request: Request[Any, Any, Any],
        email_task_id: UUID,
        email_tasks: EmailTasks,
        messaging_lookups: MessagingLookups,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        task = email_tasks.task(caller.tenant_id, email_task_id)
        values = {
            "name": task.name,
            "subject": task.subject,
            "sender_name": task.sender_name,
            "sender_address": task.sender_address,
            "reply_to": task.reply_to or "",
            "template_id": str(task.template_id),
            "filter": example_filter(),
            **audience_values(task.audience),
            "version": str(task.version),
        }
        return _form(request, caller, messaging_lookups, task, values, {})

    @post("/{email_task_id:uuid}/edit")
    async def revise(
        self,
        request: Request[Any, Any, Any],
        email_task_id: UUID,
        email_tasks: EmailTasks,
        messaging_lookups: MessagingLookups,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        task = await in_thread(lambda: email_tasks.task(caller.tenant_id, email_task_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            details = _details_of(data)
            command = parse_form(ReviseEmailTask, details)
            if not details.get("reply_to"):
                # An emptied reply-to is taken away (left out, the task would keep it).
                given = command.model_dump(exclude_unset=True)
                command = ReviseEmailTask.model_validate({**given, "reply_to": None})
            await change(
                lambda: email_tasks.revise(
                    caller.tenant_id, email_task_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = shown_errors(refusal, FORM_FIELDS)
            return await in_thread(
                lambda: _form(request, caller, messaging_lookups, task, data, errors)
            )
        return redirect(request, f"{BASE}/{email_task_id}", flash=Flash("success", _("已保存")))

    @get("/{email_task_id:uuid}/schedule", sync_to_thread=True)
    def schedule_form(
        self, request: Request[Any, Any, Any], email_task_id: UUID, email_tasks: EmailTasks
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        task = email_tasks.task(caller.tenant_id, email_task_id)
        return _schedule_page(request, task, {"when": "now"}, {})

    @post("/{email_task_id:uuid}/schedule")
    async def schedule(
        self, request: Request[Any, Any, Any], email_task_id: UUID, email_tasks: EmailTasks
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        task = await in_thread(lambda: email_tasks.task(caller.tenant_id, email_task_id))
        data = await form_data(request)
        timezone = signed_in_viewer(request).timezone
        try:
            version = version_of(data)
            command = ScheduleEmailTask(send_at=send_at_of(data, timezone))
            scheduled = await change(
                lambda: email_tasks.schedule(
                    caller.tenant_id, email_task_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError, ApplicationError) as refusal:
            errors = shown_errors(refusal, ("when", "send_at"))
            return _schedule_page(request, task, data, errors, status=_status_of(refusal))
        message = (
            _("已开始发送")
            if command.send_at is None
            else _("已定时：{at}").format(at=local_time(scheduled.send_at, timezone))
        )
        return redirect(request, f"{BASE}/{email_task_id}", flash=Flash("success", message))

    @post("/{email_task_id:uuid}/unschedule")
    async def unschedule(
        self, request: Request[Any, Any, Any], email_task_id: UUID, email_tasks: EmailTasks
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        await in_thread(lambda: email_tasks.task(caller.tenant_id, email_task_id))  # 404 first
        data = await form_data(request)
        url = f"{BASE}/{email_task_id}"
        try:
            version = version_of(data)
            await change(
                lambda: email_tasks.unschedule(
                    caller.tenant_id, email_task_id, expected_version=version
                )
            )
        except (FormErrors, DomainError, ApplicationError) as refusal:
            return redirect(request, url, flash=Flash("error", _first(refusal)))
        return redirect(request, url, flash=Flash("success", _("已取消定时，任务回到草稿")))

    @get("/{email_task_id:uuid}/cancel", sync_to_thread=True)
    def cancel_confirmation(
        self, request: Request[Any, Any, Any], email_task_id: UUID, email_tasks: EmailTasks
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        return _cancel_page(request, email_tasks.task(caller.tenant_id, email_task_id), {})

    @post("/{email_task_id:uuid}/cancel")
    async def cancel(
        self, request: Request[Any, Any, Any], email_task_id: UUID, email_tasks: EmailTasks
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        task = await in_thread(lambda: email_tasks.task(caller.tenant_id, email_task_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(
                lambda: email_tasks.cancel(
                    caller.tenant_id, email_task_id, expected_version=version
                )
            )
        except (FormErrors, DomainError, ApplicationError) as refusal:
            return _cancel_page(request, task, errors_of(refusal), status=409)
        url = f"{BASE}/{email_task_id}"
        return redirect(request, url, flash=Flash("success", _("任务已取消，未发出的邮件不再发送")))

    @post("/{email_task_id:uuid}/copy")
    async def copy(
        self, request: Request[Any, Any, Any], email_task_id: UUID, email_tasks: EmailTasks
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        copied = await change(lambda: email_tasks.copy(caller.tenant_id, email_task_id))
        flash = Flash("success", _("已复制为新草稿"))
        return redirect(request, f"{BASE}/{copied.id}", flash=flash)

    @post("/{email_task_id:uuid}/test-send")
    async def test_send(
        self,
        request: Request[Any, Any, Any],
        email_task_id: UUID,
        email_tasks: EmailTasks,
        email_test_sends: TestSends,
        messaging_lookups: MessagingLookups,
        email_report_queries: ReportQueries,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        task = await in_thread(lambda: email_tasks.task(caller.tenant_id, email_task_id))
        data = await form_data(request)
        try:
            lead_id = optional_id(data, "test_lead_id")
            command = parse_form(TestSend, {"to": data.get("to"), "lead_id": lead_id})
            sent = await change(
                lambda: email_test_sends.send(caller.tenant_id, email_task_id, command)
            )
        except (FormErrors, InvalidInput, DomainError, ApplicationError) as refusal:
            errors = shown_errors(refusal, ("to", "test_lead_id"))
            if "lead_id" in errors_of(refusal):
                errors["test_lead_id"] = errors_of(refusal)["lead_id"]
                errors.pop(GENERAL, None)
            report = await in_thread(lambda: _report(email_report_queries, caller, task))
            return await in_thread(
                lambda: _detail(
                    request, caller, task, messaging_lookups, history, data, errors,
                    report=report, status=422,
                )
            )  # fmt: skip
        url = f"{BASE}/{email_task_id}"
        if not sent.accepted:
            message = _("测试邮件未能发出：{detail}").format(detail=sent.detail)
            return redirect(request, url, flash=Flash("error", message))
        message = _("测试邮件已发送至 {to}").format(to=sent.to)
        return redirect(request, url, flash=Flash("success", message))

    @get("/{email_task_id:uuid}/delete", sync_to_thread=True)
    def delete_confirmation(
        self, request: Request[Any, Any, Any], email_task_id: UUID, email_tasks: EmailTasks
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.DELETE)
        return _delete_page(request, email_tasks.task(caller.tenant_id, email_task_id), {})

    @post("/{email_task_id:uuid}/delete")
    async def delete(
        self, request: Request[Any, Any, Any], email_task_id: UUID, email_tasks: EmailTasks
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.DELETE)
        task = await in_thread(lambda: email_tasks.task(caller.tenant_id, email_task_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(
                lambda: email_tasks.delete(
                    caller.tenant_id, email_task_id, expected_version=version
                )
            )
        except (FormErrors, DomainError, ApplicationError) as refusal:
            return _delete_page(request, task, errors_of(refusal), status=409)
        return redirect(request, BASE, flash=Flash("success", _("邮件任务已删除")))


def _details_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The task's fields from its form; the sender from its name before @ and a
    verified domain (or typed whole); the audience as the chosen kind describes it."""
    details: dict[str, Any] = {
        name: data.get(name) for name in ("name", "subject", "sender_name", "reply_to")
    }
    if "sender_domain" in data:
        local = str(data.get("sender_local") or "").strip()
        if not local:
            raise FormErrors({"sender_local": _("必填")})
        details["sender_address"] = f"{local}@{data.get('sender_domain')}"
    else:
        details["sender_address"] = data.get("sender_address")
    details["template_id"] = str(data.get("template_id") or "").strip() or None
    if details["template_id"] is None:
        raise FormErrors({"template_id": _("请选择邮件模板")})
    details["audience"] = audience_of(data)
    return details


def _status_of(refusal: Exception) -> int:
    """422 for input the form can correct, 409 for a state that does not allow it."""
    return 422 if isinstance(refusal, FormErrors | InvalidInput | InvalidValue) else 409


def _first(refusal: Exception) -> str:
    return next(iter(errors_of(refusal).values()), _("操作未完成"))


def _form(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    lookups: MessagingLookups,
    task: EmailTaskDetails | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> Response[Any]:
    domains = lookups.verified_domains(caller.tenant_id)
    shown = _sender_values(values, domains)
    if shown.get("sender_split") and "sender_address" in errors:
        errors = {**errors, "sender_local": errors["sender_address"]}
    return page(
        request,
        "messaging/email_task_form.html",
        title=_("编辑邮件任务") if task else _("新建邮件任务"),
        task=task,
        values=shown,
        errors=errors,
        templates=lookups.template_choices(caller.tenant_id),
        groups=list(lookups.group_names(caller.tenant_id).items()),
        audience_kinds=[(kind, _(label)) for kind, label in AUDIENCE_KINDS],
        domain_options=[(domain, "@" + domain) for domain in domains],
        templates_url=TEMPLATES,
        status=422 if errors else 200,
    )


def _sender_values(values: Mapping[str, Any], domains: list[str]) -> dict[str, Any]:
    """The sender as the form shows it: a name before @ and one of the verified domains
    (seed 003 §4.1), or the whole address when it is on no verified domain (yet)."""
    shown = dict(values)
    if "sender_domain" in shown:  # the split form came back
        split = str(shown.get("sender_domain") or "") in domains
    else:
        address = str(shown.get("sender_address") or "")
        local, _at, domain = address.rpartition("@")
        split = bool(domains) and (not address or domain in domains)
        if split and address:
            shown |= {"sender_local": local, "sender_domain": domain}
    shown["sender_split"] = split
    if not split and "sender_domain" in shown and not shown.get("sender_address"):
        local = str(shown.get("sender_local") or "")
        shown["sender_address"] = f"{local}@{shown['sender_domain']}" if local else ""
    return shown


def _report(
    queries: ReportQueries, caller: TenantCaller, task: EmailTaskDetails
) -> dict[str, Any] | None:
    """The report of a task that has sent (nothing to show before)."""
    if task.state not in REPORTED or not task.progress:
        return None
    report = queries.report(caller.tenant_id, task.id)
    totals = report.totals
    bars = [
        Bar(_("已发送"), totals.sent),
        Bar(_("已送达"), totals.delivered),
        Bar(_("净打开"), totals.unique_opens),
        Bar(_("净点击"), totals.unique_clicks),
    ]
    return {
        "report": report,
        "funnel": bar_chart(_("送达与互动"), bars),
        "audience_names": {key: _(label) for key, label in AUDIENCE_NAMES.items()},
    }


def _progress_context(task: EmailTaskDetails) -> dict[str, Any]:
    progress = task.progress
    return {
        "task": task,
        "running": task.state in RUNNING,
        "state_label": state_label(task.state),
        "state_badge": STATES.get(task.state, ("", None))[1] or "info",
        "progress": progress,
        "counts": [(_(label), getattr(progress, key)) for key, label in PROGRESS_LABELS.items()]
        if progress
        else [],
        "progress_url": f"{BASE}/{task.id}/progress",
    }


def _detail(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    task: EmailTaskDetails,
    lookups: MessagingLookups,
    history: RecordHistory,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    report: Any = None,
    status: int = 200,
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    may_update = caller.may(RESOURCE, Action.UPDATE)
    state = task.state
    return page(
        request,
        "messaging/email_task.html",
        title=task.name,
        audience=audience_words(task.audience, lookups.group_names(caller.tenant_id)),
        template_name=lookups.template_name(caller.tenant_id, task.template_id),
        template_url=f"{TEMPLATES}/{task.template_id}",
        send_at=local_time(task.send_at, timezone),
        started_at=local_time(task.started_at, timezone),
        finished_at=local_time(task.finished_at, timezone),
        may_edit=may_update and state in ("draft", "scheduled"),
        may_schedule=may_update and state == "draft",
        may_unschedule=may_update and state == "scheduled",
        may_cancel=may_update and state in ("scheduled", "sending"),
        may_test=may_update,
        may_copy=caller.may(RESOURCE, Action.CREATE),
        may_delete=caller.may(RESOURCE, Action.DELETE) and state in ("draft", "sent", "cancelled"),
        **(report or {"report": None}),
        values=values,
        errors=errors,
        history=history_for(history, caller, task.id),
        status=status,
        **_progress_context(task),
    )


def _schedule_page(
    request: Request[Any, Any, Any],
    task: EmailTaskDetails,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int | None = None,
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    return page(
        request,
        "messaging/email_task_schedule.html",
        title=_("发送邮件任务"),
        task=task,
        values={"version": str(task.version), **values},
        errors=errors,
        timezone=timezone,
        when_options=[("now", _("立即发送")), ("at", _("定时发送"))],
        current_send_at=local_input(task.send_at, timezone),
        status=status if status is not None else (422 if errors else 200),
    )


def _cancel_page(
    request: Request[Any, Any, Any],
    task: EmailTaskDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("取消邮件任务"),
        description=_("取消「{name}」：还没发出的邮件不再发送，已发出的不受影响。").format(
            name=task.name
        ),
        action=f"{BASE}/{task.id}/cancel",
        confirm_label=_("确认取消任务"),
        reason_required=None,
        fields={"version": task.version},
        errors=errors,
        cancel=f"{BASE}/{task.id}",
        status=status,
    )


def _delete_page(
    request: Request[Any, Any, Any],
    task: EmailTaskDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("删除邮件任务"),
        description=_("删除「{name}」：任务从列表中移除，已发出邮件的行为记录保留。").format(
            name=task.name
        ),
        action=f"{BASE}/{task.id}/delete",
        confirm_label=_("确认删除"),
        reason_required=None,
        fields={"version": task.version},
        errors=errors,
        cancel=f"{BASE}/{task.id}",
        status=status,
    )


PAGES: tuple[Any, ...] = (EmailTaskPages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="邮件任务",
        path=BASE,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section=SECTION,
        action=Action.READ,
        order=10,
    ),
)
