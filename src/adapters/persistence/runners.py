"""Running followers (read models and policies): one supervised thread per process.

The thread holds every follower whose guard it wins, applies each upstream's new events
in batches (one view transaction per batch and upstream, tracking included, so a batch
is applied exactly once) and sleeps until an upstream says there is more: one LISTEN
connection for all upstreams on PostgreSQL, polling on SQLite. Guards make each
follower run in one process only (advisory locks on that same connection; file locks
on SQLite), so several worker processes split the followers between them and take over
a crashed one's share. A follower that fails is retried a second later from its
tracking positions, so nothing is skipped or applied twice; the others go on.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import psycopg
from eventsourcing.persistence import Tracking
from psycopg.sql import SQL, Identifier

from adapters.persistence.infrastructure import ProcessInfrastructure, close_view
from adapters.persistence.storage import Storage
from application.shared.behaviours import BEHAVIOURS
from application.shared.views import EVERY_APPLICATION, FollowerBehind, ReadModel, View

log = logging.getLogger("huoke.followers")
RESTART_DELAY_SECONDS = 1.0
BEHIND_RETRY_SECONDS = 0.05  # a follower waiting on another view: look again soon
BATCH = 500  # events per view transaction
POLL_SECONDS = 0.05  # SQLite has no NOTIFY: how often to look for new events
LISTEN_SECONDS = 0.5  # PostgreSQL: longest wait for a NOTIFY before looking anyway

MakeFollower = Callable[[type[ReadModel], View], ReadModel]


class FollowerHeld(RuntimeError):
    """Another process (or runner) is running this follower."""


def upstreams_of(model: type[ReadModel], applications: Sequence[str]) -> tuple[str, ...]:
    """The applications `model` follows, `EVERY_APPLICATION` resolved."""
    if tuple(model.follows) == EVERY_APPLICATION:  # the applications, not the behaviour log
        return tuple(name for name in applications if name != BEHAVIOURS)
    unknown = [name for name in model.follows if name not in applications]
    if unknown:
        raise ValueError(f"{model.name} follows unknown applications {unknown}")
    return tuple(model.follows)


def catch_up(follower: ReadModel, view: View, upstream: Any, *, limit: int = BATCH) -> int:
    """Apply up to `limit` events of one upstream after the view's position for it, in one
    view transaction. Answers how many there were (0: up to date with that upstream)."""
    position = view.max_tracking_id(upstream.name) or 0
    notifications = upstream.recorder.select_notifications(
        start=position, limit=limit, inclusive_of_start=False
    )
    if notifications:
        with view.batch():
            for notification in notifications:
                event = upstream.mapper.to_domain_event(notification)
                follower.process_event(event, Tracking(upstream.name, notification.id))
    return len(notifications)


def rebuild(
    follower: ReadModel,
    view: View,
    upstreams: Sequence[Any],
    *,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Empty the view and replay every event of its upstreams into it, in batches.

    Returns the number of events processed; `progress(done, total)` after each batch.
    """
    view.reset()
    total = sum(upstream.recorder.max_notification_id() or 0 for upstream in upstreams)
    done = 0
    for upstream in upstreams:
        while applied := catch_up(follower, view, upstream):
            done += applied
            progress(done, total)
    return done


# --- guards -------------------------------------------------------------------------------


class Guards(Protocol):
    def acquire(self, name: str) -> bool: ...
    def release(self, name: str) -> None: ...
    def close(self) -> None: ...


class FileGuards:
    """Only one process runs a follower: an exclusive lock on `<var>/view-<name>.lock`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._held: dict[str, Any] = {}

    def acquire(self, name: str) -> bool:
        handle = (self.directory / f"view-{name}.lock").open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._held[name] = handle
        return True

    def release(self, name: str) -> None:
        handle = self._held.pop(name, None)
        if handle is not None:
            handle.close()

    def close(self) -> None:
        for name in list(self._held):
            self.release(name)


class AdvisoryLockGuards:
    """Only one process runs a follower: a session advisory lock on its name, all of a
    process's locks on one connection (closing it releases them all)."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection

    def acquire(self, name: str) -> bool:
        row = self.connection.execute(
            "SELECT pg_try_advisory_lock(hashtext(%s))", (f"huoke-view:{name}",)
        ).fetchone()
        return bool(row and row[0])

    def release(self, name: str) -> None:
        self.connection.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"huoke-view:{name}",))

    def close(self) -> None:
        self.connection.close()


class NamedGuard:
    """One guard of its own (a connection or lock file opened for it), e.g. for the
    scheduler or a rebuild: `acquire()` answers whether this process now holds it."""

    def __init__(self, storage: Storage, name: str) -> None:
        self.storage = storage
        self.name = name
        self._guards: Guards | None = None

    def acquire(self) -> bool:
        if self.storage.database_url is not None:
            connection = psycopg.connect(self.storage.database_url, autocommit=True)
            guards: Guards = AdvisoryLockGuards(connection)
        else:
            guards = FileGuards(self.storage.var_dir)
        if guards.acquire(self.name):
            self._guards = guards
            return True
        guards.close()
        return False

    def release(self) -> None:
        if self._guards is not None:
            self._guards.close()
            self._guards = None


@contextmanager
def exclusive(storage: Storage, name: str) -> Iterator[None]:
    """Hold a follower's guard (refusing if a runner holds it), e.g. during a rebuild."""
    guard = NamedGuard(storage, name)
    if not guard.acquire():
        raise FollowerHeld(
            f"{name} is being kept up to date by a running `huoke serve` or "
            "`huoke worker projections`; stop it first"
        )
    try:
        yield
    finally:
        guard.release()


# --- the runner ---------------------------------------------------------------------------


@dataclass
class _Running:
    model: type[ReadModel]
    upstreams: tuple[str, ...]
    follower: ReadModel | None = None
    view: View | None = None
    retry_at: float = 0.0
    failures: int = 0
    held: bool = False
    # Per upstream, a head this follower has applied everything up to: while the head
    # stays there, a round skips it (one head query per upstream, not two per follower).
    caught_up_to: dict[str, int] = field(default_factory=dict)


class FollowerRunner:
    """Keeps followers up to date in one background thread (see the module docstring)."""

    def __init__(
        self,
        models: Sequence[type[ReadModel]],
        infrastructure: ProcessInfrastructure,
        applications: Sequence[str],
        make_follower: MakeFollower,
    ) -> None:
        self.infrastructure = infrastructure
        self.make_follower = make_follower
        self.running = [_Running(m, upstreams_of(m, applications)) for m in models]
        self.upstream_names = sorted({name for r in self.running for name in r.upstreams})
        self._readers: dict[str, Any] = {}
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="followers", daemon=True)
        self._connection: psycopg.Connection[Any] | None = None
        self._guards: Guards | None = None

    @property
    def failures(self) -> int:
        return sum(r.failures for r in self.running)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._connect()
                self._take_guards()
                if not self._advance():
                    self._wait()
            except Exception:  # e.g. the database went away: start over a second later
                log.exception("followers lost their connection; reconnecting")
                self._disconnect()
                self._stopping.wait(RESTART_DELAY_SECONDS)
        self._disconnect()

    def _connect(self) -> None:
        if self._guards is not None:
            return
        storage = self.infrastructure.storage
        if storage.database_url is None:
            self._guards = FileGuards(storage.var_dir)
            return
        # LISTEN before the first catch-up, so no NOTIFY falls between read and wait.
        connection = psycopg.connect(storage.database_url, autocommit=True)
        for name in self.upstream_names:
            channel = self._reader(name).recorder.channel_name
            connection.execute(SQL("LISTEN {}").format(Identifier(channel)))
        self._connection, self._guards = connection, AdvisoryLockGuards(connection)

    def _disconnect(self) -> None:
        for running in self.running:
            self._drop(running)
        if self._guards is not None:
            try:
                self._guards.close()
            except Exception:
                log.exception("closing the followers' connection failed")
        self._guards = self._connection = None
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

    def _take_guards(self) -> None:
        assert self._guards is not None
        now = time.monotonic()
        for running in self.running:
            if not running.held and now >= running.retry_at:
                running.held = self._guards.acquire(running.model.name)
                if not running.held:  # another process runs it: look again later
                    running.retry_at = now + RESTART_DELAY_SECONDS

    def _advance(self) -> int:
        """One batch per held follower and upstream; answers how many events were applied."""
        applied = 0
        heads: dict[str, int] = {}
        for running in self.running:
            if not running.held or time.monotonic() < running.retry_at:
                continue
            try:
                if running.follower is None:
                    running.view = self.infrastructure.open_view(running.model, create_table=False)
                    if running.view.ensure_version():  # type: ignore[attr-defined]
                        log.warning("%s changed shape: rebuilding it", running.model.name)
                    running.follower = self.make_follower(running.model, running.view)
                assert running.view is not None
                for name in running.upstreams:
                    if name not in heads:
                        heads[name] = self._reader(name).recorder.max_notification_id() or 0
                    if running.caught_up_to.get(name) == heads[name]:
                        continue
                    done = catch_up(running.follower, running.view, self._reader(name))
                    applied += done
                    if done < BATCH:  # read after the head was: everything up to it is in
                        running.caught_up_to[name] = heads[name]
            except FollowerBehind:  # its batch was rolled back; the other view goes first
                running.retry_at = time.monotonic() + BEHIND_RETRY_SECONDS
            except Exception:
                running.failures += 1
                log.exception("follower %s failed; restarting", running.model.name)
                self._drop(running)
                running.retry_at = time.monotonic() + RESTART_DELAY_SECONDS
        return applied

    def _drop(self, running: _Running) -> None:
        if running.view is not None:
            close_view(running.view)
        running.view = running.follower = None
        running.caught_up_to.clear()
        if running.held and self._guards is not None:
            try:
                self._guards.release(running.model.name)
            except Exception:
                log.exception("releasing %s failed", running.model.name)
        running.held = False

    def _wait(self) -> None:
        if self._connection is None:  # SQLite has no NOTIFY: look again shortly
            self._stopping.wait(POLL_SECONDS)
            return
        for _ in self._connection.notifies(timeout=LISTEN_SECONDS, stop_after=1):
            pass

    def _reader(self, name: str) -> Any:
        if name not in self._readers:
            self._readers[name] = self.infrastructure.reader(name)
        return self._readers[name]
