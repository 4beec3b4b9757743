"""A prompter poll for read-your-writes in the tests' own processes (`install()`, called
by tests/conftest.py).

A command with `Prefer: read-your-writes` (and every console action, and `settle`) waits
in eventsourcing's `TrackingRecorder.wait` until the read models have applied its
events. That wait looks, sleeps 100 ms, looks again, doubling up to 800 ms: a view that
is a millisecond behind costs a tenth of a second, thousands of times over a suite run.
Here it looks again after 2 ms, doubling up to 50 ms. What it waits for (the view's
tracking position reaching the command's) and the timeout are unchanged, so a view that
never catches up still fails; only the idle time between looks is shorter. A `huoke
serve` started as a subprocess (the crash tests) keeps the library's schedule.
"""

from __future__ import annotations

from threading import Event
from time import monotonic, sleep

from eventsourcing.persistence import TrackingRecorder, WaitInterruptedError

FIRST_LOOK_SECONDS = 0.002
LONGEST_SLEEP_SECONDS = 0.05


def _wait(
    self: TrackingRecorder,
    application_name: str,
    notification_id: int | None,
    timeout: float = 1.0,
    interrupt: Event | None = None,
) -> None:
    deadline = monotonic() + timeout
    interval = FIRST_LOOK_SECONDS
    while not self.has_tracking_id(application_name, notification_id):
        remaining = deadline - monotonic()
        if remaining < 0:
            raise TimeoutError(
                f"Timed out waiting for notification {notification_id} "
                f"from application '{application_name}' to be processed"
            )
        pause = min(interval, remaining)
        if interrupt is not None:
            if interrupt.wait(timeout=pause):
                raise WaitInterruptedError
        else:
            sleep(pause)
        interval = min(interval * 2, LONGEST_SLEEP_SECONDS)


def install() -> None:
    TrackingRecorder.wait = _wait  # type: ignore[method-assign]
