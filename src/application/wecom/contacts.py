"""The corp's contacts (通讯录) in huoke (WECOM-4, WECOM-5): pulled from WeCom (the
departments and members in the app's visible range) and linked to employees.

A sync records what changed since the last one: the departments on the corp, each new
or changed member on their own record, and members it no longer finds as out of the
visible range (their history stays). It compares with the member directory first, so an
unchanged corp of thousands costs the WeCom calls and no writes. Members are committed
a hundred at a time; a sync cut short is completed by the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.shared.errors import InvalidInput, NotFound
from application.wecom.commands import ContactsSyncReport, Department, LinkMember, MemberDetails
from application.wecom.corps import WecomCorps
from application.wecom.member_directory import MemberQueries, email_key, mobile_key
from application.wecom.ports import WecomEmployee
from application.wecom.wecom import Wecom
from domain.wecom.member import WecomMember, member_id_for

BATCH = 100
Progress = Callable[[int, int], None]  # (members done, members found)


class ContactsSync:
    """Pulls the corp's departments and members through the WeCom port."""

    def __init__(self, wecom: Wecom, corps: WecomCorps, members: MemberQueries) -> None:
        self.wecom = wecom
        self.corps = corps
        self.members = members

    def sync(self, tenant_id: UUID, progress: Progress | None = None) -> ContactsSyncReport:
        """One sync of the tenant's bound corp (404 `corp` without one)."""
        api = self.corps.api_of(tenant_id)
        departments = api.departments()
        self.corps.record_departments(
            tenant_id,
            [
                Department(id=d.id, name=d.name, parent_id=d.parent_id, order=d.order)
                for d in departments
            ],
        )
        found: dict[str, WecomEmployee] = {}
        in_departments: dict[str, set[int]] = {}
        for department in departments:
            for employee in api.employees(department.id):
                found.setdefault(employee.userid, employee)
                # A member of several departments is listed in each of them.
                in_departments.setdefault(employee.userid, set()).update(
                    employee.department_ids or (department.id,)
                )
        known = self.members.all_members(tenant_id)
        pending: list[Aggregate] = []
        changed = left = 0
        total = len(found)
        for done, (userid, employee) in enumerate(sorted(found.items()), start=1):
            member = self._changed(tenant_id, employee, sorted(in_departments[userid]), known)
            if member is not None:
                pending.append(member)
                changed += 1
            if len(pending) >= BATCH:
                self.wecom.commit(*pending)
                pending = []
            if progress is not None:
                progress(done, total)
        for userid, member_row in known.items():
            if userid not in found and member_row.in_visible_range:
                record = self._load(tenant_id, userid)
                if record.leave_range():
                    pending.append(record)
                    left += 1
            if len(pending) >= BATCH:
                self.wecom.commit(*pending)
                pending = []
        if pending:
            self.wecom.commit(*pending)
        return ContactsSyncReport(
            departments=len(departments), members=total, changed=changed, left_range=left
        )

    def _changed(
        self,
        tenant_id: UUID,
        employee: WecomEmployee,
        department_ids: list[int],
        known: dict[str, MemberDetails],
    ) -> WecomMember | None:
        status = employee.status if employee.status in (1, 2, 4, 5) else 1
        row = known.get(employee.userid)
        if (
            row is not None
            and row.in_visible_range
            and (
                row.name,
                row.department_ids,
                row.mobile,
                row.email,
                row.status,
            )
            == (
                employee.name.strip(),
                department_ids,
                mobile_key(employee.mobile),
                email_key(employee.email),
                status,
            )
        ):
            return None  # as the directory shows it: nothing to load
        record_id = member_id_for(tenant_id, employee.userid)
        if record_id not in self.wecom.repository:
            return WecomMember.found(
                tenant_id=tenant_id,
                userid=employee.userid,
                name=employee.name,
                department_ids=department_ids,
                mobile=employee.mobile,
                email=employee.email,
                status=status,
            )
        member = self.wecom.load(record_id, WecomMember, tenant_id=tenant_id)
        changed = member.sync(
            name=employee.name,
            department_ids=department_ids,
            mobile=employee.mobile,
            email=employee.email,
            status=status,
        )
        return member if changed else None

    def _load(self, tenant_id: UUID, userid: str) -> WecomMember:
        return self.wecom.load(member_id_for(tenant_id, userid), WecomMember, tenant_id=tenant_id)


class MemberLinks:
    """Which huoke employee a member is, said by a tenant admin (wins over a match)."""

    def __init__(self, wecom: Wecom, members: MemberQueries) -> None:
        self.wecom = wecom
        self.members = members

    def link(self, tenant_id: UUID, userid: str, command: LinkMember) -> MemberDetails:
        """Link the member to the employee (null: to nobody, whatever would match).
        A member no sync met is 404; an employee the tenant does not have, 422."""
        record_id = member_id_for(tenant_id, userid)
        if not userid or len(userid) > 64 or record_id not in self.wecom.repository:
            raise NotFound(f"no WeCom member {userid}")
        member = self.wecom.load(record_id, WecomMember, tenant_id=tenant_id)
        employee = command.employee_id
        if employee is not None and not self.members.employee_known(tenant_id, employee):
            raise InvalidInput("the tenant has no such employee", field="employee_id")
        member.link(employee)
        self.wecom.commit(member)
        return self.members.member(tenant_id, userid)
