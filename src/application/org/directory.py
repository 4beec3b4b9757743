"""The organisation read model: department tree and employee lists per tenant."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.org.commands import DepartmentDetails, EmployeeDetails
from application.shared.pages import Page, fetch_page
from application.shared.tenant_rows import RecordTenants, insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from domain.org import Department, Employee


class OrgDirectory(ReadModel):
    """Keeps departments and employees listable and countable."""

    name = "org_directory"
    version = 2  # 2: tenant-first statements, record tenants
    follows = ("org",)
    tenants = RecordTenants("org_record_tenants")
    tables = {
        "org_departments": "tenant_id TEXT NOT NULL, department_id TEXT NOT NULL, "
        "name TEXT NOT NULL, parent_id TEXT, dissolved INTEGER NOT NULL, "
        "version INTEGER NOT NULL, created_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, department_id)",
        "org_employees": "tenant_id TEXT NOT NULL, employee_id TEXT NOT NULL, "
        "name TEXT NOT NULL, email TEXT, mobile TEXT, department_id TEXT, roles TEXT NOT NULL, "
        "has_left INTEGER NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, employee_id)",
        **tenants.definition,
    }
    # Every update names the tenant and the id: the primary keys serve them. The indexes on
    # a nullable column are partial, so they serve only queries on that column and never
    # an update by tenant and id (see lead_directory's indexes for why that matters).
    indexes = {
        "org_departments_parent": "org_departments (tenant_id, parent_id) "
        "WHERE parent_id IS NOT NULL",
        "org_departments_created": "org_departments (tenant_id, created_at, department_id)",
        "org_employees_department": "org_employees (tenant_id, department_id) "
        "WHERE department_id IS NOT NULL",
        "org_employees_created": "org_employees (tenant_id, created_at, employee_id)",
    }
    platform_wide = {tenants.table: "whose record an id is, for events stored unstamped"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(Department.Established)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "department_id": str(event.originator_id),
            "name": event.name,
            "parent_id": _text(event.parent_id),
            "dissolved": 0,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
        }
        self.view.write(
            tracking,
            [
                insert("org_departments", row),
                *self.tenants.remember(self.view, event, event.tenant_id),
            ],
        )

    @process_event.register(Department.Renamed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._department(event, tracking, name=event.name)

    @process_event.register(Department.Moved)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._department(event, tracking, parent_id=_text(event.parent_id))

    @process_event.register(Department.Dissolved)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._department(event, tracking, dissolved=1)

    @process_event.register(Employee.Hired)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "employee_id": str(event.originator_id),
            "name": event.name,
            "email": event.email,
            "mobile": event.mobile,
            "department_id": _text(event.department_id),
            "roles": ",".join(event.roles),
            "has_left": 0,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
        }
        self.view.write(
            tracking,
            [
                insert("org_employees", row),
                *self.tenants.remember(self.view, event, event.tenant_id),
            ],
        )

    @process_event.register(Employee.ProfileUpdated)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._employee(event, tracking, name=event.name, email=event.email, mobile=event.mobile)

    @process_event.register(Employee.Transferred)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._employee(event, tracking, department_id=_text(event.department_id))

    @process_event.register(Employee.RolesGranted)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._employee(event, tracking, roles=",".join(event.roles))

    @process_event.register(Employee.Left)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._employee(event, tracking, has_left=1)

    def _department(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        self._change("org_departments", "department_id", event, tracking, changes)

    def _employee(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        self._change("org_employees", "employee_id", event, tracking, changes)

    def _change(
        self, table: str, key: str, event: Any, tracking: Tracking, changes: dict[str, Any]
    ) -> None:
        where = {"tenant_id": self.tenants.of(self.view, event), key: str(event.originator_id)}
        changes = {**changes, "version": event.originator_version}
        self.view.write(tracking, [update(table, changes, where=where)])


def _text(value: UUID | None) -> str | None:
    return str(value) if value is not None else None


class OrgQueries:
    """Lists and counts served from the organisation read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def departments(
        self, tenant_id: UUID, *, parent_id: UUID | None, cursor: str | None, limit: int
    ) -> Page[DepartmentDetails]:
        where, params = "tenant_id = ? AND dissolved = 0", [str(tenant_id)]
        if parent_id is not None:
            where += " AND parent_id = ?"
            params.append(str(parent_id))
        page = fetch_page(
            self.view,
            table="org_departments",
            where=where,
            params=params,
            order_by=("created_at", "department_id"),
            descending=False,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                DepartmentDetails(
                    id=UUID(row["department_id"]),
                    name=row["name"],
                    parent_id=UUID(row["parent_id"]) if row["parent_id"] else None,
                    dissolved=bool(row["dissolved"]),
                    version=row["version"],
                    created_at=parse_iso(row["created_at"]),
                )
                for row in page.items
            ],
            page.next_cursor,
        )

    def employees(
        self,
        tenant_id: UUID,
        *,
        department_id: UUID | None,
        include_left: bool,
        cursor: str | None,
        limit: int,
    ) -> Page[EmployeeDetails]:
        where, params = "tenant_id = ?", [str(tenant_id)]
        if department_id is not None:
            where += " AND department_id = ?"
            params.append(str(department_id))
        if not include_left:
            where += " AND has_left = 0"
        page = fetch_page(
            self.view,
            table="org_employees",
            where=where,
            params=params,
            order_by=("created_at", "employee_id"),
            descending=False,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                EmployeeDetails(
                    id=UUID(row["employee_id"]),
                    name=row["name"],
                    email=row["email"],
                    mobile=row["mobile"],
                    department_id=UUID(row["department_id"]) if row["department_id"] else None,
                    roles=row["roles"].split(","),
                    left=bool(row["has_left"]),
                    version=row["version"],
                    created_at=parse_iso(row["created_at"]),
                )
                for row in page.items
            ],
            page.next_cursor,
        )

    def names(self, tenant_id: UUID, employee_ids: Collection[UUID]) -> dict[UUID, str]:
        """The names of these employees of the tenant (left ones too), in one query: a
        list page names the owners of its rows without loading each employee."""
        ids = sorted({str(employee_id) for employee_id in employee_ids})
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = self.view.rows(
            f"SELECT employee_id, name FROM org_employees WHERE tenant_id = ? "
            f"AND employee_id IN ({marks})",
            [str(tenant_id), *ids],
        )
        return {UUID(row["employee_id"]): row["name"] for row in rows}

    def department_load(self, tenant_id: UUID, department_id: UUID) -> tuple[int, int]:
        """(open sub-departments, current members) of a department."""
        subs = self.view.rows(
            "SELECT COUNT(*) AS n FROM org_departments "
            "WHERE tenant_id = ? AND parent_id = ? AND dissolved = 0",
            (str(tenant_id), str(department_id)),
        )[0]["n"]
        members = self.view.rows(
            "SELECT COUNT(*) AS n FROM org_employees "
            "WHERE tenant_id = ? AND department_id = ? AND has_left = 0",
            (str(tenant_id), str(department_id)),
        )[0]["n"]
        return int(subs), int(members)

    def team_of(self, tenant_id: UUID, employee_id: UUID) -> set[UUID]:
        """The employee and everyone in their department and its sub-departments (the
        `department` data scope of ORG-2); just the employee when in no department."""
        rows = self.view.rows(
            "SELECT department_id FROM org_employees WHERE tenant_id = ? AND employee_id = ?",
            (str(tenant_id), str(employee_id)),
        )
        team = {employee_id}
        if not rows or rows[0]["department_id"] is None:
            return team
        departments = self.view.rows(
            "SELECT department_id, parent_id FROM org_departments WHERE tenant_id = ?",
            (str(tenant_id),),
        )
        children: dict[str | None, list[str]] = {}
        for row in departments:
            children.setdefault(row["parent_id"], []).append(row["department_id"])
        subtree, pending = set(), [rows[0]["department_id"]]
        while pending:
            current = pending.pop()
            if current not in subtree:
                subtree.add(current)
                pending.extend(children.get(current, []))
        marks = ", ".join("?" for _ in subtree)
        members = self.view.rows(
            f"SELECT employee_id FROM org_employees WHERE tenant_id = ? "
            f"AND department_id IN ({marks})",
            (str(tenant_id), *sorted(subtree)),
        )
        return team | {UUID(row["employee_id"]) for row in members}
