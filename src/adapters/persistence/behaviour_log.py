"""The behaviour log on PostgreSQL and on SQLite (DESIGN "Two kinds of facts", ADR 0013).

One append-only table of observations, tenant first, never updated. PostgreSQL: the
table is partitioned by the month of `received_at` and a batch is written with `COPY`
into a session-local staging table, then moved in one statement that drops message
ids the tenant already has. SQLite: one file, `executemany`.

Positions are the followers' notification ids, so they must become visible in order:
every append takes one transaction-scoped lock (an advisory lock on PostgreSQL, the
write lock of `BEGIN IMMEDIATE` on SQLite) before drawing positions, and holds it to
commit. A reader that has seen position N never later finds a committed row below N.

Each object is also an upstream for the follower runner: it has the `name`,
`recorder` (`select_notifications`, `max_notification_id`, `channel_name`) and
`mapper` (`to_domain_event`) that `catch_up` reads from an application.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from eventsourcing.cryptography import AESCipher
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import Environment

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.views import iso, parse_iso

CHANNEL = "huoke_behaviours"  # NOTIFY channel: the follower runner LISTENs on it
LOCK_KEY = 0x68756F6B65_01  # pg_advisory_xact_lock key of appends ("huoke" + 1)
COLUMNS = (
    "tenant_id",
    "received_at",
    "occurred_at",
    "kind",
    "channel",
    "name",
    "message_id",
    "anonymous_id",
    "user_id",
    "lead_id",
    "source_id",
    "request_id",
    "payload",
)

# Retention never forgets the session archive: archived messages and their alerts are a
# compliance record, immutable once stored (ARCH-1, ADR 0020); their ids stay claimed.
KEPT_KINDS = (BehaviourKind.ARCHIVE_MESSAGE.value, BehaviourKind.ARCHIVE_ALERT.value)
_KEPT = f"kind NOT IN ({', '.join(repr(kind) for kind in KEPT_KINDS)})"
_KEPT_IDS = "message_id NOT LIKE 'archive:%' AND message_id NOT LIKE 'archive-alert:%'"

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


@dataclass(frozen=True)
class StoredBehaviour:
    """A row as the log holds it: `id` is its position, `payload` still encrypted."""

    id: int
    row: tuple[Any, ...]  # the COLUMNS, in order


class _Codec:
    """Rows to and from `Behaviour`: properties and context encrypted together."""

    def __init__(self, cipher_key: str) -> None:
        self.cipher = AESCipher(Environment(env={"CIPHER_KEY": cipher_key}))

    def payload(self, behaviour: Behaviour) -> bytes:
        document = {"p": behaviour.properties, "c": behaviour.context}
        return self.cipher.encrypt(_encode(document))

    def behaviour(self, position: int, row: Sequence[Any]) -> Behaviour:
        (tenant_id, received, occurred, kind, channel, name, message_id, anonymous_id,
         user_id, lead_id, source_id, request_id, payload) = row  # fmt: skip
        document = _decode(self.cipher.decrypt(bytes(payload)))
        return Behaviour(
            tenant_id=_uuid(tenant_id),
            kind=kind,
            channel=channel,
            occurred_at=_moment(occurred),
            received_at=_moment(received),
            message_id=message_id,
            name=name,
            properties=document["p"],
            context=document["c"],
            anonymous_id=anonymous_id,
            user_id=user_id,
            lead_id=_uuid(lead_id) if lead_id is not None else None,
            source_id=source_id,
            request_id=request_id,
            position=position,
        )


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else parse_iso(value)


TENANT, RECEIVED, MESSAGE_ID = 0, 1, 6  # indexes in a row of COLUMNS
Row = tuple[Any, ...]  # one behaviour encoded for its database, in COLUMNS order


def _fresh(rows: Sequence[Row]) -> list[int]:
    """Indexes of the rows whose message id is not repeated earlier in the same batch."""
    seen: set[tuple[Any, str]] = set()
    kept = []
    for index, row in enumerate(rows):
        key = (row[TENANT], row[MESSAGE_ID])
        if key not in seen:
            seen.add(key)
            kept.append(index)
    return kept


class _Upstream:
    """What the follower runner reads from an upstream: itself as recorder and mapper."""

    name = BEHAVIOURS
    channel_name = CHANNEL
    codec: _Codec

    @property
    def recorder(self) -> _Upstream:
        return self

    @property
    def mapper(self) -> _Upstream:
        return self

    def append(self, behaviours: Sequence[Behaviour]) -> list[int]:
        return self.store(self.encode(behaviours))

    def encode(self, behaviours: Sequence[Behaviour]) -> list[Row]:
        """The rows as this database stores them, payload encrypted: done by the
        appending thread before the append lock is taken, so it overlaps other commits."""
        raise NotImplementedError

    def store(self, rows: Sequence[Row]) -> list[int]:
        """Append encoded rows in one transaction; answers each row's position (0 for a
        message id the tenant already had)."""
        raise NotImplementedError

    def to_domain_event(self, stored: StoredBehaviour) -> Behaviour:
        return self.codec.behaviour(stored.id, stored.row)

    def select_notifications(
        self, start: int | None, limit: int, *, inclusive_of_start: bool = True, **_: Any
    ) -> list[StoredBehaviour]:
        after = (start or 0) - (1 if inclusive_of_start else 0)
        return self._select_after(max(after, 0), limit)

    def behaviours_of(
        self, tenant_id: UUID, *, after: int = 0, limit: int = 100
    ) -> list[Behaviour]:
        return [self.to_domain_event(s) for s in self._select_after(after, limit, tenant_id)]

    def _select_after(
        self, after: int, limit: int, tenant_id: UUID | None = None
    ) -> list[StoredBehaviour]:
        raise NotImplementedError


# --- PostgreSQL ---------------------------------------------------------------------------

_PG_TABLES = """
CREATE SEQUENCE IF NOT EXISTS behaviour_positions;
CREATE TABLE IF NOT EXISTS behaviours (
    tenant_id uuid NOT NULL,
    position bigint NOT NULL DEFAULT nextval('behaviour_positions'),
    received_at timestamptz NOT NULL,
    occurred_at timestamptz NOT NULL,
    kind text NOT NULL,
    channel text NOT NULL,
    name text NOT NULL,
    message_id text NOT NULL,
    anonymous_id text,
    user_id text,
    lead_id uuid,
    source_id text NOT NULL,
    request_id text NOT NULL,
    payload bytea NOT NULL,
    PRIMARY KEY (tenant_id, position, received_at)
) PARTITION BY RANGE (received_at);
CREATE INDEX IF NOT EXISTS behaviours_position ON behaviours (position);
CREATE TABLE IF NOT EXISTS behaviours_default PARTITION OF behaviours DEFAULT;
CREATE TABLE IF NOT EXISTS behaviour_messages (
    tenant_id uuid NOT NULL,
    message_id text NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, message_id)
);
"""

_STAGED = ", ".join(COLUMNS)
_PG_KNOWN = (
    "SELECT tenant_id, message_id FROM behaviour_messages "
    "WHERE (tenant_id, message_id) IN (SELECT * FROM unnest(%s::uuid[], %s::text[]))"
)


def month_start(moment: datetime) -> datetime:
    utc = moment.astimezone(UTC)
    return datetime(utc.year, utc.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


class PostgresBehaviourLog(_Upstream):
    """The log in PostgreSQL, on the process's shared pool."""

    def __init__(self, datastore: PostgresDatastore, cipher_key: str) -> None:
        self.datastore = datastore
        self.codec = _Codec(cipher_key)
        self._months: set[datetime] = set()
        self._months_lock = threading.Lock()

    def create_tables(self, *, now: datetime) -> None:
        """The table, its default partition and this and next month's partitions."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(_PG_TABLES)
            this_month = month_start(now)
            for month in (this_month, next_month(this_month)):
                self._create_partition(cursor, month)

    def encode(self, behaviours: Sequence[Behaviour]) -> list[Row]:
        payload = self.codec.payload
        return [
            (b.tenant_id, b.received_at, b.occurred_at, b.kind, b.channel, b.name,
             b.message_id, b.anonymous_id, b.user_id, b.lead_id, b.source_id, b.request_id,
             payload(b))
            for b in behaviours
        ]  # fmt: skip

    def store(self, rows: Sequence[Row]) -> list[int]:
        """Two COPYs under the append lock: the message ids first (a repeat makes that
        COPY fail, and only then are the repeats looked up and left out), then the rows,
        whose positions the sequence gives in COPY order."""
        positions = [0] * len(rows)
        if not rows:
            return positions
        kept = _fresh(rows)
        months = {month_start(rows[i][RECEIVED]) for i in kept}
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            for month in months - self._months:
                self._create_partition(cursor, month)
            kept = self._claim_message_ids(cursor, rows, kept)
            if not kept:
                return positions
            with cursor.copy(f"COPY behaviours ({_STAGED}) FROM STDIN") as copy:
                for index in kept:
                    copy.write_row(rows[index])
            cursor.execute(f"SELECT currval('behaviour_positions') AS last; NOTIFY {CHANNEL}")
            row = cursor.fetchone()
        # Under the lock nobody else draws from the sequence: the rows' positions are
        # consecutive, in COPY order.
        first = row["last"] - len(kept) + 1
        for offset, index in enumerate(kept):
            positions[index] = first + offset
        return positions

    @staticmethod
    def _claim_message_ids(cursor: Any, rows: Sequence[Row], kept: list[int]) -> list[int]:
        """Record the batch's message ids; answers the rows whose ids were new."""
        columns = "COPY behaviour_messages (tenant_id, message_id, received_at) FROM STDIN"
        try:
            with cursor.connection.transaction(), cursor.copy(columns) as copy:
                for index in kept:
                    row = rows[index]
                    copy.write_row((row[TENANT], row[MESSAGE_ID], row[RECEIVED]))
            return kept
        except psycopg.errors.UniqueViolation:
            pass  # a sender's retry: find the repeats, claim the rest
        cursor.execute(
            _PG_KNOWN, ([rows[i][TENANT] for i in kept], [rows[i][MESSAGE_ID] for i in kept])
        )
        known = {(row["tenant_id"], row["message_id"]) for row in cursor.fetchall()}
        fresh = [i for i in kept if (rows[i][TENANT], rows[i][MESSAGE_ID]) not in known]
        if fresh:
            with cursor.copy(columns) as copy:
                for index in fresh:
                    row = rows[index]
                    copy.write_row((row[TENANT], row[MESSAGE_ID], row[RECEIVED]))
        return fresh

    def _create_partition(self, cursor: Any, month: datetime) -> None:
        name = f"behaviours_{month:%Y_%m}"
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL AS found", (name,))
        row = cursor.fetchone()
        if not (row and row["found"]):
            start, end = month.isoformat(), next_month(month).isoformat()  # our own values
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF behaviours "
                f"FOR VALUES FROM ('{start}') TO ('{end}')"
            )
        with self._months_lock:
            self._months.add(month)

    def max_notification_id(self) -> int | None:
        with self.datastore.transaction() as cursor:
            cursor.execute("SELECT max(position) AS head FROM behaviours")
            row = cursor.fetchone()
        return row["head"] if row else None

    def _select_after(
        self, after: int, limit: int, tenant_id: UUID | None = None
    ) -> list[StoredBehaviour]:
        where, params = "position > %s", [after]
        if tenant_id is not None:
            where, params = "tenant_id = %s AND position > %s", [tenant_id, after]
        with self.datastore.transaction() as cursor:
            cursor.execute(
                f"SELECT position, {_STAGED} FROM behaviours WHERE {where} "
                "ORDER BY position LIMIT %s",
                (*params, limit),
            )
            rows = cursor.fetchall()
        return [StoredBehaviour(r["position"], tuple(r[c] for c in COLUMNS)) for r in rows]

    def forget_before(self, tenant_id: UUID, before: datetime) -> int:
        """Delete the tenant's rows received before `before` (retention), the archive's
        kept; answers how many."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"DELETE FROM behaviours WHERE tenant_id = %s AND received_at < %s AND {_KEPT}",
                (tenant_id, before),
            )
            deleted = cursor.rowcount
            cursor.execute(
                "DELETE FROM behaviour_messages WHERE tenant_id = %s AND received_at < %s "
                f"AND {_KEPT_IDS.replace('%', '%%')}",
                (tenant_id, before),
            )
        return deleted

    def close(self) -> None:
        """The pool belongs to the process."""


# --- SQLite -------------------------------------------------------------------------------

_SQLITE_TABLES = """
CREATE TABLE IF NOT EXISTS behaviours (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    name TEXT NOT NULL,
    message_id TEXT NOT NULL,
    anonymous_id TEXT,
    user_id TEXT,
    lead_id TEXT,
    source_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS behaviours_tenant ON behaviours (tenant_id, position);
CREATE TABLE IF NOT EXISTS behaviour_messages (
    tenant_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, message_id)
) WITHOUT ROWID;
"""


class SQLiteBehaviourLog(_Upstream):
    """The log in one SQLite file (`<var>/behaviours.sqlite`), one connection per thread."""

    def __init__(self, path: Path, cipher_key: str) -> None:
        self.path = path
        self.codec = _Codec(cipher_key)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def create_tables(self, *, now: datetime) -> None:
        self._connection().executescript(_SQLITE_TABLES)

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(_SQLITE_TABLES)
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def encode(self, behaviours: Sequence[Behaviour]) -> list[Row]:
        payload = self.codec.payload
        return [
            (str(b.tenant_id), iso(b.received_at), iso(b.occurred_at), b.kind, b.channel,
             b.name, b.message_id, b.anonymous_id, b.user_id,
             str(b.lead_id) if b.lead_id else None, b.source_id, b.request_id, payload(b))
            for b in behaviours
        ]  # fmt: skip

    def store(self, rows: Sequence[Row]) -> list[int]:
        positions = [0] * len(rows)
        if not rows:
            return positions
        connection = self._connection()
        with _immediate(connection):
            known = self._known(connection, rows)
            kept = [i for i in _fresh(rows) if (rows[i][TENANT], rows[i][MESSAGE_ID]) not in known]
            if not kept:
                return positions
            marks = ", ".join("?" * len(COLUMNS))
            connection.executemany(
                f"INSERT INTO behaviours ({_STAGED}) VALUES ({marks})", [rows[i] for i in kept]
            )
            connection.executemany(
                "INSERT INTO behaviour_messages (tenant_id, message_id, received_at) "
                "VALUES (?, ?, ?)",
                [(rows[i][TENANT], rows[i][MESSAGE_ID], rows[i][RECEIVED]) for i in kept],
            )
            (last,) = connection.execute("SELECT last_insert_rowid()").fetchone()
        # One writer under the write lock: the batch's rowids are consecutive.
        first = last - len(kept) + 1
        for offset, index in enumerate(kept):
            positions[index] = first + offset
        return positions

    @staticmethod
    def _known(connection: sqlite3.Connection, rows: Sequence[Row]) -> set[tuple[str, str]]:
        """The (tenant, message id) pairs of `rows` already stored."""
        known: set[tuple[str, str]] = set()
        by_tenant: dict[str, list[str]] = {}
        for row in rows:
            by_tenant.setdefault(row[TENANT], []).append(row[MESSAGE_ID])
        for tenant, ids in by_tenant.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                for (message_id,) in connection.execute(
                    f"SELECT message_id FROM behaviour_messages "
                    f"WHERE tenant_id = ? AND message_id IN ({marks})",
                    (tenant, *chunk),
                ):
                    known.add((tenant, message_id))
        return known

    def max_notification_id(self) -> int | None:
        (head,) = self._connection().execute("SELECT max(position) FROM behaviours").fetchone()
        return head

    def _select_after(
        self, after: int, limit: int, tenant_id: UUID | None = None
    ) -> list[StoredBehaviour]:
        where, params = "position > ?", [after]
        if tenant_id is not None:
            where, params = "tenant_id = ? AND position > ?", [str(tenant_id), after]
        rows = self._connection().execute(
            f"SELECT position, {_STAGED} FROM behaviours WHERE {where} ORDER BY position LIMIT ?",
            (*params, limit),
        )
        return [StoredBehaviour(r[0], tuple(r[1:])) for r in rows]

    def forget_before(self, tenant_id: UUID, before: datetime) -> int:
        connection = self._connection()
        with _immediate(connection):
            deleted = connection.execute(
                f"DELETE FROM behaviours WHERE tenant_id = ? AND received_at < ? AND {_KEPT}",
                (str(tenant_id), iso(before)),
            ).rowcount
            connection.execute(
                "DELETE FROM behaviour_messages WHERE tenant_id = ? AND received_at < ? "
                f"AND {_KEPT_IDS}",
                (str(tenant_id), iso(before)),
            )
        return deleted

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()


class _immediate:
    """`BEGIN IMMEDIATE` … `COMMIT` (rolled back on error): the write lock for the batch."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, kind: object, *_: object) -> None:
        self.connection.execute("ROLLBACK" if kind is not None else "COMMIT")


def rows_of(log: _Upstream, after: int = 0, limit: int = 1000) -> Iterator[Behaviour]:
    """Every behaviour after `after`, oldest first (for tests and tools)."""
    while batch := log.select_notifications(after, limit, inclusive_of_start=False):
        for stored in batch:
            yield log.to_domain_event(stored)
        after = batch[-1].id
