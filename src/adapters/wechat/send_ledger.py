"""The WeChat send ledger on SQLite (embedded) and PostgreSQL (ADR 0016).

Tables, tenant first in every key: `wechat_send_recipients` (one row per fan a send
reaches or skips), `wechat_send_batches` (what a worker claims: up to 10,000 fans of a
mass send, fewer of per-fan kinds), `wechat_send_starts` (one row per fixed send, for
daily limits and to make fixing happen once) and `wechat_send_reports` (WeChat's
job-finish status by msg_id). Times are fixed-width ISO-8601 UTC text.

Fixing runs under a per-account lock: PostgreSQL `pg_advisory_xact_lock` (other
accounts fix in parallel), SQLite `BEGIN IMMEDIATE` (one writer at a time anyway).
Claims take one batch row `FOR UPDATE SKIP LOCKED` on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.persistence.work_tables import SqliteWorkFile, postgres_transaction
from application.shared.views import iso
from application.wechat.send_ledger import (
    FAILED,
    QUEUED,
    SENT,
    SKIPPED,
    TEMPLATE,
    Allowances,
    Batch,
    Fixed,
    FixPlan,
    Planned,
    RecipientRow,
    Settled,
)

SQLITE_FILE = "wechat_sends.sqlite"
RECIPIENTS = "wechat_send_recipients"
BATCHES = "wechat_send_batches"
STARTS = "wechat_send_starts"
REPORTS = "wechat_send_reports"
TABLES = (
    f"CREATE TABLE IF NOT EXISTS {RECIPIENTS} (tenant_id TEXT NOT NULL, send_id TEXT NOT NULL, "
    "openid TEXT NOT NULL, account_id TEXT NOT NULL, kind TEXT NOT NULL, month TEXT NOT NULL, "
    "day TEXT NOT NULL, counted INTEGER NOT NULL, batch INTEGER NOT NULL, state TEXT NOT NULL, "
    "detail TEXT NOT NULL DEFAULT '', msg_id TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL, "
    "PRIMARY KEY (tenant_id, send_id, openid))",
    f"CREATE TABLE IF NOT EXISTS {BATCHES} (tenant_id TEXT NOT NULL, send_id TEXT NOT NULL, "
    "batch INTEGER NOT NULL, account_id TEXT NOT NULL, kind TEXT NOT NULL, "
    "state TEXT NOT NULL, lease_until TEXT, attempts INTEGER NOT NULL DEFAULT 0, "
    "msg_id TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL, "
    "PRIMARY KEY (tenant_id, send_id, batch))",
    f"CREATE TABLE IF NOT EXISTS {STARTS} (tenant_id TEXT NOT NULL, account_id TEXT NOT NULL, "
    "send_id TEXT NOT NULL, kind TEXT NOT NULL, month TEXT NOT NULL, day TEXT NOT NULL, "
    "queued INTEGER NOT NULL, skipped INTEGER NOT NULL, started_at TEXT NOT NULL, "
    "PRIMARY KEY (tenant_id, account_id, send_id))",
    f"CREATE TABLE IF NOT EXISTS {REPORTS} (tenant_id TEXT NOT NULL, account_id TEXT NOT NULL, "
    "msg_id TEXT NOT NULL, status TEXT NOT NULL, reported_at TEXT NOT NULL, "
    "PRIMARY KEY (tenant_id, account_id, msg_id))",
    # The monthly cap counts a fan's counted rows of the month, in flight or sent.
    f"CREATE INDEX IF NOT EXISTS wechat_send_recipients_cap ON {RECIPIENTS} "
    "(tenant_id, account_id, month, counted, state, openid)",
    f"CREATE INDEX IF NOT EXISTS wechat_send_recipients_day ON {RECIPIENTS} "
    "(tenant_id, account_id, day, kind, state)",
    f"CREATE INDEX IF NOT EXISTS wechat_send_recipients_batch ON {RECIPIENTS} "
    "(tenant_id, send_id, batch, state)",
    f"CREATE INDEX IF NOT EXISTS wechat_send_recipients_msg ON {RECIPIENTS} "
    "(tenant_id, account_id, msg_id)",
    f"CREATE INDEX IF NOT EXISTS wechat_send_batches_due ON {BATCHES} (state, lease_until)",
    f"CREATE INDEX IF NOT EXISTS wechat_send_batches_msg ON {BATCHES} "
    "(tenant_id, account_id, msg_id)",
    f"CREATE INDEX IF NOT EXISTS wechat_send_starts_day ON {STARTS} "
    "(tenant_id, account_id, day, kind)",
)
CHUNK = 1000
Cursor = Any


class SqlSendLedger:
    """The ledger over a connection source (`transaction()` yields a cursor whose
    statements commit together); `lock_account` serialises fixing per account."""

    def __init__(
        self,
        transaction: Callable[[], AbstractContextManager[Cursor]],
        *,
        skip_locked: bool,
        placeholder: str = "?",
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._transaction = transaction
        self._postgres = skip_locked
        self._placeholder = placeholder
        self._on_close = on_close

    def create_tables(self) -> None:
        with self._transaction() as cursor:
            for statement in TABLES:
                cursor.execute(statement)

    def _sql(self, sql: str) -> str:
        return sql if self._placeholder == "?" else sql.replace("?", self._placeholder)

    # --- fixing ----------------------------------------------------------------------------

    def fix(self, plan: FixPlan, decide: Callable[[Allowances], Sequence[Planned]]) -> Fixed:
        tenant, account, send = str(plan.tenant_id), str(plan.account_id), str(plan.send_id)
        with self._transaction() as cursor:
            if self._postgres:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    (f"wechat-send/{tenant}/{account}",),
                )
            cursor.execute(
                self._sql(
                    f"SELECT queued, skipped FROM {STARTS} WHERE tenant_id = ? "
                    "AND account_id = ? AND send_id = ?"
                ),
                (tenant, account, send),
            )
            done = cursor.fetchone()
            if done is not None:
                return Fixed(int(done[0]), int(done[1]))
            planned = decide(self._allowances(cursor, plan))
            queued = sorted((p for p in planned if p.state == QUEUED), key=lambda p: p.openid)
            others = [p for p in planned if p.state != QUEUED]
            stamp = iso(plan.at)
            rows = [
                (tenant, send, p.openid, account, plan.kind, plan.month, plan.day,
                 int(p.counted), i // plan.batch_size, QUEUED, "", stamp)
                for i, p in enumerate(queued)
            ] + [
                (tenant, send, p.openid, account, plan.kind, plan.month, plan.day,
                 0, -1, p.state, p.detail[:300], stamp)
                for p in others
            ]  # fmt: skip
            columns = (
                "tenant_id, send_id, openid, account_id, kind, month, day, counted, batch, "
                "state, detail, updated_at"
            )
            if self._postgres:  # no row can conflict: the send's start is not recorded yet
                cursor.copy_rows(f"COPY {RECIPIENTS} ({columns}) FROM STDIN", rows)
            else:
                insert = f"INSERT INTO {RECIPIENTS} ({columns}) VALUES ({', '.join('?' * 12)})"
                for start in range(0, len(rows), CHUNK):
                    cursor.executemany(insert, rows[start : start + CHUNK])
            batches = (len(queued) + plan.batch_size - 1) // plan.batch_size
            cursor.executemany(
                self._sql(
                    f"INSERT INTO {BATCHES} (tenant_id, send_id, batch, account_id, kind, state, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                ),
                [(tenant, send, n, account, plan.kind, QUEUED, stamp) for n in range(batches)],
            )
            cursor.execute(
                self._sql(
                    f"INSERT INTO {STARTS} (tenant_id, account_id, send_id, kind, month, day, "
                    "queued, skipped, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                (tenant, account, send, plan.kind, plan.month, plan.day, len(queued),
                 len(others), stamp),
            )  # fmt: skip
        return Fixed(len(queued), len(others))

    def _allowances(self, cursor: Cursor, plan: FixPlan) -> Allowances:
        tenant, account = str(plan.tenant_id), str(plan.account_id)
        cursor.execute(
            self._sql(
                f"SELECT openid, COUNT(*) FROM {RECIPIENTS} WHERE tenant_id = ? AND account_id = ? "
                "AND month = ? AND counted = 1 AND state IN (?, ?) GROUP BY openid"
            ),
            (tenant, account, plan.month, QUEUED, SENT),
        )
        received = {str(openid): int(count) for openid, count in cursor.fetchall()}
        cursor.execute(
            self._sql(
                f"SELECT COUNT(*) FROM {STARTS} WHERE tenant_id = ? AND account_id = ? "
                "AND day = ? AND kind = ?"
            ),
            (tenant, account, plan.day, plan.kind),
        )
        starts = int(cursor.fetchone()[0])
        template = 0
        if plan.kind == TEMPLATE:
            cursor.execute(
                self._sql(
                    f"SELECT COUNT(*) FROM {RECIPIENTS} WHERE tenant_id = ? AND account_id = ? "
                    "AND day = ? AND kind = ? AND state IN (?, ?)"
                ),
                (tenant, account, plan.day, TEMPLATE, QUEUED, SENT),
            )
            template = int(cursor.fetchone()[0])
        return Allowances(received=received, starts_today=starts, template_today=template)

    # --- claiming and settling -------------------------------------------------------------

    def claim(self, now: datetime, lease_until: datetime) -> Batch | None:
        moment = iso(now)
        lock = " FOR UPDATE SKIP LOCKED" if self._postgres else ""
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    f"SELECT tenant_id, send_id, batch, account_id, kind, attempts FROM {BATCHES} "
                    "WHERE state = ? AND (lease_until IS NULL OR lease_until < ?) "
                    f"ORDER BY updated_at LIMIT 1{lock}"
                ),
                (QUEUED, moment),
            )
            row = cursor.fetchone()
            if row is None:
                return None
            tenant, send, number, account, kind, attempts = row
            cursor.execute(
                self._sql(
                    f"UPDATE {BATCHES} SET lease_until = ?, attempts = attempts + 1, "
                    "updated_at = ? WHERE tenant_id = ? AND send_id = ? AND batch = ?"
                ),
                (iso(lease_until), moment, tenant, send, number),
            )
            cursor.execute(
                self._sql(
                    f"SELECT openid FROM {RECIPIENTS} WHERE tenant_id = ? AND send_id = ? "
                    "AND batch = ? AND state = ? ORDER BY openid"
                ),
                (tenant, send, number, QUEUED),
            )
            openids = tuple(str(r[0]) for r in cursor.fetchall())
        return Batch(
            tenant_id=UUID(tenant),
            send_id=UUID(send),
            account_id=UUID(account),
            kind=str(kind),
            batch=int(number),
            attempts=int(attempts) + 1,
            openids=openids,
        )

    def hand_over(self, batch: Batch, openids: Sequence[str], now: datetime) -> None:
        self._set(batch, [(o, SENT, "", "") for o in openids], now)

    def settle(self, batch: Batch, settled: Settled, now: datetime) -> None:
        moment = iso(now)
        with self._transaction() as cursor:
            self._update_rows(cursor, batch, _changes(settled), moment)
            cursor.execute(
                self._sql(
                    f"UPDATE {BATCHES} SET state = ?, msg_id = ?, lease_until = NULL, "
                    "updated_at = ? WHERE tenant_id = ? AND send_id = ? AND batch = ?"
                ),
                ("done", settled.msg_id, moment, str(batch.tenant_id), str(batch.send_id),
                 batch.batch),
            )  # fmt: skip

    def settle_rows(self, batch: Batch, settled: Settled, now: datetime) -> None:
        self._set(batch, _changes(settled), now)

    def _set(self, batch: Batch, changes: list[tuple[str, str, str, str]], now: datetime) -> None:
        with self._transaction() as cursor:
            self._update_rows(cursor, batch, changes, iso(now))

    def _update_rows(
        self, cursor: Cursor, batch: Batch, changes: list[tuple[str, str, str, str]], moment: str
    ) -> None:
        update = self._sql(
            f"UPDATE {RECIPIENTS} SET state = ?, detail = ?, "
            "msg_id = CASE WHEN ? <> '' THEN ? ELSE msg_id END, updated_at = ? "
            "WHERE tenant_id = ? AND send_id = ? AND openid = ?"
        )
        rows = [
            (state, detail[:300], msg_id, msg_id, moment, str(batch.tenant_id),
             str(batch.send_id), openid)
            for openid, state, detail, msg_id in changes
        ]  # fmt: skip
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(update, rows[start : start + CHUNK])

    # --- reading ---------------------------------------------------------------------------

    def counts(self, tenant_id: UUID, send_id: UUID) -> dict[str, int]:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    f"SELECT state, COUNT(*) FROM {RECIPIENTS} WHERE tenant_id = ? "
                    "AND send_id = ? GROUP BY state"
                ),
                (str(tenant_id), str(send_id)),
            )
            return {str(state): int(count) for state, count in cursor.fetchall()}

    def open_batches(self, tenant_id: UUID, send_id: UUID) -> int:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    f"SELECT COUNT(*) FROM {BATCHES} WHERE tenant_id = ? AND send_id = ? "
                    "AND state = ?"
                ),
                (str(tenant_id), str(send_id), QUEUED),
            )
            return int(cursor.fetchone()[0])

    def msg_ids(self, tenant_id: UUID, send_id: UUID) -> list[str]:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    f"SELECT msg_id FROM {BATCHES} WHERE tenant_id = ? AND send_id = ? "
                    "AND msg_id <> '' ORDER BY batch"
                ),
                (str(tenant_id), str(send_id)),
            )
            return [str(r[0]) for r in cursor.fetchall()]

    def send_of(self, tenant_id: UUID, account_id: UUID, msg_id: str) -> UUID | None:
        key = (str(tenant_id), str(account_id), msg_id)
        with self._transaction() as cursor:
            for table in (BATCHES, RECIPIENTS):
                cursor.execute(
                    self._sql(
                        f"SELECT send_id FROM {table} WHERE tenant_id = ? AND account_id = ? "
                        "AND msg_id = ? LIMIT 1"
                    ),
                    key,
                )
                row = cursor.fetchone()
                if row is not None:
                    return UUID(row[0])
        return None

    def report(
        self, tenant_id: UUID, account_id: UUID, msg_id: str, status: str, now: datetime
    ) -> None:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    f"INSERT INTO {REPORTS} (tenant_id, account_id, msg_id, status, reported_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, account_id, msg_id) "
                    "DO UPDATE SET status = excluded.status, reported_at = excluded.reported_at"
                ),
                (str(tenant_id), str(account_id), msg_id, status[:100], iso(now)),
            )

    def recipients(
        self, tenant_id: UUID, send_id: UUID, *, state: str | None, after: str, limit: int
    ) -> list[RecipientRow]:
        where = "r.tenant_id = ? AND r.send_id = ? AND r.openid > ?"
        params: list[Any] = [str(tenant_id), str(send_id), after]
        if state is not None:
            where += " AND r.state = ?"
            params.append(state)
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    "SELECT r.openid, r.state, r.detail, r.msg_id, COALESCE(p.status, '') "
                    f"FROM {RECIPIENTS} r LEFT JOIN {REPORTS} p ON p.tenant_id = r.tenant_id "
                    "AND p.account_id = r.account_id AND p.msg_id = r.msg_id AND r.msg_id <> '' "
                    f"WHERE {where} ORDER BY r.openid LIMIT ?"
                ),
                (*params, limit),
            )
            return [RecipientRow(*(str(v) for v in row)) for row in cursor.fetchall()]

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()


def _changes(settled: Settled) -> list[tuple[str, str, str, str]]:
    changes = [(o, SENT, "", settled.msg_ids.get(o, settled.msg_id)) for o in settled.sent]
    changes += [(o, FAILED, detail, "") for o, detail in settled.failed]
    changes += [(o, SKIPPED, detail, "") for o, detail in settled.skipped]
    return changes


def sqlite_send_ledger(var_dir: Path) -> SqlSendLedger:
    """Embedded mode: one file, one connection, `BEGIN IMMEDIATE` per transaction."""
    work = SqliteWorkFile(var_dir / SQLITE_FILE)
    ledger = SqlSendLedger(work.transaction, skip_locked=False, on_close=work.close)
    ledger.create_tables()
    return ledger


def postgres_send_ledger(datastore: Any, *, create_tables: bool) -> SqlSendLedger:
    """PostgreSQL: connections of the process's shared pool (the library's datastore)."""
    ledger = SqlSendLedger(postgres_transaction(datastore), skip_locked=True, placeholder="%s")
    if create_tables:
        ledger.create_tables()
    return ledger
