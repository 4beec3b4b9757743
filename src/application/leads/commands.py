"""Commands and answers of the leads context."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command
from domain.leads.lead import Lead

Text = str | None
FieldValue = str | int | float | bool | None
Outcome = Literal["created", "matched", "updated", "duplicate"]


class LeadInput(Command):
    """A person as a form, an API call or an import row describes them. At least one
    identity; a mobile or e-mail for people (LEAD-3)."""

    mobile: str | None = Field(default=None, max_length=32, examples=["13800138000"])
    email: str | None = Field(default=None, max_length=254)
    wechat_openid: str | None = Field(default=None, max_length=128)
    wechat_unionid: str | None = Field(default=None, max_length=128)
    wecom_external_userid: str | None = Field(default=None, max_length=128)
    member_id: str | None = Field(default=None, max_length=128)
    name: str | None = Field(default=None, max_length=100)
    gender: str | None = Field(default=None, max_length=16)
    birthday: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")
    city: str | None = Field(default=None, max_length=100)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=100)
    industry: str | None = Field(default=None, max_length=100)
    custom: dict[str, FieldValue] = Field(default_factory=dict, max_length=100)
    source: dict[str, str | None] = Field(
        default_factory=dict,
        max_length=20,
        description="level1, level2, channel, utm_*, referrer, landing_url, user_agent, ip",
    )
    status: str | None = Field(default=None, max_length=64)
    owner_id: UUID | None = None
    user_type: str = Field(default="person", min_length=1, max_length=64)


class CreateLead(LeadInput):
    pass


class UpdateLead(Command):
    """Profile fields to change; a null clears one. Omitted fields stay as they are."""

    name: str | None = Field(default=None, max_length=100)
    gender: str | None = Field(default=None, max_length=16)
    birthday: str | None = Field(default=None, max_length=10)
    city: str | None = Field(default=None, max_length=100)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=100)
    industry: str | None = Field(default=None, max_length=100)
    custom: dict[str, FieldValue] = Field(default_factory=dict, max_length=100)


class AttachIdentity(Command):
    kind: Literal[
        "mobile", "email", "wechat_openid", "wechat_unionid", "wecom_external_userid", "member_id"
    ]
    value: str = Field(min_length=1, max_length=254)


class AssignLead(Command):
    owner_id: UUID
    reason: str | None = Field(default=None, max_length=500)


class ReleaseLead(Command):
    reason: str = Field(min_length=1, max_length=500)


class FollowUpLead(Command):
    note: str = Field(min_length=1, max_length=2000)


class CloseLead(Command):
    outcome: Literal["won", "lost", "closed"]
    reason: str = Field(min_length=1, max_length=500)


class ChangeStatus(Command):
    status: str = Field(min_length=1, max_length=64)


class TagLead(Command):
    tags: list[str] = Field(min_length=1, max_length=50)


class ChangeConsent(Command):
    channel: Literal["email", "sms", "wechat"]
    state: Literal["subscribed", "unsubscribed", "suppressed"]
    source: str = Field(min_length=1, max_length=200, examples=["unsubscribe link"])


class DeleteLead(Command):
    reason: str = Field(min_length=1, max_length=500)


class LeadDetails(BaseModel):
    id: UUID
    tenant_id: UUID
    user_type: str
    identities: list[dict[str, str]]
    profile: dict[str, FieldValue]
    custom: dict[str, FieldValue]
    source: dict[str, FieldValue]
    status: str
    pool_state: str
    owner_id: UUID | None
    tags: list[str]
    consent: dict[str, dict[str, str]]
    merged_into: UUID | None = Field(description="set on a merged-away lead: the survivor")
    deleted: bool
    version: int
    created_at: datetime
    updated_at: datetime


class IntakeResult(BaseModel):
    """What happened to one person offered to the leads: a new lead, an existing one it
    matched (new identities attached, empty fields filled), an existing one updated, or
    a duplicate left for cleaning."""

    outcome: Outcome
    lead: LeadDetails


def lead_details(lead: Lead) -> LeadDetails:
    return LeadDetails(
        id=lead.id,
        tenant_id=lead.tenant_id,
        user_type=lead.user_type,
        identities=[dict(i) for i in lead.identities],
        profile=dict(lead.profile),
        custom=dict(lead.custom),
        source=dict(lead.source),
        status=lead.status,
        pool_state=lead.pool_state,
        owner_id=lead.owner_id,
        tags=list(lead.tags),
        consent={channel: dict(state) for channel, state in lead.consent.items()},
        merged_into=lead.merged_into,
        deleted=lead.is_deleted,
        version=lead.version,
        created_at=lead.created_on,
        updated_at=lead.modified_on,
    )
