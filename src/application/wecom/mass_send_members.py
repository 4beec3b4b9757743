"""The corp's members as the visible-range rule sees them (WECOM-5): from the member
directory (in range, WeCom status, whether their huoke employee left) and the mass-send
directory's seats (the order they were first found in)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from application.wecom.mass_send_directory import MassSendQueries
from application.wecom.member_directory import MemberQueries
from domain.wecom.visible_range import Candidate

ACTIVE = 1  # WeCom's status of an active member
UNSEATED = 2**62  # a member the seats have not caught up with comes last (then by userid)


class SeatedMembers:
    """`CorpMembers` over the member directory and the members' seats."""

    def __init__(self, members: MemberQueries, queries: MassSendQueries) -> None:
        self.members = members
        self.queries = queries

    def candidates(self, tenant_id: UUID) -> list[Candidate]:
        seats = self.queries.seats(tenant_id)
        return [
            Candidate(
                userid=member.userid,
                seat=seats.get(member.userid, UNSEATED),
                in_visible_range=member.in_visible_range,
                active=member.status == ACTIVE,
                departed=member.departed,
            )
            for member in self.members.all_members(tenant_id).values()
        ]

    def names_of(self, tenant_id: UUID, userids: Iterable[str]) -> dict[str, str]:
        return self.members.names_of(tenant_id, list(userids))
