"""Policies: followers that turn other contexts' events into commands on their own.

A policy follows upstream applications like a read model does (its view holds only its
tracking positions, one per upstream) and reacts to an event by issuing commands on its
own application. Whatever it creates takes an id derived from the upstream event
(`Policy.derived_id`), so when a crash makes it see an event again, the second creation
collides with the first and changes nothing (`create_once`): each downstream record is
made exactly once. Commands that change an existing record must be idempotent on the
upstream event in the same way (e.g. remember the upstream id on the record).
"""

from __future__ import annotations

import uuid
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking

from application.shared.errors import VersionConflict
from application.shared.event_sourced import EventSourcedContext
from application.shared.views import ReadModel

A = TypeVar("A", bound=Aggregate)
_NAMESPACE = uuid.UUID("6f1c2b8e-5d0a-4e61-9a57-3c1f0e9b7d21")


class Policy(ReadModel):
    """A follower whose effects are commands on its own context (no tables of its own)."""

    tables = {}
    indexes = {}

    @staticmethod
    def derived_id(kind: str, tracking: Tracking) -> UUID:
        """The id of what this policy makes of one upstream notification."""
        return uuid.uuid5(
            _NAMESPACE, f"{kind}/{tracking.application_name}/{tracking.notification_id}"
        )

    @staticmethod
    def create_once(application: EventSourcedContext, aggregate: A, *companions: Aggregate) -> A:
        """Commit a new aggregate unless a previous attempt already did (same derived id)."""
        try:
            application.commit(aggregate, *companions)
        except VersionConflict:
            if aggregate.id not in application.repository:
                raise
        return aggregate
