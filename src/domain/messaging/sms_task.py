"""SMS tasks (SMS-1): a text with a signature to an audience, reviewed before its first
send (seed 003 §5.1, §2.2.2).

States (domain/messaging/lifecycle.py): draft → pending_review → (rejected | scheduled
or draft) → sending → sent, and cancelled. The content (signature and text) must be
approved before it is first sent; unchanged approved content needs no new review: the
task keeps the hash of every content approved for it (and a copy inherits them), so
scheduling content whose hash is approved goes straight to `scheduled`, anything else
goes to `pending_review` first (with the send time asked for, kept until approval).
Editing a scheduled task's content into something not approved takes it back to draft.

The review is the tenant admin's; where the provider reviews templates too, the
application submits the text to it and the task keeps the provider's template with the
approval (`template`), which the send uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.messaging.audience import Audience
from domain.messaging.lifecycle import (
    CANCELLABLE,
    DELETABLE,
    EDITABLE,
    TaskState,
    checked_send_at,
    require_state,
)
from domain.messaging.sms_content import SmsContent, checked_text
from domain.messaging.sms_signature import checked_signature_text
from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

_SCHEDULABLE = frozenset({TaskState.DRAFT, TaskState.SCHEDULED, TaskState.REJECTED})
_SUBMITTABLE = frozenset({TaskState.DRAFT, TaskState.REJECTED})


def checked_content(details: Mapping[str, Any]) -> dict[str, Any]:
    """The task's editable details, validated and normalised (primitives only):
    name, signature_id, signature (the signature's text when written), text, audience."""
    signature = checked_signature_text(str(details.get("signature") or ""), field="signature")
    return {
        "name": required_text(str(details.get("name") or ""), field="name"),
        "signature_id": str(_uuid(details.get("signature_id"), "signature_id")),
        "signature": signature,
        "text": checked_text(str(details.get("text") or ""), signature=signature),
        "audience": Audience.parse(details.get("audience") or {}).to_primitives(),
    }


def _uuid(value: Any, field: str) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise InvalidValue(f"{field} must be a signature's id", field=field) from None


class SmsTask(Aggregate):
    """One SMS send to an audience, from draft through review to sent."""

    TOPIC = "messaging.SmsTask"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:
        Drafted: ClassVar[type[AggregateEvent]]
        OpenedForFlow: ClassVar[type[AggregateEvent]]
        Revised: ClassVar[type[AggregateEvent]]
        ReviewRequested: ClassVar[type[AggregateEvent]]
        Approved: ClassVar[type[AggregateEvent]]
        Rejected: ClassVar[type[AggregateEvent]]
        Scheduled: ClassVar[type[AggregateEvent]]
        Unscheduled: ClassVar[type[AggregateEvent]]
        SendingStarted: ClassVar[type[AggregateEvent]]
        Finished: ClassVar[type[AggregateEvent]]
        Cancelled: ClassVar[type[AggregateEvent]]
        Deleted: ClassVar[type[AggregateEvent]]

    channel = "sms"

    @classmethod
    def draft(
        cls,
        *,
        task_id: UUID,
        tenant_id: UUID,
        details: Mapping[str, Any],
        approvals: Mapping[str, str] | None = None,
    ) -> SmsTask:
        """A new draft; `details` as `checked_content` takes them. `approvals` (content
        hash → provider template) carries a copied task's approved contents over."""
        return cls(
            id=task_id,
            tenant_id=tenant_id,
            content=checked_content(details),
            approvals=dict(approvals or {}),
        )

    @classmethod
    def open_for_flow(
        cls, *, task_id: UUID, tenant_id: UUID, details: Mapping[str, Any]
    ) -> SmsTask:
        """A flow step's task (FLOW-3, state triggered): never scheduled, it takes the
        step's leads one at a time for as long as the flow sends; the flow owns it, so it
        is neither edited, cancelled nor deleted here."""
        task = cls.draft(
            task_id=task_id, tenant_id=tenant_id, details={**details, "audience": {"kind": "flow"}}
        )
        task._opened_for_flow()
        return task

    @event("OpenedForFlow", topic="messaging.SmsTask.OpenedForFlow")
    def _opened_for_flow(self) -> None:
        self.state = TaskState.TRIGGERED.value

    @event("Drafted", topic="messaging.SmsTask.Drafted")
    def __init__(
        self, id: UUID, tenant_id: UUID, content: dict[str, Any], approvals: dict[str, str]
    ) -> None:
        self.tenant_id = tenant_id
        self.content = content
        self.approvals = approvals
        self.state = TaskState.DRAFT.value
        self.review: dict[str, Any] | None = None  # hash, send_at, template while pending
        self.reviewer: str | None = None
        self.rejection: str | None = None
        self.send_at: str | None = None
        self.recipients = 0
        self.started_at: str | None = None
        self.finished_at: str | None = None
        self.deleted = False

    # --- what the pipeline and the views read ----------------------------------------

    @property
    def audience(self) -> dict[str, Any]:
        return dict(self.content["audience"])

    @property
    def signature(self) -> str:
        return str(self.content["signature"])

    @property
    def text(self) -> str:
        return str(self.content["text"])

    @property
    def sms(self) -> SmsContent:
        return SmsContent(self.signature, self.text)

    @property
    def content_hash(self) -> str:
        return self.sms.hash

    @property
    def approved(self) -> bool:
        """Whether the content as it is now was approved (needs no review to send)."""
        return self.content_hash in self.approvals

    @property
    def template(self) -> str:
        """The provider's template of the approved content ("" when there is none)."""
        return self.approvals.get(self.content_hash, "")

    # --- editing ---------------------------------------------------------------------

    def revise(self, details: Mapping[str, Any]) -> None:
        """Change the details of a draft, rejected or scheduled task (only what is
        given). A rejected task becomes a draft again; a scheduled one whose content is
        no longer approved content goes back to draft."""
        self._require_live()
        require_state(self.state, EDITABLE, "edited")
        merged = checked_content({**self.content, **details})
        if merged == self.content:
            return
        self._revised(content=merged)
        if self.state == TaskState.SCHEDULED and not self.approved:
            self._unscheduled()

    @event("Revised", topic="messaging.SmsTask.Revised")
    def _revised(self, content: dict[str, Any]) -> None:
        self.content = content
        if self.state == TaskState.REJECTED:
            self.state = TaskState.DRAFT.value
            self.rejection = None

    # --- review ----------------------------------------------------------------------

    def submit_for_review(
        self, *, now: datetime, send_at: datetime | None = None, template: str = ""
    ) -> None:
        """Ask for the content's review; `send_at` (optional) is when to send once
        approved (a time passed by then: at once). `template` is the provider's
        template the text was submitted as."""
        wanted = self.check_submission(now=now, send_at=send_at)
        self._review_requested(content_hash=self.content_hash, send_at=wanted, template=template)

    def check_submission(self, *, now: datetime, send_at: datetime | None = None) -> str | None:
        """The rules of `submit_for_review`, changing nothing (asked before the text is
        submitted to the provider); answers the send time it would keep."""
        self._require_live()
        require_state(self.state, _SUBMITTABLE, "submitted for review")
        if self.approved:
            raise StateConflict(
                "the content is approved already: schedule the task instead", field="state"
            )
        return checked_send_at(send_at, now).isoformat() if send_at else None

    @event("ReviewRequested", topic="messaging.SmsTask.ReviewRequested")
    def _review_requested(self, content_hash: str, send_at: str | None, template: str) -> None:
        self.state = TaskState.PENDING_REVIEW.value
        self.review = {"hash": content_hash, "send_at": send_at, "template": template}
        self.rejection = None

    def approve(self, *, reviewer: str, now: datetime) -> None:
        """The content passed review: scheduled when a send time was asked for (at once
        if it has passed), else a draft that may be scheduled without review."""
        self._require_live()
        require_state(self.state, frozenset({TaskState.PENDING_REVIEW}), "approved")
        review = self.review or {}
        self._approved(content_hash=review["hash"], template=review["template"], reviewer=reviewer)
        if review["send_at"] is not None:
            wanted = datetime.fromisoformat(review["send_at"])
            self._scheduled(send_at=max(wanted, now).isoformat())

    @event("Approved", topic="messaging.SmsTask.Approved")
    def _approved(self, content_hash: str, template: str, reviewer: str) -> None:
        self.approvals = {**self.approvals, content_hash: template}
        self.reviewer = reviewer
        self.review = None
        self.state = TaskState.DRAFT.value

    def reject(self, *, reason: str, reviewer: str) -> None:
        """The content failed review: edit it and submit again."""
        self._require_live()
        require_state(self.state, frozenset({TaskState.PENDING_REVIEW}), "rejected")
        self._rejected(
            reason=required_text(reason, field="reason", max_length=500), reviewer=reviewer
        )

    @event("Rejected", topic="messaging.SmsTask.Rejected")
    def _rejected(self, reason: str, reviewer: str) -> None:
        self.state = TaskState.REJECTED.value
        self.rejection = reason
        self.reviewer = reviewer
        self.review = None
        self.send_at = None

    # --- sending ---------------------------------------------------------------------

    @property
    def needs_review(self) -> bool:
        """Whether scheduling would go to review first (the content is not approved)."""
        return not self.approved

    def schedule(self, send_at: datetime, *, now: datetime, template: str = "") -> None:
        """Send at `send_at` (now or later, at most a year ahead). Approved content is
        scheduled; other content goes to review first, to be sent at that time once
        approved (`template`: the provider's template it was submitted as)."""
        at = self.check_schedule(send_at, now=now)
        if self.approved:
            self._scheduled(send_at=at.isoformat())
        else:
            self._review_requested(
                content_hash=self.content_hash, send_at=at.isoformat(), template=template
            )

    def check_schedule(self, send_at: datetime, *, now: datetime) -> datetime:
        """The rules of `schedule`, changing nothing (asked before the text is submitted
        to the provider); answers the time it would send at."""
        self._require_live()
        require_state(self.state, _SCHEDULABLE, "scheduled")
        return checked_send_at(send_at, now)

    @event("Scheduled", topic="messaging.SmsTask.Scheduled")
    def _scheduled(self, send_at: str) -> None:
        self.state = TaskState.SCHEDULED.value
        self.send_at = send_at

    def unschedule(self) -> None:
        """Back to a draft before it starts sending."""
        self._require_live()
        require_state(self.state, frozenset({TaskState.SCHEDULED}), "unscheduled")
        self._unscheduled()

    @event("Unscheduled", topic="messaging.SmsTask.Unscheduled")
    def _unscheduled(self) -> None:
        self.state = TaskState.DRAFT.value
        self.send_at = None

    def start_sending(self, *, recipients: int, at: str) -> None:
        """The recipients are fixed (`recipients` of them): the texts go out."""
        require_state(self.state, frozenset({TaskState.SCHEDULED}), "started")
        if not self.approved:  # never reached through the methods above; a last guard
            raise StateConflict("the content was not approved", field="state")
        self._sending_started(recipients=recipients, at=at)

    @event("SendingStarted", topic="messaging.SmsTask.SendingStarted")
    def _sending_started(self, recipients: int, at: str) -> None:
        self.state = TaskState.SENDING.value
        self.recipients = recipients
        self.started_at = at

    def finish(self, *, at: str) -> None:
        """Every recipient has an outcome."""
        require_state(self.state, frozenset({TaskState.SENDING}), "finished")
        self._finished(at=at)

    @event("Finished", topic="messaging.SmsTask.Finished")
    def _finished(self, at: str) -> None:
        self.state = TaskState.SENT.value
        self.finished_at = at

    def cancel(self, *, at: str) -> None:
        """Stop: nothing more is sent (texts already handed over stay sent); a pending
        review is withdrawn."""
        self._require_live()
        require_state(self.state, CANCELLABLE, "cancelled")
        self._cancelled(at=at)

    @event("Cancelled", topic="messaging.SmsTask.Cancelled")
    def _cancelled(self, at: str) -> None:
        self.state = TaskState.CANCELLED.value
        self.review = None
        self.finished_at = at

    def delete(self) -> None:
        """Remove a task that is not under review, scheduled or sending (its report
        stays)."""
        self._require_live()
        require_state(self.state, DELETABLE, "deleted")
        self._deleted()

    @event("Deleted", topic="messaging.SmsTask.Deleted")
    def _deleted(self) -> None:
        self.deleted = True

    def _require_live(self) -> None:
        if self.deleted:
            raise StateConflict("the task was deleted", field="state")
