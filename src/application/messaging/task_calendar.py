"""When each send task is due (ADR 0015): the pipeline's list of scheduled tasks, for
every channel, from the tasks' own events (a read model, so a restart loses nothing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.shared.stamping import tenant_of
from application.shared.views import ReadModel, View, iso

TABLE = "messaging_task_calendar"
# The aggregates whose tasks the pipeline sends, by their class name in the event's
# qualified name (EmailTask.Scheduled …), and the channel each sends on.
CHANNELS = {"EmailTask": "email", "SmsTask": "sms"}


class TaskCalendar(ReadModel):
    """Scheduled tasks and their send time; sending ones until they finish."""

    name = "messaging_task_calendar"
    version = 1
    follows = ("messaging",)
    tables = {
        TABLE: "tenant_id TEXT NOT NULL, task_id TEXT NOT NULL, channel TEXT NOT NULL, "
        "state TEXT NOT NULL, send_at TEXT NOT NULL, PRIMARY KEY (tenant_id, task_id)",
    }
    indexes = {f"{TABLE}_due": f"{TABLE} (state, send_at)"}
    platform_wide = {
        f"{TABLE}_due": "the sender asks which tasks of any tenant are due (one indexed scan)"
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        owner, _, kind = type(domain_event).__qualname__.rpartition(".")
        channel = CHANNELS.get(owner)
        tenant_id = tenant_of(domain_event)
        if channel is None or tenant_id is None:
            self.skip(tracking)
            return
        key = (str(tenant_id), str(domain_event.originator_id))
        remove = (f"DELETE FROM {TABLE} WHERE tenant_id = ? AND task_id = ?", key)
        if kind == "Scheduled":
            row = (*key, channel, "scheduled", iso(datetime.fromisoformat(domain_event.send_at)))
            insert = (f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?)", row)
            self.view.write(tracking, [remove, insert])
        elif kind == "SendingStarted":
            state = (
                f"UPDATE {TABLE} SET state = ? WHERE tenant_id = ? AND task_id = ?",
                ("sending", *key),
            )
            self.view.write(tracking, [state])
        elif kind in ("Unscheduled", "Finished", "Cancelled", "Deleted", "Rejected"):
            self.view.write(tracking, [remove])
        else:
            self.skip(tracking)


class CalendarQueries:
    """The pipeline's questions: which tasks are due, which are still sending."""

    def __init__(self, view: View) -> None:
        self.view = view

    def due(self, now: datetime, *, limit: int = 100) -> list[tuple[UUID, UUID, str]]:
        """(tenant id, task id, channel) of scheduled tasks whose time has come."""
        rows = self.view.rows(
            f"SELECT tenant_id, task_id, channel FROM {TABLE} WHERE state = ? AND send_at <= ? "
            "ORDER BY send_at LIMIT ?",
            ["scheduled", iso(now), limit],
        )
        return [(UUID(r["tenant_id"]), UUID(r["task_id"]), r["channel"]) for r in rows]

    def sending(self, *, limit: int = 500) -> list[tuple[UUID, UUID, str]]:
        rows = self.view.rows(
            f"SELECT tenant_id, task_id, channel FROM {TABLE} WHERE state = ? LIMIT ?",
            ["sending", limit],
        )
        return [(UUID(r["tenant_id"]), UUID(r["task_id"]), r["channel"]) for r in rows]
