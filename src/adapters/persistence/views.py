"""Read-model storage: the portable SQL of a read model run on SQLite or PostgreSQL,
always in the same transaction as the tracking row (exactly-once views)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL

from application.shared.views import ReadModel, Statement, View

_MARKER = "__migration__"  # the row in which the library records its table migrations


class BatchingView(View):
    """`write` and `rows` inside one open transaction while a batch runs (the worker's
    own view object is used by its thread only)."""

    _batch_cursor: Any = None
    _batch_tracking: Tracking | None = None

    @contextmanager
    def batch(self) -> Iterator[None]:
        with self.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            self._batch_cursor, self._batch_tracking = cursor, None
            try:
                with self._round_trips_saved(cursor):
                    yield
                # After the pipeline, in the same transaction: the library's tracking
                # insert fetches a result, which psycopg's pipeline mode now and then
                # answers with "the last operation didn't produce records".
                if self._batch_tracking is not None:
                    self._insert_tracking(cursor, self._batch_tracking)  # type: ignore[attr-defined]
            finally:
                self._batch_cursor = None

    def write(self, tracking: Tracking, statements: Sequence[Statement]) -> None:
        if self._batch_cursor is not None:
            self._execute(self._batch_cursor, statements)
            self._batch_tracking = tracking
            return
        with self.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            self._insert_tracking(cursor, tracking)  # type: ignore[attr-defined]
            self._execute(cursor, statements)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        if self._batch_cursor is not None:
            return self._query(self._batch_cursor, sql, params)
        with self.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            return self._query(cursor, sql, params)

    def _round_trips_saved(self, cursor: Any) -> AbstractContextManager[Any]:
        return nullcontext()

    def _recreate(self, tracking_table: str) -> None:
        """Empty tables and no position, in one transaction. The tracking table itself
        stays: the library's own table creation keeps migration state from when the view
        was opened, and re-running it after a drop fails on the second rebuild."""
        statements: list[Statement] = [
            (f"DROP TABLE IF EXISTS {t}", ()) for t in self.read_model.tables
        ]
        statements += [(sql, ()) for sql in self.read_model.create_statements()]
        # Every upstream's position, not the library's own migration marker.
        statements.append((f"DELETE FROM {tracking_table} WHERE application_name <> ?", (_MARKER,)))
        with self.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            self._execute(cursor, statements)

    def ensure_version(self) -> bool:
        """Empty the view when it was built by another version of its read model (its
        tables changed shape), so the runner replays it; answers whether it did. A view
        with positions but no recorded version was built by version 1."""
        name, version = self.read_model.name, self.read_model.version
        create = (
            "CREATE TABLE IF NOT EXISTS read_model_versions "
            "(name TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        with self.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            self._execute(cursor, [(create, ())])
            found = self._query(
                cursor, "SELECT version FROM read_model_versions WHERE name = ?", (name,)
            )
        if found:
            stored = int(found[0]["version"])
        else:
            stored = 1 if self.max_tracking_id_of_any() else version
        record = [
            ("DELETE FROM read_model_versions WHERE name = ?", (name,)),
            ("INSERT INTO read_model_versions (name, version) VALUES (?, ?)", (name, version)),
        ]
        if stored != version:
            self.reset()
        with self.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            self._execute(cursor, record)
        return stored != version

    def max_tracking_id_of_any(self) -> bool:
        raise NotImplementedError

    def _execute(self, cursor: Any, statements: Sequence[Statement]) -> None:
        raise NotImplementedError

    def _query(self, cursor: Any, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        raise NotImplementedError


class SQLiteView(BatchingView, SQLiteTrackingRecorder):
    """A read model's tables in its own SQLite file."""

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + self.read_model.create_statements()

    def _execute(self, cursor: Any, statements: Sequence[Statement]) -> None:
        for sql, params in statements:
            cursor.execute(sql, tuple(params))

    def _query(self, cursor: Any, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        cursor.execute(sql, tuple(params))
        names = [column[0] for column in cursor.sqlite_cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def reset(self) -> None:
        self._recreate("tracking")

    def max_tracking_id_of_any(self) -> bool:
        with self.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            return bool(
                self._query(
                    cursor,
                    "SELECT 1 AS n FROM tracking WHERE application_name <> ? LIMIT 1",
                    (_MARKER,),
                )
            )


class PostgresView(BatchingView, PostgresTrackingRecorder):
    """A read model's tables beside its `<name>_tracking` table in PostgreSQL."""

    dialect = "postgres"

    def _round_trips_saved(self, cursor: Any) -> AbstractContextManager[Any]:
        # Pipeline mode sends a batch's statements without waiting for each answer; a
        # query (`rows`) or the end of the batch waits for all of them.
        return cursor.connection.pipeline()  # type: ignore[no-any-return]

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements.extend(SQL(s) for s in self.read_model.create_statements())  # type: ignore[arg-type]

    def _execute(self, cursor: Any, statements: Sequence[Statement]) -> None:
        for sql, params in statements:
            cursor.execute(_postgres(sql), tuple(params))

    def _query(self, cursor: Any, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        cursor.execute(_postgres(sql), tuple(params))
        return [dict(row) for row in cursor.fetchall()]

    def reset(self) -> None:
        self._recreate(f"{self.datastore.schema}.{self.tracking_table_name}")

    def max_tracking_id_of_any(self) -> bool:
        table = f"{self.datastore.schema}.{self.tracking_table_name}"
        with self.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            return bool(
                self._query(
                    cursor,
                    f"SELECT 1 AS n FROM {table} WHERE application_name <> ? LIMIT 1",
                    (_MARKER,),
                )
            )


def _postgres(sql: str) -> Any:
    """Portable `?` placeholders as psycopg's `%s`."""
    return sql.replace("%", "%%").replace("?", "%s")


_VIEW_CLASSES: dict[tuple[type[ReadModel], bool], type[View]] = {}


def view_class_for(read_model: type[ReadModel], *, postgres: bool) -> type[View]:
    """The View class that stores `read_model` on the chosen database (one class per pair,
    so the library's factory can construct it by class)."""
    key = (read_model, postgres)
    if key not in _VIEW_CLASSES:
        base: type[View] = PostgresView if postgres else SQLiteView
        _VIEW_CLASSES[key] = type(
            f"{base.__name__}Of{read_model.__name__}", (base,), {"read_model": read_model}
        )
    return _VIEW_CLASSES[key]
