"""Taking behaviours in: every accepted batch is stored before it is acknowledged.

Concurrent requests share one transaction of the log (the same group commit as the
event store's writer, DESIGN "Write path"), so throughput comes from batching, not from
more connections. A request is answered only after its rows are committed: a crash
before that loses nothing the sender was told was taken (it retries, and message ids
make the retry store nothing twice). When more requests wait than the log can take
soon, the newcomer is refused with `IngestionBusy` (429 + Retry-After), never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from application.shared.behaviours import Behaviour, BehaviourLog
from application.shared.errors import Busy
from application.shared.writer import GroupCommitWriter

MAX_BATCH_ROWS = 5000  # rows per log transaction
MAX_WAITING_REQUESTS = 256  # requests queued behind the commit under way


class IngestionBusy(Busy):
    """Too many batches are waiting for the log: try again after `retry_after` seconds."""

    code = "ingestion_busy"


class _Appending:
    """The log as the group-commit writer's store."""

    def __init__(self, log: BehaviourLog) -> None:
        self.log = log

    def insert_events(self, items: Sequence[Any], /) -> list[int]:
        return self.log.store(items)


class Ingestion:
    """Stores behaviours in group-committed batches, answering each caller once its own
    rows are committed."""

    def __init__(self, log: BehaviourLog, *, max_waiting: int = MAX_WAITING_REQUESTS) -> None:
        self.max_waiting = max_waiting
        self._log = log
        self._writer = GroupCommitWriter(_Appending(log), max_batch_events=MAX_BATCH_ROWS)

    def take(self, behaviours: Sequence[Behaviour]) -> int:
        """Store `behaviours` (rows whose message id the tenant has are skipped); answers
        the highest position given, 0 when every row was a repeat. Raises `IngestionBusy`
        when the queue is full, before anything is stored."""
        if not behaviours:
            return 0
        if self._writer.queued >= self.max_waiting:
            raise IngestionBusy("too many batches are waiting to be stored; retry shortly")
        # Encrypted here, in the caller's thread, while another batch is being committed.
        return self._writer.write(self._log.encode(behaviours))

    @property
    def batches_committed(self) -> int:
        return self._writer.batches_committed

    def close(self) -> None:
        self._writer.close()
