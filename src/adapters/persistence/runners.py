"""Running read models: one guarded, self-restarting runner per view, and rebuilds."""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.projection import ProjectionRunner
from psycopg.sql import SQL, Identifier

from adapters.persistence.storage import Storage
from adapters.persistence.views import view_class_for
from application.shared.event_sourced import EventSourcedContext
from application.shared.views import ReadModel, View

log = logging.getLogger("huoke.projections")
RESTART_DELAY_SECONDS = 1.0
BATCH = 500  # events per view transaction
POLL_SECONDS = 0.05  # SQLite has no NOTIFY: how often to look for new events
LISTEN_SECONDS = 0.5  # PostgreSQL: longest wait for a NOTIFY before looking anyway


class Guard(Protocol):
    def acquire(self) -> bool: ...
    def release(self) -> None: ...


class FileGuard:
    """Only one process runs a view: an exclusive lock on `<var>/view-<name>.lock`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: Any = None

    def acquire(self) -> bool:
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class AdvisoryLockGuard:
    """Only one process runs a view: a PostgreSQL session advisory lock on its name."""

    def __init__(self, database_url: str, name: str) -> None:
        self.database_url = database_url
        self.name = name
        self._connection: psycopg.Connection[Any] | None = None

    def acquire(self) -> bool:
        connection = psycopg.connect(self.database_url, autocommit=True)
        row = connection.execute(
            "SELECT pg_try_advisory_lock(hashtext(%s))", (f"huoke-view:{self.name}",)
        ).fetchone()
        if row and row[0]:
            self._connection = connection
            return True
        connection.close()
        return False

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()  # closing the session releases the lock
            self._connection = None


def guard_for(storage: Storage, name: str) -> Guard:
    if storage.database_url is not None:
        return AdvisoryLockGuard(storage.database_url, name)
    return FileGuard(storage.var_dir / f"view-{name}.lock")


class ProjectionWorker:
    """Keeps one read model up to date in a background thread: waits for its guard, then
    applies new events in batches (one view transaction per batch, tracking included,
    so a batch is applied exactly once) and sleeps until the events table says there is
    more: LISTEN/NOTIFY on PostgreSQL, polling on SQLite. Any error restarts it; it
    resumes from the view's tracking position, so nothing is skipped or applied twice."""

    def __init__(self, read_model: type[ReadModel], storage: Storage, env: dict[str, str]):
        self.read_model = read_model
        self.storage = storage
        # Tables exist by now (`huoke db migrate`, or Runtime.start in embedded mode);
        # runners creating them at once race in PostgreSQL's catalog.
        self.env = {**env, "CREATE_TABLE": "n"}
        self.guard = guard_for(storage, read_model.name)
        self.failures = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"projection-{read_model.name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                held = self.guard.acquire()
            except Exception:  # e.g. the database is down: try again later, never give up
                log.exception("projection %s cannot take its guard", self.read_model.name)
                held = False
            if not held:
                self._stopping.wait(RESTART_DELAY_SECONDS)  # or another process runs it
                continue
            try:
                self._follow()
            except Exception:
                self.failures += 1
                log.exception("projection %s failed; restarting", self.read_model.name)
                self._stopping.wait(RESTART_DELAY_SECONDS)
            finally:
                self.guard.release()

    def _follow(self) -> None:
        application = reader_of(self.read_model.follows)(self.env)
        view = open_view(self.read_model, self.storage, self.env)
        projection = self.read_model(view=view)
        listener = None
        if self.storage.database_url is not None:
            # LISTEN before the first catch-up, so no NOTIFY falls between read and wait.
            listener = psycopg.connect(self.storage.database_url, autocommit=True)
            channel = application.recorder.channel_name  # type: ignore[attr-defined]
            listener.execute(SQL("LISTEN {}").format(Identifier(channel)))
        try:
            while not self._stopping.is_set():
                if catch_up(projection, view, application) > 0:
                    continue
                if listener is None:  # SQLite has no NOTIFY: look again shortly
                    self._stopping.wait(POLL_SECONDS)
                else:
                    for _ in listener.notifies(timeout=LISTEN_SECONDS, stop_after=1):
                        pass
        finally:
            if listener is not None:
                listener.close()
            application.close()
            view.datastore.close()  # type: ignore[attr-defined]


def catch_up(projection: ReadModel, view: View, application: Any, *, limit: int = BATCH) -> int:
    """Apply up to `limit` events after the view's position, in one view transaction.
    Answers how many there were (0: the view is up to date)."""
    position = view.max_tracking_id(application.name) or 0
    notifications = application.recorder.select_notifications(
        start=position, limit=limit, inclusive_of_start=False
    )
    if notifications:
        with view.batch():
            for notification in notifications:
                event = application.mapper.to_domain_event(notification)
                projection.process_event(event, Tracking(application.name, notification.id))
    return len(notifications)


_READERS: dict[str, type[EventSourcedContext]] = {}


def reader_of(application: type[Application[Any]]) -> type[EventSourcedContext]:
    """A bare application over `application`'s events (same name, so same table and
    settings): a projection only reads, so it needs none of the use cases' ports."""
    if application.name not in _READERS:
        _READERS[application.name] = type(
            f"{application.__name__}Events", (EventSourcedContext,), {"name": application.name}
        )
    return _READERS[application.name]


def open_view(read_model: type[ReadModel], storage: Storage, env: dict[str, str]) -> View:
    """A connection to a read model's storage, for queries and read-your-writes waits."""
    factory = InfrastructureFactory.construct(
        env=ProjectionRunner._construct_env(name=read_model.name, env=env)
    )
    view = factory.tracking_recorder(view_class_for(read_model, postgres=storage.is_postgres))
    assert isinstance(view, View)
    return view


@contextmanager
def exclusive(storage: Storage, read_model: type[ReadModel]) -> Iterator[None]:
    """Hold the view's guard (refusing if a runner holds it), e.g. during a rebuild."""
    guard = guard_for(storage, read_model.name)
    if not guard.acquire():
        raise RuntimeError(
            f"a projection runner is running {read_model.name}; stop `huoke serve`/"
            "`huoke worker projections` first"
        )
    try:
        yield
    finally:
        guard.release()


def rebuild(
    read_model: type[ReadModel],
    view: View,
    application: Any,
    *,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Empty the view and replay every event of its application into it, in batches.

    Returns the number of events processed; `progress(done, total)` after each batch.
    """
    view.reset()
    projection = read_model(view=view)
    total = application.recorder.max_notification_id() or 0
    done = 0
    while applied := catch_up(projection, view, application):
        done += applied
        progress(min(view.max_tracking_id(application.name) or 0, total), total)
    return done
