"""The organisation's employees as the archive's `StaffDirectory`, until the WeCom
contacts sync links members to employees (W1's member directory replaces this in the
composition root): an employee is taken to be the WeCom userid that is their e-mail's
local part or their mobile number, the two conventions corps use for userids."""

from __future__ import annotations

from uuid import UUID

from application.archive.reading_ports import StaffMember
from application.org.directory import OrgQueries
from application.shared.pages import MAX_LIMIT


class OrgEmployeesAsStaff:
    def __init__(self, org: OrgQueries) -> None:
        self.org = org

    def members(self, tenant_id: UUID) -> dict[str, StaffMember]:
        departments: dict[UUID, str] = {}
        cursor = None
        while True:
            page = self.org.departments(tenant_id, parent_id=None, cursor=cursor, limit=MAX_LIMIT)
            departments.update((d.id, d.name) for d in page.items)
            if not (cursor := page.next_cursor):
                break
        found: dict[str, StaffMember] = {}
        cursor = None
        while True:
            employees = self.org.employees(
                tenant_id, department_id=None, include_left=True, cursor=cursor, limit=MAX_LIMIT
            )
            for employee in employees.items:
                userids = [employee.email.split("@")[0] if employee.email else "", employee.mobile]
                for userid in filter(None, userids):
                    found[userid] = StaffMember(
                        userid=userid,
                        name=employee.name,
                        department=departments.get(employee.department_id, "")
                        if employee.department_id
                        else "",
                        left=employee.left,
                    )
            if not (cursor := employees.next_cursor):
                break
        return found
