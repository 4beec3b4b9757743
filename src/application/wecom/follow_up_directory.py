"""Follow-up tasks as lists (WECOM-2): the tenant's tasks, and every assignee's to-dos
(open, overdue, done) by due time, each employee's counts; kept from the
`FollowUpTask` events. Overdue is asked with the reader's clock (open past due)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.views import ReadModel, Statement, View, iso, parse_iso

FOLLOW_UPS = "wecom_follow_ups"
TODOS = "wecom_follow_up_todos"
NO_DUE = "9999-12-31T23:59:59.999999Z"  # sorts after every due time
STATUSES = ("open", "overdue", "done", "all")


class FollowUpDirectory(ReadModel):
    """Keeps each tenant's follow-up tasks and their assignees' to-dos."""

    name = "wecom_follow_up_directory"
    follows = ("wecom",)
    tables = {
        FOLLOW_UPS: "tenant_id TEXT NOT NULL, task_id TEXT NOT NULL, title TEXT NOT NULL, "
        "kind TEXT NOT NULL, about_kind TEXT NOT NULL, about_id TEXT NOT NULL, "
        "due_key TEXT NOT NULL, remind_at TEXT, state TEXT NOT NULL, "
        "assignees INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, task_id)",
        TODOS: "tenant_id TEXT NOT NULL, userid TEXT NOT NULL, task_id TEXT NOT NULL, "
        "title TEXT NOT NULL, kind TEXT NOT NULL, about_kind TEXT NOT NULL, "
        "about_id TEXT NOT NULL, due_key TEXT NOT NULL, remind_at TEXT, "
        "task_state TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0, done_at TEXT, "
        "PRIMARY KEY (tenant_id, userid, task_id)",
    }
    indexes = {
        "wecom_follow_ups_created": f"{FOLLOW_UPS} (tenant_id, created_at, task_id)",
        "wecom_follow_up_todos_due": f"{TODOS} (tenant_id, userid, due_key, task_id)",
        "wecom_follow_up_todos_task": f"{TODOS} (tenant_id, task_id)",
        "wecom_follow_up_todos_about": f"{TODOS} (tenant_id, about_id)",
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        handler = self._handlers().get(get_topic(type(domain_event)))
        statements = handler(domain_event) if handler is not None else []
        self.view.write(tracking, statements)

    def _handlers(self) -> dict[str, Callable[[Any], list[Statement]]]:
        return {
            "wecom.FollowUpTask.Assigned": self._assigned,
            "wecom.FollowUpTask.Rescheduled": self._rescheduled,
            "wecom.FollowUpTask.Done": self._done,
            "wecom.FollowUpTask.Reopened": self._reopened,
            "wecom.FollowUpTask.Cancelled": self._cancelled,
        }

    def _assigned(self, event: Any) -> list[Statement]:
        tenant_id, task_id = str(event.tenant_id), str(event.originator_id)
        due, remind = _times(event.due_at, event.remind_before_minutes)
        about_kind, about_id = event.about["kind"], event.about["id"]
        statements: list[Statement] = [
            (
                f"INSERT INTO {FOLLOW_UPS} (tenant_id, task_id, title, kind, about_kind, "
                "about_id, due_key, remind_at, state, assignees, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?) "
                "ON CONFLICT (tenant_id, task_id) DO NOTHING",
                (
                    tenant_id, task_id, event.title, event.kind, about_kind, about_id, due,
                    remind, len(event.assignees), iso(event.timestamp),
                ),
            )
        ]  # fmt: skip
        statements += [
            (
                f"INSERT INTO {TODOS} (tenant_id, userid, task_id, title, kind, about_kind, "
                "about_id, due_key, remind_at, task_state) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open') "
                "ON CONFLICT (tenant_id, userid, task_id) DO NOTHING",
                (
                    tenant_id,
                    userid,
                    task_id,
                    event.title,
                    event.kind,
                    about_kind,
                    about_id,
                    due,
                    remind,
                ),
            )
            for userid in event.assignees
        ]
        return statements

    def _rescheduled(self, event: Any) -> list[Statement]:
        due, remind = _times(event.due_at, event.remind_before_minutes)
        key = _key(event)
        return [
            (
                f"UPDATE {table} SET due_key = ?, remind_at = ? "
                "WHERE tenant_id = ? AND task_id = ?",
                (due, remind, *key),
            )
            for table in (FOLLOW_UPS, TODOS)
        ]

    def _done(self, event: Any) -> list[Statement]:
        key = _key(event)
        at = iso(datetime.fromisoformat(event.at))
        return [
            (
                f"UPDATE {TODOS} SET done = 1, done_at = ? "
                "WHERE tenant_id = ? AND task_id = ? AND userid = ?",
                (at, *key, event.userid),
            ),
            *self._recount(key),
        ]

    def _reopened(self, event: Any) -> list[Statement]:
        key = _key(event)
        return [
            (
                f"UPDATE {TODOS} SET done = 0, done_at = NULL "
                "WHERE tenant_id = ? AND task_id = ? AND userid = ?",
                (*key, event.userid),
            ),
            *self._recount(key),
        ]

    def _cancelled(self, event: Any) -> list[Statement]:
        key = _key(event)
        return [
            (f"UPDATE {FOLLOW_UPS} SET state = 'cancelled' WHERE tenant_id = ? AND task_id = ?",
             key),
            (f"UPDATE {TODOS} SET task_state = 'cancelled' WHERE tenant_id = ? AND task_id = ?",
             key),
        ]  # fmt: skip

    def _recount(self, key: tuple[str, str]) -> list[Statement]:
        """The task's done count and state from its to-dos (which ran just before)."""
        done = (
            f"(SELECT COUNT(*) FROM {TODOS} t WHERE t.tenant_id = {FOLLOW_UPS}.tenant_id "
            f"AND t.task_id = {FOLLOW_UPS}.task_id AND t.done = 1)"
        )
        return [
            (
                f"UPDATE {FOLLOW_UPS} SET done = {done}, state = CASE WHEN {done} >= assignees "
                "THEN 'done' ELSE 'open' END WHERE tenant_id = ? AND task_id = ?",
                key,
            ),
            (
                f"UPDATE {TODOS} SET task_state = (SELECT f.state FROM {FOLLOW_UPS} f "
                f"WHERE f.tenant_id = {TODOS}.tenant_id AND f.task_id = {TODOS}.task_id) "
                "WHERE tenant_id = ? AND task_id = ?",
                key,
            ),
        ]


def _key(event: Any) -> tuple[str, str]:
    return str(tenant_of(event)), str(event.originator_id)


def _times(due_at: str | None, remind_before: int | None) -> tuple[str, str | None]:
    if due_at is None:
        return NO_DUE, None
    due = datetime.fromisoformat(due_at)
    if remind_before is None:
        return iso(due), None
    return iso(due), iso(due - timedelta(minutes=remind_before))


class FollowUpQueries:
    """The tenant's follow-up tasks and to-dos. `userids` narrows to those employees'
    to-dos (None: everyone's)."""

    def __init__(self, view: View) -> None:
        self.view = view

    def to_dos(
        self,
        tenant_id: UUID,
        *,
        userids: Collection[str] | None,
        now: datetime,
        status: str = "open",
        userid: str | None = None,
        about_id: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[dict[str, Any]]:
        """To-dos by due time (none due last): `open` (of open tasks, not done),
        `overdue` (open past due), `done`, or `all`."""
        where, params = _scoped(tenant_id, userids)
        if userid is not None:
            where += " AND userid = ?"
            params.append(userid)
        if about_id is not None:
            where += " AND about_id = ?"
            params.append(about_id)
        if status in ("open", "overdue"):
            where += " AND task_state = 'open' AND done = 0"
            if status == "overdue":
                where += " AND due_key < ?"
                params.append(iso(now))
        elif status == "done":
            where += " AND done = 1"
        page = fetch_page(
            self.view,
            table=TODOS,
            where=where,
            params=params,
            order_by=("due_key", "task_id", "userid"),
            descending=status == "done",
            cursor=cursor,
            limit=limit,
        )
        return Page([_to_do(row, now) for row in page.items], page.next_cursor)

    def counts(
        self, tenant_id: UUID, *, userids: Collection[str] | None, now: datetime
    ) -> dict[str, dict[str, int]]:
        """Per employee: open, overdue and done to-dos."""
        where, params = _scoped(tenant_id, userids)
        rows = self.view.rows(
            "SELECT userid, "
            "SUM(CASE WHEN task_state = 'open' AND done = 0 THEN 1 ELSE 0 END) AS open, "
            "SUM(CASE WHEN task_state = 'open' AND done = 0 AND due_key < ? THEN 1 ELSE 0 END) "
            "AS overdue, SUM(done) AS done "
            f"FROM {TODOS} WHERE {where} GROUP BY userid ORDER BY userid",
            (iso(now), *params),
        )
        return {
            str(row["userid"]): {
                "open": int(row["open"] or 0),
                "overdue": int(row["overdue"] or 0),
                "done": int(row["done"] or 0),
            }
            for row in rows
        }

    def tasks(
        self,
        tenant_id: UUID,
        *,
        userids: Collection[str] | None,
        state: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[dict[str, Any]]:
        """Tasks newest first (with an assignee among `userids`, unless None)."""
        where, params = "tenant_id = ?", [str(tenant_id)]
        if state is not None:
            where += " AND state = ?"
            params.append(state)
        if userids is not None:
            names = sorted(userids) or [""]
            marks = ", ".join("?" for _ in names)
            where += (
                f" AND task_id IN (SELECT task_id FROM {TODOS} WHERE tenant_id = ? "
                f"AND userid IN ({marks}))"
            )
            params += [str(tenant_id), *names]
        page = fetch_page(
            self.view,
            table=FOLLOW_UPS,
            where=where,
            params=params,
            order_by=("created_at", "task_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                {
                    **row,
                    "task_id": UUID(row["task_id"]),
                    "due_at": None if row["due_key"] == NO_DUE else parse_iso(row["due_key"]),
                    "created_at": parse_iso(row["created_at"]),
                }
                for row in page.items
            ],
            page.next_cursor,
        )


def _scoped(tenant_id: UUID, userids: Collection[str] | None) -> tuple[str, list[Any]]:
    if userids is None:
        return "tenant_id = ?", [str(tenant_id)]
    names = sorted(userids)
    if not names:
        return "tenant_id = ? AND 1 = 0", [str(tenant_id)]
    marks = ", ".join("?" for _ in names)
    return f"tenant_id = ? AND userid IN ({marks})", [str(tenant_id), *names]


def _to_do(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    due = None if row["due_key"] == NO_DUE else parse_iso(row["due_key"])
    open_ = row["task_state"] == "open" and not row["done"]
    return {
        "task_id": UUID(row["task_id"]),
        "userid": row["userid"],
        "title": row["title"],
        "kind": row["kind"],
        "about": {"kind": row["about_kind"], "id": row["about_id"]},
        "due_at": due,
        "remind_at": parse_iso(row["remind_at"]) if row["remind_at"] else None,
        "state": row["task_state"],
        "done": bool(row["done"]),
        "done_at": parse_iso(row["done_at"]) if row["done_at"] else None,
        "overdue": open_ and due is not None and due < now,
    }
