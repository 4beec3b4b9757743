"""E-mail tasks (MAIL-1): draft, edit, schedule or send now, test-send, cancel, copy,
delete, and read with progress. The pipeline (`dispatch.py`) does the sending."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application.messaging.email_task_commands import (
    DraftEmailTask,
    EmailTaskDetails,
    EmailTaskSummary,
    ReviseEmailTask,
    ScheduleEmailTask,
    TaskProgress,
)
from application.messaging.email_task_directory import EmailTaskQueries
from application.messaging.messaging import Messaging
from application.messaging.rendering import check_template
from application.messaging.send_queue import FAILED, QUEUED, SENT, SKIPPED, SendQueue
from application.shared.clock import Clock
from application.shared.errors import NotFound
from application.shared.pages import Page
from application.shared.views import iso
from domain.messaging.email_task import EmailTask

COPY_SUFFIX = "（副本）"


class SenderCheck(Protocol):
    """The sending domains' answer: may this address send for the tenant (MAIL-3)?"""

    def signing_identity(self, tenant_id: UUID, address: str) -> Any:
        """Raises InvalidInput (field sender_address) unless the address is on one of
        the tenant's verified sending domains."""
        ...


class TemplateCheck(Protocol):
    """The templates' answer: is there such a live template of the tenant?"""

    def require_template(self, tenant_id: UUID, template_id: UUID) -> None:
        """Raises InvalidInput (field template_id) when there is none."""
        ...


class EmailTasks:
    """The tenant's e-mail tasks."""

    def __init__(
        self,
        messaging: Messaging,
        queries: EmailTaskQueries,
        queue: SendQueue,
        senders: SenderCheck,
        templates: TemplateCheck,
        clock: Clock,
    ) -> None:
        self.messaging = messaging
        self.queries = queries
        self.queue = queue
        self.senders = senders
        self.templates = templates
        self.clock = clock

    def draft(self, tenant_id: UUID, command: DraftEmailTask) -> EmailTaskDetails:
        """A new draft (nothing is sent until it is scheduled)."""
        self.templates.require_template(tenant_id, command.template_id)
        check_template(command.subject, field="subject")
        task = EmailTask.draft(
            task_id=self.messaging.new_id("email_task"),
            tenant_id=tenant_id,
            details=command.model_dump(mode="json"),
        )
        return self._details(self.messaging.create(task))

    def revise(
        self, tenant_id: UUID, task_id: UUID, command: ReviseEmailTask, *, expected_version: int
    ) -> EmailTaskDetails:
        """Change what is given, while the task is a draft or scheduled (If-Match)."""
        task = self._load(tenant_id, task_id, expected_version)
        changes = command.model_dump(mode="json", exclude_unset=True)
        if command.template_id is not None:
            self.templates.require_template(tenant_id, command.template_id)
        if command.subject is not None:
            check_template(command.subject, field="subject")
        task.revise(changes)
        if task.state == "scheduled" and "sender_address" in changes:
            self.senders.signing_identity(tenant_id, task.content["sender_address"])
        self.messaging.commit(task)
        return self._details(task)

    def schedule(
        self, tenant_id: UUID, task_id: UUID, command: ScheduleEmailTask, *, expected_version: int
    ) -> EmailTaskDetails:
        """Send at a time, or now (`send_at` null). The sender must be on a verified
        domain and the template must exist."""
        task = self._load(tenant_id, task_id, expected_version)
        self.senders.signing_identity(tenant_id, task.content["sender_address"])
        self.templates.require_template(tenant_id, task.template_id)
        now = self.clock.now()
        task.schedule(command.send_at or now, now=now)
        self.messaging.commit(task)
        return self._details(task)

    def unschedule(
        self, tenant_id: UUID, task_id: UUID, *, expected_version: int
    ) -> EmailTaskDetails:
        task = self._load(tenant_id, task_id, expected_version)
        task.unschedule()
        self.messaging.commit(task)
        return self._details(task)

    def cancel(self, tenant_id: UUID, task_id: UUID, *, expected_version: int) -> EmailTaskDetails:
        """Stop a scheduled or sending task: its queued messages are skipped."""
        task = self._load(tenant_id, task_id, expected_version)
        task.cancel(at=iso(self.clock.now()))
        self.messaging.commit(task)
        self.queue.skip_task(tenant_id, task_id, "cancelled", self.clock.now())
        return self._details(task)

    def copy(self, tenant_id: UUID, task_id: UUID) -> EmailTaskDetails:
        """A new draft with the same details (any state may be copied)."""
        source = self._load(tenant_id, task_id, None)
        name = source.content["name"]
        details = {**source.content, "name": (name + COPY_SUFFIX)[:100]}
        task = EmailTask.draft(
            task_id=self.messaging.new_id("email_task"), tenant_id=tenant_id, details=details
        )
        return self._details(self.messaging.create(task))

    def delete(self, tenant_id: UUID, task_id: UUID, *, expected_version: int) -> EmailTaskDetails:
        task = self._load(tenant_id, task_id, expected_version)
        task.delete()
        self.messaging.commit(task)
        return self._details(task)

    def task(self, tenant_id: UUID, task_id: UUID) -> EmailTaskDetails:
        """The task with the progress of its messages."""
        return self._details(self._load(tenant_id, task_id, None))

    def tasks(
        self, tenant_id: UUID, *, state: str | None, cursor: str | None, limit: int
    ) -> Page[EmailTaskSummary]:
        return self.queries.tasks(tenant_id, state=state, cursor=cursor, limit=limit)

    def live_task(self, tenant_id: UUID, task_id: UUID) -> EmailTask:
        """The aggregate (for test sends and reports); NotFound when deleted."""
        return self._load(tenant_id, task_id, None)

    def _load(self, tenant_id: UUID, task_id: UUID, expected_version: int | None) -> EmailTask:
        task = self.messaging.load(
            task_id, EmailTask, tenant_id=tenant_id, expected_version=expected_version
        )
        if task.deleted:
            raise NotFound(f"no EmailTask {task_id}")
        return task

    def _details(self, task: EmailTask) -> EmailTaskDetails:
        content = task.content
        progress = None
        if task.state in ("sending", "sent", "cancelled") and task.recipients:
            progress = progress_of(task.recipients, self.queue.counts(task.tenant_id, task.id))
        return EmailTaskDetails(
            id=task.id,
            name=content["name"],
            subject=content["subject"],
            sender_name=content["sender_name"],
            sender_address=content["sender_address"],
            reply_to=content["reply_to"],
            template_id=UUID(content["template_id"]),
            audience=content["audience"],
            state=task.state,
            send_at=_moment(task.send_at),
            started_at=_moment(task.started_at),
            finished_at=_moment(task.finished_at),
            progress=progress,
            version=task.version,
            created_at=task.created_on,
            updated_at=task.modified_on,
        )


def progress_of(recipients: int, counts: dict[str, int]) -> TaskProgress:
    done = counts.get(SENT, 0) + counts.get(SKIPPED, 0) + counts.get(FAILED, 0)
    total = max(recipients, done + counts.get(QUEUED, 0))
    return TaskProgress(
        recipients=total,
        queued=counts.get(QUEUED, 0),
        sent=counts.get(SENT, 0),
        skipped=counts.get(SKIPPED, 0),
        failed=counts.get(FAILED, 0),
        percent=100 if total == 0 else min(100, done * 100 // total),
    )


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def stand_in_lead_id(task_id: UUID, address: str) -> UUID:
    """The stand-in lead id of a test send (never a real lead)."""
    return uuid.uuid5(task_id, f"test:{address}")
