"""Ad campaigns (TRK-4, 广告营销): one record per `utm_campaign` value a tenant's visitors
arrive with, made automatically when the tenant turned that on.

Its id is uuid5 of the tenant and the campaign name, so however many behaviours carry
the same name (and however often a follower sees them again) there is one record.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.text import required_text

MAX_CAMPAIGN_NAME = 200


class AdCampaign(Aggregate):
    """An advertising campaign known by its utm_campaign name (and where it was first seen)."""

    TOPIC = "tracking.AdCampaign"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:
        Recorded: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID, name: str) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE_URL, f"/huoke/tracking/ad-campaign/{tenant_id}/{name}")

    @classmethod
    def record(
        cls,
        *,
        tenant_id: UUID,
        name: str,
        source: str | None,
        medium: str | None,
        first_seen_at: datetime,
    ) -> AdCampaign:
        """The campaign `name` as first seen (with that visit's utm_source and utm_medium)."""
        name = required_text(name, field="name", max_length=MAX_CAMPAIGN_NAME)
        return cls(
            tenant_id=tenant_id,
            name=name,
            source=source or None,
            medium=medium or None,
            first_seen_at=first_seen_at.isoformat(),
        )

    @event("Recorded", topic="tracking.AdCampaign.Recorded")
    def __init__(
        self,
        tenant_id: UUID,
        name: str,
        source: str | None,
        medium: str | None,
        first_seen_at: str,
    ) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.source = source
        self.medium = medium
        self.first_seen_at = first_seen_at
