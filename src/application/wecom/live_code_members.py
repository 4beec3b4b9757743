"""The member directory as live codes need it (WECOM-1): who may take customers now
(`MemberAvailability`, for caps and backup) and each member's departments
(`MemberDepartments`, for department welcome messages)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.shared.errors import NotFound
from application.wecom.member_directory import MemberQueries

ACTIVE = 1  # WeCom's member status: 已激活


class LiveCodeMembers:
    """`MemberAvailability` and `MemberDepartments` over the member directory."""

    def __init__(self, members: MemberQueries) -> None:
        self.members = members

    def unavailable(self, tenant_id: UUID, userids: Sequence[str]) -> frozenset[str]:
        out = set()
        for userid in userids:
            try:
                member = self.members.member(tenant_id, userid)
            except NotFound:
                continue  # not synced yet: WeCom decides
            if member.status != ACTIVE or not member.in_visible_range:
                out.add(userid)
        return frozenset(out)

    def departments_of(self, tenant_id: UUID, userid: str) -> list[int]:
        try:
            return list(self.members.member(tenant_id, userid).department_ids)
        except NotFound:
            return []
