"""Commands and answers of the tracking context's sources and write keys (TRK-1)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command

SourceKindName = Literal["website", "server", "app"]


class CreateTrackingSource(Command):
    name: str = Field(min_length=1, max_length=60, examples=["官网"])
    kind: SourceKindName = Field(description="website (the snippet or analytics.js), server or app")
    honour_do_not_track: bool | None = Field(
        default=None,
        description="drop behaviours of browsers that send Do-Not-Track; "
        "null: yes for a website, no otherwise",
    )


class ReviseTrackingSource(Command):
    """Fields to change; omitted fields stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=60)
    honour_do_not_track: bool | None = None


class TrackingSourceDetails(BaseModel):
    id: UUID
    name: str
    kind: str
    honour_do_not_track: bool
    key_prefix: str = Field(description="the first characters of the write key's secret part")
    status: str = Field(description="live or revoked")
    version: int
    created_at: datetime
    changed_at: datetime


class IssuedTrackingSource(TrackingSourceDetails):
    """A source with its new write key: shown in this answer only (stored hashed)."""

    write_key: str | None = Field(
        description="the write key, in this answer only; null when this answer repeats an "
        "earlier one (Idempotency-Key)"
    )


class SourceDayStats(BaseModel):
    """Behaviours received from one source on one UTC day, by kind."""

    day: date
    events: int
    by_kind: dict[str, int]
    last_received_at: datetime


class SourceStatsDetails(BaseModel):
    source_id: UUID
    total_events: int = Field(description="over the days listed")
    last_received_at: datetime | None
    days: list[SourceDayStats] = Field(description="newest first")
