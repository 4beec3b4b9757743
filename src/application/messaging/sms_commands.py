"""Commands and answers of SMS signatures and tasks (SMS-1…3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from application.messaging.email_task_commands import AUDIENCE_DESCRIPTION, Audience, TaskProgress
from application.shared.commands import Command

TEXT_DESCRIPTION = (
    "the text without its signature; must contain 退订; personalisation fields {{name}}, "
    "{{company}}, {{title}}, {{city}}, {{email}}, {{mobile}}, {{custom.<key>}} (optionally "
    "| default('…')); links longer than 20 characters become each recipient's short link; "
    "at most 500 characters with the signature"
)


# --- signatures ----------------------------------------------------------------------------


class SubmitSignature(Command):
    text: str = Field(
        min_length=1,
        max_length=60,
        examples=["获客科技"],
        description="2-30 letters or digits, without 【】 (added when sent)",
    )
    purpose: str = Field(
        default="",
        max_length=200,
        examples=["公司简称，用于会员营销短信"],
        description="what it names (company, app, site) — for the reviewers",
    )


class RejectReview(Command):
    reason: str = Field(min_length=1, max_length=500, examples=["与企业名称不符"])


class SignatureDetails(BaseModel):
    id: UUID
    text: str
    purpose: str
    state: str = Field(description="pending, approved or rejected")
    reason: str | None = Field(description="why it was rejected")
    version: int
    created_at: datetime
    updated_at: datetime


# --- tasks ---------------------------------------------------------------------------------


class DraftSmsTask(Command):
    name: str = Field(min_length=1, max_length=100, examples=["双十一会员短信"])
    signature_id: UUID = Field(description="an approved signature of the tenant")
    text: str = Field(
        min_length=1,
        max_length=1000,
        examples=["{{name}}您好，会员日全场5折 https://www.acme.cn/promotions/11 回T退订"],
        description=TEXT_DESCRIPTION,
    )
    audience: Audience = Field(description=AUDIENCE_DESCRIPTION)


class ReviseSmsTask(Command):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    signature_id: UUID | None = None
    text: str | None = Field(
        default=None, min_length=1, max_length=1000, description=TEXT_DESCRIPTION
    )
    audience: Audience | None = Field(default=None, description=AUDIENCE_DESCRIPTION)


class ScheduleSmsTask(Command):
    send_at: datetime | None = Field(
        default=None, description="when to send (with a time zone); null: now"
    )


class SmsTaskDetails(BaseModel):
    id: UUID
    name: str
    signature_id: UUID
    signature: str = Field(description="the signature's text as written (sent in 【】)")
    text: str
    audience: dict[str, Any]
    state: str = Field(
        description="draft, pending_review, rejected, scheduled, sending, sent, cancelled"
    )
    approved: bool = Field(description="the content as it is was approved (no review to send)")
    rejection: str | None = Field(description="why the last review rejected it")
    length: int = Field(
        description="characters with the signature, as the providers count them (fields as "
        "written, long links as a short link)"
    )
    segments: int = Field(description="messages it is sent and billed as (70, then 67 each)")
    personalised: bool = Field(description="the length differs per recipient")
    short_links: list[str] = Field(description="links each recipient gets as a short link")
    send_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    progress: TaskProgress | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class SmsTaskSummary(BaseModel):
    id: UUID
    name: str
    signature: str
    state: str
    length: int
    segments: int
    send_at: datetime | None
    recipients: int
    version: int
    created_at: datetime
    updated_at: datetime
