"""The states every send task goes through (MAIL-1, SMS-1) and which moves are allowed.

E-mail: draft → scheduled → sending → sent, and cancelled. SMS adds a review of its
content before the first send: draft → pending_review → (rejected | scheduled) …
Each task aggregate keeps its own events; the rules of the moves live here once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from domain.shared.errors import InvalidValue, StateConflict

MAX_SCHEDULE_AHEAD = timedelta(days=366)


class TaskState(StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"  # SMS only: content waits for approval
    REJECTED = "rejected"  # SMS only: content refused; edit and submit again
    SCHEDULED = "scheduled"  # due at `send_at` (send now: due at once)
    SENDING = "sending"  # recipients fixed, messages going out
    SENT = "sent"  # every recipient has an outcome (soft bounces may still be retried)
    CANCELLED = "cancelled"
    # A flow step's task (FLOW-3): open for as long as the flow sends, one lead at a time.
    TRIGGERED = "triggered"


EDITABLE = frozenset({TaskState.DRAFT, TaskState.SCHEDULED, TaskState.REJECTED})
CANCELLABLE = frozenset({TaskState.SCHEDULED, TaskState.SENDING, TaskState.PENDING_REVIEW})
DELETABLE = frozenset({TaskState.DRAFT, TaskState.REJECTED, TaskState.CANCELLED, TaskState.SENT})


def require_state(state: str, allowed: frozenset[TaskState], doing: str) -> None:
    """Refuse `doing` unless the task is in one of `allowed` (409 naming the state)."""
    if state not in allowed:
        names = ", ".join(sorted(allowed))
        raise StateConflict(f"a {state} task cannot be {doing} (only {names})", field="state")


def checked_send_at(send_at: datetime, now: datetime) -> datetime:
    """A schedule in the future and at most a year ahead; `now` means send at once."""
    if send_at.tzinfo is None:
        raise InvalidValue("send_at needs a time zone", field="send_at")
    if send_at < now - timedelta(minutes=1):
        raise InvalidValue("send_at is in the past", field="send_at")
    if send_at > now + MAX_SCHEDULE_AHEAD:
        raise InvalidValue("send_at is more than a year ahead", field="send_at")
    return max(send_at, now)
