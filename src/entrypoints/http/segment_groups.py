"""Routes of groups (SEG-1, SEG-3 用户组): static and smart groups, their members, counts
and bulk operations. The path parameter is `lead_group_id` (`group_id` names a tag
group elsewhere)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Response
from litestar.params import Parameter

from application.segments.group_commands import (
    ActionOutcome,
    ChooseMembers,
    FormGroup,
    GroupCounts,
    GroupDetails,
    MemberAction,
    MemberDetails,
    MembersChanged,
    MergeGroups,
    ReviseGroup,
)
from application.segments.group_directory import GroupQueries
from application.segments.groups import Groups
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from domain.segments.group_permissions import GROUPS
from domain.shared.access import Action
from entrypoints.http.conventions import (
    IF_MATCH,
    ListOf,
    delete,
    get,
    page_of,
    patch,
    post,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit

Kind = Annotated[
    Literal["static", "smart"] | None, Parameter(description="only static or smart groups")
]
WithMembers = Annotated[
    bool, Parameter(description="also delete the group's leads (needs the right to delete leads)")
]


class GroupController(Controller):
    path = "/api/v1/groups"
    tags = ["segments"]
    guards = [tenant_may(GROUPS)]
    dependencies = IF_MATCH

    @get("/", operation_id="listGroups")
    def list_groups(
        self,
        group_queries: GroupQueries,
        caller: TenantCaller,
        kind: Kind = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[GroupDetails]:
        """The tenant's groups with their member counts, newest first."""
        return page_of(
            group_queries.groups(caller.tenant_id, kind=kind, cursor=cursor, limit=limit)
        )

    @post("/", operation_id="formGroup", may=Action.CREATE)
    def form(
        self, data: FormGroup, segment_groups: Groups, caller: TenantCaller
    ) -> Response[GroupDetails]:
        """Form a static group, or a smart group from a filter tree.

        A smart group's members are the live leads its filter selects: evaluated at
        once, then kept current as leads, scores and behaviours change; an invalid
        tree answers 422 naming the bad node (`filter.all[2].op`)."""
        return with_etag(segment_groups.form(caller.tenant_id, data), status_code=201)

    @get("/counts", operation_id="countGroups")
    def counts(self, group_queries: GroupQueries, caller: TenantCaller) -> GroupCounts:
        """How many groups of each kind the tenant has, and their memberships."""
        return group_queries.counts(caller.tenant_id)

    @post("/merge", operation_id="mergeGroups", status_code=200)
    def merge(
        self, data: MergeGroups, segment_groups: Groups, caller: TenantCaller
    ) -> Response[GroupDetails]:
        """Merge groups into a static group: their members join it, they are deleted."""
        return with_etag(segment_groups.merge(caller.tenant_id, data))

    @get("/{lead_group_id:uuid}", operation_id="getGroup")
    def get_group(
        self, lead_group_id: UUID, segment_groups: Groups, caller: TenantCaller
    ) -> Response[GroupDetails]:
        """One group with its member count."""
        return with_etag(segment_groups.group(caller.tenant_id, lead_group_id))

    @patch("/{lead_group_id:uuid}", operation_id="reviseGroup")
    def revise(
        self,
        lead_group_id: UUID,
        data: ReviseGroup,
        segment_groups: Groups,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[GroupDetails]:
        """Rename a group and/or change a smart group's filter (members follow it)."""
        return with_etag(
            segment_groups.revise(
                caller.tenant_id, lead_group_id, data, expected_version=expected_version
            )
        )

    @delete("/{lead_group_id:uuid}", operation_id="deleteGroup", status_code=200)
    def delete_group(
        self,
        lead_group_id: UUID,
        segment_groups: Groups,
        caller: TenantCaller,
        expected_version: int,
        with_members: WithMembers = False,
    ) -> Response[GroupDetails]:
        """Delete a group; `with_members=true` deletes its leads too."""
        return with_etag(
            segment_groups.delete(
                caller,
                lead_group_id,
                with_members=with_members,
                expected_version=expected_version,
            )
        )

    @get("/{lead_group_id:uuid}/members", operation_id="listGroupMembers")
    def members(
        self,
        lead_group_id: UUID,
        segment_groups: Groups,
        group_queries: GroupQueries,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[MemberDetails]:
        """The group's current members, newest first, with their list columns."""
        segment_groups.group(caller.tenant_id, lead_group_id)  # 404 for another tenant's
        return page_of(
            group_queries.members(caller.tenant_id, lead_group_id, cursor=cursor, limit=limit)
        )

    @post("/{lead_group_id:uuid}/members", operation_id="addGroupMembers", status_code=200)
    def add_members(
        self,
        lead_group_id: UUID,
        data: ChooseMembers,
        segment_groups: Groups,
        caller: TenantCaller,
    ) -> MembersChanged:
        """Add leads to a static group, by id (at most 500) or every lead a filter
        selects now; adding a member again changes nothing."""
        return segment_groups.add_members(caller, lead_group_id, data)

    @post(
        "/{lead_group_id:uuid}/members/remove",
        operation_id="removeGroupMembers",
        status_code=200,
    )
    def remove_members(
        self,
        lead_group_id: UUID,
        data: ChooseMembers,
        segment_groups: Groups,
        caller: TenantCaller,
    ) -> MembersChanged:
        """Take leads out of a static group (by id)."""
        return segment_groups.remove_members(caller.tenant_id, lead_group_id, data)

    @post(
        "/{lead_group_id:uuid}/members/actions",
        operation_id="actOnGroupMembers",
        status_code=200,
    )
    def act_on_members(
        self,
        lead_group_id: UUID,
        data: MemberAction,
        segment_groups: Groups,
        caller: TenantCaller,
    ) -> ActionOutcome:
        """Tag, untag, or change the source or status of every member (through the
        leads, with the caller's rights on leads)."""
        return segment_groups.act_on_members(caller, lead_group_id, data)
