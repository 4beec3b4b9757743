"""The send queue's table on SQLite (embedded) and PostgreSQL (ADR 0015).

One table, `messaging_queue`, tenant first in its key. Times are fixed-width ISO-8601
UTC text on both databases (text order is time order), as in the read models. On
PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`, so several workers share the queue;
on SQLite one process claims under `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.persistence.work_tables import SqliteWorkFile, postgres_transaction
from application.messaging.send_queue import QUEUED, SENT, SKIPPED, QueuedMessage, Settlement
from application.shared.views import iso, parse_iso

SQLITE_FILE = "messaging_queue.sqlite"
TABLE = (
    "CREATE TABLE IF NOT EXISTS messaging_queue ("
    "tenant_id TEXT NOT NULL, message_id TEXT NOT NULL, task_id TEXT NOT NULL, "
    "lead_id TEXT NOT NULL, channel TEXT NOT NULL, state TEXT NOT NULL, "
    "attempts INTEGER NOT NULL DEFAULT 0, due_at TEXT NOT NULL, lease_until TEXT, "
    "first_attempt_at TEXT, sent_at TEXT, detail TEXT NOT NULL DEFAULT '', "
    "updated_at TEXT NOT NULL, PRIMARY KEY (tenant_id, message_id))"
)
INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS messaging_queue_message ON messaging_queue (message_id)",
    "CREATE INDEX IF NOT EXISTS messaging_queue_due ON messaging_queue (state, due_at)",
    "CREATE INDEX IF NOT EXISTS messaging_queue_task ON messaging_queue "
    "(tenant_id, task_id, state)",
    "CREATE INDEX IF NOT EXISTS messaging_queue_lead ON messaging_queue "
    "(tenant_id, lead_id, channel, sent_at)",
)
COLUMNS = (
    "message_id, tenant_id, task_id, lead_id, channel, state, attempts, first_attempt_at, detail"
)
Cursor = Any


class SqlSendQueue:
    """The queue over a connection source; `transaction()` yields a cursor whose
    statements commit together. Placeholders are `?` (PostgreSQL's adapter rewrites)."""

    def __init__(
        self,
        transaction: Callable[[], AbstractContextManager[Cursor]],
        *,
        skip_locked: bool,
        placeholder: str = "?",
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._transaction = transaction
        self._skip_locked = skip_locked
        self._placeholder = placeholder
        self._on_close = on_close

    def create_tables(self) -> None:
        with self._transaction() as cursor:
            for statement in (TABLE, *INDEXES):
                cursor.execute(statement)

    def _sql(self, sql: str) -> str:
        return sql if self._placeholder == "?" else sql.replace("?", self._placeholder)

    def enqueue(
        self,
        tenant_id: UUID,
        task_id: UUID,
        channel: str,
        messages: Sequence[tuple[str, UUID]],
        due_at: datetime,
    ) -> int:
        added = 0
        stamp = iso(due_at)
        rows = [
            (str(tenant_id), message_id, str(task_id), str(lead_id), channel, QUEUED, stamp, stamp)
            for message_id, lead_id in messages
        ]
        insert = self._sql(
            "INSERT INTO messaging_queue (tenant_id, message_id, task_id, lead_id, channel, "
            "state, due_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (tenant_id, message_id) DO NOTHING"
        )
        with self._transaction() as cursor:
            for start in range(0, len(rows), 1000):
                chunk = rows[start : start + 1000]
                cursor.executemany(insert, chunk)
                added += max(cursor.rowcount, 0)  # both drivers sum executemany's rows
        return added

    def claim(self, now: datetime, *, limit: int, lease_until: datetime) -> list[QueuedMessage]:
        moment = iso(now)
        lock = " FOR UPDATE SKIP LOCKED" if self._skip_locked else ""
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    f"SELECT {COLUMNS} FROM messaging_queue WHERE state = ? AND due_at <= ? "
                    f"AND (lease_until IS NULL OR lease_until < ?) ORDER BY due_at LIMIT ?{lock}"
                ),
                (QUEUED, moment, moment, limit),
            )
            claimed = [_message(row) for row in cursor.fetchall()]
            cursor.executemany(
                self._sql(
                    "UPDATE messaging_queue SET lease_until = ?, attempts = attempts + 1, "
                    "first_attempt_at = COALESCE(first_attempt_at, ?), updated_at = ? "
                    "WHERE tenant_id = ? AND message_id = ?"
                ),
                [
                    (iso(lease_until), moment, moment, str(m.tenant_id), m.message_id)
                    for m in claimed
                ],
            )
        return [
            QueuedMessage(
                **{
                    **m.__dict__,
                    "attempts": m.attempts + 1,
                    "first_attempt_at": m.first_attempt_at or now,
                }
            )
            for m in claimed
        ]

    def mark_sent(self, message_ids: Collection[str], now: datetime) -> None:
        moment = iso(now)
        with self._transaction() as cursor:
            cursor.executemany(
                self._sql(
                    "UPDATE messaging_queue SET state = ?, sent_at = ?, updated_at = ? "
                    "WHERE message_id = ? AND state = ?"
                ),
                [(SENT, moment, moment, message_id, QUEUED) for message_id in message_ids],
            )

    def settle(self, settlements: Sequence[Settlement], now: datetime) -> None:
        moment = iso(now)
        with self._transaction() as cursor:
            cursor.executemany(
                self._sql(
                    "UPDATE messaging_queue SET state = ?, detail = ?, lease_until = NULL, "
                    "due_at = COALESCE(?, due_at), updated_at = ? WHERE message_id = ?"
                ),
                [
                    (
                        s.state,
                        s.detail[:500],
                        iso(s.due_at) if s.due_at else None,
                        moment,
                        s.message_id,
                    )
                    for s in settlements
                ],
            )

    def message(self, message_id: str) -> QueuedMessage | None:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(f"SELECT {COLUMNS} FROM messaging_queue WHERE message_id = ?"),
                (message_id,),
            )
            row = cursor.fetchone()
        return _message(row) if row else None

    def counts(self, tenant_id: UUID, task_id: UUID) -> dict[str, int]:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    "SELECT state, COUNT(*) FROM messaging_queue WHERE tenant_id = ? "
                    "AND task_id = ? GROUP BY state"
                ),
                (str(tenant_id), str(task_id)),
            )
            return {str(state): int(count) for state, count in cursor.fetchall()}

    def sent_since(
        self, tenant_id: UUID, lead_ids: Collection[UUID], channel: str, since: datetime
    ) -> dict[UUID, int]:
        ids = sorted({str(lead_id) for lead_id in lead_ids})
        found: dict[UUID, int] = {}
        with self._transaction() as cursor:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" for _ in chunk)
                cursor.execute(
                    self._sql(
                        "SELECT lead_id, COUNT(*) FROM messaging_queue WHERE tenant_id = ? "
                        f"AND lead_id IN ({marks}) AND channel = ? AND sent_at >= ? "
                        "GROUP BY lead_id"
                    ),
                    (str(tenant_id), *chunk, channel, iso(since)),
                )
                found.update({UUID(lead): int(count) for lead, count in cursor.fetchall()})
        return found

    def skip_task(self, tenant_id: UUID, task_id: UUID, detail: str, now: datetime) -> int:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    "UPDATE messaging_queue SET state = ?, detail = ?, lease_until = NULL, "
                    "updated_at = ? WHERE tenant_id = ? AND task_id = ? AND state = ?"
                ),
                (SKIPPED, detail, iso(now), str(tenant_id), str(task_id), QUEUED),
            )
            return int(cursor.rowcount)

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()


def _message(row: Sequence[Any]) -> QueuedMessage:
    message_id, tenant_id, task_id, lead_id, channel, state, attempts, first, detail = row
    return QueuedMessage(
        message_id=message_id,
        tenant_id=UUID(tenant_id),
        task_id=UUID(task_id),
        lead_id=UUID(lead_id),
        channel=channel,
        state=state,
        attempts=int(attempts),
        first_attempt_at=parse_iso(first) if first else None,
        detail=detail or "",
    )


def sqlite_send_queue(var_dir: Path) -> SqlSendQueue:
    """Embedded mode: one file, one connection, `BEGIN IMMEDIATE` per transaction."""
    work = SqliteWorkFile(var_dir / SQLITE_FILE)
    queue = SqlSendQueue(work.transaction, skip_locked=False, on_close=work.close)
    queue.create_tables()
    return queue


def postgres_send_queue(datastore: Any, *, create_tables: bool) -> SqlSendQueue:
    """PostgreSQL: connections of the process's shared pool (the library's datastore)."""
    queue = SqlSendQueue(postgres_transaction(datastore), skip_locked=True, placeholder="%s")
    if create_tables:
        queue.create_tables()
    return queue
