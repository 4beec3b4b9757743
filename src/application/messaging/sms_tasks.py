"""SMS tasks (SMS-1): write, edit, submit for review, approve or reject (the tenant
admin, with the provider's own review where it reviews templates), schedule or send
now, cancel, copy, delete, read with length, segments and progress. The pipeline
(`dispatch.py`) does the sending, through `sms_sending.SmsSending`.

Content that is not approved goes to review when it is submitted or scheduled: its
text is then submitted to the provider as a template (`SmsReviews.submit_template`),
and the approval waits for the provider's. Content approved before (this task's, or
the task it was copied from) is scheduled at once.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.messaging.email_tasks import progress_of
from application.messaging.messaging import Messaging
from application.messaging.send_queue import SendQueue
from application.messaging.sms_commands import (
    DraftSmsTask,
    RejectReview,
    ReviseSmsTask,
    ScheduleSmsTask,
    SmsTaskDetails,
    SmsTaskSummary,
)
from application.messaging.sms_directory import SmsQueries
from application.messaging.sms_reviews import APPROVED, REJECTED, SmsReviews
from application.messaging.sms_signatures import SmsSignatures
from application.shared.clock import Clock
from application.shared.errors import NotFound
from application.shared.pages import Page
from application.shared.views import iso
from domain.messaging.sms_content import template_pieces
from domain.messaging.sms_task import SmsTask
from domain.shared.errors import StateConflict

COPY_SUFFIX = "（副本）"


class SmsTasks:
    """The tenant's SMS tasks."""

    def __init__(
        self,
        messaging: Messaging,
        queries: SmsQueries,
        signatures: SmsSignatures,
        reviews: SmsReviews,
        queue: SendQueue,
        clock: Clock,
    ) -> None:
        self.messaging = messaging
        self.queries = queries
        self.signatures = signatures
        self.reviews = reviews
        self.queue = queue
        self.clock = clock

    def draft(self, tenant_id: UUID, command: DraftSmsTask) -> SmsTaskDetails:
        """A new draft with an approved signature (nothing is sent before review)."""
        details = command.model_dump(mode="json")
        details["signature"] = self.signatures.usable(tenant_id, command.signature_id)
        task = SmsTask.draft(
            task_id=self.messaging.new_id("sms_task"), tenant_id=tenant_id, details=details
        )
        return self._details(self.messaging.create(task))

    def revise(
        self, tenant_id: UUID, task_id: UUID, command: ReviseSmsTask, *, expected_version: int
    ) -> SmsTaskDetails:
        """Change what is given (If-Match); edited content needs a new review."""
        task = self._load(tenant_id, task_id, expected_version)
        changes = command.model_dump(mode="json", exclude_unset=True)
        if command.signature_id is not None:
            changes["signature"] = self.signatures.usable(tenant_id, command.signature_id)
        task.revise(changes)
        self.messaging.commit(task)
        return self._details(task)

    def submit(
        self, tenant_id: UUID, task_id: UUID, command: ScheduleSmsTask, *, expected_version: int
    ) -> SmsTaskDetails:
        """Submit the content for review; `send_at` (optional): send then once approved."""
        task = self._load(tenant_id, task_id, expected_version)
        self.signatures.usable(tenant_id, UUID(task.content["signature_id"]))
        now = self.clock.now()
        task.check_submission(now=now, send_at=command.send_at)
        template = self._submitted_template(task)
        task.submit_for_review(now=now, send_at=command.send_at, template=template)
        self.messaging.commit(task)
        return self._details(task)

    def approve(
        self, tenant_id: UUID, task_id: UUID, *, reviewer: str, expected_version: int
    ) -> SmsTaskDetails:
        """The tenant admin approves the content under review (once the provider has
        approved its template, where it reviews templates)."""
        task = self._load(tenant_id, task_id, expected_version)
        if task.state != "pending_review" or task.review is None:
            raise StateConflict(
                f"a {task.state} task cannot be approved (only pending_review)", field="state"
            )
        owner, _, ref = str(task.review["template"]).partition(":")
        if owner == self.reviews.name and ref:
            review = self.reviews.template_review(ref)
            if review.status == REJECTED:
                task.reject(reason=f"{owner}: {review.reason or 'rejected'}", reviewer=reviewer)
                self.messaging.commit(task)
                return self._details(task)
            if review.status != APPROVED:
                raise StateConflict(
                    f"the provider ({owner}) has not reviewed the text yet", field="state"
                )
        task.approve(reviewer=reviewer, now=self.clock.now())
        self.messaging.commit(task)
        return self._details(task)

    def reject(
        self,
        tenant_id: UUID,
        task_id: UUID,
        command: RejectReview,
        *,
        reviewer: str,
        expected_version: int,
    ) -> SmsTaskDetails:
        """The tenant admin rejects the content under review, with the reason."""
        task = self._load(tenant_id, task_id, expected_version)
        task.reject(reason=command.reason, reviewer=reviewer)
        self.messaging.commit(task)
        return self._details(task)

    def schedule(
        self, tenant_id: UUID, task_id: UUID, command: ScheduleSmsTask, *, expected_version: int
    ) -> SmsTaskDetails:
        """Send at a time, or now (`send_at` null): approved content is scheduled,
        other content goes to review first and is sent at that time once approved."""
        task = self._load(tenant_id, task_id, expected_version)
        self.signatures.usable(tenant_id, UUID(task.content["signature_id"]))
        now = self.clock.now()
        at = command.send_at or now
        task.check_schedule(at, now=now)  # every rule checked before the provider is asked
        template = self._submitted_template(task) if task.needs_review else ""
        task.schedule(at, now=now, template=template)
        self.messaging.commit(task)
        return self._details(task)

    def unschedule(
        self, tenant_id: UUID, task_id: UUID, *, expected_version: int
    ) -> SmsTaskDetails:
        task = self._load(tenant_id, task_id, expected_version)
        task.unschedule()
        self.messaging.commit(task)
        return self._details(task)

    def cancel(self, tenant_id: UUID, task_id: UUID, *, expected_version: int) -> SmsTaskDetails:
        """Stop a task under review, scheduled or sending: texts not yet sent are skipped."""
        task = self._load(tenant_id, task_id, expected_version)
        sending = task.state == "sending"
        task.cancel(at=iso(self.clock.now()))
        self.messaging.commit(task)
        if sending:
            # Only a sending task has queued texts; rows a worker enqueues for it while
            # this cancel commits are skipped by the pipeline, which sees it cancelled.
            self.queue.skip_task(tenant_id, task_id, "cancelled", self.clock.now())
        return self._details(task)

    def copy(self, tenant_id: UUID, task_id: UUID) -> SmsTaskDetails:
        """A new draft with the same details; its approved content stays approved."""
        source = self._load(tenant_id, task_id, None)
        name = source.content["name"]
        details = {**source.content, "name": (name + COPY_SUFFIX)[:100]}
        task = SmsTask.draft(
            task_id=self.messaging.new_id("sms_task"),
            tenant_id=tenant_id,
            details=details,
            approvals=source.approvals,
        )
        return self._details(self.messaging.create(task))

    def delete(self, tenant_id: UUID, task_id: UUID, *, expected_version: int) -> SmsTaskDetails:
        task = self._load(tenant_id, task_id, expected_version)
        task.delete()
        self.messaging.commit(task)
        return self._details(task)

    def task(self, tenant_id: UUID, task_id: UUID) -> SmsTaskDetails:
        """The task with its length, segments and the progress of its texts."""
        return self._details(self._load(tenant_id, task_id, None))

    def tasks(
        self, tenant_id: UUID, *, state: str | None, cursor: str | None, limit: int
    ) -> Page[SmsTaskSummary]:
        return self.queries.tasks(tenant_id, state=state, cursor=cursor, limit=limit)

    def _submitted_template(self, task: SmsTask) -> str:
        """Submit the text to the provider as a template: `provider:ref`, "" when the
        provider keeps no templates (the sandbox)."""
        review = self.reviews.submit_template(
            task.content["name"], template_pieces(task.text), f"营销短信 {task.id}"
        )
        if review.status == REJECTED:
            raise StateConflict(
                f"the provider ({self.reviews.name}) refused the text: {review.reason}",
                field="text",
            )
        return f"{self.reviews.name}:{review.ref}" if review.ref else ""

    def _load(self, tenant_id: UUID, task_id: UUID, expected_version: int | None) -> SmsTask:
        task = self.messaging.load(
            task_id, SmsTask, tenant_id=tenant_id, expected_version=expected_version
        )
        if task.deleted:
            raise NotFound(f"no SmsTask {task_id}")
        return task

    def _details(self, task: SmsTask) -> SmsTaskDetails:
        content, sms = task.content, task.sms
        progress = None
        if task.state in ("sending", "sent", "cancelled") and task.recipients:
            progress = progress_of(task.recipients, self.queue.counts(task.tenant_id, task.id))
        return SmsTaskDetails(
            id=task.id,
            name=content["name"],
            signature_id=UUID(content["signature_id"]),
            signature=sms.signature,
            text=sms.text,
            audience=content["audience"],
            state=task.state,
            approved=task.approved,
            rejection=task.rejection,
            length=sms.length,
            segments=sms.segments,
            personalised=sms.personalised,
            short_links=sms.long_links,
            send_at=_moment(task.send_at),
            started_at=_moment(task.started_at),
            finished_at=_moment(task.finished_at),
            progress=progress,
            version=task.version,
            created_at=task.created_on,
            updated_at=task.modified_on,
        )


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
