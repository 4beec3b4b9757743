"""A tenant's tracking settings (TRK-4): whether each new `utm_campaign` seen on a
visit becomes an ad campaign record on its own.

One aggregate per tenant, its id uuid5 of the tenant; it exists only once the tenant
changes a setting (until then the defaults hold: automatic ad campaigns off).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event


class TrackingSettings(Aggregate):
    """The tenant's switches for the tracking context."""

    TOPIC = "tracking.Settings"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:
        Started: ClassVar[type[AggregateEvent]]
        AutoAdCampaignsSwitched: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE_URL, f"/huoke/tracking/settings/{tenant_id}")

    @classmethod
    def start(cls, tenant_id: UUID) -> TrackingSettings:
        """The defaults of a tenant that never changed them (not stored until changed)."""
        return cls(tenant_id=tenant_id)

    @event("Started", topic="tracking.Settings.Started")
    def __init__(self, tenant_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.auto_ad_campaigns = False

    def switch_auto_ad_campaigns(self, on: bool) -> None:
        """Turn the automatic ad campaigns per utm_campaign on or off (no event if unchanged)."""
        if bool(on) != self.auto_ad_campaigns:
            self._auto_ad_campaigns_switched(on=bool(on))

    @event("AutoAdCampaignsSwitched", topic="tracking.Settings.AutoAdCampaignsSwitched")
    def _auto_ad_campaigns_switched(self, on: bool) -> None:
        self.auto_ad_campaigns = on
