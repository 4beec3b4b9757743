"""The clock port: use cases read the time here, never from the system directly, so
tests and replays decide what "now" is."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...
