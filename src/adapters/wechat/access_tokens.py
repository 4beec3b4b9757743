"""The WeChat access_token cache, shared by every process through the database (WX-1).

WeChat hands out one access_token per account at a time (fetching a new one retires
the old one within minutes) and counts the fetches per day, so the token is fetched
once and kept in `wechat_access_tokens` for every process to read. A refresh happens
under a lock: in the process a lock per account (so waiting threads do not hold
database connections), across processes the account's row (PostgreSQL: the row
inserted first, then `SELECT … FOR UPDATE`; SQLite: `BEGIN IMMEDIATE`). After taking
the lock the cache is read again, so whoever waited uses the token the first one
fetched. Tokens are refreshed a little before WeChat's expiry and are kept encrypted
with the key that encrypts the events (a token is a credential for the account).
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from adapters.persistence.work_tables import SqliteWorkFile, postgres_transaction
from adapters.shared.clock import SystemClock
from application.shared.clock import Clock
from application.shared.views import iso, parse_iso

SQLITE_FILE = "wechat_access_tokens.sqlite"
TABLE = (
    "CREATE TABLE IF NOT EXISTS wechat_access_tokens ("
    "account_id TEXT PRIMARY KEY, token TEXT, expires_at TEXT)"
)
# WeChat's tokens live 7200 s; use them until 5 minutes before, so a call made just
# before expiry does not reach WeChat with a token that lapsed on the way.
DEFAULT_MARGIN = timedelta(minutes=5)

Cursor = Any
# A token and its lifetime in seconds, as WeChat's /cgi-bin/token answers them.
Fetch = Callable[[], tuple[str, int]]


@dataclass(frozen=True)
class CachedToken:
    token: str
    expires_at: datetime


class AccessTokenCache:
    """access_tokens by account over a connection source. `transaction(locking)` yields
    a cursor whose statements commit together; `locking` asks for a transaction that
    holds the write lock from its start (SQLite's `BEGIN IMMEDIATE`). On PostgreSQL
    (`row_lock`) the account's row is locked with `FOR UPDATE` instead."""

    def __init__(
        self,
        transaction: Callable[[bool], AbstractContextManager[Cursor]],
        cipher_key: str,
        *,
        row_lock: bool,
        placeholder: str = "?",
        clock: Clock | None = None,
        margin: timedelta = DEFAULT_MARGIN,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._transaction = transaction
        self._cipher = AESCipher(Environment(env={AESCipher.CIPHER_KEY: cipher_key}))
        self._row_lock = row_lock
        self._placeholder = placeholder
        self._clock = clock or SystemClock()
        self._margin = margin
        self._on_close = on_close
        self._locks: dict[UUID, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def create_tables(self) -> None:
        with self._transaction(True) as cursor:
            cursor.execute(TABLE)

    def token(self, account_id: UUID, fetch: Fetch, *, stale: str | None = None) -> str:
        """The account's current token, fetched (once for everyone) when there is none,
        it is about to expire, or it is `stale` (WeChat just refused it)."""
        with self._transaction(False) as cursor:
            cached = self._read(cursor, account_id, lock=False)
        if self._usable(cached, stale):
            return cached.token  # type: ignore[union-attr]
        with self._lock_for(account_id), self._transaction(True) as cursor:
            if self._row_lock:
                # The row must exist for FOR UPDATE to lock it; a second inserter waits
                # here until the first commits.
                cursor.execute(
                    self._sql(
                        "INSERT INTO wechat_access_tokens (account_id, token, expires_at) "
                        "VALUES (?, '', '') ON CONFLICT (account_id) DO NOTHING"
                    ),
                    (str(account_id),),
                )
            cached = self._read(cursor, account_id, lock=self._row_lock)
            if self._usable(cached, stale):
                return cached.token  # type: ignore[union-attr]
            token, expires_in = fetch()
            expires_at = self._clock.now() + timedelta(seconds=expires_in)
            cursor.execute(
                self._sql(
                    "INSERT INTO wechat_access_tokens (account_id, token, expires_at) "
                    "VALUES (?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET "
                    "token = excluded.token, expires_at = excluded.expires_at"
                ),
                (str(account_id), self._seal(token), iso(expires_at)),
            )
            return token

    def cached(self, account_id: UUID) -> CachedToken | None:
        """What the cache holds for the account (tests, diagnostics)."""
        with self._transaction(False) as cursor:
            return self._read(cursor, account_id, lock=False)

    def forget(self, account_id: UUID) -> None:
        """Drop the account's token (its secret changed or it was unbound)."""
        with self._transaction(True) as cursor:
            cursor.execute(
                self._sql("DELETE FROM wechat_access_tokens WHERE account_id = ?"),
                (str(account_id),),
            )

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()

    def _usable(self, cached: CachedToken | None, stale: str | None) -> bool:
        if cached is None or cached.token == stale:
            return False
        return cached.expires_at - self._margin > self._clock.now()

    def _read(self, cursor: Cursor, account_id: UUID, *, lock: bool) -> CachedToken | None:
        cursor.execute(
            self._sql(
                "SELECT token, expires_at FROM wechat_access_tokens WHERE account_id = ?"
                + (" FOR UPDATE" if lock else "")
            ),
            (str(account_id),),
        )
        row = cursor.fetchone()
        if row is None or not row[0] or not row[1]:
            return None  # none yet, or the placeholder of a refresh under way
        return CachedToken(self._open(row[0]), parse_iso(row[1]))

    def _lock_for(self, account_id: UUID) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(account_id, threading.Lock())

    def _seal(self, token: str) -> str:
        return base64.b64encode(self._cipher.encrypt(token.encode())).decode()

    def _open(self, sealed: str) -> str:
        return self._cipher.decrypt(base64.b64decode(sealed)).decode()

    def _sql(self, sql: str) -> str:
        return sql if self._placeholder == "?" else sql.replace("?", self._placeholder)


def sqlite_access_tokens(
    var_dir: Path, cipher_key: str, *, clock: Clock | None = None
) -> AccessTokenCache:
    """Embedded mode: one file under the var directory, one connection per cache; the
    `BEGIN IMMEDIATE` of a refresh also keeps out another process on the same file."""
    # A refresh holds the write lock for one HTTP call to WeChat: wait longer than that.
    work = SqliteWorkFile(var_dir / SQLITE_FILE, timeout=30)
    cache = AccessTokenCache(
        work.transaction, cipher_key, row_lock=False, clock=clock, on_close=work.close
    )
    cache.create_tables()
    return cache


def postgres_access_tokens(
    datastore: Any, cipher_key: str, *, create_tables: bool, clock: Clock | None = None
) -> AccessTokenCache:
    """PostgreSQL: connections of the process's shared pool (the library's datastore)."""
    cache = AccessTokenCache(
        postgres_transaction(datastore), cipher_key, row_lock=True, placeholder="%s", clock=clock
    )
    if create_tables:
        cache.create_tables()
    return cache
