"""Sign-in throttling by client address, before any password is checked: the lockout
of one login (five wrong passwords) does not stop one address from trying many."""

from __future__ import annotations

import threading
import time
from collections import deque

ATTEMPTS_PER_WINDOW = 10
WINDOW_SECONDS = 300.0


class SignInThrottle:
    """At most 10 sign-in attempts per address in any 5 minutes (in this process)."""

    def __init__(self, attempts: int = ATTEMPTS_PER_WINDOW, window: float = WINDOW_SECONDS) -> None:
        self.attempts = attempts
        self.window = window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, address: str) -> float | None:
        """None when the attempt may go on, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 100_000:  # a flood of addresses: forget the quiet ones
                self._seen = {
                    a: q for a, q in self._seen.items() if q and now - q[-1] < self.window
                }
            times = self._seen.setdefault(address, deque())
            while times and now - times[0] >= self.window:
                times.popleft()
            if len(times) >= self.attempts:
                return self.window - (now - times[0])
            times.append(now)
            return None
