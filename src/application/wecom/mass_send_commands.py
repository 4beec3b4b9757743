"""Commands and answers of WeCom mass sends (客户群发 / 客户群群发 / 朋友圈, WECOM-2) and
of who they reach (WECOM-5)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command

Target = Literal["customers", "groups", "moments"]
TaskState = Literal["draft", "scheduled", "submitting", "submitted", "finished", "cancelled"]
PartState = Literal["planned", "left_out", "submitted", "sent", "failed", "not_sent"]


class MassAttachment(Command):
    """An image (media_id uploaded to WeCom, or url: a WeCom picture URL; Moments take
    media_id only), a link card (title, url; picurl and desc optional; for Moments the
    cover is media_id) or a mini-program card (title, appid, page, media_id of its
    cover; not for Moments)."""

    kind: Literal["image", "link", "miniprogram"]
    title: str = Field(default="", max_length=64)
    url: str = Field(default="", max_length=2048)
    picurl: str = Field(default="", max_length=2048)
    desc: str = Field(default="", max_length=512)
    appid: str = Field(default="", max_length=64)
    page: str = Field(default="", max_length=512)
    media_id: str = Field(default="", max_length=256)


class MassContent(Command):
    """A text (≤ 4,000 bytes), attachments (≤ 9; Moments: 9 images or one link), or
    both."""

    text: str = Field(default="", max_length=4000, examples=["双十一新品上市，点击了解"])
    attachments: list[MassAttachment] = Field(default_factory=list, max_length=9)


class MassSendAudience(Command):
    """Which employees send (listed by WeCom userid, or all staff: then only those in
    the app's visible range and within the interface accounts bought, WECOM-5) and, for
    customers, which of their customers: any of `tags`, none of `exclude_tags`, added
    from/to. Moments take `tags` only; group sends no filter."""

    scope: Literal["employees", "all_staff"] = "employees"
    userids: list[str] = Field(default_factory=list, max_length=10_000)
    tags: list[str] = Field(default_factory=list, max_length=100, description="tag names")
    exclude_tags: list[str] = Field(default_factory=list, max_length=100)
    added_from: datetime | None = None
    added_to: datetime | None = None


class DraftWecomMassSend(Command):
    """A mass send to customers (single chats), customer groups or Moments, now or at
    `send_at`; nothing reaches WeCom until it is submitted."""

    name: str = Field(min_length=1, max_length=64, examples=["双十一预热"])
    target: Target = "customers"
    content: MassContent
    audience: MassSendAudience
    send_at: datetime | None = Field(default=None, description="null: when submitted")


class CancelMassSend(Command):
    reason: str = Field(default="", max_length=300)


class LeftOutEmployee(BaseModel):
    userid: str
    name: str
    reason: str  # outside_visible_range | inactive | departed | over_account_quota | …


class MassSendPlan(BaseModel):
    """Who the task reaches, who is left out and why; `accounts` is the interface
    accounts bought (null: no limit), which all-staff tasks are held to."""

    planned_at: datetime
    accounts: int | None
    reached: list[str]
    left_out: list[LeftOutEmployee]
    left_out_by_reason: dict[str, int]


class PartCounts(BaseModel):
    """Employees per state of their part."""

    reached: int = 0
    left_out: int = 0
    waiting: int = 0  # handed to WeCom, not sent yet
    sent: int = 0
    failed: int = 0
    not_sent: int = 0  # collection ended before they sent


class WecomMassSendDetails(BaseModel):
    id: UUID
    name: str
    target: Target
    state: TaskState
    content: MassContent
    audience: MassSendAudience
    send_at: datetime | None
    plan: MassSendPlan | None
    parts: PartCounts
    customers: dict[str, int]  # per result: sent, not_sent, not_friend, received_already
    submitted_at: datetime | None
    finished_at: datetime | None
    finish_reason: str
    cancel_reason: str
    version: int
    created_at: datetime


class MassSendSummary(BaseModel):
    id: UUID
    name: str
    target: Target
    scope: Literal["employees", "all_staff"]
    state: TaskState
    send_at: datetime | None
    parts: PartCounts
    created_at: datetime
    submitted_at: datetime | None
    finished_at: datetime | None


class MassSendPart(BaseModel):
    """One employee's part: left out (with the reason), handed over, sent (with what
    became of their customers or groups), refused by WeCom, or never sent."""

    userid: str
    name: str
    state: PartState
    reason: str
    customers: int | None  # planned customers (a filter's matches; null: all of theirs)
    msgids: list[str]
    excluded: int  # customers WeCom would not include
    sent_at: datetime | None
    sent: int
    not_sent: int
    not_friend: int
    received_already: int


class MassSendOutcome(BaseModel):
    """What became of the task for one customer (or group) of one employee."""

    userid: str
    target_id: str  # external_userid, or chat_id of a group send
    result: Literal["sent", "not_sent", "not_friend", "received_already", "excluded"]
