"""Index aggregates that make a natural key unique by deriving their id from it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event


class UniqueKey(Aggregate):
    """Claims a natural key (e.g. a staff e-mail) for one record.

    Its id is uuid5 of the key, so a second claim of the same key collides on
    (id, version 1) in the event store and the whole save is refused atomically.
    """

    TOPIC = "shared.UniqueKey"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Claimed: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(scope: str, key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/huoke/unique/{scope}/{key}")

    @event("Claimed", topic="shared.UniqueKey.Claimed")
    def __init__(self, scope: str, key: str, owner_id: UUID) -> None:
        self.scope = scope
        self.owner_id = owner_id
