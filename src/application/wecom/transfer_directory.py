"""Customer inheritance as the console and the API read it (WECOM-4, ORG-3): each
transfer batch with its progress, and each customer's and group's outcome, from the
batches' events; and the batches due for the worker, every tenant's at once.

A customer's row says `queued` (not yet accepted by WeCom), `waiting` (等待接替: the
takeover employee's 24 hours run), `succeeded` (接替完毕) or `failed` with the reason
(a stable code, WeCom's errcode or transfer status beside it)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.shared.errors import NotFound
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.views import ReadModel, Statement, View, iso, parse_iso

BATCHES = "wecom_transfer_batches"
CUSTOMERS = "wecom_transfer_customers"
GROUPS = "wecom_transfer_groups"
PREFIX = "wecom.CustomerTransferBatch."
STATES = ("queued", "waiting", "succeeded", "failed")


class TransferDirectory(ReadModel):
    """Keeps the tenants' transfer batches, their customers and groups."""

    name = "wecom_transfer_directory"
    follows = ("wecom",)
    tables = {
        BATCHES: "tenant_id TEXT NOT NULL, batch_id TEXT NOT NULL, "
        "handover_userid TEXT NOT NULL, takeover_userid TEXT NOT NULL, "
        "from_employee_id TEXT, to_employee_id TEXT, resigned INTEGER NOT NULL, "
        "reason TEXT NOT NULL, origin TEXT NOT NULL, started_at TEXT NOT NULL, "
        "updated_at TEXT NOT NULL, due_at TEXT, done INTEGER NOT NULL DEFAULT 0, "
        "calls INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0, "
        "queued INTEGER NOT NULL DEFAULT 0, waiting INTEGER NOT NULL DEFAULT 0, "
        "succeeded INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, "
        "groups_total INTEGER NOT NULL DEFAULT 0, groups_succeeded INTEGER NOT NULL DEFAULT 0, "
        "groups_failed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (tenant_id, batch_id)",
        CUSTOMERS: "tenant_id TEXT NOT NULL, batch_id TEXT NOT NULL, "
        "external_userid TEXT NOT NULL, lead_id TEXT, call_number INTEGER NOT NULL, "
        "state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', "
        "errcode INTEGER NOT NULL DEFAULT 0, wecom_status INTEGER, updated_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, batch_id, external_userid)",
        GROUPS: "tenant_id TEXT NOT NULL, batch_id TEXT NOT NULL, chat_id TEXT NOT NULL, "
        "state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', "
        "errcode INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, batch_id, chat_id)",
    }
    indexes = {
        "wecom_transfer_batches_started": f"{BATCHES} (tenant_id, started_at, batch_id)",
        "wecom_transfer_batches_employee": f"{BATCHES} (tenant_id, from_employee_id)",
        "wecom_transfer_batches_due": f"{BATCHES} (done, due_at, batch_id)",
        "wecom_transfer_customers_customer": f"{CUSTOMERS} (tenant_id, external_userid)",
        "wecom_transfer_customers_lead": f"{CUSTOMERS} (tenant_id, lead_id)",
    }
    platform_wide = {
        "wecom_transfer_batches_due": "the transfer worker takes every tenant's due batches"
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        topic = get_topic(type(domain_event))
        statements: list[Statement] = []
        if topic.startswith(PREFIX):
            handler = self._handlers().get(topic.removeprefix(PREFIX))
            if handler is not None:
                tenant_id = self._tenant(domain_event)
                if tenant_id is not None:
                    statements = handler(tenant_id, domain_event)
        self.view.write(tracking, statements)

    def _handlers(self) -> dict[str, Callable[[str, Any], list[Statement]]]:
        return {
            "Started": self._started,
            "CustomersAdded": self._added,
            "CallAnswered": self._outcomes,
            "CallReconciled": self._outcomes,
            "ResultsRecorded": self._outcomes,
            "CustomersGivenUp": self._outcomes,
            "GroupsAdded": self._groups_added,
            "GroupsAnswered": self._groups_answered,
            "GroupsFailed": self._groups_failed,
            "CallClaimed": self._touched,
            "CallFailed": self._touched,
            "GroupsClaimed": self._touched,
            "GroupsDeferred": self._touched,
            "Rescheduled": self._rescheduled,
        }

    def _tenant(self, event: Any) -> str | None:
        stamped = getattr(event, "tenant_id", None) or tenant_of(event)
        if stamped is not None:
            return str(stamped)
        rows = self.view.rows(
            f"SELECT tenant_id FROM {BATCHES} WHERE batch_id = ?", (str(event.originator_id),)
        )
        return str(rows[0]["tenant_id"]) if rows else None

    def _started(self, tenant_id: str, event: Any) -> list[Statement]:
        at = iso(event.at)
        return [
            (
                f"INSERT INTO {BATCHES} (tenant_id, batch_id, handover_userid, takeover_userid, "
                "from_employee_id, to_employee_id, resigned, reason, origin, started_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (tenant_id, batch_id) DO NOTHING",
                (
                    tenant_id,
                    str(event.originator_id),
                    event.handover_userid,
                    event.takeover_userid,
                    _text(event.from_employee_id),
                    _text(event.to_employee_id),
                    int(bool(event.resigned)),
                    event.reason,
                    event.origin,
                    at,
                    at,
                ),
            )
        ]

    def _added(self, tenant_id: str, event: Any) -> list[Statement]:
        batch, at = str(event.originator_id), iso(event.at)
        statements: list[Statement] = [
            (
                f"INSERT INTO {CUSTOMERS} (tenant_id, batch_id, external_userid, lead_id, "
                "call_number, state, updated_at) VALUES (?, ?, ?, ?, ?, 'queued', ?) "
                "ON CONFLICT (tenant_id, batch_id, external_userid) DO NOTHING",
                (tenant_id, batch, c["external_userid"], c["lead_id"], int(c["call"]), at),
            )
            for c in event.customers
        ]
        calls = max((int(c["call"]) for c in event.customers), default=0)
        statements.append(
            (
                f"UPDATE {BATCHES} SET calls = CASE WHEN calls > ? THEN calls ELSE ? END "
                "WHERE tenant_id = ? AND batch_id = ?",
                (calls, calls, tenant_id, batch),
            )
        )
        return [*statements, *self._counted(tenant_id, batch, at)]

    def _outcomes(self, tenant_id: str, event: Any) -> list[Statement]:
        batch, at = str(event.originator_id), iso(event.at)
        statements: list[Statement] = [
            (
                f"UPDATE {CUSTOMERS} SET state = ?, reason = ?, errcode = ?, "
                "wecom_status = COALESCE(?, wecom_status), updated_at = ? "
                "WHERE tenant_id = ? AND batch_id = ? AND external_userid = ?",
                (
                    o["state"],
                    o.get("reason") or "",
                    int(o.get("errcode") or 0),
                    o.get("status"),
                    iso(o["at"]) if o.get("at") else at,
                    tenant_id,
                    batch,
                    o["external_userid"],
                ),
            )
            for o in event.outcomes
        ]
        return [*statements, *self._counted(tenant_id, batch, at)]

    def _groups_added(self, tenant_id: str, event: Any) -> list[Statement]:
        batch, at = str(event.originator_id), iso(event.at)
        statements: list[Statement] = [
            (
                f"INSERT INTO {GROUPS} (tenant_id, batch_id, chat_id, state, updated_at) "
                "VALUES (?, ?, ?, 'queued', ?) ON CONFLICT (tenant_id, batch_id, chat_id) "
                "DO NOTHING",
                (tenant_id, batch, chat_id, at),
            )
            for chat_id in event.chat_ids
        ]
        return [*statements, *self._counted(tenant_id, batch, at)]

    def _groups_answered(self, tenant_id: str, event: Any) -> list[Statement]:
        batch, at = str(event.originator_id), iso(event.at)
        statements: list[Statement] = [
            (
                f"UPDATE {GROUPS} SET state = ?, reason = ?, errcode = ?, updated_at = ? "
                "WHERE tenant_id = ? AND batch_id = ? AND chat_id = ?",
                (
                    o["state"],
                    "wecom_refused" if o["errcode"] else "",
                    int(o["errcode"]),
                    at,
                    tenant_id,
                    batch,
                    o["chat_id"],
                ),
            )
            for o in event.outcomes
        ]
        return [*statements, *self._counted(tenant_id, batch, at)]

    def _groups_failed(self, tenant_id: str, event: Any) -> list[Statement]:
        batch, at = str(event.originator_id), iso(event.timestamp)
        if not event.given_up:
            return self._touched(tenant_id, event)
        return [
            (
                f"UPDATE {GROUPS} SET state = 'failed', reason = 'wecom_unavailable', "
                "updated_at = ? WHERE tenant_id = ? AND batch_id = ? AND state = 'queued'",
                (at, tenant_id, batch),
            ),
            *self._counted(tenant_id, batch, at),
        ]

    def _touched(self, tenant_id: str, event: Any) -> list[Statement]:
        return [
            (
                f"UPDATE {BATCHES} SET updated_at = ? WHERE tenant_id = ? AND batch_id = ?",
                (iso(event.timestamp), tenant_id, str(event.originator_id)),
            )
        ]

    def _rescheduled(self, tenant_id: str, event: Any) -> list[Statement]:
        due = iso(event.due_at) if event.due_at is not None else None
        return [
            (
                f"UPDATE {BATCHES} SET due_at = ? WHERE tenant_id = ? AND batch_id = ?",
                (due, tenant_id, str(event.originator_id)),
            )
        ]

    def _counted(self, tenant_id: str, batch: str, at: str) -> list[Statement]:
        """The batch's counts, counted again from its rows (after the statements above);
        done when no customer is queued or waiting and no group queued."""
        key = "tenant_id = ? AND batch_id = ?"
        counts = ", ".join(
            f"{state} = (SELECT COUNT(*) FROM {CUSTOMERS} WHERE {key} AND state = '{state}')"
            for state in STATES
        )
        groups = ", ".join(
            f"groups_{state} = (SELECT COUNT(*) FROM {GROUPS} WHERE {key} AND state = '{state}')"
            for state in ("succeeded", "failed")
        )
        done = (
            f"done = CASE WHEN EXISTS (SELECT 1 FROM {CUSTOMERS} WHERE {key} "
            "AND state IN ('queued', 'waiting')) "
            f"OR EXISTS (SELECT 1 FROM {GROUPS} WHERE {key} AND state = 'queued') "
            "THEN 0 ELSE 1 END"
        )
        return [
            (
                f"UPDATE {BATCHES} SET updated_at = ?, "
                f"total = (SELECT COUNT(*) FROM {CUSTOMERS} WHERE {key}), {counts}, "
                f"groups_total = (SELECT COUNT(*) FROM {GROUPS} WHERE {key}), {groups}, "
                f"{done} WHERE {key}",
                (at, *[tenant_id, batch] * 10, tenant_id, batch),
            )
        ]


class TransferQueries:
    """Transfer batches and their outcomes from the read model. `userids` narrows the
    batches to those from or to those WeCom members (None: the whole company)."""

    def __init__(self, view: View) -> None:
        self.view = view

    def batches(
        self,
        tenant_id: UUID,
        *,
        userids: Collection[str] | None,
        employee_id: UUID | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[dict[str, Any]]:
        """Batches newest first, of one handover employee if asked."""
        where, params = _scoped(tenant_id, userids)
        if employee_id is not None:
            where += " AND from_employee_id = ?"
            params.append(str(employee_id))
        page = fetch_page(
            self.view,
            table=BATCHES,
            where=where,
            params=params,
            order_by=("started_at", "batch_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_batch(row) for row in page.items], page.next_cursor)

    def batch(
        self, tenant_id: UUID, batch_id: UUID, *, userids: Collection[str] | None
    ) -> dict[str, Any]:
        """One batch (`NotFound` for another tenant's or one outside `userids`)."""
        where, params = _scoped(tenant_id, userids)
        rows = self.view.rows(
            f"SELECT * FROM {BATCHES} WHERE {where} AND batch_id = ?", (*params, str(batch_id))
        )
        if not rows:
            raise NotFound(f"no transfer batch {batch_id}")
        return _batch(rows[0])

    def customers(
        self,
        tenant_id: UUID,
        batch_id: UUID,
        *,
        state: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[dict[str, Any]]:
        """The batch's customers by call and external_userid, of one state if asked."""
        where = "tenant_id = ? AND batch_id = ?"
        params: list[Any] = [str(tenant_id), str(batch_id)]
        if state is not None:
            where += " AND state = ?"
            params.append(state)
        page = fetch_page(
            self.view,
            table=CUSTOMERS,
            where=where,
            params=params,
            order_by=("call_number", "external_userid"),
            descending=False,
            cursor=cursor,
            limit=limit,
        )
        return Page([_customer(row) for row in page.items], page.next_cursor)

    def groups(self, tenant_id: UUID, batch_id: UUID) -> list[dict[str, Any]]:
        rows = self.view.rows(
            f"SELECT chat_id, state, reason, errcode, updated_at FROM {GROUPS} "
            "WHERE tenant_id = ? AND batch_id = ? ORDER BY chat_id",
            (str(tenant_id), str(batch_id)),
        )
        return [{**row, "updated_at": parse_iso(row["updated_at"])} for row in rows]

    def in_transfer(
        self, tenant_id: UUID, handover_userid: str, external_userids: Sequence[str]
    ) -> set[str]:
        """Which of the customers an unfinished batch from `handover_userid` holds still
        queued or waiting (so a second batch does not name them again)."""
        found: set[str] = set()
        names = list(external_userids)
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.view.rows(
                f"SELECT c.external_userid FROM {CUSTOMERS} c JOIN {BATCHES} b "
                "ON b.tenant_id = c.tenant_id AND b.batch_id = c.batch_id "
                "WHERE c.tenant_id = ? AND b.handover_userid = ? "
                f"AND c.state IN ('queued', 'waiting') AND c.external_userid IN ({marks})",
                (str(tenant_id), handover_userid, *chunk),
            )
            found.update(str(row["external_userid"]) for row in rows)
        return found

    def due(self, now: datetime, *, limit: int) -> list[tuple[UUID, UUID]]:
        """(tenant, batch) of every tenant's unfinished batches due by `now`, the
        longest due first."""
        rows = self.view.rows(
            f"SELECT tenant_id, batch_id FROM {BATCHES} WHERE done = 0 AND due_at <= ? "
            f"ORDER BY due_at, batch_id LIMIT {int(limit)}",
            (iso(now),),
        )
        return [(UUID(row["tenant_id"]), UUID(row["batch_id"])) for row in rows]


def _scoped(tenant_id: UUID, userids: Collection[str] | None) -> tuple[str, list[Any]]:
    if userids is None:
        return "tenant_id = ?", [str(tenant_id)]
    names = sorted(userids)
    if not names:
        return "tenant_id = ? AND 1 = 0", [str(tenant_id)]
    marks = ", ".join("?" for _ in names)
    return (
        f"tenant_id = ? AND (handover_userid IN ({marks}) OR takeover_userid IN ({marks}))",
        [str(tenant_id), *names, *names],
    )


def _batch(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "batch_id": UUID(row["batch_id"]),
        "from_employee_id": UUID(row["from_employee_id"]) if row["from_employee_id"] else None,
        "to_employee_id": UUID(row["to_employee_id"]) if row["to_employee_id"] else None,
        "resigned": bool(row["resigned"]),
        "done": bool(row["done"]),
        "started_at": parse_iso(row["started_at"]),
        "updated_at": parse_iso(row["updated_at"]),
        "due_at": parse_iso(row["due_at"]) if row["due_at"] else None,
    }


def _customer(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "lead_id": UUID(row["lead_id"]) if row["lead_id"] else None,
        "updated_at": parse_iso(row["updated_at"]),
    }


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None
