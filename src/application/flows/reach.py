"""Scheduled reach campaigns (FLOW-7): planned with a period, an audience and up to five
branches, scheduled once every branch's content is complete and on a set-up channel,
cancelled at any time. The campaigns are kept by the flows application; the worker that
selects and delivers is `reaching.py`."""

from __future__ import annotations

from uuid import UUID

from application.flows.flows import Flows
from application.flows.ports import ChannelSetup
from application.flows.reach_commands import CancelReach, PlanReach, ReachDetails
from application.shared.clock import Clock
from domain.flows.reach import ReachCampaign


class ReachCampaigns:
    """Each tenant's scheduled reach campaigns."""

    def __init__(self, flows: Flows, channels: ChannelSetup, clock: Clock) -> None:
        self.flows = flows
        self.channels = channels
        self.clock = clock

    def plan(self, tenant_id: UUID, command: PlanReach) -> ReachDetails:
        """A planned campaign; nothing is sent until it is scheduled."""
        campaign = ReachCampaign.plan(
            campaign_id=self.flows.new_id("reach"),
            tenant_id=tenant_id,
            name=command.name,
            starts_at=command.starts_at.isoformat(),
            ends_at=command.ends_at.isoformat(),
            event_starts_at=command.event_starts_at.isoformat()
            if command.event_starts_at
            else None,
            audience=command.audience,
            branches=command.branches,
        )
        return reach_details(self.flows.create(campaign))

    def campaign(self, tenant_id: UUID, campaign_id: UUID) -> ReachDetails:
        return reach_details(self.campaign_of(tenant_id, campaign_id))

    def schedule(
        self, tenant_id: UUID, campaign_id: UUID, *, expected_version: int
    ) -> ReachDetails:
        """Let it run in its period: 422 naming the first content still to choose or on a
        channel the tenant has not set up."""
        campaign = self._load(tenant_id, campaign_id, expected_version)
        campaign.schedule(channels=self.channels.channels(tenant_id), now=self.clock.now())
        self.flows.commit(campaign)
        return reach_details(campaign)

    def cancel(
        self, tenant_id: UUID, campaign_id: UUID, command: CancelReach, *, expected_version: int
    ) -> ReachDetails:
        """Nobody more is selected; deliveries not yet due are not sent."""
        campaign = self._load(tenant_id, campaign_id, expected_version)
        campaign.cancel(reason=command.reason)
        self.flows.commit(campaign)
        return reach_details(campaign)

    def campaign_of(self, tenant_id: UUID, campaign_id: UUID) -> ReachCampaign:
        return self.flows.load(campaign_id, ReachCampaign, tenant_id=tenant_id)

    def _load(self, tenant_id: UUID, campaign_id: UUID, expected_version: int) -> ReachCampaign:
        return self.flows.load(
            campaign_id, ReachCampaign, tenant_id=tenant_id, expected_version=expected_version
        )


def reach_status(campaign: ReachCampaign) -> str:
    if campaign.cancelled:
        return "cancelled"
    return "scheduled" if campaign.scheduled else "planned"


def reach_details(campaign: ReachCampaign) -> ReachDetails:
    return ReachDetails(
        campaign_id=campaign.id,
        version=campaign.version,
        name=campaign.name,
        status=reach_status(campaign),
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        event_starts_at=campaign.event_starts_at,
        audience=campaign.audience,
        branches=campaign.branches,
    )
