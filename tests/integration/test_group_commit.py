"""The group-commit writer on SQLite and PostgreSQL: commands queued behind a commit share
one transaction, a conflict fails only its own command, a database error reaches every
command of the batch, and a lone client never waits for a window."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from application.shared.writer import GroupCommitWriter
from entrypoints.container import Runtime
from entrypoints.settings import Settings

TOPIC = "tests.Probe.Happened"
QUEUED = 6
LIVENESS_SECONDS = 30.0  # a bound for a hung thread, not a measurement


def event(originator_id: uuid.UUID | None = None, version: int = 1) -> StoredEvent:
    return StoredEvent(originator_id or uuid.uuid4(), version, TOPIC, b"state")


@pytest.fixture
def org_recorder(fresh_settings: Settings) -> Iterator[tuple[Settings, Any]]:
    runtime = Runtime(replace(fresh_settings, in_process_projections=False)).start()
    try:
        yield fresh_settings, runtime.container.org().recorder
    finally:
        runtime.close()


@contextmanager
def events_table_locked(settings: Settings) -> Iterator[None]:
    """Another connection holds the write lock of the org events table, so that the
    writer's first commit blocks inside the database while other commands queue."""
    if settings.database_url:
        with psycopg.connect(settings.database_url) as connection:
            connection.execute("LOCK TABLE org_events IN EXCLUSIVE MODE")
            yield
            connection.rollback()
    else:
        connection = sqlite3.connect(settings.var_dir / "events-org.sqlite", timeout=10)
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield
            connection.rollback()
        finally:
            connection.close()


class Outcomes:
    """Runs writes in threads; keeps each one's position or error by label."""

    def __init__(self) -> None:
        self.results: dict[str, int | BaseException] = {}
        self.threads: list[threading.Thread] = []

    def start(self, label: str, write: Callable[[], int]) -> None:
        def run() -> None:
            try:
                self.results[label] = write()
            except BaseException as error:
                self.results[label] = error

        thread = threading.Thread(target=run, name=f"command-{label}")
        self.threads.append(thread)
        thread.start()

    def join(self) -> dict[str, int | BaseException]:
        for thread in self.threads:
            thread.join(timeout=LIVENESS_SECONDS)
            assert not thread.is_alive(), f"{thread.name} never got an answer"
        return self.results


def queue_behind_a_blocked_commit(
    settings: Settings, writer: GroupCommitWriter, batch: dict[str, list[StoredEvent]]
) -> dict[str, int | BaseException]:
    """A first command's commit blocks on the held lock; the commands of `batch` queue
    behind it; the lock is released and everything is answered."""
    outcomes = Outcomes()
    with events_table_locked(settings):
        outcomes.start("first", lambda: writer.write([event()]))
        wait_until(lambda: writer.busy and writer.queued == 0)  # the first is committing
        for label, events in batch.items():
            outcomes.start(label, lambda events=events: writer.write(events))
        wait_until(lambda: writer.queued == len(batch))
    return outcomes.join()


def wait_until(condition: Callable[[], bool]) -> None:
    done = threading.Event()
    for _ in range(int(LIVENESS_SECONDS * 100)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("the writer never reached the expected state")


def stored_ids(recorder: Any) -> set[uuid.UUID]:
    return {n.originator_id for n in recorder.select_notifications(1, 1000)}


def test_commands_queued_behind_a_commit_share_one_transaction(
    org_recorder: tuple[Settings, Any],
) -> None:
    settings, recorder = org_recorder
    writer = GroupCommitWriter(recorder)
    batch = {f"c{i}": [event(), event()] for i in range(QUEUED)}
    before = writer.batches_committed

    results = queue_behind_a_blocked_commit(settings, writer, batch)

    assert writer.batches_committed - before == 2  # the first command's, then the queue's
    positions = sorted(int(results[label]) for label in batch)  # type: ignore[arg-type]
    assert positions == list(range(positions[0], positions[0] + 2 * QUEUED, 2))
    assert {e.originator_id for events in batch.values() for e in events} <= stored_ids(recorder)


def test_a_conflict_in_a_batch_fails_only_its_own_command(
    org_recorder: tuple[Settings, Any],
) -> None:
    settings, recorder = org_recorder
    writer = GroupCommitWriter(recorder)
    taken = uuid.uuid4()
    writer.write([event(taken)])
    batch = {f"c{i}": [event()] for i in range(QUEUED)}
    batch["conflicting"] = [event(), event(taken)]  # version 1 of `taken` exists already

    results = queue_behind_a_blocked_commit(settings, writer, batch)

    assert isinstance(results.pop("conflicting"), IntegrityError)
    assert all(isinstance(position, int) for position in results.values()), results
    stored = stored_ids(recorder)
    assert {e.originator_id for label in results if label != "first" for e in batch[label]} <= (
        stored
    )
    assert batch["conflicting"][0].originator_id not in stored  # nothing of that command


def test_a_database_error_reaches_every_command_of_the_batch(
    org_recorder: tuple[Settings, Any],
) -> None:
    settings, recorder = org_recorder
    writer = GroupCommitWriter(recorder)
    batch = {f"c{i}": [event()] for i in range(QUEUED)}
    batch["unstorable"] = [event(version=2**63)]  # past the version column's range

    results = queue_behind_a_blocked_commit(settings, writer, batch)

    assert isinstance(results.pop("first"), int)
    assert len(results) == QUEUED + 1
    assert all(
        isinstance(error, Exception) and not isinstance(error, IntegrityError)
        for error in results.values()
    ), results
    assert not {e.originator_id for events in batch.values() for e in events} & stored_ids(recorder)


def test_a_lone_client_never_waits_for_the_coalescing_window(
    org_recorder: tuple[Settings, Any],
) -> None:
    _, recorder = org_recorder
    writer = GroupCommitWriter(recorder, window_seconds=3600, quiet_seconds=3600)
    outcomes = Outcomes()

    def one_after_another() -> int:
        return max(writer.write([event()]) for _ in range(20))

    outcomes.start("lone", one_after_another)
    (position,) = outcomes.join().values()  # a window of an hour would hang it

    assert isinstance(position, int) and writer.batches_committed == 20
