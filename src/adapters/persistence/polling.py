"""A polling subscription for SQLite, which has no LISTEN/NOTIFY (eventsourcing 9.5)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import ListenNotifySubscription
from eventsourcing.sqlite import SQLiteApplicationRecorder

POLL_INTERVAL_SECONDS = 0.05


class PollingSQLiteSubscription(ListenNotifySubscription[SQLiteApplicationRecorder]):
    """Wakes the library's pull loop every 50 ms instead of on a database notification."""

    def __init__(
        self,
        recorder: SQLiteApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._stop_polling = threading.Event()
        self._poller = threading.Thread(target=self._poll, daemon=True, name="sqlite-poll")
        self._poller.start()

    def _poll(self) -> None:
        while not self._stop_polling.wait(POLL_INTERVAL_SECONDS):
            self._has_been_notified.set()

    def stop(self) -> None:
        self._stop_polling.set()
        super().stop()


class PollingSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Any:
        return PollingSQLiteSubscription(self, gt=gt, topics=topics)
