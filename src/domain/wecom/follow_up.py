"""Follow-up tasks and to-dos (跟进任务 / 待办, WECOM-2): something an employee is to do
about a customer or a customer group by a due time, with a reminder before it.

Head office assigns a task to front-line employees (总部与一线协作): each assignee does
their own part, so the task keeps a result per employee (done when, with a note); it is
done when every assignee is, and can be cancelled while open. An SOP step (SOP 任务) is
the same record, marked as coming from a schedule. Overdue is not stored: it is "open
past the due time", which a reader asks with the clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

MAX_TITLE = 100
MAX_NOTE = 1000
MAX_ASSIGNEES = 1000
MAX_REMIND_MINUTES = 7 * 24 * 60
MAX_USERID = 64
MAX_ABOUT_ID = 128


class TaskKind(StrEnum):
    TODO = "todo"  # 待办
    SOP = "sop"  # a step of an SOP schedule


class About(StrEnum):
    CUSTOMER = "customer"  # external_userid
    GROUP = "group"  # chat_id
    NOTHING = "nothing"


class FollowUpState(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


def checked_about(about: Mapping[str, Any] | None) -> dict[str, str]:
    """What the task is about: a customer (external_userid), a group (chat_id) or
    nothing in particular."""
    if not about:
        return {"kind": About.NOTHING.value, "id": ""}
    try:
        kind = About(str(about.get("kind") or About.NOTHING.value))
    except ValueError:
        raise InvalidValue(
            "about.kind must be customer, group or nothing", field="about.kind"
        ) from None
    if kind == About.NOTHING:
        return {"kind": kind.value, "id": ""}
    ident = required_text(str(about.get("id") or ""), field="about.id", max_length=MAX_ABOUT_ID)
    return {"kind": kind.value, "id": ident}


def checked_assignees(userids: Sequence[str]) -> list[str]:
    unique = sorted(
        {required_text(str(u), field="assignees", max_length=MAX_USERID) for u in userids}
    )
    if not 1 <= len(unique) <= MAX_ASSIGNEES:
        raise InvalidValue(f"a task has 1 to {MAX_ASSIGNEES} assignees", field="assignees")
    return unique


def checked_remind(minutes: int | None) -> int | None:
    if minutes is None:
        return None
    if isinstance(minutes, bool) or not 0 <= int(minutes) <= MAX_REMIND_MINUTES:
        raise InvalidValue(
            f"remind_before_minutes is 0 to {MAX_REMIND_MINUTES}", field="remind_before_minutes"
        )
    return int(minutes)


def _due(due_at: datetime | None) -> str | None:
    if due_at is None:
        return None
    if due_at.tzinfo is None:
        raise InvalidValue("due_at needs a time zone", field="due_at")
    return due_at.isoformat()


class FollowUpTask(Aggregate):
    """One follow-up task for one or more employees (WeCom userids)."""

    TOPIC = "wecom.FollowUpTask"
    Created = None  # type: ignore[assignment]
    if TYPE_CHECKING:
        Assigned: ClassVar[type[AggregateEvent]]
        Rescheduled: ClassVar[type[AggregateEvent]]
        Done: ClassVar[type[AggregateEvent]]
        Reopened: ClassVar[type[AggregateEvent]]
        Cancelled: ClassVar[type[AggregateEvent]]

    @classmethod
    def assign(
        cls,
        *,
        id: UUID,
        tenant_id: UUID,
        title: str,
        note: str = "",
        kind: str = TaskKind.TODO.value,
        about: Mapping[str, Any] | None = None,
        assignees: Sequence[str],
        due_at: datetime | None = None,
        remind_before_minutes: int | None = None,
    ) -> FollowUpTask:
        try:
            chosen = TaskKind(kind)
        except ValueError:
            raise InvalidValue("kind must be todo or sop", field="kind") from None
        if remind_before_minutes is not None and due_at is None:
            raise InvalidValue("a reminder needs a due time", field="remind_before_minutes")
        return cls(
            id=id,
            tenant_id=tenant_id,
            title=required_text(title, field="title", max_length=MAX_TITLE),
            note=_note(note),
            kind=chosen.value,
            about=checked_about(about),
            assignees=checked_assignees(assignees),
            due_at=_due(due_at),
            remind_before_minutes=checked_remind(remind_before_minutes),
        )

    @event("Assigned", topic="wecom.FollowUpTask.Assigned")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        title: str,
        note: str,
        kind: str,
        about: dict[str, str],
        assignees: list[str],
        due_at: str | None,
        remind_before_minutes: int | None,
    ) -> None:
        self.tenant_id = tenant_id
        self.title = title
        self.note = note
        self.kind = kind
        self.about = about
        self.assignees = assignees
        self.due_at = due_at
        self.remind_before_minutes = remind_before_minutes
        self.results: dict[str, dict[str, str]] = {}  # userid → {"at", "note"} when done
        self.cancelled = False
        self.cancel_reason = ""

    @property
    def state(self) -> FollowUpState:
        if self.cancelled:
            return FollowUpState.CANCELLED
        if all(userid in self.results for userid in self.assignees):
            return FollowUpState.DONE
        return FollowUpState.OPEN

    @property
    def remind_at(self) -> datetime | None:
        if self.due_at is None or self.remind_before_minutes is None:
            return None
        return datetime.fromisoformat(self.due_at) - timedelta(minutes=self.remind_before_minutes)

    def overdue(self, now: datetime) -> bool:
        return (
            self.state == FollowUpState.OPEN
            and self.due_at is not None
            and datetime.fromisoformat(self.due_at) < now
        )

    def reschedule(self, *, due_at: datetime | None, remind_before_minutes: int | None) -> None:
        """A new due time (and reminder) for an open task."""
        self._require_open()
        if remind_before_minutes is not None and due_at is None:
            raise InvalidValue("a reminder needs a due time", field="remind_before_minutes")
        due, remind = _due(due_at), checked_remind(remind_before_minutes)
        if (due, remind) != (self.due_at, self.remind_before_minutes):
            self._rescheduled(due_at=due, remind_before_minutes=remind)

    @event("Rescheduled", topic="wecom.FollowUpTask.Rescheduled")
    def _rescheduled(self, due_at: str | None, remind_before_minutes: int | None) -> None:
        self.due_at = due_at
        self.remind_before_minutes = remind_before_minutes

    def complete(self, userid: str, *, at: datetime, note: str = "") -> bool:
        """The assignee did their part; a repeat changes nothing (False)."""
        self._require_open_for(userid)
        if userid in self.results:
            return False
        self._done(userid=userid, at=at.isoformat(), note=_note(note))
        return True

    @event("Done", topic="wecom.FollowUpTask.Done")
    def _done(self, userid: str, at: str, note: str) -> None:
        self.results[userid] = {"at": at, "note": note}

    def reopen(self, userid: str) -> bool:
        """The assignee's part is not done after all (False if it was not done)."""
        if self.cancelled:
            raise StateConflict("the task is cancelled", field="state")
        if userid not in self.assignees:
            raise InvalidValue(f"{userid} is not an assignee", field="userid")
        if userid not in self.results:
            return False
        self._reopened(userid=userid)
        return True

    @event("Reopened", topic="wecom.FollowUpTask.Reopened")
    def _reopened(self, userid: str) -> None:
        del self.results[userid]

    def cancel(self, reason: str = "") -> None:
        """Nobody is to do it any more (an open task only; what was done stays)."""
        self._require_open()
        self._cancelled(reason=reason.strip()[:MAX_NOTE])

    @event("Cancelled", topic="wecom.FollowUpTask.Cancelled")
    def _cancelled(self, reason: str) -> None:
        self.cancelled = True
        self.cancel_reason = reason

    def _require_open(self) -> None:
        if self.state != FollowUpState.OPEN:
            raise StateConflict(f"the task is {self.state.value}", field="state")

    def _require_open_for(self, userid: str) -> None:
        if self.cancelled:
            raise StateConflict("the task is cancelled", field="state")
        if userid not in self.assignees:
            raise InvalidValue(f"{userid} is not an assignee", field="userid")


def _note(note: str) -> str:
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise InvalidValue(f"a note is at most {MAX_NOTE} characters", field="note")
    return text
