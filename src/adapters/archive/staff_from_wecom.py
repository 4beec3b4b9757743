"""The corp's staff for the archive (`StaffDirectory`): the WeCom contacts the sync found
(wecom context's member directory: userid, name, whether they left — WeCom's status 5,
or the huoke employee they are linked to left), or, for a tenant whose contacts were
never synced, the organisation's employees taken by their e-mail's local part or mobile
(`OrgEmployeesAsStaff`)."""

from __future__ import annotations

from uuid import UUID

from adapters.archive.staff_from_org import OrgEmployeesAsStaff
from application.archive.reading_ports import StaffMember
from application.wecom.member_directory import MemberQueries

LEFT = 5  # WeCom's member status: 离职


class WecomMembersAsStaff:
    def __init__(self, contacts: MemberQueries, org: OrgEmployeesAsStaff) -> None:
        self.contacts = contacts
        self.org = org

    def members(self, tenant_id: UUID) -> dict[str, StaffMember]:
        synced = self.contacts.all_members(tenant_id)
        if not synced:
            return self.org.members(tenant_id)
        return {
            userid: StaffMember(
                userid=userid,
                name=member.name,
                department=",".join(str(d) for d in member.department_ids),
                left=member.departed or member.status == LEFT,
            )
            for userid, member in synced.items()
        }
