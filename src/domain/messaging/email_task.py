"""E-mail tasks (MAIL-1): who gets which template from which sender, and when.

A task is written as a draft, scheduled (send now is a schedule at once), then the
pipeline fixes its recipients (`start_sending`) and, once each has an outcome, marks it
sent. The sender's address must be on a verified sending domain (the application asks
the sending domains before it schedules); the content is a template, rendered for each
recipient at send time.
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
from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import email_address, required_text

MAX_SUBJECT = 200


def checked_content(details: Mapping[str, Any]) -> dict[str, Any]:
    """The task's editable details, validated and normalised (primitives only)."""
    reply_to = details.get("reply_to")
    return {
        "name": required_text(str(details.get("name") or ""), field="name"),
        "subject": required_text(
            str(details.get("subject") or ""), field="subject", max_length=MAX_SUBJECT
        ),
        "sender_name": required_text(str(details.get("sender_name") or ""), field="sender_name"),
        "sender_address": email_address(
            str(details.get("sender_address") or ""), field="sender_address"
        ),
        "reply_to": email_address(str(reply_to), field="reply_to") if reply_to else None,
        "template_id": str(_template_id(details.get("template_id"))),
        "audience": Audience.parse(details.get("audience") or {}).to_primitives(),
    }


def _template_id(value: Any) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise InvalidValue("template_id must be a template's id", field="template_id") from None


class EmailTask(Aggregate):
    """One e-mail send to an audience, from draft to sent."""

    TOPIC = "messaging.EmailTask"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:
        Drafted: ClassVar[type[AggregateEvent]]
        OpenedForFlow: ClassVar[type[AggregateEvent]]
        Revised: ClassVar[type[AggregateEvent]]
        Scheduled: ClassVar[type[AggregateEvent]]
        Unscheduled: ClassVar[type[AggregateEvent]]
        SendingStarted: ClassVar[type[AggregateEvent]]
        Finished: ClassVar[type[AggregateEvent]]
        Cancelled: ClassVar[type[AggregateEvent]]
        Deleted: ClassVar[type[AggregateEvent]]

    channel = "email"

    @classmethod
    def draft(cls, *, task_id: UUID, tenant_id: UUID, details: Mapping[str, Any]) -> EmailTask:
        """A new draft; `details` as `checked_content` takes them."""
        return cls(id=task_id, tenant_id=tenant_id, content=checked_content(details))

    @classmethod
    def open_for_flow(
        cls, *, task_id: UUID, tenant_id: UUID, details: Mapping[str, Any]
    ) -> EmailTask:
        """A flow step's task (FLOW-3, state triggered): never scheduled, it takes the
        step's leads one at a time for as long as the flow sends; the flow owns it, so it
        is neither edited, cancelled nor deleted here."""
        task = cls.draft(
            task_id=task_id, tenant_id=tenant_id, details={**details, "audience": {"kind": "flow"}}
        )
        task._opened_for_flow()
        return task

    @event("OpenedForFlow", topic="messaging.EmailTask.OpenedForFlow")
    def _opened_for_flow(self) -> None:
        self.state = TaskState.TRIGGERED.value

    @event("Drafted", topic="messaging.EmailTask.Drafted")
    def __init__(self, id: UUID, tenant_id: UUID, content: dict[str, Any]) -> None:
        self.tenant_id = tenant_id
        self.content = content
        self.state = TaskState.DRAFT.value
        self.send_at: str | None = None
        self.recipients = 0
        self.started_at: str | None = None
        self.finished_at: str | None = None
        self.deleted = False

    @property
    def audience(self) -> dict[str, Any]:
        return dict(self.content["audience"])

    @property
    def template_id(self) -> UUID:
        return UUID(self.content["template_id"])

    def revise(self, details: Mapping[str, Any]) -> None:
        """Change the details of a draft or a scheduled task (only what is given)."""
        self._require_live()
        require_state(self.state, EDITABLE, "edited")
        merged = checked_content({**self.content, **details})
        if merged != self.content:
            self._revised(content=merged)

    @event("Revised", topic="messaging.EmailTask.Revised")
    def _revised(self, content: dict[str, Any]) -> None:
        self.content = content

    def schedule(self, send_at: datetime, *, now: datetime) -> None:
        """Send at `send_at` (now or later, at most a year ahead)."""
        self._require_live()
        require_state(self.state, frozenset({TaskState.DRAFT, TaskState.SCHEDULED}), "scheduled")
        self._scheduled(send_at=checked_send_at(send_at, now).isoformat())

    @event("Scheduled", topic="messaging.EmailTask.Scheduled")
    def _scheduled(self, send_at: str) -> None:
        self.state = TaskState.SCHEDULED.value
        self.send_at = send_at

    def unschedule(self) -> None:
        """Back to a draft before it starts sending."""
        self._require_live()
        require_state(self.state, frozenset({TaskState.SCHEDULED}), "unscheduled")
        self._unscheduled()

    @event("Unscheduled", topic="messaging.EmailTask.Unscheduled")
    def _unscheduled(self) -> None:
        self.state = TaskState.DRAFT.value
        self.send_at = None

    def start_sending(self, *, recipients: int, at: str) -> None:
        """The recipients are fixed (`recipients` of them): the messages go out."""
        require_state(self.state, frozenset({TaskState.SCHEDULED}), "started")
        self._sending_started(recipients=recipients, at=at)

    @event("SendingStarted", topic="messaging.EmailTask.SendingStarted")
    def _sending_started(self, recipients: int, at: str) -> None:
        self.state = TaskState.SENDING.value
        self.recipients = recipients
        self.started_at = at

    def finish(self, *, at: str) -> None:
        """Every recipient has an outcome."""
        require_state(self.state, frozenset({TaskState.SENDING}), "finished")
        self._finished(at=at)

    @event("Finished", topic="messaging.EmailTask.Finished")
    def _finished(self, at: str) -> None:
        self.state = TaskState.SENT.value
        self.finished_at = at

    def cancel(self, *, at: str) -> None:
        """Stop: nothing more is sent (messages already handed over stay sent)."""
        self._require_live()
        require_state(self.state, CANCELLABLE, "cancelled")
        self._cancelled(at=at)

    @event("Cancelled", topic="messaging.EmailTask.Cancelled")
    def _cancelled(self, at: str) -> None:
        self.state = TaskState.CANCELLED.value
        self.finished_at = at

    def delete(self) -> None:
        """Remove a task that is not scheduled or sending (its report stays)."""
        self._require_live()
        require_state(self.state, DELETABLE, "deleted")
        self._deleted()

    @event("Deleted", topic="messaging.EmailTask.Deleted")
    def _deleted(self) -> None:
        self.deleted = True

    def _require_live(self) -> None:
        if self.deleted:
            raise StateConflict("the task was deleted", field="state")
