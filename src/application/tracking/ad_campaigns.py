"""Automatic ad campaigns (TRK-4, seed 002 §1.6): the first behaviour of a tenant that
arrives with a `utm_campaign` (Segment's `context.campaign.name`) makes an `AdCampaign`
record of that name, when the tenant switched this on.

The campaign's id is uuid5 of tenant and name, so the record is made exactly once
however many behaviours carry the name, and however often the policy sees them again
(after a crash). Behaviours received while the switch was off make nothing, even when
the policy sees them after it was turned on.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour
from application.shared.policies import Policy
from application.shared.views import View
from application.tracking.tracking import Tracking as TrackingApplication
from application.tracking.tracking_settings import TrackingSettingsBook
from domain.tracking.ad_campaign import MAX_CAMPAIGN_NAME, AdCampaign

KNOWN_CAMPAIGNS = 50_000  # campaign ids this process made or found (a hint only)


class AutoAdCampaigns(Policy):
    """Records an ad campaign per new utm_campaign of tenants that want it."""

    name = "tracking_auto_ad_campaigns"
    follows = (BEHAVIOURS,)

    def __init__(
        self, view: View, *, tracking: TrackingApplication, settings: TrackingSettingsBook
    ) -> None:
        super().__init__(view)
        self.tracking = tracking
        self.settings = settings
        self._known: OrderedDict[UUID, None] = OrderedDict()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if isinstance(domain_event, Behaviour):
            self.consider(domain_event)
        self.view.write(tracking, ())

    def consider(self, behaviour: Behaviour) -> None:
        campaign = behaviour.context.get("campaign")
        if not isinstance(campaign, Mapping):
            return
        name = _text(campaign.get("name"))
        if not name:
            return
        campaign_id = AdCampaign.create_id(behaviour.tenant_id, name)
        if campaign_id in self._known:
            return
        since = self.settings.auto_ad_campaigns_since(behaviour.tenant_id)
        if since is None or behaviour.received_at < since:
            return
        if campaign_id not in self.tracking.repository:
            record = AdCampaign.record(
                tenant_id=behaviour.tenant_id,
                name=name,
                source=_text(campaign.get("source")) or None,
                medium=_text(campaign.get("medium")) or None,
                first_seen_at=behaviour.occurred_at,
            )
            self.create_once(self.tracking, record)
        self._known[campaign_id] = None
        while len(self._known) > KNOWN_CAMPAIGNS:
            self._known.popitem(last=False)


def _text(value: Any) -> str:
    return value.strip()[:MAX_CAMPAIGN_NAME] if isinstance(value, str) else ""
