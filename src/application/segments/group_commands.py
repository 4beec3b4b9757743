"""Commands and answers of groups (SEG-1, SEG-3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command
from domain.segments.groups import MAX_NAME

MAX_MEMBERS_PER_CALL = 500  # lead ids one call adds or removes (as the lead list's bulk)
FILTER_DESCRIPTION = (
    "a filter tree: {'all': [...]}, {'any': [...]}, {'not': ...} or a condition "
    "({'field', 'op', 'value'} or {'behaviour': {...}, 'did': true})"
)


class FormGroup(Command):
    """A static group (members chosen) or a smart group (`filter` selects its members)."""

    name: str = Field(min_length=1, max_length=MAX_NAME, examples=["华东高意向客户"])
    kind: Literal["static", "smart"] = "static"
    filter: dict[str, Any] | None = Field(default=None, description=FILTER_DESCRIPTION)


class ReviseGroup(Command):
    """Rename and/or (smart groups) change the filter; omitted fields stay."""

    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    filter: dict[str, Any] | None = Field(default=None, description=FILTER_DESCRIPTION)


class ChooseMembers(Command):
    """Leads to add to or remove from a static group: `lead_ids` (at most 500), or a
    `filter` tree (every live lead it selects now; adding only)."""

    lead_ids: list[UUID] | None = Field(default=None, min_length=1, max_length=MAX_MEMBERS_PER_CALL)
    filter: dict[str, Any] | None = Field(default=None, description=FILTER_DESCRIPTION)


class MergeGroups(Command):
    """Merge `source_ids` into the static group `target_id`: their members join it and
    the sources are deleted."""

    source_ids: list[UUID] = Field(min_length=1, max_length=20)
    target_id: UUID


MemberVerb = Literal["add_tags", "remove_tags", "change_source", "change_status"]


class MemberAction(Command):
    """A change to every current member of the group (the leads context makes it):
    `tags` for add_tags/remove_tags, `source` for change_source, `status` for
    change_status."""

    action: MemberVerb
    tags: list[str] | None = Field(default=None, min_length=1, max_length=50)
    source: dict[str, str | None] | None = Field(default=None, min_length=1, max_length=20)
    status: str | None = Field(default=None, min_length=1, max_length=64)


class GroupDetails(BaseModel):
    id: UUID
    name: str
    kind: str
    filter: dict[str, Any] | None
    members: int = Field(description="current members (as the member list counts them)")
    deleted: bool
    version: int
    created_at: datetime
    updated_at: datetime


class MembersChanged(BaseModel):
    """What a call changed: `changed` leads joined (or left), `unchanged` were already
    as asked, `not_found` are no live lead of the tenant."""

    changed: int
    unchanged: int
    not_found: int = 0
    not_found_ids: list[UUID] = Field(default_factory=list)


class MemberDetails(BaseModel):
    lead_id: UUID
    joined_at: datetime
    reason: str
    name: str | None = None
    mobile: str | None = None
    email: str | None = None
    company: str | None = None
    status: str | None = None
    score: int | None = None
    stage: str | None = None


class ActionOutcome(BaseModel):
    """Counts of a change made to members through the leads context."""

    action: str
    ok: int
    not_found: int
    refused: int


class GroupCounts(BaseModel):
    tenant_groups: int
    static: int
    smart: int
    members: int = Field(description="memberships over all live groups")
