"""Helpers for aggregate tests: the topics of collected events and a replay of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate)


def topics(events: Sequence[Any]) -> list[str]:
    """The explicit, stored topic of each event, in order."""
    return [type(event).TOPIC for event in events]


def replay(events: Sequence[Any], kind: type[A]) -> A:
    """Rebuild an aggregate of `kind` from its events, as a repository would."""
    aggregate: A | None = None
    for event in events:
        aggregate = event.mutate(aggregate)
    assert isinstance(aggregate, kind)
    return aggregate
