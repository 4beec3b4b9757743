"""Routes of SMS signatures (SMS-2) and tasks (SMS-1, SMS-3): write, review (tenant
admins), schedule or send now, cancel, copy, delete, read with length and segments."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Response
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.params import Parameter

from application.messaging.sms_commands import (
    DraftSmsTask,
    RejectReview,
    ReviseSmsTask,
    ScheduleSmsTask,
    SignatureDetails,
    SmsTaskDetails,
    SmsTaskSummary,
    SubmitSignature,
)
from application.messaging.sms_signatures import SmsSignatures
from application.messaging.sms_tasks import SmsTasks
from application.shared.callers import TenantCaller
from application.shared.errors import PermissionDenied
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action, TenantRole
from entrypoints.http.conventions import (
    IF_MATCH,
    ListOf,
    delete,
    get,
    page_of,
    patch,
    post,
    tenant_may,
    with_etag,
)
from entrypoints.http.requests import caller_of
from entrypoints.http.tenant import Cursor, Limit

State = Literal["draft", "pending_review", "rejected", "scheduled", "sending", "sent", "cancelled"]


def reviewers_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: reviews of signatures and texts are the tenant admin's (SMS-1, SMS-2)."""
    caller = caller_of(connection.scope)
    if not isinstance(caller, TenantCaller) or TenantRole.TENANT_ADMIN not in caller.roles:
        raise PermissionDenied("only a tenant_admin may review SMS signatures and texts")


def _reviewer(caller: TenantCaller) -> str:
    return str(caller.employee_id or caller.key_id)


class SmsSignatureController(Controller):
    path = "/api/v1/sms/signatures"
    tags = ["sms"]
    guards = [tenant_may("sms_signatures")]
    dependencies = IF_MATCH

    @get("/", operation_id="listSmsSignatures")
    def list_signatures(
        self,
        sms_signatures: SmsSignatures,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[SignatureDetails]:
        """The tenant's SMS signatures (at most three), newest first."""
        return page_of(sms_signatures.signatures(caller.tenant_id, cursor=cursor, limit=limit))

    @post("/", operation_id="submitSmsSignature", may=Action.CREATE)
    def submit(
        self, data: SubmitSignature, sms_signatures: SmsSignatures, caller: TenantCaller
    ) -> Response[SignatureDetails]:
        """Submit a signature for review.

        2-30 letters or digits; no special symbols (`- . + # @ …`), no banned words and no
        brackets (【】 are added when sent): each answers 422 naming the rule. A tenant has
        at most three signatures (SMS-2): a fourth answers 422. Where the provider reviews
        signatures it is submitted there too."""
        return with_etag(sms_signatures.submit(caller.tenant_id, data), status_code=201)

    @get("/{sms_signature_id:uuid}", operation_id="getSmsSignature")
    def get_signature(
        self, sms_signature_id: UUID, sms_signatures: SmsSignatures, caller: TenantCaller
    ) -> Response[SignatureDetails]:
        """One SMS signature with its review state."""
        return with_etag(sms_signatures.signature(caller.tenant_id, sms_signature_id))

    @post(
        "/{sms_signature_id:uuid}/approve",
        operation_id="approveSmsSignature",
        status_code=200,
        guards=[reviewers_only],
    )
    def approve(
        self,
        sms_signature_id: UUID,
        sms_signatures: SmsSignatures,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SignatureDetails]:
        """Approve a pending signature (tenant admins).

        Where the provider reviews signatures its review must have passed (409 while it
        is pending; rejected there, the signature is rejected with its reason)."""
        return with_etag(
            sms_signatures.approve(
                caller.tenant_id,
                sms_signature_id,
                reviewer=_reviewer(caller),
                expected_version=expected_version,
            )
        )

    @post(
        "/{sms_signature_id:uuid}/reject",
        operation_id="rejectSmsSignature",
        status_code=200,
        guards=[reviewers_only],
    )
    def reject(
        self,
        sms_signature_id: UUID,
        data: RejectReview,
        sms_signatures: SmsSignatures,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SignatureDetails]:
        """Reject a pending signature with the reason (tenant admins); frees its place."""
        return with_etag(
            sms_signatures.reject(
                caller.tenant_id,
                sms_signature_id,
                data,
                reviewer=_reviewer(caller),
                expected_version=expected_version,
            )
        )

    @delete("/{sms_signature_id:uuid}", operation_id="removeSmsSignature", status_code=200)
    def remove(
        self,
        sms_signature_id: UUID,
        sms_signatures: SmsSignatures,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SignatureDetails]:
        """Remove a signature (frees its place; tasks keep the text they were written with)."""
        return with_etag(
            sms_signatures.remove(
                caller.tenant_id, sms_signature_id, expected_version=expected_version
            )
        )


class SmsTaskController(Controller):
    path = "/api/v1/sms/tasks"
    tags = ["sms"]
    guards = [tenant_may("sms_tasks")]
    dependencies = IF_MATCH

    @get("/", operation_id="listSmsTasks")
    def list_tasks(
        self,
        sms_tasks: SmsTasks,
        caller: TenantCaller,
        in_state: Annotated[
            State | None, Parameter(query="state", description="only tasks in this state")
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[SmsTaskSummary]:
        """The tenant's SMS tasks, newest first, optionally in one state."""
        # `state` is a name Litestar reserves for the app's state: read as `in_state`.
        page = sms_tasks.tasks(caller.tenant_id, state=in_state, cursor=cursor, limit=limit)
        return page_of(page)

    @post("/", operation_id="draftSmsTask", may=Action.CREATE)
    def draft(
        self, data: DraftSmsTask, sms_tasks: SmsTasks, caller: TenantCaller
    ) -> Response[SmsTaskDetails]:
        """Write an SMS task as a draft with an approved signature.

        The text must contain 退订 (SMS-3) and may use only personalisation fields; with
        its signature it is at most 500 characters. A broken rule answers 422 naming
        `text` and the rule. The answer shows its length and segment count."""
        return with_etag(sms_tasks.draft(caller.tenant_id, data), status_code=201)

    @get("/{sms_task_id:uuid}", operation_id="getSmsTask")
    def get_task(
        self, sms_task_id: UUID, sms_tasks: SmsTasks, caller: TenantCaller
    ) -> Response[SmsTaskDetails]:
        """One SMS task with its length, segments and the progress of its texts."""
        return with_etag(sms_tasks.task(caller.tenant_id, sms_task_id))

    @patch("/{sms_task_id:uuid}", operation_id="reviseSmsTask")
    def revise(
        self,
        sms_task_id: UUID,
        data: ReviseSmsTask,
        sms_tasks: SmsTasks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SmsTaskDetails]:
        """Edit a draft, rejected or scheduled task (only the fields given).

        Content edited into something not approved needs a new review: a scheduled task
        goes back to draft."""
        return with_etag(
            sms_tasks.revise(caller.tenant_id, sms_task_id, data, expected_version=expected_version)
        )

    @post("/{sms_task_id:uuid}/submit", operation_id="submitSmsTask", status_code=200)
    def submit(
        self,
        sms_task_id: UUID,
        data: ScheduleSmsTask,
        sms_tasks: SmsTasks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SmsTaskDetails]:
        """Submit the task's content for review (to send at `send_at` once approved).

        Where the provider reviews texts it is submitted there as a template too."""
        return with_etag(
            sms_tasks.submit(caller.tenant_id, sms_task_id, data, expected_version=expected_version)
        )

    @post(
        "/{sms_task_id:uuid}/approve",
        operation_id="approveSmsTask",
        status_code=200,
        guards=[reviewers_only],
    )
    def approve(
        self,
        sms_task_id: UUID,
        sms_tasks: SmsTasks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SmsTaskDetails]:
        """Approve the content under review (tenant admins).

        Scheduled when a send time was asked for, else a draft that may be sent without
        another review while its content stays the same."""
        return with_etag(
            sms_tasks.approve(
                caller.tenant_id,
                sms_task_id,
                reviewer=_reviewer(caller),
                expected_version=expected_version,
            )
        )

    @post(
        "/{sms_task_id:uuid}/reject",
        operation_id="rejectSmsTask",
        status_code=200,
        guards=[reviewers_only],
    )
    def reject(
        self,
        sms_task_id: UUID,
        data: RejectReview,
        sms_tasks: SmsTasks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SmsTaskDetails]:
        """Reject the content under review with the reason (tenant admins)."""
        return with_etag(
            sms_tasks.reject(
                caller.tenant_id,
                sms_task_id,
                data,
                reviewer=_reviewer(caller),
                expected_version=expected_version,
            )
        )

    @post("/{sms_task_id:uuid}/schedule", operation_id="scheduleSmsTask", status_code=200)
    def schedule(
        self,
        sms_task_id: UUID,
        data: ScheduleSmsTask,
        sms_tasks: SmsTasks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SmsTaskDetails]:
        """Send the SMS task at a time, or now when `send_at` is null.

        Approved content is scheduled; other content goes to review first
        (`pending_review`) and is sent at that time once approved."""
        return with_etag(
            sms_tasks.schedule(
                caller.tenant_id, sms_task_id, data, expected_version=expected_version
            )
        )

    @post("/{sms_task_id:uuid}/unschedule", operation_id="unscheduleSmsTask", status_code=200)
    def unschedule(
        self,
        sms_task_id: UUID,
        sms_tasks: SmsTasks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SmsTaskDetails]:
        """Take a scheduled SMS task back to a draft before it starts."""
        return with_etag(
            sms_tasks.unschedule(caller.tenant_id, sms_task_id, expected_version=expected_version)
        )

    @post("/{sms_task_id:uuid}/cancel", operation_id="cancelSmsTask", status_code=200)
    def cancel(
        self,
        sms_task_id: UUID,
        sms_tasks: SmsTasks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SmsTaskDetails]:
        """Stop a task under review, scheduled or sending; texts not yet sent are skipped."""
        return with_etag(
            sms_tasks.cancel(caller.tenant_id, sms_task_id, expected_version=expected_version)
        )

    @post("/{sms_task_id:uuid}/copy", operation_id="copySmsTask", may=Action.CREATE)
    def copy(
        self, sms_task_id: UUID, sms_tasks: SmsTasks, caller: TenantCaller
    ) -> Response[SmsTaskDetails]:
        """A new draft with the same details (its approved content stays approved)."""
        return with_etag(sms_tasks.copy(caller.tenant_id, sms_task_id), status_code=201)

    @delete("/{sms_task_id:uuid}", operation_id="deleteSmsTask", status_code=200)
    def delete_task(
        self,
        sms_task_id: UUID,
        sms_tasks: SmsTasks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SmsTaskDetails]:
        """Delete a draft, rejected, cancelled or sent task (its report stays)."""
        return with_etag(
            sms_tasks.delete(caller.tenant_id, sms_task_id, expected_version=expected_version)
        )
