"""Groups (SEG-1, SEG-3 用户组): form static and smart groups, rename them, change a smart
group's filter, delete them (alone or with their leads), merge them; add and remove a
static group's members by id or from a filter result; change every member through the
leads context (tags, source, status).

Who belongs is one `Membership` per (group, lead), with a derived id: joining is
idempotent by the membership's state, so repeating a call, or a follower seeing an
event again, changes nothing. A smart group's members are the live leads its filter
selects: in full (SQL over the profile read model) when it is formed or its filter
changes and on the scheduled pass, and lead by lead as leads change (`SmartGroups`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.segments.group_commands import (
    ActionOutcome,
    ChooseMembers,
    FormGroup,
    GroupDetails,
    MemberAction,
    MembersChanged,
    MergeGroups,
    ReviseGroup,
)
from application.segments.group_directory import GroupQueries
from application.segments.group_ports import MemberLeads
from application.segments.segments import Segments
from application.segments.selection import FilterSelection
from application.shared.callers import TenantCaller
from application.shared.clock import Clock
from application.shared.errors import InvalidInput, NotFound, VersionConflict
from domain.segments.groups import Group
from domain.segments.membership import Membership, membership_id
from domain.shared.errors import DomainError
from domain.shared.filters import Filter, LeadFacts

log = logging.getLogger("huoke.segments.groups")
BATCH = 100  # memberships per commit
RETRIES = 3
LEADS_PER_ACTION = 500  # leads per call of the leads' bulk action
TAIL_LIMIT = 5_000  # memberships changed since the read model's position worth reading
MEMBERSHIP_TOPICS = ("segments.Membership.Joined", "segments.Membership.Left")


class LeadFactsSource(Protocol):
    """What the filters read about one lead now (the profile read model's queries)."""

    def facts_of(self, tenant_id: UUID, lead_id: UUID) -> LeadFacts | None:
        """The lead's facts, None when it is no live lead of the tenant."""
        ...


class Groups:
    """The use cases of groups and their members."""

    def __init__(
        self,
        segments: Segments,
        queries: GroupQueries,
        selection: FilterSelection,
        facts: LeadFactsSource,
        leads: MemberLeads,
        clock: Clock,
    ) -> None:
        self.segments = segments
        self.queries = queries
        self.selection = selection
        self.facts = facts
        self.leads = leads
        self.clock = clock

    # --- groups -------------------------------------------------------------------------

    def form(self, tenant_id: UUID, command: FormGroup) -> GroupDetails:
        """Form a static group, or a smart group whose members are evaluated at once."""
        group = Group.form(
            group_id=self.segments.new_id("group"),
            tenant_id=tenant_id,
            name=command.name,
            kind=command.kind,
            tree=command.filter,
        )
        formed = self.segments.create(group)
        members = self.evaluate(formed) if formed.is_smart else 0
        return details(formed, members)

    def group(self, tenant_id: UUID, group_id: UUID) -> GroupDetails:
        group = self.live_group(tenant_id, group_id)
        return details(group, self._count(tenant_id, group_id))

    def revise(
        self, tenant_id: UUID, group_id: UUID, command: ReviseGroup, *, expected_version: int
    ) -> GroupDetails:
        """Rename a group and/or give a smart group another filter (members follow it)."""
        group = self.live_group(tenant_id, group_id, expected_version=expected_version)
        if command.name is not None:
            group.rename(command.name)
        tree_before = group.tree
        if command.filter is not None:
            group.change_filter(command.filter)
        self.segments.commit(group)
        if group.tree != tree_before:
            self.evaluate(group)
        return details(group, self._count(tenant_id, group_id))

    def delete(
        self,
        who: TenantCaller,
        group_id: UUID,
        *,
        with_members: bool,
        expected_version: int,
    ) -> GroupDetails:
        """Delete the group; `with_members` deletes its leads first, through the leads
        context, with the caller's rights (refused as a whole when it may not)."""
        group = self.live_group(who.tenant_id, group_id, expected_version=expected_version)
        if with_members:
            reason = f"deleted with the group {group.name}"
            self._each_member_chunk(
                who, group, lambda chunk: self.leads.act(who, "delete", chunk, {"reason": reason})
            )
        group.delete(with_members=with_members)
        self.segments.commit(group)
        return details(group, 0)

    def merge(self, tenant_id: UUID, command: MergeGroups) -> GroupDetails:
        """Merge groups into a static group: their members join it (`merged`), and the
        merged groups are deleted."""
        target = self.live_group(tenant_id, command.target_id)  # another tenant's: 404
        target.require_static(field="target_id")
        sources = []
        for source_id in dict.fromkeys(command.source_ids):
            if source_id == target.id:
                raise InvalidInput("a group cannot be merged into itself", field="source_ids")
            sources.append(self.live_group(tenant_id, source_id))
        for source in sources:
            members = sorted(self.queries.member_ids(tenant_id, source.id))
            self._change(tenant_id, target.id, members, join=True, reason="merged")
            source.merge_into(target)
        self.segments.commit(*sources)
        return details(target, self._count(tenant_id, target.id))

    # --- members of a static group ------------------------------------------------------

    def add_members(
        self, who: TenantCaller, group_id: UUID, command: ChooseMembers
    ) -> MembersChanged:
        """Add leads by id (those that are no live lead in the caller's scope are
        answered as not found) or every lead a filter selects now."""
        group = self.live_group(who.tenant_id, group_id)
        group.require_static()
        if (command.lead_ids is None) == (command.filter is None):
            raise InvalidInput("send either lead_ids or a filter", field="lead_ids")
        if command.lead_ids is not None:
            asked = list(dict.fromkeys(command.lead_ids))
            live = self.leads.live(who, asked)
            missing = [lead_id for lead_id in asked if lead_id not in live]
            chosen = [lead_id for lead_id in asked if lead_id in live]
        else:
            selecting = _parsed(command.filter)
            chosen = sorted(
                self.selection.all_lead_ids(who.tenant_id, selecting, now=self.clock.now())
            )
            missing = []
        changed, unchanged = self._change(
            who.tenant_id, group.id, chosen, join=True, reason="added"
        )
        return MembersChanged(
            changed=changed, unchanged=unchanged, not_found=len(missing), not_found_ids=missing
        )

    def remove_members(
        self, tenant_id: UUID, group_id: UUID, command: ChooseMembers
    ) -> MembersChanged:
        """Take leads out of a static group (those not in it stay as they are)."""
        group = self.live_group(tenant_id, group_id)
        group.require_static()
        if command.lead_ids is None or command.filter is not None:
            raise InvalidInput("removing takes lead_ids", field="lead_ids")
        asked = list(dict.fromkeys(command.lead_ids))
        changed, unchanged = self._change(tenant_id, group.id, asked, join=False, reason="removed")
        return MembersChanged(changed=changed, unchanged=unchanged)

    def act_on_members(
        self, who: TenantCaller, group_id: UUID, command: MemberAction
    ) -> ActionOutcome:
        """Tag, untag or change the source or status of every current member, through
        the leads context (each lead by its own command, as the lead list's bulk)."""
        group = self.live_group(who.tenant_id, group_id)
        choices: dict[str, dict[str, Any]] = {
            "add_tags": {"tags": command.tags},
            "remove_tags": {"tags": command.tags},
            "change_source": {"source": command.source},
            "change_status": {"status": command.status},
        }
        arguments = choices[command.action]
        needed = next(iter(arguments))
        if arguments[needed] is None:
            raise InvalidInput(f"{command.action} needs {needed}", field=needed)
        totals = [0, 0, 0]

        def act(chunk: list[UUID]) -> None:
            outcome = self.leads.act(who, command.action, chunk, arguments)
            totals[0] += outcome.ok
            totals[1] += outcome.not_found
            totals[2] += outcome.refused

        self._each_member_chunk(who, group, act)
        return ActionOutcome(
            action=command.action, ok=totals[0], not_found=totals[1], refused=totals[2]
        )

    # --- the leads context's port (LeadGroups: its bulk action "add to group") ---------

    def check_static(self, tenant_id: UUID, group_id: UUID) -> None:
        """Refuse a group the tenant has not (or not any more), or a smart one."""
        field = "arguments.group_id"
        try:
            group = self.live_group(tenant_id, group_id)
        except NotFound:
            raise InvalidInput(f"no Group {group_id}", field=field) from None
        if group.is_smart:
            raise InvalidInput(
                "a smart group's members are the leads its filter selects", field=field
            )

    def list_lead(
        self, tenant_id: UUID, group_id: UUID, lead_id: UUID, *, reason: str = "added"
    ) -> bool:
        """List a live lead (the caller checked it) in a static group; False when it is
        listed already."""
        changed, _ = self._change(tenant_id, group_id, [lead_id], join=True, reason=reason)
        return changed == 1

    def unlist(self, tenant_id: UUID, group_id: UUID, lead_id: UUID) -> int:
        """Take a lead that is gone (deleted, merged away) out of a group; 0 when it
        was not in it."""
        changed, _ = self._change(tenant_id, group_id, [lead_id], join=False, reason="lead_gone")
        return changed

    # --- smart groups -------------------------------------------------------------------

    def evaluate(self, group: Group, *, now: datetime | None = None) -> int:
        """Make a smart group's members exactly the leads its filter selects now (SQL),
        each change checked again on the lead's facts just before it is made, so a lead
        that changed meanwhile is not moved on old news. Answers the member count."""
        now = now or self.clock.now()
        selecting = group.filter
        # First the groups read model shows the group (so the policy evaluates every lead
        # change from now on), then the selection: a change the profiles applied before
        # it is in it, and one after is the policy's.
        head = self.segments.recorder.max_notification_id()
        if head:
            self.segments.wait_for_views(head)
        wanted = self.selection.all_lead_ids(group.tenant_id, selecting, now=now)
        current = self.queries.member_ids(group.tenant_id, group.id)
        joining = [lead for lead in sorted(wanted - current) if self._still(group, lead, now, True)]
        leaving = [
            lead for lead in sorted(current - wanted) if self._still(group, lead, now, False)
        ]
        self._change(group.tenant_id, group.id, joining, join=True, reason="matched")
        self._change(group.tenant_id, group.id, leaving, join=False, reason="unmatched")
        return len((current | set(joining)) - set(leaving))

    def reconsider(
        self,
        tenant_id: UUID,
        lead_id: UUID,
        groups: Sequence[tuple[UUID, Filter]],
        *,
        now: datetime,
    ) -> int:
        """Let one lead join the smart `groups` whose filter it matches now and leave the
        others (a lead that is gone leaves them all). Answers how many memberships
        changed; doing it again changes nothing."""
        if not groups:
            return 0
        facts = self.facts.facts_of(tenant_id, lead_id)
        for _ in range(RETRIES):
            known = self._membership_states(tenant_id, lead_id, [g for g, _ in groups])
            changed = []
            for group_id, selecting in groups:
                wanted = facts is not None and selecting.matches(facts, now=now)
                if known.get(group_id) == wanted:
                    continue  # already as it should be (no record to load)
                membership = self._membership(tenant_id, group_id, lead_id, create=wanted)
                if membership is None:
                    continue
                leaving = "lead_gone" if facts is None else "unmatched"
                moved = membership.join("matched") if wanted else membership.leave(leaving)
                if moved:
                    changed.append(membership)
            try:
                self.segments.commit(*changed)
            except VersionConflict:
                continue  # changed meanwhile (a full evaluation): load them again
            return len(changed)
        raise VersionConflict(f"the memberships of lead {lead_id} kept changing")

    def _membership_states(
        self, tenant_id: UUID, lead_id: UUID, group_ids: Sequence[UUID]
    ) -> dict[UUID, bool]:
        """Whether the lead is in each group, for the memberships whose state the groups
        read model shows exactly: those with no Joined or Left after the position it has
        applied (read first, so its rows are at least that recent). The others are left
        out: their record decides. With a long backlog, none is known."""
        position = self.queries.view.max_tracking_id(self.segments.name) or 0
        listed = set(self.queries.groups_of(tenant_id, lead_id))
        tail = self.segments.recorder.select_notifications(
            start=position,
            limit=TAIL_LIMIT + 1,
            inclusive_of_start=False,
            topics=MEMBERSHIP_TOPICS,
        )
        if len(tail) > TAIL_LIMIT:
            return {}
        moved = {notification.originator_id for notification in tail}
        return {
            group_id: group_id in listed
            for group_id in group_ids
            if membership_id(tenant_id, group_id, lead_id) not in moved
        }

    def smart_groups_of(self, tenant_id: UUID) -> list[tuple[UUID, Filter]]:
        return [
            (group.id, Filter.parse(group.filter))
            for group in self.queries.smart_groups(tenant_id)
            if group.filter is not None
        ]

    # --- helpers ------------------------------------------------------------------------

    def _still(self, group: Group, lead_id: UUID, now: datetime, wanted: bool) -> bool:
        facts = self.facts.facts_of(group.tenant_id, lead_id)
        matches = facts is not None and group.filter.matches(facts, now=now)
        return matches == wanted

    def _each_member_chunk(self, who: TenantCaller, group: Group, act: Any) -> None:
        members = sorted(self.queries.member_ids(who.tenant_id, group.id))
        for start in range(0, len(members), LEADS_PER_ACTION):
            act(members[start : start + LEADS_PER_ACTION])

    def _change(
        self, tenant_id: UUID, group_id: UUID, lead_ids: Iterable[UUID], *, join: bool, reason: str
    ) -> tuple[int, int]:
        """Join (or leave) each lead, BATCH memberships per commit; (changed, unchanged)."""
        ids = list(lead_ids)
        changed = 0
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            try:
                changed += self._commit_chunk(tenant_id, group_id, chunk, join, reason)
            except VersionConflict:  # one of them changed meanwhile: one by one
                changed += sum(
                    self._one(tenant_id, group_id, lead_id, join, reason) for lead_id in chunk
                )
        return changed, len(ids) - changed

    def _commit_chunk(
        self, tenant_id: UUID, group_id: UUID, chunk: list[UUID], join: bool, reason: str
    ) -> int:
        pending = []
        for lead_id in chunk:
            membership = self._membership(tenant_id, group_id, lead_id, create=join)
            if membership is None:
                continue
            if membership.join(reason) if join else membership.leave(reason):
                pending.append(membership)
        self.segments.commit(*pending)
        return len(pending)

    def _one(self, tenant_id: UUID, group_id: UUID, lead_id: UUID, join: bool, reason: str) -> int:
        for _ in range(RETRIES):
            try:
                return self._commit_chunk(tenant_id, group_id, [lead_id], join, reason)
            except VersionConflict:
                continue
        raise VersionConflict(f"the membership of lead {lead_id} kept changing")

    def _membership(
        self, tenant_id: UUID, group_id: UUID, lead_id: UUID, *, create: bool
    ) -> Membership | None:
        found_id = membership_id(tenant_id, group_id, lead_id)
        try:
            membership: Membership = self.segments.repository.get(found_id)
        except AggregateNotFoundError:
            if not create:
                return None
            return Membership.open(tenant_id=tenant_id, group_id=group_id, lead_id=lead_id)
        return membership

    def live_group(
        self,
        tenant_id: UUID,
        group_id: UUID,
        *,
        expected_version: int | None = None,
        field: str | None = None,
    ) -> Group:
        """A group of the tenant that is not deleted (NotFound, or InvalidInput naming
        `field` when the id came in a body)."""
        try:
            group = self.segments.load(
                group_id, Group, tenant_id=tenant_id, expected_version=expected_version
            )
        except NotFound:
            if field is not None:
                raise InvalidInput(f"no Group {group_id}", field=field) from None
            raise
        if group.is_deleted:
            if field is not None:
                raise InvalidInput(f"no Group {group_id}", field=field)
            raise NotFound(f"no Group {group_id}")
        return group

    def _count(self, tenant_id: UUID, group_id: UUID) -> int:
        row = self.queries.group_row(tenant_id, group_id)
        return row.members if row is not None else 0


def _parsed(tree: Any) -> Filter:
    try:
        return Filter.parse(tree)
    except DomainError as error:
        raise InvalidInput(error.message, field=error.field or "filter") from None


def details(group: Group, members: int) -> GroupDetails:
    return GroupDetails(
        id=group.id,
        name=group.name,
        kind=group.kind,
        filter=group.tree,
        members=members,
        deleted=group.is_deleted,
        version=group.version,
        created_at=group.created_on,
        updated_at=group.modified_on,
    )
