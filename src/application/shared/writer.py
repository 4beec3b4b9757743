"""Group commit: concurrent commands of one application share one transaction.

The library locks an application's events table for every PostgreSQL insert, so one
transaction per command caps throughput at the commit rate and makes commands queue on
the lock. Instead, a command hands its (already mapped) events to the writer. If no
commit is under way, the command's own thread commits them at once: a lone client
never waits and pays no hand-off between threads. If one is under way, the command
queues and sleeps; when that commit ends, its thread hands the lead to the oldest
queued command, whose thread inserts everything queued so far in one `insert_events`
call and answers each command of the batch. A conflict aborts the whole batch in the
database, so the batch is then retried command by command and only the conflicting
command fails; any other error reaches every command of the batch (DESIGN.md, "Write
path"; ADR 0002, ADR 0009).

Why no writer thread: handing every command to a thread of its own and back cost two
thread wake-ups and a `Future` per command, 115 µs of a 418 µs command with one client
(`bench/event_store.py`, 2026-12), and under load the writer thread queued for the
interpreter lock behind the very commands it was to answer.

Under concurrent load (the previous batch held more than one command) the new leader
first waits a short window so that commands still being computed join its batch.
Without it, concurrent commands settle into two alternating halves, each commit
competing for the interpreter with the half that is computing.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol

from eventsourcing.persistence import IntegrityError

WRITE_TIMEOUT_SECONDS = 60.0
COALESCE_WINDOW_SECONDS = 0.005
QUIET_SECONDS = 0.001


class BatchStore(Protocol):
    """What the writer commits to: an application recorder, or the behaviour log."""

    def insert_events(self, items: Sequence[Any], /) -> Sequence[int] | None: ...


class _Submission:
    """One command's events and, once committed, its outcome. `_signal` is a lock held
    from birth: releasing it wakes the command's thread (the cheapest wake-up there is)."""

    __slots__ = ("_signal", "done", "error", "events", "leads", "position")

    def __init__(self, events: Sequence[Any]) -> None:
        self.events = events
        self.position = 0
        self.error: BaseException | None = None
        self.leads = False  # woken to commit the next batch, not with an outcome
        self.done = False
        self._signal = threading.Lock()
        self._signal.acquire()

    def wake(self) -> None:
        self._signal.release()

    def sleep(self, timeout: float) -> bool:
        return self._signal.acquire(timeout=timeout)

    def outcome(self) -> int:
        if self.error is not None:
            raise self.error
        return self.position


class GroupCommitWriter:
    """Commits the events of concurrent commands together, answering each command alone."""

    def __init__(
        self,
        recorder: BatchStore,
        *,
        max_batch_events: int = 1000,
        window_seconds: float = COALESCE_WINDOW_SECONDS,
        quiet_seconds: float = QUIET_SECONDS,
    ) -> None:
        self._recorder = recorder
        self._max_batch_events = max_batch_events
        self._window_seconds = window_seconds
        self._quiet_seconds = quiet_seconds
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)  # wakes a gathering leader
        self._idle = threading.Condition(self._lock)  # nobody is committing
        self._queue: deque[_Submission] = deque()  # not yet in a batch, oldest first
        self._leading = False  # a thread is gathering or committing a batch
        self._target = 0  # how many queued commands the gathering leader awaits
        self._last_batch_size = 1
        self.batches_committed = 0

    def write(self, events: Sequence[Any]) -> int:
        """Store `events` atomically; returns the highest notification id they were given.

        Raises `IntegrityError` when another save already recorded one of these versions,
        and whatever the database raised when the batch could not be stored.
        """
        submission = _Submission(events)
        with self._lock:
            self._queue.append(submission)
            leads = not self._leading
            self._leading = True
            if not leads and self._target and len(self._queue) >= self._target:
                self._arrived.notify()
        if not leads:
            self._await_turn(submission)
            if submission.done:
                return submission.outcome()
        self._lead()
        return submission.outcome()

    @property
    def queued(self) -> int:
        """How many commands wait for a batch (the one being committed not counted)."""
        with self._lock:
            return len(self._queue)

    @property
    def busy(self) -> bool:
        """Whether a command's thread is gathering or committing a batch."""
        with self._lock:
            return self._leading

    def close(self) -> None:
        """Wait for the commits under way, if any (commands commit in their own threads)."""
        with self._idle:
            self._idle.wait_for(lambda: not self._leading, timeout=WRITE_TIMEOUT_SECONDS)

    # --- the leader's side -----------------------------------------------------------------

    def _lead(self) -> None:
        """Gather a batch (this thread's own command is the oldest queued), commit it, and
        pass the lead to the next queued command before answering the batch, so that the
        database is kept busy while the answered commands wake up."""
        with self._lock:
            self._gather()
            batch = [self._queue.popleft()]
            size = len(batch[0].events)
            while self._queue and size + len(self._queue[0].events) <= self._max_batch_events:
                size += len(self._queue[0].events)
                batch.append(self._queue.popleft())
            self._last_batch_size = len(batch)
        try:
            self._commit(batch)
        finally:
            with self._lock:
                successor = self._queue[0] if self._queue else None
                if successor is not None:
                    successor.leads = True
                else:
                    self._leading = False
                    self._idle.notify_all()
            if successor is not None:
                successor.wake()
            for submission in batch[1:]:
                submission.done = True
                submission.wake()
            batch[0].done = True

    def _gather(self) -> None:
        """Under concurrent load, wait until as many commands are queued as the previous
        batch held, until none has arrived for a quiet interval, or until the window is
        over, whichever comes first. A lone client never waits. Called with `_lock`
        held; waiting releases it."""
        target = self._last_batch_size
        if target <= 1 or self._window_seconds <= 0:
            return
        deadline = time.monotonic() + self._window_seconds
        self._target = target
        try:
            while len(self._queue) < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                before = len(self._queue)
                self._arrived.wait(min(self._quiet_seconds, remaining))
                if len(self._queue) == before:
                    return  # nobody came for a while: the others are not coming soon
        finally:
            self._target = 0

    def _commit(self, batch: list[_Submission]) -> None:
        """Insert the batch in one transaction; on a conflict, command by command."""
        try:
            ids = self._recorder.insert_events([e for s in batch for e in s.events]) or []
        except IntegrityError as error:
            if len(batch) == 1:
                batch[0].error = error
            else:
                for submission in batch:  # find the command that conflicted
                    self._commit([submission])
            return
        except BaseException as error:  # the database is down: every command learns it
            for submission in batch:
                submission.error = error
            return
        self.batches_committed += 1
        start = 0
        for submission in batch:
            end = start + len(submission.events)
            submission.position = max(ids[start:end], default=0)
            start = end

    # --- a queued command's side -------------------------------------------------------

    def _await_turn(self, submission: _Submission) -> None:
        """Sleep until the batch holding `submission` is committed or this thread is to
        lead the next one. A command that waited too long leaves the queue uncommitted;
        one already in a batch under way waits for that batch."""
        if submission.sleep(WRITE_TIMEOUT_SECONDS):
            return
        with self._lock:
            if not submission.leads and submission in self._queue:
                self._queue.remove(submission)
                raise TimeoutError("the event store did not take the events in time")
        submission.sleep(WRITE_TIMEOUT_SECONDS * 2)  # promoted or answered meanwhile
        if not (submission.done or submission.leads):
            raise TimeoutError("the event store did not answer in time")
