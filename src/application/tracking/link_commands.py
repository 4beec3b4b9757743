"""Commands and answers of promotion links, their counts, the tracking settings and the
ad campaigns (TRK-2, TRK-4, TRK-5)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command
from domain.tracking.promotion import (
    MAX_CHANNEL_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    MAX_UTM_LENGTH,
)

MAX_SET_CHANNELS = 20
MAX_SET_EMPLOYEES = 50
MAX_SET_LINKS = 200  # channels × employees in one request


class _LinkFields(Command):
    target_url: str = Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="the page, form, article or product the link leads to (http or https)",
        examples=["https://www.example.cn/events/2026-spring?from=poster"],
    )
    title: str = Field(min_length=1, max_length=MAX_TITLE_LENGTH, examples=["春季发布会报名页"])
    utm_source: str | None = Field(default=None, max_length=MAX_UTM_LENGTH)
    utm_medium: str | None = Field(default=None, max_length=MAX_UTM_LENGTH)
    utm_campaign: str | None = Field(
        default=None,
        max_length=MAX_UTM_LENGTH,
        description="added to the target on redirect when it carries no UTM of its own",
    )


class CreateLink(_LinkFields):
    """One link of a URL for one channel, optionally promoted by one employee."""

    channel: str = Field(
        min_length=1,
        max_length=MAX_CHANNEL_LENGTH,
        description="the tenant's own label of where the link is shared",
        examples=["朋友圈"],
    )
    employee_id: UUID | None = Field(default=None, description="the promoting employee")


class CreateLinkSet(_LinkFields):
    """Links of one URL for every channel × employee given (no employees: one per channel)."""

    channels: list[str] = Field(min_length=1, max_length=MAX_SET_CHANNELS, examples=[["朋友圈"]])
    employee_ids: list[UUID] = Field(default_factory=list, max_length=MAX_SET_EMPLOYEES)


class LinkDetails(BaseModel):
    id: UUID
    code: str = Field(description="the 8-character short code")
    short_path: str = Field(description="/s/{signed code}: the path visitors open")
    short_url: str = Field(description="the short URL to share (also in the QR code)")
    target_url: str
    title: str
    channel: str
    employee_id: UUID | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    archived: bool
    version: int
    created_at: datetime


class LinkSet(BaseModel):
    items: list[LinkDetails]


class Counts(BaseModel):
    """Visits through promotion links: `clicks` (PV, each /s/ redirect a person made),
    `visitors` (UV, distinct anonymous ids or leads among them) and `landings` (page
    views the tracking snippet reported with the link's `hk_link` parameter)."""

    clicks: int = 0
    visitors: int = 0
    landings: int = 0
    last_click_at: datetime | None = None


class LinkStats(BaseModel):
    link_id: UUID
    totals: Counts


class GroupCounts(BaseModel):
    key: str = Field(description="the channel label, or the employee id ('' for none)")
    counts: Counts


class TrackingSettingsDetails(BaseModel):
    auto_ad_campaigns: bool = Field(
        description="make an ad campaign record for each new utm_campaign visitors bring"
    )
    version: int


class ChangeTrackingSettings(Command):
    auto_ad_campaigns: bool


class AdCampaignDetails(BaseModel):
    id: UUID
    name: str = Field(description="the utm_campaign value")
    source: str | None = Field(description="utm_source of the first visit")
    medium: str | None = Field(description="utm_medium of the first visit")
    first_seen_at: datetime
    behaviours: int = Field(description="behaviours seen with this utm_campaign")
    last_seen_at: datetime | None
