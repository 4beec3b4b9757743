"""Bulk actions on leads chosen in the list (LEAD-10, seed 003 §1.3): add to a group,
add or remove tags, change source, change status, delete.

Each lead is changed by its own command (load, act, commit through the group-commit
writer), a few at a time, so one refused or conflicting lead never leaves another
half-changed and the writer still commits many leads per transaction.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.leads.leads import Leads
from application.leads.ports import LeadGroups
from application.leads.queries import LeadFilter
from application.leads.scope import CallerOrScope, LeadScope
from application.leads.selection import LeadSelection
from application.leads.settings import may_add_tags
from application.shared.commands import Command
from application.shared.errors import InvalidInput, NotFound, VersionConflict
from domain.leads.lead import SOURCE_FIELDS, Lead, Value
from domain.shared.errors import DomainError, StateConflict

MAX_BULK = 500  # as many as the list's "paste up to 500" intake (seed 003 §1.2)
WORKERS = 8  # concurrent per-lead commands: enough to fill the writer's batches
CONFLICT_RETRIES = 5  # e.g. leads that teach the tenant the same new tag at once

BulkVerb = Literal[
    "add_tags", "remove_tags", "change_source", "change_status", "delete", "add_to_group"
]
Tag = str


class LeadFilterInput(Command):
    """The list's filters (GET /api/v1/leads), to act on every lead they select."""

    q: str | None = Field(default=None, max_length=100)
    mobile: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    tag: str | None = Field(default=None, max_length=64)
    owner_id: UUID | None = None
    status: str | None = Field(default=None, max_length=64)
    pool_state: str | None = Field(default=None, max_length=32)
    source_level1: str | None = Field(default=None, max_length=200)
    source_level2: str | None = Field(default=None, max_length=200)
    user_type: str | None = Field(default=None, max_length=64)
    created_from: datetime | None = None
    created_to: datetime | None = None

    def as_filter(self) -> LeadFilter:
        return LeadFilter(**self.model_dump())


class BulkArguments(Command):
    """What the action needs: `tags` (add_tags, remove_tags), `source` (change_source),
    `status` (change_status), `reason` (delete), `group_id` (add_to_group)."""

    tags: list[str] | None = Field(default=None, min_length=1, max_length=50)
    source: dict[str, str | None] | None = Field(default=None, min_length=1, max_length=20)
    status: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str | None = Field(default=None, min_length=1, max_length=500)
    group_id: UUID | None = None


class BulkLeadAction(Command):
    """One action on chosen leads: `lead_ids` (at most 500), or `filter` (the first 500
    it selects, newest first; pass `next_cursor` back as `cursor` for the next 500)."""

    action: BulkVerb
    lead_ids: list[UUID] | None = Field(default=None, min_length=1, max_length=MAX_BULK)
    filter: LeadFilterInput | None = None
    cursor: str | None = Field(default=None, max_length=500)
    arguments: BulkArguments = Field(default_factory=BulkArguments)


class LeadOutcome(BaseModel):
    """What happened to one lead: `ok` (changed, or already as asked), `not_found`
    (no such lead of this tenant in the caller's scope) or `refused` (with the reason)."""

    lead_id: UUID
    result: Literal["ok", "not_found", "refused"]
    reason: str | None = None
    field: str | None = None
    version: int | None = None


class BulkResult(BaseModel):
    action: BulkVerb
    results: list[LeadOutcome]
    ok: int
    not_found: int
    refused: int
    next_cursor: str | None = Field(
        default=None, description="with a filter: more leads match; send it as `cursor`"
    )


_NEEDS: dict[str, str] = {
    "add_tags": "tags",
    "remove_tags": "tags",
    "change_source": "source",
    "change_status": "status",
    "delete": "reason",
    "add_to_group": "group_id",
}


class BulkLeadActions:
    """Applies one action to many leads, each in its own command."""

    def __init__(
        self, leads: Leads, selection: LeadSelection, groups: Sequence[LeadGroups]
    ) -> None:
        self.leads = leads
        self.selection = selection
        self.groups = groups  # who keeps static groups (the segments context), if any

    def apply(self, who: CallerOrScope, command: BulkLeadAction) -> BulkResult:
        """Run `command` on each chosen lead inside the caller's data scope and answer
        per lead; a lead outside the scope is not found, like another tenant's."""
        scope = self.leads.scope_of(who)
        act = self._action(scope, command, may_add=may_add_tags(who))
        lead_ids, next_cursor = self._chosen(scope, command)

        def one(lead_id: UUID) -> LeadOutcome:
            return self._one(scope, lead_id, act)

        with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="bulk") as pool:
            # Each task runs in a copy of the request context: its events are stamped
            # with this request's actor, id and reason.
            futures = [
                pool.submit(contextvars.copy_context().run, one, lead_id) for lead_id in lead_ids
            ]
            results = [future.result() for future in futures]
        return BulkResult(
            action=command.action,
            results=results,
            ok=sum(r.result == "ok" for r in results),
            not_found=sum(r.result == "not_found" for r in results),
            refused=sum(r.result == "refused" for r in results),
            next_cursor=next_cursor,
        )

    def _chosen(self, scope: LeadScope, command: BulkLeadAction) -> tuple[list[UUID], str | None]:
        if (command.lead_ids is None) == (command.filter is None):
            raise InvalidInput("send either lead_ids or a filter", field="lead_ids")
        if command.lead_ids is not None:
            if command.cursor is not None:
                raise InvalidInput("a cursor goes with a filter", field="cursor")
            return list(dict.fromkeys(command.lead_ids)), None
        assert command.filter is not None
        rows, next_cursor = self.selection.batch(
            scope, command.filter.as_filter(), after=command.cursor, limit=MAX_BULK
        )
        return [UUID(row["lead_id"]) for row in rows], next_cursor

    def _one(
        self, scope: LeadScope, lead_id: UUID, act: Callable[[Lead], int | None]
    ) -> LeadOutcome:
        for _ in range(CONFLICT_RETRIES):
            try:
                version = act(self.leads.lead_in_scope(scope, lead_id))
            except NotFound:
                return LeadOutcome(lead_id=lead_id, result="not_found")
            except VersionConflict:
                continue  # changed meanwhile: load it again and redo this lead's change
            except (DomainError, InvalidInput) as refusal:
                return LeadOutcome(
                    lead_id=lead_id,
                    result="refused",
                    reason=refusal.message,
                    field=getattr(refusal, "field", None),
                )
            return LeadOutcome(lead_id=lead_id, result="ok", version=version)
        return LeadOutcome(
            lead_id=lead_id, result="refused", reason="the lead kept changing; retry"
        )

    def _action(
        self, scope: LeadScope, command: BulkLeadAction, *, may_add: bool
    ) -> Callable[[Lead], int | None]:
        """The change to make on one loaded lead; it commits and answers the version."""
        args, needed = command.arguments, _NEEDS[command.action]
        if getattr(args, needed) is None:
            raise InvalidInput(
                f"{command.action} needs arguments.{needed}", field=f"arguments.{needed}"
            )
        leads = self.leads
        tags = _clean_tags(args.tags or [])
        self._check_against_settings(scope.tenant_id, command, tags, may_add=may_add)
        source: dict[str, Value] = dict(args.source or {})
        unknown = sorted(set(source) - set(SOURCE_FIELDS))
        if unknown:  # refuse the request once rather than every lead alike
            raise InvalidInput(
                f"unknown source field {unknown[0]!r}", field=f"arguments.source.{unknown[0]}"
            )

        def change(lead: Lead) -> int:
            # The tenant's settings as they are now, committed with the lead when the
            # change teaches them something (a tag the tenant never had).
            rules = leads.rules.for_tenant(lead.tenant_id)
            if command.action == "add_tags":
                lead.tag(rules.check_tags(tags, may_add=may_add))
            elif command.action == "remove_tags":
                lead.untag(tags)
            elif command.action == "change_source":
                lead.change_source(rules.check_source(source))
            else:
                lead.change_status(rules.check_status(args.status or ""))
            leads.commit(lead, *rules.pending())
            return lead.version

        def delete(lead: Lead) -> int:
            # The leads application releases the identities in the same commit.
            return leads.delete(scope, lead.id, args.reason or "").version

        def add_to_group(lead: Lead) -> int:
            assert args.group_id is not None and groups
            if not lead.is_live:
                raise StateConflict("the lead was merged or deleted")
            groups[0].list_lead(lead.tenant_id, args.group_id, lead.id)  # again: no change
            return lead.version

        groups = self.groups
        if command.action == "add_to_group":
            if not groups:
                raise InvalidInput("groups are not available", field="arguments.group_id")
            assert args.group_id is not None
            groups[0].check_static(scope.tenant_id, args.group_id)  # once, before any lead

        if command.action == "delete":
            return delete
        if command.action == "add_to_group":
            return add_to_group
        return change

    def _check_against_settings(
        self, tenant_id: UUID, command: BulkLeadAction, tags: list[Tag], *, may_add: bool
    ) -> None:
        """Refuse once, before any lead, a status, source or (unless the caller may
        create tags) a tag the tenant does not have."""
        rules = self.leads.rules.for_tenant(tenant_id)
        args = command.arguments
        try:
            if command.action == "add_tags":
                rules.check_tags(tags, may_add=may_add)  # a private copy learns new ones
            elif command.action == "change_status":
                rules.check_status(args.status or "")
            elif command.action == "change_source":
                rules.check_source(dict(args.source or {}))
        except (DomainError, InvalidInput) as refusal:
            field = f"arguments.{refusal.field or _NEEDS[command.action]}"
            raise InvalidInput(refusal.message, field=field) from None


def _clean_tags(tags: list[Tag]) -> list[Tag]:
    """Trimmed, non-empty, without commas (the read model separates tags with them)."""
    cleaned = [tag.strip() for tag in tags]
    for tag in cleaned:
        if not tag or len(tag) > 64 or "," in tag:
            raise InvalidInput("a tag is 1 to 64 characters without commas", field="arguments.tags")
    return cleaned
