"""Mass sends as the console and the API list them (WECOM-2, WECOM-5): the tenant's
tasks with counts per state of their employees' parts, each employee's part (left out
and why, handed over, sent, refused, never sent) and what became of each customer or
group; and the members' seats (the order they joined the app's visible range), which
the visible-range rule takes employees in.

A task's counts are recounted from its parts on every change, so they never drift.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.views import ReadModel, Statement, View, iso, parse_iso
from application.wecom.mass_send_commands import MassSendOutcome, MassSendPart, PartCounts

TASKS = "wecom_mass_send_tasks"
PARTS = "wecom_mass_send_parts"
RESULTS = "wecom_mass_send_results"
SEATS = "wecom_member_seats"
EXCLUDED = -1  # a customer WeCom would not include (its fail_list), not one of its codes
RESULT_NAMES = {0: "not_sent", 1: "sent", 2: "not_friend", 3: "received_already"}
_COUNTS = ("reached", "left_out", "waiting", "sent", "failed", "not_sent")


class MassSendDirectory(ReadModel):
    """Keeps each tenant's mass sends, their parts and results, and members' seats."""

    name = "wecom_mass_send_directory"
    follows = ("wecom",)
    tables = {
        TASKS: "tenant_id TEXT NOT NULL, task_id TEXT NOT NULL, name TEXT NOT NULL, "
        "target TEXT NOT NULL, scope TEXT NOT NULL, state TEXT NOT NULL, send_at TEXT, "
        "created_at TEXT NOT NULL, changed_at TEXT NOT NULL, submitted_at TEXT, "
        "finished_at TEXT, reached INTEGER NOT NULL DEFAULT 0, "
        "left_out INTEGER NOT NULL DEFAULT 0, waiting INTEGER NOT NULL DEFAULT 0, "
        "sent INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, "
        "not_sent INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (tenant_id, task_id)",
        PARTS: "tenant_id TEXT NOT NULL, task_id TEXT NOT NULL, userid TEXT NOT NULL, "
        "position INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', "
        "customers INTEGER, msgids TEXT NOT NULL DEFAULT '[]', "
        "excluded INTEGER NOT NULL DEFAULT 0, sent_at TEXT, "
        "sent INTEGER NOT NULL DEFAULT 0, not_sent INTEGER NOT NULL DEFAULT 0, "
        "not_friend INTEGER NOT NULL DEFAULT 0, received_already INTEGER NOT NULL DEFAULT 0, "
        "PRIMARY KEY (tenant_id, task_id, userid)",
        RESULTS: "tenant_id TEXT NOT NULL, task_id TEXT NOT NULL, userid TEXT NOT NULL, "
        "target_id TEXT NOT NULL, status INTEGER NOT NULL, "
        "PRIMARY KEY (tenant_id, task_id, userid, target_id)",
        SEATS: "tenant_id TEXT NOT NULL, userid TEXT NOT NULL, seat INTEGER NOT NULL, "
        "PRIMARY KEY (tenant_id, userid)",
    }
    indexes = {
        "wecom_mass_send_tasks_created": f"{TASKS} (tenant_id, created_at, task_id)",
        "wecom_mass_send_tasks_state": f"{TASKS} (tenant_id, state, send_at)",
        "wecom_mass_send_tasks_due": f"{TASKS} (state, task_id)",
        "wecom_mass_send_parts_order": f"{PARTS} (tenant_id, task_id, position, userid)",
        "wecom_mass_send_results_target": f"{RESULTS} (tenant_id, task_id, target_id)",
    }
    platform_wide = {
        "wecom_mass_send_tasks_due": "the mass-send worker submits every tenant's due tasks"
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        handler = self._handlers().get(get_topic(type(domain_event)))
        statements = handler(domain_event, tracking) if handler is not None else []
        self.view.write(tracking, statements)

    def _handlers(self) -> dict[str, Callable[[Any, Tracking], list[Statement]]]:
        return {
            "wecom.WecomMember.Found": self._member_found,
            "wecom.MassSendTask.Drafted": self._drafted,
            "wecom.MassSendTask.Planned": self._planned,
            "wecom.MassSendTask.Scheduled": self._state("scheduled"),
            "wecom.MassSendTask.SubmissionStarted": self._state("submitting"),
            "wecom.MassSendTask.PartSubmitted": self._part_submitted,
            "wecom.MassSendTask.PartRefused": self._part_refused,
            "wecom.MassSendTask.Submitted": self._submitted,
            "wecom.MassSendTask.PartSent": self._part_sent,
            "wecom.MassSendTask.Finished": self._finished,
            "wecom.MassSendTask.Cancelled": self._cancelled,
        }

    # --- members ---------------------------------------------------------------------------

    def _member_found(self, event: Any, tracking: Tracking) -> list[Statement]:
        # The app's events are numbered in the order they were stored: the member found
        # first has the smaller seat, whichever sync or process found them.
        return [
            (
                f"INSERT INTO {SEATS} (tenant_id, userid, seat) VALUES (?, ?, ?) "
                "ON CONFLICT (tenant_id, userid) DO NOTHING",
                (str(event.tenant_id), event.userid, tracking.notification_id),
            )
        ]

    # --- tasks -----------------------------------------------------------------------------

    def _drafted(self, event: Any, tracking: Tracking) -> list[Statement]:
        at = iso(event.timestamp)
        send_at = iso(datetime.fromisoformat(event.send_at)) if event.send_at else None
        return [
            (
                f"INSERT INTO {TASKS} (tenant_id, task_id, name, target, scope, state, send_at, "
                "created_at, changed_at) VALUES (?, ?, ?, ?, ?, 'draft', ?, ?, ?) "
                "ON CONFLICT (tenant_id, task_id) DO NOTHING",
                (
                    str(event.tenant_id),
                    str(event.originator_id),
                    event.name,
                    event.target,
                    str(event.audience.get("scope", "employees")),
                    send_at,
                    at,
                    at,
                ),
            )
        ]

    def _planned(self, event: Any, tracking: Tracking) -> list[Statement]:
        key = _key(event)
        statements: list[Statement] = [
            (f"DELETE FROM {PARTS} WHERE tenant_id = ? AND task_id = ?", key)
        ]
        position = 0
        for userid in event.reached:
            statements.append(
                (
                    f"INSERT INTO {PARTS} (tenant_id, task_id, userid, position, state, "
                    "customers) VALUES (?, ?, ?, ?, 'planned', ?)",
                    (*key, userid, position, event.customers.get(userid)),
                )
            )
            position += 1
        for userid, reason in event.left_out:
            statements.append(
                (
                    f"INSERT INTO {PARTS} (tenant_id, task_id, userid, position, state, reason) "
                    "VALUES (?, ?, ?, ?, 'left_out', ?)",
                    (*key, userid, position, reason),
                )
            )
            position += 1
        return statements + self._recount(event)

    def _state(self, state: str) -> Callable[[Any, Tracking], list[Statement]]:
        def handle(event: Any, tracking: Tracking) -> list[Statement]:
            return [
                (
                    f"UPDATE {TASKS} SET state = ?, changed_at = ? "
                    "WHERE tenant_id = ? AND task_id = ?",
                    (state, iso(event.timestamp), *_key(event)),
                )
            ]

        return handle

    def _part_submitted(self, event: Any, tracking: Tracking) -> list[Statement]:
        key = _key(event)
        return [
            (
                f"UPDATE {PARTS} SET state = 'submitted', msgids = ?, excluded = ? "
                "WHERE tenant_id = ? AND task_id = ? AND userid = ?",
                (json.dumps(event.msgids), len(event.failed), *key, event.userid),
            ),
            *_results(key, event.userid, ((e, EXCLUDED) for e in event.failed)),
            *self._recount(event),
        ]

    def _part_refused(self, event: Any, tracking: Tracking) -> list[Statement]:
        return [
            (
                f"UPDATE {PARTS} SET state = 'failed', reason = ? "
                "WHERE tenant_id = ? AND task_id = ? AND userid = ?",
                (event.reason, *_key(event), event.userid),
            ),
            *self._recount(event),
        ]

    def _submitted(self, event: Any, tracking: Tracking) -> list[Statement]:
        return [
            (
                f"UPDATE {TASKS} SET state = 'submitted', submitted_at = ?, changed_at = ? "
                "WHERE tenant_id = ? AND task_id = ?",
                (iso(datetime.fromisoformat(event.at)), iso(event.timestamp), *_key(event)),
            )
        ]

    def _part_sent(self, event: Any, tracking: Tracking) -> list[Statement]:
        key = _key(event)
        counts = dict.fromkeys(RESULT_NAMES.values(), 0)
        for _target, status in event.results:
            counts[RESULT_NAMES.get(int(status), "not_sent")] += 1
        sent_at = iso(datetime.fromisoformat(event.sent_at)) if event.sent_at else None
        return [
            (
                f"UPDATE {PARTS} SET state = 'sent', sent_at = ?, sent = ?, not_sent = ?, "
                "not_friend = ?, received_already = ? "
                "WHERE tenant_id = ? AND task_id = ? AND userid = ?",
                (
                    sent_at,
                    counts["sent"],
                    counts["not_sent"],
                    counts["not_friend"],
                    counts["received_already"],
                    *key,
                    event.userid,
                ),
            ),
            *_results(key, event.userid, ((t, int(s)) for t, s in event.results)),
            *self._recount(event),
        ]

    def _finished(self, event: Any, tracking: Tracking) -> list[Statement]:
        key = _key(event)
        at = iso(datetime.fromisoformat(event.at))
        return [
            (
                f"UPDATE {PARTS} SET state = 'not_sent' "
                "WHERE tenant_id = ? AND task_id = ? AND state = 'submitted'",
                key,
            ),
            (
                f"UPDATE {TASKS} SET state = 'finished', finished_at = ?, changed_at = ? "
                "WHERE tenant_id = ? AND task_id = ?",
                (at, iso(event.timestamp), *key),
            ),
            *self._recount(event),
        ]

    def _cancelled(self, event: Any, tracking: Tracking) -> list[Statement]:
        return [
            (
                f"UPDATE {TASKS} SET state = 'cancelled', finished_at = ?, changed_at = ? "
                "WHERE tenant_id = ? AND task_id = ?",
                (iso(datetime.fromisoformat(event.at)), iso(event.timestamp), *_key(event)),
            )
        ]

    def _recount(self, event: Any) -> list[Statement]:
        """The task's counts from its parts (the statements before ran already)."""
        states = {
            "reached": "state <> 'left_out'",
            "left_out": "state = 'left_out'",
            "waiting": "state = 'submitted'",
            "sent": "state = 'sent'",
            "failed": "state = 'failed'",
            "not_sent": "state = 'not_sent'",
        }
        counts = ", ".join(
            f"{name} = (SELECT COUNT(*) FROM {PARTS} p WHERE p.tenant_id = {TASKS}.tenant_id "
            f"AND p.task_id = {TASKS}.task_id AND p.{condition})"
            for name, condition in states.items()
        )
        return [
            (
                f"UPDATE {TASKS} SET {counts}, changed_at = ? WHERE tenant_id = ? AND task_id = ?",
                (iso(event.timestamp), *_key(event)),
            )
        ]


def _key(event: Any) -> tuple[str, str]:
    return str(tenant_of(event)), str(event.originator_id)


def _results(
    key: tuple[str, str], userid: str, results: Iterable[tuple[str, int]]
) -> list[Statement]:
    return [
        (
            f"INSERT INTO {RESULTS} (tenant_id, task_id, userid, target_id, status) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, task_id, userid, target_id) "
            "DO UPDATE SET status = excluded.status",
            (*key, userid, str(target), int(status)),
        )
        for target, status in results
    ]


class MassSendQueries:
    """The tenant's mass sends from the read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def tasks(
        self,
        tenant_id: UUID,
        *,
        state: str | None = None,
        target: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[dict[str, Any]]:
        """Tasks newest first, by state or target."""
        where, params = "tenant_id = ?", [str(tenant_id)]
        for column, value in (("state", state), ("target", target)):
            if value is not None:
                where += f" AND {column} = ?"
                params.append(value)
        page = fetch_page(
            self.view,
            table=TASKS,
            where=where,
            params=params,
            order_by=("created_at", "task_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_task_row(row) for row in page.items], page.next_cursor)

    def counts(self, tenant_id: UUID, task_id: UUID) -> PartCounts:
        rows = self.view.rows(
            f"SELECT * FROM {TASKS} WHERE tenant_id = ? AND task_id = ?",
            (str(tenant_id), str(task_id)),
        )
        return _counts(rows[0]) if rows else PartCounts()

    def parts(
        self,
        tenant_id: UUID,
        task_id: UUID,
        *,
        state: str | None = None,
        names: Callable[[Iterable[str]], dict[str, str]],
        cursor: str | None,
        limit: int,
    ) -> Page[MassSendPart]:
        """Each employee's part in plan order (reached first, then those left out)."""
        where, params = "tenant_id = ? AND task_id = ?", [str(tenant_id), str(task_id)]
        if state is not None:
            where += " AND state = ?"
            params.append(state)
        page = fetch_page(
            self.view,
            table=PARTS,
            where=where,
            params=params,
            order_by=("position", "userid"),
            descending=False,
            cursor=cursor,
            limit=limit,
        )
        named = names(row["userid"] for row in page.items)
        return Page(
            [
                MassSendPart(
                    userid=row["userid"],
                    name=named.get(row["userid"], ""),
                    state=row["state"],
                    reason=row["reason"],
                    customers=row["customers"],
                    msgids=json.loads(row["msgids"]),
                    excluded=int(row["excluded"]),
                    sent_at=parse_iso(row["sent_at"]) if row["sent_at"] else None,
                    sent=int(row["sent"]),
                    not_sent=int(row["not_sent"]),
                    not_friend=int(row["not_friend"]),
                    received_already=int(row["received_already"]),
                )
                for row in page.items
            ],
            page.next_cursor,
        )

    def outcomes(
        self,
        tenant_id: UUID,
        task_id: UUID,
        *,
        userid: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[MassSendOutcome]:
        """What became of each customer (or group), by employee."""
        where, params = "tenant_id = ? AND task_id = ?", [str(tenant_id), str(task_id)]
        if userid is not None:
            where += " AND userid = ?"
            params.append(userid)
        page = fetch_page(
            self.view,
            table=RESULTS,
            where=where,
            params=params,
            order_by=("userid", "target_id"),
            descending=False,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                MassSendOutcome(
                    userid=row["userid"],
                    target_id=row["target_id"],
                    result=RESULT_NAMES.get(int(row["status"]), "excluded"),  # type: ignore[arg-type]
                )
                for row in page.items
            ],
            page.next_cursor,
        )

    def customer_results(self, tenant_id: UUID, task_id: UUID) -> dict[str, int]:
        """Customers (or groups) per result over every part of the task."""
        rows = self.view.rows(
            f"SELECT status, COUNT(*) AS n FROM {RESULTS} WHERE tenant_id = ? AND task_id = ? "
            "GROUP BY status",
            (str(tenant_id), str(task_id)),
        )
        return {RESULT_NAMES.get(int(r["status"]), "excluded"): int(r["n"]) for r in rows}

    def seats(self, tenant_id: UUID) -> dict[str, int]:
        """Each member's seat: the order they were first found in (smaller first)."""
        rows = self.view.rows(
            f"SELECT userid, seat FROM {SEATS} WHERE tenant_id = ?", (str(tenant_id),)
        )
        return {str(row["userid"]): int(row["seat"]) for row in rows}

    def pending(
        self, now: datetime, *, after: UUID | None = None, limit: int = 100
    ) -> list[tuple[UUID, UUID]]:
        """Tasks for the worker, of every tenant, by task id after `after`: scheduled and
        due, being submitted, or collecting results."""
        rows = self.view.rows(
            f"SELECT tenant_id, task_id FROM {TASKS} WHERE task_id > ? AND ("
            "(state = 'scheduled' AND send_at <= ?) OR state IN ('submitting', 'submitted')) "
            f"ORDER BY task_id LIMIT {int(limit)}",
            (str(after) if after else "", iso(now)),
        )
        return [(UUID(row["tenant_id"]), UUID(row["task_id"])) for row in rows]


def _counts(row: dict[str, Any]) -> PartCounts:
    return PartCounts(**{name: int(row[name]) for name in _COUNTS})


def _task_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": UUID(row["task_id"]),
        "name": row["name"],
        "target": row["target"],
        "scope": row["scope"],
        "state": row["state"],
        "send_at": parse_iso(row["send_at"]) if row["send_at"] else None,
        "parts": _counts(row),
        "created_at": parse_iso(row["created_at"]),
        "submitted_at": parse_iso(row["submitted_at"]) if row["submitted_at"] else None,
        "finished_at": parse_iso(row["finished_at"]) if row["finished_at"] else None,
    }
