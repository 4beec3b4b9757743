"""Refused callbacks counted per client address in a fixed one-minute window of this
process: past the limit the address is answered 429, so nobody can try secrets or
signatures at speed, while a genuine provider (who passes) is never held back."""

from __future__ import annotations

import threading
import time

from application.shared.errors import Busy

WINDOW_SECONDS = 60


class RefusalLimit:
    def __init__(self, per_minute: int, what: str) -> None:
        self.per_minute = per_minute
        self.what = what  # "SMS callbacks", "WeChat callbacks": named in the 429
        self._lock = threading.Lock()
        self._window = 0
        self._refused: dict[str, int] = {}

    def refused(self, address: str) -> None:
        """Count one refusal of `address`; `Busy` (429 + Retry-After) past the limit."""
        now = time.monotonic()
        window = int(now // WINDOW_SECONDS)
        with self._lock:
            if window != self._window:
                self._window, self._refused = window, {}
            self._refused[address] = count = self._refused.get(address, 0) + 1
        if count > self.per_minute:
            raise Busy(
                f"too many refused {self.what} from this address; retry later",
                retry_after=max(1, int((window + 1) * WINDOW_SECONDS - now)),
            )
