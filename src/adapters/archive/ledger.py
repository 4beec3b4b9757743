"""Each tenant's archive cursor (ARCH-1, ADR 0020): one row per tenant in a work table,
`archive_ingestion`, on SQLite (embedded: `var/archive_ingestion.sqlite`) and on the
process's PostgreSQL pool.

The row is written after the batch it covers is in the behaviour log, in one upsert
that never moves the cursor back (`max`/`GREATEST` of the stored and the new seq), so
a pull that finishes after a newer one, or one repeated after a crash, leaves it where
the furthest stored batch put it. Times are fixed-width ISO-8601 UTC text.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.persistence.work_tables import SqliteWorkFile, postgres_transaction
from application.archive.ports import IngestionState
from application.shared.views import iso, parse_iso

SQLITE_FILE = "archive_ingestion.sqlite"
TABLE = "archive_ingestion"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (tenant_id TEXT NOT NULL PRIMARY KEY, "
    "seq BIGINT NOT NULL, stored BIGINT NOT NULL, undecryptable BIGINT NOT NULL, "
    "alerts BIGINT NOT NULL, pulls BIGINT NOT NULL, last_pull_at TEXT, "
    "last_error TEXT NOT NULL, last_error_at TEXT)"
)
MAX_ERROR = 500
_COLUMNS = "seq, stored, undecryptable, alerts, pulls, last_pull_at, last_error, last_error_at"


class SqlIngestionLedger:
    """The `IngestionLedger` over a connection source; `greatest` is the dialect's
    two-argument maximum."""

    def __init__(
        self,
        transaction: Callable[[], AbstractContextManager[Any]],
        *,
        placeholder: str,
        greatest: str,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._transaction = transaction
        self._p = placeholder
        self._greatest = greatest
        self._on_close = on_close

    def create_tables(self) -> None:
        with self._transaction() as cursor:
            cursor.execute(CREATE)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", self._p)

    def state(self, tenant_id: UUID) -> IngestionState:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(f"SELECT {_COLUMNS} FROM {TABLE} WHERE tenant_id = ?"),
                (str(tenant_id),),
            )
            row = cursor.fetchone()
        return _state(row)

    def advance(
        self, tenant_id: UUID, *, seq: int, stored: int, undecryptable: int, alerts: int,
        at: datetime,
    ) -> IngestionState:  # fmt: skip
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    f"INSERT INTO {TABLE} (tenant_id, {_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, 1, ?, '', NULL) "
                    "ON CONFLICT (tenant_id) DO UPDATE SET "
                    f"seq = {self._greatest}({TABLE}.seq, excluded.seq), "
                    f"stored = {TABLE}.stored + excluded.stored, "
                    f"undecryptable = {TABLE}.undecryptable + excluded.undecryptable, "
                    f"alerts = {TABLE}.alerts + excluded.alerts, "
                    f"pulls = {TABLE}.pulls + 1, last_pull_at = excluded.last_pull_at, "
                    "last_error = '', last_error_at = NULL"
                ),
                (str(tenant_id), seq, stored, undecryptable, alerts, iso(at)),
            )
            cursor.execute(
                self._sql(f"SELECT {_COLUMNS} FROM {TABLE} WHERE tenant_id = ?"),
                (str(tenant_id),),
            )
            row = cursor.fetchone()
        return _state(row)

    def failed(self, tenant_id: UUID, *, error: str, at: datetime) -> None:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    f"INSERT INTO {TABLE} (tenant_id, {_COLUMNS}) "
                    "VALUES (?, 0, 0, 0, 0, 0, NULL, ?, ?) "
                    "ON CONFLICT (tenant_id) DO UPDATE SET "
                    "last_error = excluded.last_error, last_error_at = excluded.last_error_at"
                ),
                (str(tenant_id), error[:MAX_ERROR], iso(at)),
            )

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()


def _state(row: Any) -> IngestionState:
    if row is None:
        return IngestionState()
    seq, stored, undecryptable, alerts, pulls, pulled, error, failed = row
    return IngestionState(
        seq=int(seq),
        stored=int(stored),
        undecryptable=int(undecryptable),
        alerts=int(alerts),
        pulls=int(pulls),
        last_pull_at=parse_iso(pulled) if pulled else None,
        last_error=str(error or ""),
        last_error_at=parse_iso(failed) if failed else None,
    )


def sqlite_ingestion_ledger(var_dir: Path) -> SqlIngestionLedger:
    """Embedded mode: a file of its own, `BEGIN IMMEDIATE` per transaction."""
    work = SqliteWorkFile(var_dir / SQLITE_FILE)
    ledger = SqlIngestionLedger(
        work.transaction, placeholder="?", greatest="max", on_close=work.close
    )
    ledger.create_tables()
    return ledger


def postgres_ingestion_ledger(datastore: Any, *, create_tables: bool) -> SqlIngestionLedger:
    """PostgreSQL: connections of the process's shared pool (`huoke db migrate` makes
    the table when the process may not)."""
    ledger = SqlIngestionLedger(
        postgres_transaction(datastore), placeholder="%s", greatest="GREATEST"
    )
    if create_tables:
        ledger.create_tables()
    return ledger
