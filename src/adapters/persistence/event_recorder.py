"""The PostgreSQL events recorder of every application: one round trip per batch.

The group-commit writer (application/shared/writer.py) is the only caller of
`insert_events` on the command path, and it is serial per application: while one
batch is being stored, the next one waits. So every client-side microsecond and every
network round trip of that call is paid once per batch by every queued command. The
library's call takes several round trips in pipeline mode (lock timeout, table lock,
NOTIFY and INSERT, a sync to surface conflicts, then COMMIT), dumps the rows as an
array of a composite type in Python, and under concurrent load its thread waits for
the interpreter lock after each of them (`bench/event_store.py`, "the DB call").

This recorder sends the same transaction as one simple query with the values bound
on the client: `BEGIN; SET LOCAL lock_timeout; LOCK TABLE … IN EXCLUSIVE MODE;
NOTIFY; INSERT … VALUES … RETURNING notification_id; COMMIT`. The table lock, the
lock timeout and the notification are exactly the library's, so readers still never
pass over a gap (ADR 0002); a conflict still raises the library's `IntegrityError`
and stores nothing (ADR 0009).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import ClientCursor, sql
from psycopg.pq import TransactionStatus

MAX_CACHED_STATEMENTS = 64  # one per batch size seen; batches are rarely larger


class OneTripPostgresRecorder(PostgresApplicationRecorder):
    """`PostgresApplicationRecorder` whose `insert_events` is one round trip."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = sql.Identifier(self.datastore.schema, self.events_table_name)
        self._head = sql.SQL(
            "BEGIN; SET LOCAL lock_timeout = '{timeout}s'; LOCK TABLE {table} IN EXCLUSIVE MODE;"
            " NOTIFY {channel}; INSERT INTO {table}"
            " (originator_id, originator_version, topic, state) VALUES "
        ).format(
            timeout=sql.SQL(str(int(self.datastore.lock_timeout))),
            table=table,
            channel=sql.Identifier(self.channel_name),
        )
        self._statements: dict[int, str] = {}

    def _statement(self, connection: psycopg.Connection[Any], rows: int) -> str:
        statement = self._statements.get(rows)
        if statement is None:
            values = sql.SQL(", ").join([sql.SQL("(%s, %s, %s, %s)")] * rows)
            composed = self._head + values + sql.SQL(" RETURNING notification_id; COMMIT")
            statement = composed.as_string(connection)
            if len(self._statements) < MAX_CACHED_STATEMENTS:
                self._statements[rows] = statement
        return statement

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if kwargs or self.datastore.enable_db_functions:
            library: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return library
        if not stored_events:
            return []
        ids: list[int] = self._insert_in_one_trip(stored_events)
        return ids

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as the library
    def _insert_in_one_trip(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        params: list[Any] = []
        for event in stored_events:
            params += (event.originator_id, event.originator_version, event.topic, event.state)
        with self.datastore.get_connection() as connection:
            cursor = ClientCursor(connection)
            try:
                cursor.execute(self._statement(connection, len(stored_events)), params)
            except psycopg.IntegrityError as error:
                connection.execute("ROLLBACK")
                raise IntegrityError(str(error)) from error
            except BaseException:
                if connection.info.transaction_status == TransactionStatus.INERROR:
                    connection.execute("ROLLBACK")
                raise
            # One result per statement: BEGIN, SET, LOCK, NOTIFY, then the INSERT's ids.
            while not (cursor.statusmessage or "").startswith("INSERT"):
                if not cursor.nextset():
                    raise IntegrityError("the insert returned no notification ids")
            return [row["notification_id"] for row in cursor.fetchall()]
