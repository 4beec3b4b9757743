"""Commands and answers of scheduled reach campaigns (FLOW-7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command
from domain.flows.reach import MAX_BRANCHES

BRANCH_DESCRIPTION = (
    "{name, filter?, send: {rule: immediately | after | before_start, amount?, unit?}, "
    "content: {kind: send_wechat | send_email | send_sms, ...parameters}}; a lead takes the "
    "first branch whose filter it matches (no filter: everyone left). docs/flows.md"
)
BRANCH_EXAMPLE = {
    "name": "高意向 · warm",
    "filter": {"field": "tags", "op": "equals", "value": "VIP"},
    "send": {"rule": "after", "amount": 1, "unit": "days"},
    "content": {"kind": "send_sms", "signature_id": None, "text": "您好，活动明天开始，回T退订"},
}


class PlanReach(Command):
    """A reach campaign, planned but not yet running: schedule it to start."""

    name: str = Field(min_length=1, max_length=100, examples=["双十一会员触达"])
    starts_at: datetime = Field(description="the period: leads are selected from then…")
    ends_at: datetime = Field(description="…until then (exclusive)")
    event_starts_at: datetime | None = Field(
        default=None, description="the event the campaign announces (before_start rules)"
    )
    audience: dict[str, Any] = Field(
        description="a filter (the segments' filter language) choosing the leads",
        examples=[{"field": "tags", "op": "equals", "value": "会员"}],
    )
    branches: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BRANCHES,
        description=BRANCH_DESCRIPTION,
        examples=[[BRANCH_EXAMPLE]],
    )


class CancelReach(Command):
    """Stop the campaign: nobody more is selected and what is not yet due is not sent."""

    reason: str = Field(min_length=1, max_length=500, examples=["活动延期"])


class ReachCounts(BaseModel):
    selected: int
    pending: int
    sent: int
    skipped: int
    failed: int
    cancelled: int


class ReachDetails(BaseModel):
    campaign_id: UUID
    version: int
    name: str
    status: str  # planned, scheduled, cancelled
    starts_at: datetime
    ends_at: datetime
    event_starts_at: datetime | None
    audience: dict[str, Any]
    branches: list[dict[str, Any]]


class ReachSummary(BaseModel):
    campaign_id: UUID
    name: str
    status: str
    starts_at: datetime
    ends_at: datetime
    counts: ReachCounts
    updated_at: datetime


class DeliveryDetails(BaseModel):
    lead_id: UUID
    branch: int
    branch_name: str
    send_at: datetime
    status: str  # pending, sent, skipped, failed, cancelled
    detail: str | None
    updated_at: datetime
