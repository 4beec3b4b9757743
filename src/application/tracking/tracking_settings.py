"""A tenant's tracking settings (TRK-4): reading and switching automatic ad campaigns.

The ad-campaign policy asks for every behaviour that brings a campaign not yet
recorded, so the answer is remembered for a few seconds; a change made through this
process is seen at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.shared.errors import VersionConflict
from application.tracking.link_commands import ChangeTrackingSettings, TrackingSettingsDetails
from application.tracking.tracking import Tracking
from domain.tracking.tracking_settings import TrackingSettings

REMEMBER_SECONDS = 5.0


class TrackingSettingsBook:
    """Each tenant's tracking settings (the defaults until the tenant changes one)."""

    def __init__(self, tracking: Tracking, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.tracking = tracking
        self._clock = clock
        self._remembered: dict[UUID, tuple[float, datetime | None]] = {}
        self._lock = threading.Lock()

    def settings(self, tenant_id: UUID) -> TrackingSettingsDetails:
        """The tenant's settings as stored now."""
        return _details(self._current(tenant_id))

    def change(
        self, tenant_id: UUID, command: ChangeTrackingSettings, *, expected_version: int | None
    ) -> TrackingSettingsDetails:
        """Switch automatic ad campaigns on or off. `expected_version` (If-Match) is the
        version last read (the defaults read as version 1); without it the last change wins."""
        settings = self._current(tenant_id)
        if expected_version is not None and settings.version != expected_version:
            raise VersionConflict(
                f"the settings are at version {settings.version}, not {expected_version}"
            )
        settings.switch_auto_ad_campaigns(command.auto_ad_campaigns)
        self.tracking.commit(settings)
        with self._lock:
            self._remembered.pop(tenant_id, None)
        return _details(settings)

    def auto_ad_campaigns_since(self, tenant_id: UUID) -> datetime | None:
        """Since when the tenant wants an ad campaign per new utm_campaign (None: off),
        remembered briefly. Behaviours received before then make none, however late the
        policy sees them."""
        now = self._clock()
        with self._lock:
            remembered = self._remembered.get(tenant_id)
        if remembered is not None and now - remembered[0] < REMEMBER_SECONDS:
            return remembered[1]
        settings = self._current(tenant_id)
        # Switching is the settings' only change: the last one is when it was turned on.
        since = settings.modified_on if settings.auto_ad_campaigns else None
        with self._lock:
            self._remembered[tenant_id] = (now, since)
        return since

    def _current(self, tenant_id: UUID) -> TrackingSettings:
        try:
            found: TrackingSettings = self.tracking.repository.get(
                TrackingSettings.create_id(tenant_id)
            )
        except AggregateNotFoundError:
            return TrackingSettings.start(tenant_id)
        return found


def _details(settings: TrackingSettings) -> TrackingSettingsDetails:
    return TrackingSettingsDetails(
        auto_ad_campaigns=settings.auto_ad_campaigns, version=settings.version
    )
