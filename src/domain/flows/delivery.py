"""One lead's delivery in a scheduled reach campaign (FLOW-7): the branch the lead was
selected for and when its content is due, then what became of it.

One stream per (campaign, lead), so a lead is selected once per campaign however often
the audience is looked at, and its content is delivered at most once: a delivery is
delivered once, and the send it makes has an id derived from the campaign and the lead.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.flows.values import text
from domain.shared.errors import StateConflict

DELIVERIES = UUID("5d0e7c1a-41f2-4d8b-9a37-6c2b8e4f1a90")  # namespace of delivery ids


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # selected; its content is due at `send_at`
    SENT = "sent"  # handed to the channel's send pipeline
    SKIPPED = "skipped"  # on purpose: no consent, outside WeChat's 48 hours…
    FAILED = "failed"  # could not be made (a template gone…)
    CANCELLED = "cancelled"  # the campaign was cancelled before it was due


def delivery_id(campaign_id: UUID, lead_id: UUID) -> UUID:
    return uuid5(DELIVERIES, f"{campaign_id}:{lead_id}")


class ReachDelivery(Aggregate):
    """One lead in one reach campaign."""

    TOPIC = "flows.ReachDelivery"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Selected: ClassVar[type[AggregateEvent]]
        Delivered: ClassVar[type[AggregateEvent]]

    @classmethod
    def select(
        cls,
        *,
        campaign_id: UUID,
        lead_id: UUID,
        tenant_id: UUID,
        branch: int,
        send_at: datetime,
    ) -> ReachDelivery:
        return cls(
            id=delivery_id(campaign_id, lead_id),
            tenant_id=tenant_id,
            campaign_id=campaign_id,
            lead_id=lead_id,
            branch=branch,
            send_at=send_at,
        )

    @event("Selected", topic="flows.ReachDelivery.Selected")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        campaign_id: UUID,
        lead_id: UUID,
        branch: int,
        send_at: datetime,
    ) -> None:
        self.tenant_id = tenant_id
        self.campaign_id = campaign_id
        self.lead_id = lead_id
        self.branch = branch  # index into the campaign's branches
        self.send_at = send_at
        self.status = DeliveryStatus.PENDING.value
        self.detail: str | None = None

    def effect_key(self) -> str:
        """What the ids of this delivery's send derive from (the same after a crash)."""
        return f"reach:{self.campaign_id}:{self.lead_id}"

    def deliver(self, outcome: DeliveryStatus, *, at: datetime, detail: str | None = None) -> None:
        """Record what became of the content; a delivery is delivered once."""
        if self.status != DeliveryStatus.PENDING.value:
            raise StateConflict(f"delivery is already {self.status}")
        if outcome is DeliveryStatus.PENDING:
            raise StateConflict("a delivery cannot be delivered as pending")
        reason = text(detail, "detail", max_length=500) if detail else None
        self._delivered(outcome=outcome.value, at=at, detail=reason)

    @event("Delivered", topic="flows.ReachDelivery.Delivered")
    def _delivered(self, outcome: str, at: datetime, detail: str | None) -> None:
        self.status, self.detail = outcome, detail
