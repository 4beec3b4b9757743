"""The e-mail tasks' read model: the tenant's list, newest first, by state."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.messaging.email_task_commands import EmailTaskSummary
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from domain.messaging.email_task import EmailTask

TABLE = "messaging_email_tasks"


class EmailTaskDirectory(ReadModel):
    """Keeps each tenant's e-mail tasks listable."""

    name = "messaging_email_tasks"
    version = 1
    follows = ("messaging",)
    tables = {
        TABLE: "tenant_id TEXT NOT NULL, task_id TEXT NOT NULL, name TEXT NOT NULL, "
        "subject TEXT NOT NULL, state TEXT NOT NULL, send_at TEXT, recipients INTEGER NOT NULL, "
        "live INTEGER NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL, "
        "updated_at TEXT NOT NULL, PRIMARY KEY (tenant_id, task_id)",
    }
    indexes = {f"{TABLE}_created": f"{TABLE} (tenant_id, created_at, task_id)"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(EmailTask.Drafted)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "task_id": str(event.originator_id),
            "name": event.content["name"],
            "subject": event.content["subject"],
            "state": "draft",
            "send_at": None,
            "recipients": 0,
            "live": 1,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
            "updated_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert(TABLE, row)])

    @process_event.register(EmailTask.Revised)
    def _(self, event: Any, tracking: Tracking) -> None:
        changes = {"name": event.content["name"], "subject": event.content["subject"]}
        self._change(event, tracking, changes)

    @process_event.register(EmailTask.OpenedForFlow)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"state": "triggered"})

    @process_event.register(EmailTask.Scheduled)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"state": "scheduled", "send_at": event.send_at})

    @process_event.register(EmailTask.Unscheduled)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"state": "draft", "send_at": None})

    @process_event.register(EmailTask.SendingStarted)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"state": "sending", "recipients": event.recipients})

    @process_event.register(EmailTask.Finished)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"state": "sent"})

    @process_event.register(EmailTask.Cancelled)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"state": "cancelled"})

    @process_event.register(EmailTask.Deleted)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"live": 0})

    def _change(self, event: Any, tracking: Tracking, changes: dict[str, Any]) -> None:
        where = {"tenant_id": str(tenant_of(event)), "task_id": str(event.originator_id)}
        changes = {
            **changes,
            "version": event.originator_version,
            "updated_at": iso(event.timestamp),
        }
        self.view.write(tracking, [update(TABLE, changes, where=where)])


class EmailTaskQueries:
    """Reads of the e-mail tasks' list."""

    def __init__(self, view: View) -> None:
        self.view = view

    def tasks(
        self, tenant_id: UUID, *, state: str | None, cursor: str | None, limit: int
    ) -> Page[EmailTaskSummary]:
        """The tenant's live tasks, newest first, optionally in one state."""
        where, params = "tenant_id = ? AND live = 1", [str(tenant_id)]
        if state:
            where, params = where + " AND state = ?", [*params, state]
        page = fetch_page(
            self.view,
            table=TABLE,
            where=where,
            params=params,
            order_by=("created_at", "task_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_summary(row) for row in page.items], page.next_cursor)


def _summary(row: dict[str, Any]) -> EmailTaskSummary:
    return EmailTaskSummary(
        id=UUID(row["task_id"]),
        name=row["name"],
        subject=row["subject"],
        state=row["state"],
        send_at=datetime.fromisoformat(row["send_at"]) if row["send_at"] else None,
        recipients=int(row["recipients"]),
        version=int(row["version"]),
        created_at=parse_iso(row["created_at"]),
        updated_at=parse_iso(row["updated_at"]),
    )
