"""SMS pages (营销触达 · 短信签名, 短信任务; SMS-1…3, seed 003 §5): signatures — at
most three, submitted for review, approved or rejected by the tenant admin, removed;
tasks — written with an approved signature, the text's length and segment count as
the send counts them (asked again while typing), submitted for review, approved or
rejected by the tenant admin, sent now or at a time, taken back, cancelled, copied,
deleted, with the progress of the send."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.messaging.sms_commands import (
    DraftSmsTask,
    RejectReview,
    ReviseSmsTask,
    ScheduleSmsTask,
    SignatureDetails,
    SmsTaskDetails,
    SubmitSignature,
)
from application.messaging.sms_signatures import SmsSignatures
from application.messaging.sms_tasks import SmsTasks
from application.shared.callers import TenantCaller
from application.shared.errors import ApplicationError, InvalidInput, NotFound, PermissionDenied
from application.shared.history import RecordHistory
from domain.messaging.sms_content import SmsContent
from domain.shared.access import Action, TenantRole
from domain.shared.errors import DomainError, InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import (
    FormErrors,
    errors_of,
    form_data,
    parse_form,
    reason_of,
    version_of,
)
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.messaging.common import (
    AUDIENCE_KINDS,
    STATES,
    STOP_POLLING,
    audience_of,
    audience_values,
    audience_words,
    choices,
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

SIGNATURES = "/console/messaging/sms-signatures"
TASKS = "/console/messaging/sms-tasks"
MAX_SIGNATURES = 3
SIGNATURE_STATES = {
    "pending": (N_("待审核"), "warn"),
    "approved": (N_("已通过"), "ok"),
    "rejected": (N_("已驳回"), "bad"),
}
TASK_FIELDS = ("name", "signature_id", "text", "audience_kind", "group_id", "filter", "lead_ids")
TASK_STATES = ("draft", "pending_review", "rejected", "scheduled", "sending", "sent", "cancelled")
RUNNING = ("scheduled", "sending")
PROGRESS_LABELS = {
    "sent": N_("已发送"),
    "queued": N_("排队中"),
    "skipped": N_("已跳过（退订、屏蔽或超出频次）"),
    "failed": N_("失败"),
}
EXAMPLE_TEXT = "{{name}}您好，会员日全场5折，详情 https://www.example.com/promotions 回T退订"


def is_reviewer(caller: TenantCaller) -> bool:
    """Reviews of signatures and texts are the tenant admin's (SMS-1, SMS-2)."""
    return TenantRole.TENANT_ADMIN in caller.roles


def _reviewer(caller: TenantCaller) -> str:
    return str(caller.employee_id or caller.key_id)


def _require_reviewer(caller: TenantCaller) -> None:
    if not is_reviewer(caller):
        raise PermissionDenied("only a tenant_admin may review SMS signatures and texts")


def _signature_cell(state: str) -> Cell:
    label, badge = SIGNATURE_STATES.get(state, (state, "info"))
    return Cell(_(label), badge=badge)


# --- signatures ----------------------------------------------------------------------------


class SmsSignaturePages(Controller):
    path = "/messaging/sms-signatures"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def signatures(
        self, request: Request[Any, Any, Any], sms_signatures: SmsSignatures
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_signatures", Action.READ)
        return _signatures_page(request, caller, sms_signatures, {}, {})

    @post("/new")
    async def submit(
        self, request: Request[Any, Any, Any], sms_signatures: SmsSignatures
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_signatures", Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(SubmitSignature, data)
            made = await change(lambda: sms_signatures.submit(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = shown_errors(refusal, ("text", "purpose"))
            return await in_thread(
                lambda: _signatures_page(request, caller, sms_signatures, data, errors)
            )
        if made.state == "rejected":
            message = _("签名未通过服务商审核：{reason}").format(reason=made.reason or "")
            return redirect(request, f"{SIGNATURES}/{made.id}", flash=Flash("error", message))
        flash = Flash("success", _("签名已提交审核"))
        return redirect(request, f"{SIGNATURES}/{made.id}", flash=flash)

    @get("/{sms_signature_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        sms_signature_id: UUID,
        sms_signatures: SmsSignatures,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_signatures", Action.READ)
        signature = sms_signatures.signature(caller.tenant_id, sms_signature_id)
        label, badge = SIGNATURE_STATES.get(signature.state, (signature.state, "info"))
        return page(
            request,
            "messaging/sms_signature.html",
            title=_("短信签名：{text}").format(text=signature.text),
            signature=signature,
            state_label=_(label),
            state_badge=badge,
            may_review=is_reviewer(caller) and signature.state == "pending",
            may_remove=caller.may("sms_signatures", Action.DELETE),
            history=history_for(history, caller, signature.id),
        )

    @post("/{sms_signature_id:uuid}/approve")
    async def approve(
        self,
        request: Request[Any, Any, Any],
        sms_signature_id: UUID,
        sms_signatures: SmsSignatures,
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_signatures", Action.UPDATE)
        await in_thread(lambda: sms_signatures.signature(caller.tenant_id, sms_signature_id))
        _require_reviewer(caller)
        data = await form_data(request)
        url = f"{SIGNATURES}/{sms_signature_id}"
        try:
            version = version_of(data)
            approved = await change(
                lambda: sms_signatures.approve(
                    caller.tenant_id,
                    sms_signature_id,
                    reviewer=_reviewer(caller),
                    expected_version=version,
                )
            )
        except (FormErrors, DomainError, ApplicationError) as refusal:
            return redirect(request, url, flash=Flash("error", _first(refusal)))
        if approved.state == "rejected":
            message = _("服务商驳回了签名：{reason}").format(reason=approved.reason or "")
            return redirect(request, url, flash=Flash("error", message))
        return redirect(request, url, flash=Flash("success", _("签名已通过审核")))

    @get("/{sms_signature_id:uuid}/reject", sync_to_thread=True)
    def reject_confirmation(
        self,
        request: Request[Any, Any, Any],
        sms_signature_id: UUID,
        sms_signatures: SmsSignatures,
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_signatures", Action.UPDATE)
        signature = sms_signatures.signature(caller.tenant_id, sms_signature_id)
        _require_reviewer(caller)
        return _reject_signature_page(request, signature, {}, {})

    @post("/{sms_signature_id:uuid}/reject")
    async def reject(
        self,
        request: Request[Any, Any, Any],
        sms_signature_id: UUID,
        sms_signatures: SmsSignatures,
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_signatures", Action.UPDATE)
        signature = await in_thread(
            lambda: sms_signatures.signature(caller.tenant_id, sms_signature_id)
        )
        _require_reviewer(caller)
        data = await form_data(request)
        try:
            version = version_of(data)
            command = RejectReview(reason=reason_of(data, required=True))
            await change(
                lambda: sms_signatures.reject(
                    caller.tenant_id,
                    sms_signature_id,
                    command,
                    reviewer=_reviewer(caller),
                    expected_version=version,
                )
            )
        except (FormErrors, InvalidInput, DomainError, ApplicationError) as refusal:
            status = _status_of(refusal)
            return _reject_signature_page(
                request, signature, data, errors_of(refusal), status=status
            )
        url = f"{SIGNATURES}/{sms_signature_id}"
        return redirect(request, url, flash=Flash("success", _("签名已驳回")))

    @get("/{sms_signature_id:uuid}/remove", sync_to_thread=True)
    def remove_confirmation(
        self,
        request: Request[Any, Any, Any],
        sms_signature_id: UUID,
        sms_signatures: SmsSignatures,
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_signatures", Action.DELETE)
        signature = sms_signatures.signature(caller.tenant_id, sms_signature_id)
        return _remove_signature_page(request, signature, {})

    @post("/{sms_signature_id:uuid}/remove")
    async def remove(
        self,
        request: Request[Any, Any, Any],
        sms_signature_id: UUID,
        sms_signatures: SmsSignatures,
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_signatures", Action.DELETE)
        signature = await in_thread(
            lambda: sms_signatures.signature(caller.tenant_id, sms_signature_id)
        )
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(
                lambda: sms_signatures.remove(
                    caller.tenant_id, sms_signature_id, expected_version=version
                )
            )
        except (FormErrors, DomainError, ApplicationError) as refusal:
            return _remove_signature_page(request, signature, errors_of(refusal), status=409)
        return redirect(request, SIGNATURES, flash=Flash("success", _("签名已删除")))


def _signatures_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    sms_signatures: SmsSignatures,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    found = choices(
        lambda cursor, limit: sms_signatures.signatures(
            caller.tenant_id, cursor=cursor, limit=limit
        )
    )
    rows = [
        Row(
            str(signature.id),
            [
                Cell(f"【{signature.text}】", href=f"{SIGNATURES}/{signature.id}"),
                Cell(signature.purpose or "—"),
                _signature_cell(signature.state),
                Cell(signature.reason or "—"),
                Cell(local_time(signature.created_at, timezone)),
            ],
        )
        for signature in found
    ]
    in_use = sum(1 for signature in found if signature.state != "rejected")
    table = Table(
        id="sms-signatures",
        url=SIGNATURES,
        columns=[
            Column("text", "签名"),
            Column("purpose", "用途"),
            Column("state", "状态"),
            Column("reason", "驳回原因"),
            Column("created", "提交时间"),
        ],
        rows=rows,
        caption="短信签名",
        empty_message="还没有短信签名",
    )
    return page(
        request,
        "messaging/sms_signatures.html",
        title=_("短信签名"),
        table=table,
        in_use=in_use,
        most=MAX_SIGNATURES,
        may_create=caller.may("sms_signatures", Action.CREATE) and in_use < MAX_SIGNATURES,
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


def _reject_signature_page(
    request: Request[Any, Any, Any],
    signature: SignatureDetails,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("驳回短信签名"),
        description=_("驳回「{text}」：它不能用于发送，空出的名额可以提交新签名。").format(
            text=signature.text
        ),
        action=f"{SIGNATURES}/{signature.id}/reject",
        confirm_label=_("确认驳回"),
        reason_required=True,
        fields={"version": signature.version},
        values=values,
        errors=errors,
        cancel=f"{SIGNATURES}/{signature.id}",
        status=status,
    )


def _remove_signature_page(
    request: Request[Any, Any, Any],
    signature: SignatureDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("删除短信签名"),
        description=_("删除「{text}」：用它写好的短信任务不能再用它发送。").format(
            text=signature.text
        ),
        action=f"{SIGNATURES}/{signature.id}/remove",
        confirm_label=_("确认删除"),
        reason_required=None,
        fields={"version": signature.version},
        errors=errors,
        cancel=f"{SIGNATURES}/{signature.id}",
        status=status,
    )


# --- tasks ---------------------------------------------------------------------------------


class SmsTaskPages(Controller):
    path = "/messaging/sms-tasks"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def tasks(
        self,
        request: Request[Any, Any, Any],
        sms_tasks: SmsTasks,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.READ)
        timezone = signed_in_viewer(request).timezone
        state = request.query_params.get("state")  # `state` is a name Litestar keeps
        chosen = state if state in TASK_STATES else None
        listed = sms_tasks.tasks(
            caller.tenant_id, state=chosen, cursor=cursor or None, limit=PAGE_SIZE
        )
        rows = [
            Row(
                str(task.id),
                [
                    Cell(task.name, href=f"{TASKS}/{task.id}"),
                    Cell(f"【{task.signature}】"),
                    state_cell(task.state),
                    Cell(_("{n} 字 · {m} 条").format(n=task.length, m=task.segments)),
                    Cell(local_time(task.send_at, timezone)),
                    Cell(str(task.recipients) if task.recipients else "—"),
                ],
            )
            for task in listed.items
        ]
        may_create = caller.may("sms_tasks", Action.CREATE)
        table = Table(
            id="sms-tasks",
            url=TASKS,
            columns=[
                Column("name", "名称"),
                Column("signature", "签名"),
                Column("state", "状态"),
                Column("length", "字数"),
                Column("send_at", "发送时间"),
                Column("recipients", "收件人数", numeric=True),
            ],
            rows=rows,
            caption="短信任务",
            next_cursor=listed.next_cursor,
            filters=[Filter("state", "状态", kind="select", options=state_options(TASK_STATES))],
            query=query_of(request, ("state", "cursor")),
            empty_message="还没有短信任务",
            empty_action=("新建短信任务", f"{TASKS}/new") if may_create else None,
        )
        return page(
            request, "messaging/sms_tasks.html", title=_("短信任务"), table=table,
            may_create=may_create,
        )  # fmt: skip

    @get("/length", sync_to_thread=True)
    def length(
        self,
        request: Request[Any, Any, Any],
        sms_signatures: SmsSignatures,
        text: str = "",
        signature_id: str = "",
    ) -> Response[Any]:
        """The text's length and segments with the signature, as the send counts them
        (the task form asks while the text is typed)."""
        caller = tenant_may(request, "sms_tasks", Action.READ)
        signature = _signature_text(sms_signatures, caller, signature_id)
        return page(
            request,
            "messaging/sms_length.html",
            title=_("字数"),
            **_length_context(signature, text[:2000]),
        )

    @get("/new", sync_to_thread=True)
    def new_form(
        self,
        request: Request[Any, Any, Any],
        sms_signatures: SmsSignatures,
        messaging_lookups: MessagingLookups,
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.CREATE)
        values = {"audience_kind": "group", "text": EXAMPLE_TEXT, "filter": example_filter()}
        return _task_form(request, caller, sms_signatures, messaging_lookups, None, values, {})

    @post("/new")
    async def create(
        self,
        request: Request[Any, Any, Any],
        sms_tasks: SmsTasks,
        sms_signatures: SmsSignatures,
        messaging_lookups: MessagingLookups,
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(DraftSmsTask, _task_details_of(data))
            drafted = await change(lambda: sms_tasks.draft(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = shown_errors(refusal, TASK_FIELDS)
            return await in_thread(
                lambda: _task_form(
                    request, caller, sms_signatures, messaging_lookups, None, data, errors
                )
            )
        return redirect(request, f"{TASKS}/{drafted.id}", flash=Flash("success", _("已保存草稿")))

    @get("/{sms_task_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        sms_task_id: UUID,
        sms_tasks: SmsTasks,
        messaging_lookups: MessagingLookups,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.READ)
        task = sms_tasks.task(caller.tenant_id, sms_task_id)
        return _task_detail(request, caller, task, messaging_lookups, history)

    @get("/{sms_task_id:uuid}/progress", sync_to_thread=True)
    def progress(
        self, request: Request[Any, Any, Any], sms_task_id: UUID, sms_tasks: SmsTasks
    ) -> Response[Any]:
        """The progress part of the task's page, polled while the task is running."""
        caller = tenant_may(request, "sms_tasks", Action.READ)
        task = sms_tasks.task(caller.tenant_id, sms_task_id)
        return page(
            request,
            "messaging/task_progress.html",
            title=task.name,
            status=200 if task.state in RUNNING else STOP_POLLING,
            **_progress_context(task),
        )

    @get("/{sms_task_id:uuid}/edit", sync_to_thread=True)
    def edit_form(
        self,
        request: Request[Any, Any, Any],
        sms_task_id: UUID,
        sms_tasks: SmsTasks,
        sms_signatures: SmsSignatures,
        messaging_lookups: MessagingLookups,
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.UPDATE)
        task = sms_tasks.task(caller.tenant_id, sms_task_id)
        values = {
            "name": task.name,
            "signature_id": str(task.signature_id),
            "text": task.text,
            "filter": example_filter(),
            **audience_values(task.audience),
            "version": str(task.version),
        }
        return _task_form(request, caller, sms_signatures, messaging_lookups, task, values, {})

    @post("/{sms_task_id:uuid}/edit")
    async def revise(
        self,
        request: Request[Any, Any, Any],
        sms_task_id: UUID,
        sms_tasks: SmsTasks,
        sms_signatures: SmsSignatures,
        messaging_lookups: MessagingLookups,
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.UPDATE)
        task = await in_thread(lambda: sms_tasks.task(caller.tenant_id, sms_task_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            details = _task_details_of(data)
            if details["signature_id"] == str(task.signature_id):
                # The same signature (maybe removed since): the task keeps its text.
                details.pop("signature_id")
            command = parse_form(ReviseSmsTask, details)
            await change(
                lambda: sms_tasks.revise(
                    caller.tenant_id, sms_task_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = shown_errors(refusal, TASK_FIELDS)
            return await in_thread(
                lambda: _task_form(
                    request, caller, sms_signatures, messaging_lookups, task, data, errors
                )
            )
        return redirect(request, f"{TASKS}/{sms_task_id}", flash=Flash("success", _("已保存")))

    @post("/{sms_task_id:uuid}/submit")
    async def submit(
        self, request: Request[Any, Any, Any], sms_task_id: UUID, sms_tasks: SmsTasks
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.UPDATE)
        await in_thread(lambda: sms_tasks.task(caller.tenant_id, sms_task_id))  # 404 first
        data = await form_data(request)
        url = f"{TASKS}/{sms_task_id}"
        try:
            version = version_of(data)
            await change(
                lambda: sms_tasks.submit(
                    caller.tenant_id, sms_task_id, ScheduleSmsTask(), expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError, ApplicationError) as refusal:
            return redirect(request, url, flash=Flash("error", _first(refusal)))
        return redirect(request, url, flash=Flash("success", _("已提交审核")))

    @post("/{sms_task_id:uuid}/approve")
    async def approve(
        self, request: Request[Any, Any, Any], sms_task_id: UUID, sms_tasks: SmsTasks
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.UPDATE)
        await in_thread(lambda: sms_tasks.task(caller.tenant_id, sms_task_id))
        _require_reviewer(caller)
        data = await form_data(request)
        url = f"{TASKS}/{sms_task_id}"
        try:
            version = version_of(data)
            approved = await change(
                lambda: sms_tasks.approve(
                    caller.tenant_id,
                    sms_task_id,
                    reviewer=_reviewer(caller),
                    expected_version=version,
                )
            )
        except (FormErrors, DomainError, ApplicationError) as refusal:
            return redirect(request, url, flash=Flash("error", _first(refusal)))
        if approved.state == "rejected":
            message = _("服务商驳回了短信内容：{reason}").format(reason=approved.rejection or "")
            return redirect(request, url, flash=Flash("error", message))
        return redirect(request, url, flash=Flash("success", _("短信内容已通过审核")))

    @get("/{sms_task_id:uuid}/reject", sync_to_thread=True)
    def reject_confirmation(
        self, request: Request[Any, Any, Any], sms_task_id: UUID, sms_tasks: SmsTasks
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.UPDATE)
        task = sms_tasks.task(caller.tenant_id, sms_task_id)
        _require_reviewer(caller)
        return _reject_task_page(request, task, {}, {})

    @post("/{sms_task_id:uuid}/reject")
    async def reject(
        self, request: Request[Any, Any, Any], sms_task_id: UUID, sms_tasks: SmsTasks
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.UPDATE)
        task = await in_thread(lambda: sms_tasks.task(caller.tenant_id, sms_task_id))
        _require_reviewer(caller)
        data = await form_data(request)
        try:
            version = version_of(data)
            command = RejectReview(reason=reason_of(data, required=True))
            await change(
                lambda: sms_tasks.reject(
                    caller.tenant_id,
                    sms_task_id,
                    command,
                    reviewer=_reviewer(caller),
                    expected_version=version,
                )
            )
        except (FormErrors, InvalidInput, DomainError, ApplicationError) as refusal:
            status = _status_of(refusal)
            return _reject_task_page(request, task, data, errors_of(refusal), status=status)
        return redirect(request, f"{TASKS}/{sms_task_id}", flash=Flash("success", _("已驳回")))

    @get("/{sms_task_id:uuid}/schedule", sync_to_thread=True)
    def schedule_form(
        self, request: Request[Any, Any, Any], sms_task_id: UUID, sms_tasks: SmsTasks
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.UPDATE)
        task = sms_tasks.task(caller.tenant_id, sms_task_id)
        return _schedule_page(request, task, {"when": "now"}, {})

    @post("/{sms_task_id:uuid}/schedule")
    async def schedule(
        self, request: Request[Any, Any, Any], sms_task_id: UUID, sms_tasks: SmsTasks
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.UPDATE)
        task = await in_thread(lambda: sms_tasks.task(caller.tenant_id, sms_task_id))
        data = await form_data(request)
        timezone = signed_in_viewer(request).timezone
        try:
            version = version_of(data)
            command = ScheduleSmsTask(send_at=send_at_of(data, timezone))
            scheduled = await change(
                lambda: sms_tasks.schedule(
                    caller.tenant_id, sms_task_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError, ApplicationError) as refusal:
            errors = shown_errors(refusal, ("when", "send_at"))
            status = _status_of(refusal)
            return _schedule_page(request, task, data, errors, status=status)
        if scheduled.state == "pending_review":
            message = _("内容已提交审核，通过后按时发送")
        elif command.send_at is None:
            message = _("已开始发送")
        else:
            message = _("已定时：{at}").format(at=local_time(scheduled.send_at, timezone))
        url = f"{TASKS}/{sms_task_id}"
        return redirect(request, url, flash=Flash("success", message))

    @post("/{sms_task_id:uuid}/unschedule")
    async def unschedule(
        self, request: Request[Any, Any, Any], sms_task_id: UUID, sms_tasks: SmsTasks
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.UPDATE)
        await in_thread(lambda: sms_tasks.task(caller.tenant_id, sms_task_id))
        data = await form_data(request)
        url = f"{TASKS}/{sms_task_id}"
        try:
            version = version_of(data)
            await change(
                lambda: sms_tasks.unschedule(
                    caller.tenant_id, sms_task_id, expected_version=version
                )
            )
        except (FormErrors, DomainError, ApplicationError) as refusal:
            return redirect(request, url, flash=Flash("error", _first(refusal)))
        return redirect(request, url, flash=Flash("success", _("已取消定时，任务回到草稿")))

    @get("/{sms_task_id:uuid}/cancel", sync_to_thread=True)
    def cancel_confirmation(
        self, request: Request[Any, Any, Any], sms_task_id: UUID, sms_tasks: SmsTasks
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.UPDATE)
        return _cancel_page(request, sms_tasks.task(caller.tenant_id, sms_task_id), {})

    @post("/{sms_task_id:uuid}/cancel")
    async def cancel(
        self, request: Request[Any, Any, Any], sms_task_id: UUID, sms_tasks: SmsTasks
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.UPDATE)
        task = await in_thread(lambda: sms_tasks.task(caller.tenant_id, sms_task_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(
                lambda: sms_tasks.cancel(caller.tenant_id, sms_task_id, expected_version=version)
            )
        except (FormErrors, DomainError, ApplicationError) as refusal:
            return _cancel_page(request, task, errors_of(refusal), status=409)
        url = f"{TASKS}/{sms_task_id}"
        return redirect(request, url, flash=Flash("success", _("任务已取消，未发出的短信不再发送")))

    @post("/{sms_task_id:uuid}/copy")
    async def copy(
        self, request: Request[Any, Any, Any], sms_task_id: UUID, sms_tasks: SmsTasks
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.CREATE)
        copied = await change(lambda: sms_tasks.copy(caller.tenant_id, sms_task_id))
        return redirect(
            request, f"{TASKS}/{copied.id}", flash=Flash("success", _("已复制为新草稿"))
        )

    @get("/{sms_task_id:uuid}/delete", sync_to_thread=True)
    def delete_confirmation(
        self, request: Request[Any, Any, Any], sms_task_id: UUID, sms_tasks: SmsTasks
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.DELETE)
        return _delete_page(request, sms_tasks.task(caller.tenant_id, sms_task_id), {})

    @post("/{sms_task_id:uuid}/delete")
    async def delete(
        self, request: Request[Any, Any, Any], sms_task_id: UUID, sms_tasks: SmsTasks
    ) -> Response[Any]:
        caller = tenant_may(request, "sms_tasks", Action.DELETE)
        task = await in_thread(lambda: sms_tasks.task(caller.tenant_id, sms_task_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(
                lambda: sms_tasks.delete(caller.tenant_id, sms_task_id, expected_version=version)
            )
        except (FormErrors, DomainError, ApplicationError) as refusal:
            return _delete_page(request, task, errors_of(refusal), status=409)
        return redirect(request, TASKS, flash=Flash("success", _("短信任务已删除")))


def _status_of(refusal: Exception) -> int:
    """422 for input the form can correct, 409 for a state that does not allow it."""
    return 422 if isinstance(refusal, FormErrors | InvalidInput | InvalidValue) else 409


def _first(refusal: Exception) -> str:
    return next(iter(errors_of(refusal).values()), _("操作未完成"))


def _task_details_of(data: Mapping[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {"name": data.get("name"), "text": data.get("text")}
    details["signature_id"] = str(data.get("signature_id") or "").strip() or None
    if details["signature_id"] is None:
        raise FormErrors({"signature_id": _("请选择已通过审核的签名")})
    details["audience"] = audience_of(data)
    return details


def _signature_text(sms_signatures: SmsSignatures, caller: TenantCaller, raw: Any) -> str:
    """A signature's text for counting (any state: the form may show a pending one)."""
    try:
        return sms_signatures.signature(caller.tenant_id, UUID(str(raw))).text
    except (ValueError, NotFound):
        return ""


def _length_context(signature: str, text: str) -> dict[str, Any]:
    content = SmsContent(signature, text)
    return {
        "length": content.length,
        "segments": content.segments,
        "personalised": content.personalised,
        "short_links": content.long_links,
        "has_keyword": "退订" in text,
    }


def _usable_signatures(
    sms_signatures: SmsSignatures, caller: TenantCaller
) -> list[tuple[str, str]]:
    found = choices(
        lambda cursor, limit: sms_signatures.signatures(
            caller.tenant_id, cursor=cursor, limit=limit
        )
    )
    return [(str(s.id), f"【{s.text}】") for s in found if s.state == "approved"]


def _task_form(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    sms_signatures: SmsSignatures,
    lookups: MessagingLookups,
    task: SmsTaskDetails | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> Response[Any]:
    signatures = _usable_signatures(sms_signatures, caller)
    chosen = str(values.get("signature_id") or (signatures[0][0] if signatures else ""))
    if task is not None and chosen == str(task.signature_id) and chosen not in dict(signatures):
        signatures.append((chosen, f"【{task.signature}】"))
    signature = _signature_text(sms_signatures, caller, chosen)
    return page(
        request,
        "messaging/sms_task_form.html",
        title=_("编辑短信任务") if task else _("新建短信任务"),
        task=task,
        values={**values, "signature_id": chosen},
        errors=errors,
        signatures=signatures,
        groups=list(lookups.group_names(caller.tenant_id).items()),
        audience_kinds=[(kind, _(label)) for kind, label in AUDIENCE_KINDS],
        length_url=f"{TASKS}/length",
        status=422 if errors else 200,
        **_length_context(signature, str(values.get("text") or "")),
    )


def _progress_context(task: SmsTaskDetails) -> dict[str, Any]:
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
        "progress_url": f"{TASKS}/{task.id}/progress",
    }


def _task_detail(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    task: SmsTaskDetails,
    lookups: MessagingLookups,
    history: RecordHistory,
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    may_update = caller.may("sms_tasks", Action.UPDATE)
    state = task.state
    return page(
        request,
        "messaging/sms_task.html",
        title=task.name,
        audience=audience_words(task.audience, lookups.group_names(caller.tenant_id)),
        send_at=local_time(task.send_at, timezone),
        started_at=local_time(task.started_at, timezone),
        finished_at=local_time(task.finished_at, timezone),
        may_edit=may_update and state in ("draft", "scheduled", "rejected"),
        may_submit=may_update and state in ("draft", "rejected") and not task.approved,
        may_review=is_reviewer(caller) and state == "pending_review",
        may_schedule=may_update and state in ("draft", "rejected"),
        may_unschedule=may_update and state == "scheduled",
        may_cancel=may_update and state in ("scheduled", "sending", "pending_review"),
        may_copy=caller.may("sms_tasks", Action.CREATE),
        may_delete=caller.may("sms_tasks", Action.DELETE)
        and state in ("draft", "rejected", "sent", "cancelled"),
        history=history_for(history, caller, task.id),
        **_progress_context(task),
    )


def _schedule_page(
    request: Request[Any, Any, Any],
    task: SmsTaskDetails,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int | None = None,
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    return page(
        request,
        "messaging/sms_task_schedule.html",
        title=_("发送短信任务"),
        task=task,
        values={"version": str(task.version), **values},
        errors=errors,
        timezone=timezone,
        when_options=[("now", _("立即发送")), ("at", _("定时发送"))],
        current_send_at=local_input(task.send_at, timezone),
        status=status if status is not None else (422 if errors else 200),
    )


def _reject_task_page(
    request: Request[Any, Any, Any],
    task: SmsTaskDetails,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("驳回短信内容"),
        description=_("驳回「{name}」的内容：修改后可再次提交审核。").format(name=task.name),
        action=f"{TASKS}/{task.id}/reject",
        confirm_label=_("确认驳回"),
        reason_required=True,
        fields={"version": task.version},
        values=values,
        errors=errors,
        cancel=f"{TASKS}/{task.id}",
        status=status,
    )


def _cancel_page(
    request: Request[Any, Any, Any],
    task: SmsTaskDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("取消短信任务"),
        description=_("取消「{name}」：还没发出的短信不再发送，已发出的不受影响。").format(
            name=task.name
        ),
        action=f"{TASKS}/{task.id}/cancel",
        confirm_label=_("确认取消任务"),
        reason_required=None,
        fields={"version": task.version},
        errors=errors,
        cancel=f"{TASKS}/{task.id}",
        status=status,
    )


def _delete_page(
    request: Request[Any, Any, Any],
    task: SmsTaskDetails,
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("删除短信任务"),
        description=_("删除「{name}」：任务从列表中移除，已发出短信的记录保留。").format(
            name=task.name
        ),
        action=f"{TASKS}/{task.id}/delete",
        confirm_label=_("确认删除"),
        reason_required=None,
        fields={"version": task.version},
        errors=errors,
        cancel=f"{TASKS}/{task.id}",
        status=status,
    )


SIGNATURE_PAGES: tuple[Any, ...] = (SmsSignaturePages,)
TASK_PAGES: tuple[Any, ...] = (SmsTaskPages,)
PAGES: tuple[Any, ...] = (*SIGNATURE_PAGES, *TASK_PAGES)
SIGNATURE_NAV = NavItem(
    label="短信签名",
    path=SIGNATURES,
    resource="sms_signatures",
    audience=Audience.TENANT,
    section="营销触达",
    action=Action.READ,
    order=21,
)
TASK_NAV = NavItem(
    label="短信任务",
    path=TASKS,
    resource="sms_tasks",
    audience=Audience.TENANT,
    section="营销触达",
    action=Action.READ,
    order=20,
)
NAV: tuple[NavItem, ...] = (TASK_NAV, SIGNATURE_NAV)
