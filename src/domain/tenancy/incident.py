"""Security incidents: refused inbound calls worth an auditor's attention (BIL-2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event


class SecurityIncident(Aggregate):
    """E.g. a payment notification with a bad signature or an amount that does not match."""

    TOPIC = "tenancy.SecurityIncident"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event class @event defines below, named for type checkers
        Recorded: ClassVar[type[AggregateEvent]]

    @event("Recorded", topic="tenancy.SecurityIncident.Recorded")
    def __init__(self, id: UUID, kind: str, source: str, detail: str) -> None:
        self.kind = kind
        self.source = source
        self.detail = detail[:1000]
