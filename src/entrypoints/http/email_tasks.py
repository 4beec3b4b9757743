"""Routes of e-mail tasks (MAIL-1): draft, edit, schedule or send now, test-send,
cancel, copy, delete, and read with the progress of the send."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Response
from litestar.params import Parameter

from application.messaging.email_task_commands import (
    DraftEmailTask,
    EmailTaskDetails,
    EmailTaskSummary,
    ReviseEmailTask,
    ScheduleEmailTask,
    TestSend,
)
from application.messaging.email_tasks import EmailTasks
from application.messaging.test_sends import TestSends, TestSent
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
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
from entrypoints.http.tenant import Cursor, Limit

State = Literal["draft", "scheduled", "sending", "sent", "cancelled"]


class EmailTaskController(Controller):
    path = "/api/v1/email-tasks"
    tags = ["email"]
    guards = [tenant_may("email_tasks")]
    dependencies = IF_MATCH

    @get("/", operation_id="listEmailTasks")
    def list_tasks(
        self,
        email_tasks: EmailTasks,
        caller: TenantCaller,
        in_state: Annotated[
            State | None, Parameter(query="state", description="only tasks in this state")
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[EmailTaskSummary]:
        """The tenant's e-mail tasks, newest first, optionally in one state."""
        return page_of(
            email_tasks.tasks(caller.tenant_id, state=in_state, cursor=cursor, limit=limit)
        )

    @post("/", operation_id="draftEmailTask", may=Action.CREATE)
    def draft(
        self, data: DraftEmailTask, email_tasks: EmailTasks, caller: TenantCaller
    ) -> Response[EmailTaskDetails]:
        """Write an e-mail task as a draft (nothing is sent until it is scheduled)."""
        return with_etag(email_tasks.draft(caller.tenant_id, data), status_code=201)

    @get("/{email_task_id:uuid}", operation_id="getEmailTask")
    def get_task(
        self, email_task_id: UUID, email_tasks: EmailTasks, caller: TenantCaller
    ) -> Response[EmailTaskDetails]:
        """One e-mail task with the progress of its messages."""
        return with_etag(email_tasks.task(caller.tenant_id, email_task_id))

    @patch("/{email_task_id:uuid}", operation_id="reviseEmailTask")
    def revise(
        self,
        email_task_id: UUID,
        data: ReviseEmailTask,
        email_tasks: EmailTasks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[EmailTaskDetails]:
        """Edit a draft or scheduled task (only the fields given)."""
        return with_etag(
            email_tasks.revise(
                caller.tenant_id, email_task_id, data, expected_version=expected_version
            )
        )

    @post("/{email_task_id:uuid}/schedule", operation_id="scheduleEmailTask", status_code=200)
    def schedule(
        self,
        email_task_id: UUID,
        data: ScheduleEmailTask,
        email_tasks: EmailTasks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[EmailTaskDetails]:
        """Send the task at a time, or now when `send_at` is null.

        The sender address must be on a verified sending domain (422 `sender_address`)."""
        return with_etag(
            email_tasks.schedule(
                caller.tenant_id, email_task_id, data, expected_version=expected_version
            )
        )

    @post("/{email_task_id:uuid}/unschedule", operation_id="unscheduleEmailTask", status_code=200)
    def unschedule(
        self,
        email_task_id: UUID,
        email_tasks: EmailTasks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[EmailTaskDetails]:
        """Take a scheduled task back to a draft before it starts."""
        return with_etag(
            email_tasks.unschedule(
                caller.tenant_id, email_task_id, expected_version=expected_version
            )
        )

    @post("/{email_task_id:uuid}/cancel", operation_id="cancelEmailTask", status_code=200)
    def cancel(
        self,
        email_task_id: UUID,
        email_tasks: EmailTasks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[EmailTaskDetails]:
        """Stop a scheduled or sending task; messages not yet sent are skipped."""
        return with_etag(
            email_tasks.cancel(caller.tenant_id, email_task_id, expected_version=expected_version)
        )

    @post("/{email_task_id:uuid}/copy", operation_id="copyEmailTask", may=Action.CREATE)
    def copy(
        self, email_task_id: UUID, email_tasks: EmailTasks, caller: TenantCaller
    ) -> Response[EmailTaskDetails]:
        """A new draft with the same details as this task."""
        return with_etag(email_tasks.copy(caller.tenant_id, email_task_id), status_code=201)

    @post("/{email_task_id:uuid}/test-send", operation_id="testSendEmailTask", status_code=200)
    def test_send(
        self,
        email_task_id: UUID,
        data: TestSend,
        email_test_sends: TestSends,
        caller: TenantCaller,
    ) -> TestSent:
        """Send the task's message once to an address now (a test to yourself)."""
        return email_test_sends.send(caller.tenant_id, email_task_id, data)

    @delete("/{email_task_id:uuid}", operation_id="deleteEmailTask", status_code=200)
    def delete_task(
        self,
        email_task_id: UUID,
        email_tasks: EmailTasks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[EmailTaskDetails]:
        """Delete a draft, cancelled or sent task (its report stays)."""
        return with_etag(
            email_tasks.delete(caller.tenant_id, email_task_id, expected_version=expected_version)
        )
