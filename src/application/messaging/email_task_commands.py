"""Commands and answers of e-mail tasks (MAIL-1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command
from domain.messaging.email_task import MAX_SUBJECT

AUDIENCE_DESCRIPTION = (
    "who gets it: {'kind': 'group', 'group_id': ...}, {'kind': 'filter', 'tree': {...}} "
    "(the filter language) or {'kind': 'leads', 'lead_ids': [...]} (at most 10,000)"
)


class Audience(Command):
    # Required in effect: the domain refuses a missing kind naming `audience.kind` (so a
    # wrong field is named before a missing one).
    kind: Literal["group", "filter", "leads"] | None = None
    group_id: UUID | None = None
    tree: dict[str, Any] | None = None
    lead_ids: list[UUID] | None = Field(default=None, max_length=10_000)


class DraftEmailTask(Command):
    name: str = Field(min_length=1, max_length=100, examples=["双十一会员专享"])
    subject: str = Field(min_length=1, max_length=MAX_SUBJECT, examples=["{{name}}，您的专属优惠"])
    sender_name: str = Field(min_length=1, max_length=100, examples=["获客科技"])
    sender_address: str = Field(max_length=254, examples=["news@mail.acme.cn"])
    reply_to: str | None = Field(default=None, max_length=254)
    template_id: UUID
    audience: Audience = Field(description=AUDIENCE_DESCRIPTION)


class ReviseEmailTask(Command):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    subject: str | None = Field(default=None, min_length=1, max_length=MAX_SUBJECT)
    sender_name: str | None = Field(default=None, min_length=1, max_length=100)
    sender_address: str | None = Field(default=None, max_length=254)
    reply_to: str | None = Field(default=None, max_length=254)
    template_id: UUID | None = None
    audience: Audience | None = Field(default=None, description=AUDIENCE_DESCRIPTION)


class ScheduleEmailTask(Command):
    send_at: datetime | None = Field(
        default=None, description="when to send (with a time zone); null: now"
    )


class TestSend(Command):
    to: str = Field(max_length=254, description="the address to send the test to")
    lead_id: UUID | None = Field(
        default=None, description="whose fields fill the template (none: the field defaults)"
    )


class TaskProgress(BaseModel):
    """Where the task's messages are: queued, sent, skipped (opted out, suppressed,
    capped) and failed (hard bounce, no address, retries ran out)."""

    recipients: int
    queued: int
    sent: int
    skipped: int
    failed: int
    percent: int = Field(description="share of recipients with an outcome, 0-100")


class EmailTaskDetails(BaseModel):
    id: UUID
    name: str
    subject: str
    sender_name: str
    sender_address: str
    reply_to: str | None
    template_id: UUID
    audience: dict[str, Any]
    state: str = Field(description="draft, scheduled, sending, sent, cancelled")
    send_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    progress: TaskProgress | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class EmailTaskSummary(BaseModel):
    id: UUID
    name: str
    subject: str
    state: str
    send_at: datetime | None
    recipients: int
    version: int
    created_at: datetime
    updated_at: datetime
