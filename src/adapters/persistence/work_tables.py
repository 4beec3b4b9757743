"""Transactions for the tables that hold work rather than facts (the send queue and
ledger, sent texts, access tokens): one SQLite file of their own in embedded mode, the
process's shared PostgreSQL pool otherwise. Both answer cursors whose rows are tuples,
with `?` placeholders on SQLite and `%s` on PostgreSQL (the tables' code rewrites)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

Transaction = Callable[..., AbstractContextManager[Any]]


class SqliteWorkFile:
    """One file, one connection shared by the process's threads (a lock per
    transaction); `transaction()` begins IMMEDIATE, so a writer in another process on
    the same file waits for it instead of failing half-way."""

    def __init__(self, path: Path, *, timeout: float = 10) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self, locking: bool = True) -> Iterator[sqlite3.Cursor]:
        """A transaction that commits when the block ends and rolls back on an error;
        `locking=False` only reads (BEGIN DEFERRED)."""
        with self._lock:
            cursor = self._db.cursor()
            cursor.execute("BEGIN IMMEDIATE" if locking else "BEGIN")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


def postgres_transaction(datastore: Any) -> Transaction:
    """Transactions on the library's datastore (the process's pool), with tuple rows."""

    @contextmanager
    def transaction(locking: bool = True) -> Iterator[TupleCursor]:
        with datastore.transaction(commit=True) as cursor:
            yield TupleCursor(cursor)

    return transaction


class TupleCursor:
    """The library's cursors answer dicts; the work tables read tuples."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(sql, rows)

    def copy_rows(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """`COPY … FROM STDIN` of `rows` (PostgreSQL only)."""
        with self._cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self._cursor.fetchone()
        return tuple(row.values()) if isinstance(row, dict) else row

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [
            tuple(row.values()) if isinstance(row, dict) else row for row in self._cursor.fetchall()
        ]

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)
