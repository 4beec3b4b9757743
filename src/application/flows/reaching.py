"""The reach worker's round (FLOW-7): select each running campaign's audience, then
deliver the content that is due.

Selection looks at a campaign as soon as it is running (scheduled, in its period), then
once a minute, so a lead who comes to match the audience during the period is selected
too. A lead is selected once per campaign (its delivery's id derives from the campaign
and the lead), for the first branch it matches, with the send time that branch's rule
gives. Due deliveries are sent
through the flows' effects (the channels' send pipelines, consent and the 48-hour rule
included) with a key derived from the campaign and the lead, before the delivery is
committed, so a crash anywhere repeats no send. A cancelled campaign's pending
deliveries are marked cancelled, unsent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

from application.flows.flows import Flows
from application.flows.ports import (
    AudienceSelection,
    Effect,
    EffectFailed,
    FlowEffects,
    LeadFactsSource,
)
from application.flows.reach import ReachCampaigns
from application.flows.reach_directory import ReachQueries
from application.shared.clock import Clock
from application.shared.errors import NotFound, VersionConflict
from domain.flows.delivery import DeliveryStatus, ReachDelivery
from domain.flows.reach import Branch, ReachCampaign
from domain.shared.filters import Filter

Item = TypeVar("Item")
SELECT_EVERY = timedelta(minutes=1)
CAMPAIGN_VERSION = 1  # a campaign's content has one version: it cannot be edited


@dataclass
class ReachRound:
    selected: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.selected or self.sent or self.skipped or self.failed or self.cancelled)


class Reaching:
    """One round of the reach worker (see the module)."""

    def __init__(
        self,
        campaigns: ReachCampaigns,
        flows: Flows,
        queries: ReachQueries,
        audiences: AudienceSelection,
        facts: LeadFactsSource,
        effects: FlowEffects,
        clock: Clock,
        *,
        batch: int = 500,
    ) -> None:
        self.campaigns = campaigns
        self.flows = flows
        self.queries = queries
        self.audiences = audiences
        self.facts = facts
        self.effects = effects
        self.clock = clock
        self.batch = batch
        self._looked: dict[UUID, datetime] = {}  # when each running campaign was last selected

    def run_once(self) -> ReachRound:
        done = ReachRound()
        now = self.clock.now()
        running = self.queries.running(now)
        ids = {campaign_id for _, campaign_id in running}
        self._looked = {c: at for c, at in self._looked.items() if c in ids}
        for tenant_id, campaign_id in running:
            last = self._looked.get(campaign_id)
            if last is None or now >= last + SELECT_EVERY:
                self._looked[campaign_id] = now
                done.selected += self._select(tenant_id, campaign_id, now)
        self._deliver_due(now, done)
        return done

    # --- selection --------------------------------------------------------------------------

    def _select(self, tenant_id: UUID, campaign_id: UUID, now: datetime) -> int:
        campaign = self.campaigns.campaign_of(tenant_id, campaign_id)
        if not campaign.scheduled or campaign.cancelled or not campaign.in_period(now):
            return 0
        selected = 0
        audience = Filter.parse(campaign.audience, path="audience")
        branches = campaign.parsed_branches()  # once, not once per lead

        def chosen(lead_id: UUID) -> ReachDelivery | None:
            return self._chosen(campaign, branches, lead_id, now)

        for page in self.audiences.lead_ids(tenant_id, audience, now=now):
            known = self.queries.selected(tenant_id, campaign_id, page)
            selected += len(self._commit([lead for lead in page if lead not in known], chosen))
        return selected

    def _chosen(
        self, campaign: ReachCampaign, branches: list[Branch], lead_id: UUID, now: datetime
    ) -> ReachDelivery | None:
        facts = self.facts.facts_of(campaign.tenant_id, lead_id)
        chosen = (
            campaign.choose_branch(facts, now=now, branches=branches) if facts is not None else None
        )
        if chosen is None:
            return None
        index, branch = chosen
        return ReachDelivery.select(
            campaign_id=campaign.id,
            lead_id=lead_id,
            tenant_id=campaign.tenant_id,
            branch=index,
            send_at=branch.send_at(now, campaign.event_starts_at),
        )

    # --- delivery ---------------------------------------------------------------------------

    def _deliver_due(self, now: datetime, done: ReachRound) -> None:
        campaigns: dict[UUID, tuple[ReachCampaign, list[Branch]]] = {}  # read once a round

        def delivered(row: dict[str, str]) -> ReachDelivery | None:
            tenant_id, campaign_id = UUID(row["tenant_id"]), UUID(row["campaign_id"])
            try:
                delivery = self.flows.load(
                    UUID(row["delivery_id"]), ReachDelivery, tenant_id=tenant_id
                )
                if campaign_id not in campaigns:
                    found = self.campaigns.campaign_of(tenant_id, campaign_id)
                    campaigns[campaign_id] = (found, found.parsed_branches())
            except NotFound:
                return None
            return self._deliver(*campaigns[campaign_id], delivery, now)

        for delivery in self._commit(self.queries.due(now, limit=self.batch), delivered):
            setattr(done, delivery.status, getattr(done, delivery.status) + 1)

    def _deliver(
        self,
        campaign: ReachCampaign,
        branches: list[Branch],
        delivery: ReachDelivery,
        now: datetime,
    ) -> ReachDelivery | None:
        """The delivery made (events pending), or None when it is not to be made now."""
        if delivery.status != DeliveryStatus.PENDING.value:
            return None  # delivered already; the read model had not caught up
        if campaign.cancelled:
            delivery.deliver(DeliveryStatus.CANCELLED, at=now, detail="the campaign was cancelled")
            return delivery
        if delivery.send_at > now:
            return None
        branch = branches[delivery.branch]
        effect = Effect(
            tenant_id=campaign.tenant_id,
            lead_id=delivery.lead_id,
            flow_id=campaign.id,
            flow_version=CAMPAIGN_VERSION,
            flow_name=campaign.name,
            node=dataclasses.replace(branch.content, id=f"branch{delivery.branch}"),
            key=delivery.effect_key(),
        )
        try:
            skipped = self.effects.make(effect)
        except EffectFailed as failure:
            delivery.deliver(DeliveryStatus.FAILED, at=now, detail=str(failure))
            return delivery
        if skipped is None:
            delivery.deliver(DeliveryStatus.SENT, at=now)
        else:
            delivery.deliver(DeliveryStatus.SKIPPED, at=now, detail=skipped)
        return delivery

    # --- committing -------------------------------------------------------------------------

    def _commit(
        self, items: list[Item], made: Callable[[Item], ReachDelivery | None]
    ) -> list[ReachDelivery]:
        """Commit what `made` makes of `items` together; on a conflict (another worker, or
        a selection the read model had not shown yet) make each again from what is stored
        and commit it alone, passing over the ones that conflict (effects keyed by the
        delivery repeat nothing). Answers the deliveries committed."""
        changed = [delivery for item in items if (delivery := made(item)) is not None]
        if not changed:
            return []
        try:
            self.flows.commit(*changed)
            return changed
        except VersionConflict:
            committed = []
            for item in items:
                delivery = made(item)
                if delivery is None:
                    continue
                try:
                    self.flows.commit(delivery)
                except VersionConflict:
                    continue
                committed.append(delivery)
            return committed
