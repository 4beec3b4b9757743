"""Read models: projections of upstream applications' events into tables, tracked exactly
once per upstream.

A read model declares its tables in portable SQL (SQLite and PostgreSQL both accept
it: TEXT ids and ISO-8601 UTC times, INTEGER flags, `?` placeholders) and turns each
event into statements. The adapters give it a `View` on either database that runs
those statements and the tracking row in one transaction (ADR 0004).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.projection import Projection

Statement = tuple[str, Sequence[Any]]


class View(TrackingRecorder, ABC):
    """Where one read model lives: its tables and its tracking position, in one database."""

    read_model: ClassVar[type[ReadModel]]
    # Which SQL the database speaks beyond the portable core ("sqlite" or "postgres"):
    # queries that need JSON or full-text operators choose their spelling by it.
    dialect: ClassVar[str] = "sqlite"

    @abstractmethod
    def write(self, tracking: Tracking, statements: Sequence[Statement]) -> None:
        """Run `statements` and record `tracking` in one transaction (a replay is refused)."""

    @abstractmethod
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a query; each row is a dict of column name to value."""

    @abstractmethod
    def batch(self) -> AbstractContextManager[None]:
        """Group the `write`s of many events into one transaction: their statements run
        as they come (so `rows` sees them) and only the last tracking position is
        recorded, at the end. An error rolls the whole batch back."""

    @abstractmethod
    def reset(self) -> None:
        """Drop the read model's tables and tracking and create them empty (for rebuilds)."""


EVERY_APPLICATION = ("*",)
BEHIND_WAIT_SECONDS = 0.2


class FollowerBehind(Exception):
    """A follower needs another view to have applied an event that it has not applied
    yet. Followers of one process share one thread, so waiting long would stall them
    all: the runner leaves this follower's batch unrecorded and tries it again shortly,
    once the other view has moved on (not a failure)."""


def require_applied(view: View, application: str, position: int) -> None:
    """Go on once `view` has applied `application`'s event at `position`; else
    `FollowerBehind` (after a short wait, for when the view runs in another process)."""
    try:
        view.wait(application, position, timeout=BEHIND_WAIT_SECONDS)
    except TimeoutError:
        raise FollowerBehind(f"{application} {position} not yet applied by the view") from None


class ReadModel(Projection[View]):
    """A projection with its table definitions. Each subclass has its own
    `singledispatchmethod` `process_event` whose default calls `skip`: events it does
    not show still advance the tracking position, so read-your-writes can wait for any
    position of the application.

    `follows` names the upstream applications (`EVERY_APPLICATION` for all of them).
    Order holds within one upstream; across upstreams a read model must not rely on it."""

    follows: ClassVar[tuple[str, ...]]
    tables: ClassVar[dict[str, str]] = {}  # table name -> column definitions
    indexes: ClassVar[dict[str, str]] = {}  # index name -> "table (columns)"
    # The shape of the tables and what their rows hold: bump it with any change to either,
    # and a stored view of another version is emptied and replayed (rebuilt).
    version: ClassVar[int] = 1

    @classmethod
    def create_statements(cls) -> list[str]:
        return [f"CREATE TABLE IF NOT EXISTS {t} ({cols})" for t, cols in cls.tables.items()] + [
            f"CREATE INDEX IF NOT EXISTS {i} ON {target}" for i, target in cls.indexes.items()
        ]

    def skip(self, tracking: Tracking) -> None:
        """Advance past an event this read model does not show."""
        self.view.write(tracking, ())


def iso(moment: datetime) -> str:
    """A UTC time as fixed-width ISO-8601 text, so text order is time order in every database."""
    utc = moment.astimezone(UTC)
    # %Y is not zero-padded below the year 1000 on every platform (glibc): pad it here.
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
