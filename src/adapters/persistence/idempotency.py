"""Where idempotency keys and first answers are kept (ADR 0008): one SQLite file under the
var directory, or the `idempotency_keys` table of the PostgreSQL database.

Answers carry personal data (a lead's mobile, a contact's name), so their bodies are
encrypted with the key that encrypts the events.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import Cipher
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import Environment
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import ConnectionPool

from adapters.persistence.storage import Storage
from application.shared.idempotency import (
    Claim,
    IdempotencyStore,
    KeyRecord,
    Outcome,
    StoredAnswer,
    decide,
)

ConnectionSource = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]
SQLITE_FILE = "idempotency.sqlite"


def build_idempotency_store(
    storage: Storage, shared: PostgresDatastore | None = None
) -> IdempotencyStore:
    """The store for `storage`'s backend. On PostgreSQL it borrows connections from the
    process's one pool (`shared`); without one (migrations, tests) it opens a tiny pool
    of its own."""
    cipher = AESCipher(Environment(env={AESCipher.CIPHER_KEY: storage.cipher_key}))
    if storage.database_url is None:
        storage.var_dir.mkdir(parents=True, exist_ok=True)
        return SQLiteIdempotencyStore(storage.var_dir / SQLITE_FILE, cipher)
    if shared is not None:
        store = PostgresIdempotencyStore(_tuple_rows(shared), cipher)
    else:
        pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            storage.database_url,
            min_size=1,
            max_size=2,
            kwargs={"autocommit": True, "connect_timeout": 10},
            name="huoke-idempotency",
            open=True,
        )
        store = PostgresIdempotencyStore(pool.connection, cipher, on_close=pool.close)
    if storage.create_tables:
        store.create_table()
    return store


def _tuple_rows(datastore: PostgresDatastore) -> ConnectionSource:
    """Connections of the shared pool (autocommit, like the store's own), answering rows
    as tuples while this store holds them (the library's pool answers dicts)."""

    @contextmanager
    def connect() -> Iterator[psycopg.Connection[Any]]:
        with datastore.get_connection() as connection:
            connection.row_factory = tuple_row  # type: ignore[assignment]
            try:
                yield connection  # type: ignore[misc]
            finally:
                connection.row_factory = dict_row  # type: ignore[assignment]

    return connect


def create_idempotency_table(storage: Storage) -> str:
    """`huoke db migrate`: create the key table (SQLite: the file) and name it."""
    build_idempotency_store(replace(storage, create_tables=True)).close()
    return "idempotency_keys"


def _headers_json(headers: tuple[tuple[str, str], ...]) -> str:
    return json.dumps([list(pair) for pair in headers])


def _headers_from(text: str | list[Any]) -> tuple[tuple[str, str], ...]:
    pairs = json.loads(text) if isinstance(text, str) else text
    return tuple((str(name), str(value)) for name, value in pairs)


class SQLiteIdempotencyStore:
    """Embedded mode: one file, one connection; `BEGIN IMMEDIATE` makes a claim atomic
    (also against another process on the same file)."""

    def __init__(self, path: Path, cipher: Cipher) -> None:
        self.cipher = cipher
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL without a flush per commit survives a crash of the process, not of the
        # machine; a lost key costs a rerun that the key-derived ids keep harmless.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self.create_table()

    def create_table(self) -> None:
        with self._lock:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS idempotency_keys ("
                "scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
                "claim TEXT NOT NULL, claimed_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, "
                "status INTEGER, headers TEXT, body BLOB, PRIMARY KEY (scope, key))"
            )
            self._db.execute(
                "CREATE INDEX IF NOT EXISTS idempotency_keys_expiry "
                "ON idempotency_keys (expires_at)"
            )

    def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        *,
        attempt: str,
        now: datetime,
        expires_at: datetime,
        stale_before: datetime,
    ) -> Claim:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT fingerprint, claim, claimed_at, expires_at, status, headers, body "
                    "FROM idempotency_keys WHERE scope = ? AND key = ?",
                    (scope, key),
                ).fetchone()
                existing = self._record(row) if row else None
                outcome = decide(existing, fingerprint, now=now, stale_before=stale_before)
                if outcome is Outcome.RUN:
                    self._db.execute(
                        "INSERT OR REPLACE INTO idempotency_keys "
                        "(scope, key, fingerprint, claim, claimed_at, expires_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (scope, key, fingerprint, attempt, _micros(now), _micros(expires_at)),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        if outcome is Outcome.RUN:
            return Claim(outcome, scope, key, attempt=attempt)
        answer = existing.answer if existing and outcome is Outcome.REPLAY else None
        return Claim(outcome, scope, key, answer=answer)

    def renew(self, scope: str, key: str, attempt: str, now: datetime) -> bool:
        return self._change(
            "UPDATE idempotency_keys SET claimed_at = ? "
            "WHERE scope = ? AND key = ? AND claim = ? AND status IS NULL",
            (_micros(now), scope, key, attempt),
        )

    def keep(self, scope: str, key: str, attempt: str, answer: StoredAnswer) -> bool:
        return self._change(
            "UPDATE idempotency_keys SET status = ?, headers = ?, body = ? "
            "WHERE scope = ? AND key = ? AND claim = ? AND status IS NULL",
            (
                answer.status,
                _headers_json(answer.headers),
                self.cipher.encrypt(answer.body),
                scope,
                key,
                attempt,
            ),
        )

    def release(self, scope: str, key: str, attempt: str) -> None:
        self._change(
            "DELETE FROM idempotency_keys "
            "WHERE scope = ? AND key = ? AND claim = ? AND status IS NULL",
            (scope, key, attempt),
        )

    def purge(self, now: datetime) -> int:
        with self._lock:
            return self._db.execute(
                "DELETE FROM idempotency_keys WHERE expires_at <= ?", (_micros(now),)
            ).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _change(self, sql: str, parameters: tuple[Any, ...]) -> bool:
        with self._lock:
            return self._db.execute(sql, parameters).rowcount == 1

    def _record(self, row: tuple[Any, ...]) -> KeyRecord:
        fingerprint, claim, claimed_at, expires_at, status, headers, body = row
        answer = None
        if status is not None:
            answer = StoredAnswer(status, _headers_from(headers), self.cipher.decrypt(body))
        return KeyRecord(
            fingerprint, claim, _from_micros(claimed_at), _from_micros(expires_at), answer
        )


class PostgresIdempotencyStore:
    """PostgreSQL: the `idempotency_keys` table, scope first in its key (a tenant, or a
    staff member), so it shards by tenant like everything else.

    `connect` is the process's connection source, e.g. a psycopg_pool pool's
    `connection`; `on_close` frees what belongs to this store alone."""

    def __init__(
        self,
        connect: ConnectionSource,
        cipher: Cipher,
        *,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.connect = connect
        self.cipher = cipher
        self.on_close = on_close

    def create_table(self) -> None:
        """Create the table and its expiry index (`huoke db migrate`)."""
        with self.connect() as connection, connection.transaction():
            connection.execute(
                "CREATE TABLE IF NOT EXISTS idempotency_keys ("
                "scope text NOT NULL, key text NOT NULL, fingerprint text NOT NULL, "
                "claim text NOT NULL, claimed_at timestamptz NOT NULL, "
                "expires_at timestamptz NOT NULL, status integer, headers jsonb, body bytea, "
                "PRIMARY KEY (scope, key))"
            )
            connection.execute(
                "CREATE INDEX IF NOT EXISTS idempotency_keys_expiry "
                "ON idempotency_keys (expires_at)"
            )

    def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        *,
        attempt: str,
        now: datetime,
        expires_at: datetime,
        stale_before: datetime,
    ) -> Claim:
        with self.connect() as connection:
            for _ in range(3):  # lost a race for the row (taken over, purged): look again
                with connection.transaction():
                    _relaxed(connection)
                    inserted = connection.execute(
                        "INSERT INTO idempotency_keys "
                        "(scope, key, fingerprint, claim, claimed_at, expires_at) "
                        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (scope, key) DO NOTHING",
                        (scope, key, fingerprint, attempt, now, expires_at),
                    ).rowcount
                    if inserted:
                        return Claim(Outcome.RUN, scope, key, attempt=attempt)
                    # No row lock: a replay, a reuse or a running twin is answered from one
                    # read; only taking a key over writes, and only if nobody did first.
                    row = connection.execute(
                        "SELECT fingerprint, claim, claimed_at, expires_at, status, headers, "
                        "body FROM idempotency_keys WHERE scope = %s AND key = %s",
                        (scope, key),
                    ).fetchone()
                    if row is None:
                        continue
                    existing = self._record(row)
                    outcome = decide(existing, fingerprint, now=now, stale_before=stale_before)
                    if outcome is not Outcome.RUN:
                        answer = existing.answer if outcome is Outcome.REPLAY else None
                        return Claim(outcome, scope, key, answer=answer)
                    taken = connection.execute(
                        "UPDATE idempotency_keys SET fingerprint = %s, claim = %s, "
                        "claimed_at = %s, expires_at = %s, status = NULL, headers = NULL, "
                        "body = NULL WHERE scope = %s AND key = %s AND claim = %s",
                        (fingerprint, attempt, now, expires_at, scope, key, existing.claim),
                    ).rowcount
                    if taken:
                        return Claim(outcome, scope, key, attempt=attempt)
        raise RuntimeError(f"idempotency key {key!r} changed hands too often while claimed")

    def renew(self, scope: str, key: str, attempt: str, now: datetime) -> bool:
        return self._change(
            "UPDATE idempotency_keys SET claimed_at = %s "
            "WHERE scope = %s AND key = %s AND claim = %s AND status IS NULL",
            (now, scope, key, attempt),
        )

    def keep(self, scope: str, key: str, attempt: str, answer: StoredAnswer) -> bool:
        return self._change(
            "UPDATE idempotency_keys SET status = %s, headers = %s, body = %s "
            "WHERE scope = %s AND key = %s AND claim = %s AND status IS NULL",
            (
                answer.status,
                _headers_json(answer.headers),
                self.cipher.encrypt(answer.body),
                scope,
                key,
                attempt,
            ),
        )

    def release(self, scope: str, key: str, attempt: str) -> None:
        self._change(
            "DELETE FROM idempotency_keys "
            "WHERE scope = %s AND key = %s AND claim = %s AND status IS NULL",
            (scope, key, attempt),
        )

    def purge(self, now: datetime) -> int:
        with self.connect() as connection, connection.transaction():
            _relaxed(connection)
            return connection.execute(
                "DELETE FROM idempotency_keys WHERE expires_at <= %s", (now,)
            ).rowcount

    def close(self) -> None:
        if self.on_close is not None:
            self.on_close()

    def _change(self, sql: str, parameters: tuple[Any, ...]) -> bool:
        with self.connect() as connection, connection.transaction():
            _relaxed(connection)
            return connection.execute(sql, parameters).rowcount == 1

    def _record(self, row: tuple[Any, ...]) -> KeyRecord:
        fingerprint, claim, claimed_at, expires_at, status, headers, body = row
        answer = None
        if status is not None:
            answer = StoredAnswer(status, _headers_from(headers), self.cipher.decrypt(bytes(body)))
        return KeyRecord(fingerprint, claim, claimed_at, expires_at, answer)


def _relaxed(connection: psycopg.Connection[Any]) -> None:
    """Commit without waiting for the disk (this transaction only, so a shared connection
    keeps its settings). A crash of the database machine may lose the last few keys; a
    retry then runs again and the key-derived ids of new records still keep it from
    duplicating them (ADR 0008), which is worth two flushes less on every keyed POST."""
    connection.execute("SET LOCAL synchronous_commit TO OFF")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    """SQLite keeps times as integer microseconds since 1970 (ordered, exact)."""
    return (moment - _EPOCH) // _MICROSECOND


def _from_micros(value: int) -> datetime:
    return _EPOCH + value * _MICROSECOND
