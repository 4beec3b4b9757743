"""The corp's members (通讯录) as huoke knows them (WECOM-4, WECOM-5, ORG-3): who each
WeCom userid is, in which departments, whether still in the app's visible range, and
which huoke employee they are.

A member is linked to an employee by hand (the console's link, a `WecomMember.Linked`
event, which always wins) or else by a match: the same mobile (digits, without +86) or
e-mail as an employee of the org context. The org context is followed by its events'
topics only ("org.Employee.Hired", "…ProfileUpdated", "…Left"), never its classes; a
linked employee's leaving marks the member departed (their customers await inheritance).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.shared.errors import NotFound
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.views import ReadModel, Statement, View, iso, parse_iso
from application.wecom.commands import MemberDetails

MEMBERS = "wecom_members"
MEMBER_DEPARTMENTS = "wecom_member_departments"  # (member, department) pairs
ORG_EMPLOYEES = "wecom_org_employees"  # what matching needs of org's employees
_EFFECTIVE = "CASE WHEN linked_by_hand = 1 THEN hand_employee_id ELSE matched_employee_id END"
_NOT_DIGIT = re.compile(r"\D")


def mobile_key(mobile: str | None) -> str:
    """A mobile as digits only, without China's +86 (so "+86 138-0013-8000" matches
    "13800138000"); "" for none."""
    digits = _NOT_DIGIT.sub("", mobile or "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def email_key(email: str | None) -> str:
    return (email or "").strip().lower()


class MemberDirectory(ReadModel):
    """Keeps the corp's members and their links to employees."""

    name = "wecom_member_directory"
    follows = ("wecom", "org")
    tables = {
        MEMBERS: "tenant_id TEXT NOT NULL, userid TEXT NOT NULL, member_id TEXT NOT NULL, "
        "name TEXT NOT NULL, department_ids TEXT NOT NULL, mobile TEXT NOT NULL, "
        "email TEXT NOT NULL, status INTEGER NOT NULL, in_visible_range INTEGER NOT NULL, "
        "linked_by_hand INTEGER NOT NULL DEFAULT 0, hand_employee_id TEXT, "
        "matched_employee_id TEXT, synced_at TEXT NOT NULL, PRIMARY KEY (tenant_id, userid)",
        MEMBER_DEPARTMENTS: "tenant_id TEXT NOT NULL, department_id INTEGER NOT NULL, "
        "userid TEXT NOT NULL, PRIMARY KEY (tenant_id, department_id, userid)",
        ORG_EMPLOYEES: "tenant_id TEXT NOT NULL, employee_id TEXT NOT NULL, "
        "name TEXT NOT NULL, mobile_key TEXT NOT NULL, email_key TEXT NOT NULL, "
        "has_left INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (tenant_id, employee_id)",
    }
    indexes = {
        "wecom_members_record": f"{MEMBERS} (tenant_id, member_id)",
        "wecom_members_hand": f"{MEMBERS} (tenant_id, hand_employee_id)",
        "wecom_members_matched": f"{MEMBERS} (tenant_id, matched_employee_id)",
        "wecom_members_mobile": f"{MEMBERS} (tenant_id, mobile)",
        "wecom_members_email": f"{MEMBERS} (tenant_id, email)",
        "wecom_member_departments_member": f"{MEMBER_DEPARTMENTS} (tenant_id, userid)",
        "wecom_org_employees_mobile": f"{ORG_EMPLOYEES} (tenant_id, mobile_key)",
        "wecom_org_employees_email": f"{ORG_EMPLOYEES} (tenant_id, email_key)",
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        handler = self._handlers().get(get_topic(type(domain_event)))
        statements = handler(domain_event) if handler is not None else []
        self.view.write(tracking, statements)

    def _handlers(self) -> dict[str, Callable[[Any], list[Statement]]]:
        return {
            "wecom.WecomMember.Found": self._found,
            "wecom.WecomMember.Synced": self._synced,
            "wecom.WecomMember.LeftRange": self._left_range,
            "wecom.WecomMember.Linked": self._linked,
            "org.Employee.Hired": self._hired,
            "org.Employee.ProfileUpdated": self._profile_updated,
            "org.Employee.Left": self._employee_left,
        }

    # --- the corp's members ----------------------------------------------------------------

    def _found(self, event: Any) -> list[Statement]:
        tenant_id = str(event.tenant_id)
        mobile, email = mobile_key(event.mobile), email_key(event.email)
        return [
            (
                f"INSERT INTO {MEMBERS} (tenant_id, userid, member_id, name, department_ids, "
                "mobile, email, status, in_visible_range, matched_employee_id, synced_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) "
                "ON CONFLICT (tenant_id, userid) DO NOTHING",
                (
                    tenant_id,
                    event.userid,
                    str(event.originator_id),
                    event.name,
                    json.dumps(event.department_ids),
                    mobile,
                    email,
                    event.status,
                    self._match(tenant_id, mobile, email),
                    iso(event.timestamp),
                ),
            ),
            *_departments(tenant_id, event.userid, event.department_ids),
        ]

    def _synced(self, event: Any) -> list[Statement]:
        tenant_id = str(tenant_of(event))
        mobile, email = mobile_key(event.mobile), email_key(event.email)
        return [
            (
                f"UPDATE {MEMBERS} SET name = ?, department_ids = ?, mobile = ?, email = ?, "
                "status = ?, in_visible_range = 1, matched_employee_id = ?, synced_at = ? "
                "WHERE tenant_id = ? AND member_id = ?",
                (
                    event.name,
                    json.dumps(event.department_ids),
                    mobile,
                    email,
                    event.status,
                    self._match(tenant_id, mobile, email),
                    iso(event.timestamp),
                    tenant_id,
                    str(event.originator_id),
                ),
            ),
            *_departments(tenant_id, self._userid(tenant_id, event), event.department_ids),
        ]

    def _userid(self, tenant_id: str, event: Any) -> str:
        rows = self.view.rows(
            f"SELECT userid FROM {MEMBERS} WHERE tenant_id = ? AND member_id = ?",
            (tenant_id, str(event.originator_id)),
        )
        return str(rows[0]["userid"]) if rows else ""

    def _left_range(self, event: Any) -> list[Statement]:
        return [
            (
                f"UPDATE {MEMBERS} SET in_visible_range = 0, synced_at = ? "
                "WHERE tenant_id = ? AND member_id = ?",
                (iso(event.timestamp), str(tenant_of(event)), str(event.originator_id)),
            )
        ]

    def _linked(self, event: Any) -> list[Statement]:
        employee = str(event.employee_id) if event.employee_id is not None else None
        return [
            (
                f"UPDATE {MEMBERS} SET linked_by_hand = 1, hand_employee_id = ? "
                "WHERE tenant_id = ? AND member_id = ?",
                (employee, str(tenant_of(event)), str(event.originator_id)),
            )
        ]

    def _match(self, tenant_id: str, mobile: str, email: str) -> str | None:
        """The employee with the member's mobile, else e-mail (the earliest id on a tie)."""
        for column, value in (("mobile_key", mobile), ("email_key", email)):
            if not value:
                continue
            rows = self.view.rows(
                f"SELECT employee_id FROM {ORG_EMPLOYEES} WHERE tenant_id = ? AND {column} = ? "
                "ORDER BY employee_id LIMIT 1",
                (tenant_id, value),
            )
            if rows:
                return str(rows[0]["employee_id"])
        return None

    # --- org's employees -------------------------------------------------------------------

    def _hired(self, event: Any) -> list[Statement]:
        tenant_id = str(event.tenant_id)
        employee = str(event.originator_id)
        mobile, email = mobile_key(event.mobile), email_key(event.email)
        return [
            (
                f"INSERT INTO {ORG_EMPLOYEES} (tenant_id, employee_id, name, mobile_key, "
                "email_key) VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, employee_id) "
                "DO NOTHING",
                (tenant_id, employee, event.name, mobile, email),
            ),
            *self._matched_by(tenant_id, employee, mobile, email),
        ]

    def _profile_updated(self, event: Any) -> list[Statement]:
        tenant_id = self._tenant_of_employee(event)
        if tenant_id is None:
            return []
        employee = str(event.originator_id)
        mobile, email = mobile_key(event.mobile), email_key(event.email)
        return [
            (
                f"UPDATE {ORG_EMPLOYEES} SET name = ?, mobile_key = ?, email_key = ? "
                "WHERE tenant_id = ? AND employee_id = ?",
                (event.name, mobile, email, tenant_id, employee),
            ),
            (  # matches made by the old mobile or e-mail no longer hold
                f"UPDATE {MEMBERS} SET matched_employee_id = NULL "
                "WHERE tenant_id = ? AND matched_employee_id = ?",
                (tenant_id, employee),
            ),
            *self._matched_by(tenant_id, employee, mobile, email),
        ]

    def _employee_left(self, event: Any) -> list[Statement]:
        tenant_id = self._tenant_of_employee(event)
        if tenant_id is None:
            return []
        return [
            (
                f"UPDATE {ORG_EMPLOYEES} SET has_left = 1 WHERE tenant_id = ? AND employee_id = ?",
                (tenant_id, str(event.originator_id)),
            )
        ]

    def _matched_by(
        self, tenant_id: str, employee: str, mobile: str, email: str
    ) -> list[Statement]:
        """Members with the employee's mobile or e-mail and no match yet are theirs."""
        statements: list[Statement] = []
        for column, value in (("mobile", mobile), ("email", email)):
            if value:
                statements.append(
                    (
                        f"UPDATE {MEMBERS} SET matched_employee_id = ? WHERE tenant_id = ? "
                        f"AND {column} = ? AND matched_employee_id IS NULL",
                        (employee, tenant_id, value),
                    )
                )
        return statements

    def _tenant_of_employee(self, event: Any) -> str | None:
        stamped = tenant_of(event)
        if stamped is not None:
            return str(stamped)
        rows = self.view.rows(
            f"SELECT tenant_id FROM {ORG_EMPLOYEES} WHERE employee_id = ?",
            (str(event.originator_id),),
        )
        return str(rows[0]["tenant_id"]) if rows else None


class MemberQueries:
    """The corp's members from the read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def member(self, tenant_id: UUID, userid: str) -> MemberDetails:
        """One member; `NotFound` for a userid the tenant's syncs never met."""
        rows = self.view.rows(
            f"SELECT * FROM {MEMBERS} WHERE tenant_id = ? AND userid = ?", (str(tenant_id), userid)
        )
        if not rows:
            raise NotFound(f"no WeCom member {userid}")
        return self._details(tenant_id, rows)[0]

    def members(
        self,
        tenant_id: UUID,
        *,
        department_id: int | None = None,
        linked: bool | None = None,
        in_visible_range: bool | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[MemberDetails]:
        """The tenant's members by userid; filtered by department (direct members),
        linked to an employee or not, inside the visible range or not."""
        where = "tenant_id = ?"
        params: list[Any] = [str(tenant_id)]
        if department_id is not None:
            where += (
                f" AND userid IN (SELECT userid FROM {MEMBER_DEPARTMENTS} "
                "WHERE tenant_id = ? AND department_id = ?)"
            )
            params += [str(tenant_id), int(department_id)]
        if linked is not None:
            where += f" AND ({_EFFECTIVE}) IS {'NOT ' if linked else ''}NULL"
        if in_visible_range is not None:
            where += " AND in_visible_range = ?"
            params.append(int(in_visible_range))
        page = fetch_page(
            self.view,
            table=MEMBERS,
            where=where,
            params=params,
            order_by=("userid",),
            descending=False,
            cursor=cursor,
            limit=limit,
        )
        return Page(self._details(tenant_id, page.items), page.next_cursor)

    def all_members(self, tenant_id: UUID) -> dict[str, MemberDetails]:
        """Every member the tenant's syncs met, by userid (the contacts sync compares)."""
        rows = self.view.rows(
            f"SELECT * FROM {MEMBERS} WHERE tenant_id = ? ORDER BY userid", (str(tenant_id),)
        )
        return {member.userid: member for member in self._details(tenant_id, rows)}

    def userid_of(self, tenant_id: UUID, employee_id: UUID) -> str | None:
        """The WeCom userid of a huoke employee, if one member is linked to them."""
        found = self.userids_of(tenant_id, [employee_id])
        return found[0] if found else None

    def userids_of(self, tenant_id: UUID, employee_ids: Collection[UUID]) -> list[str]:
        """The userids of the members linked to any of the employees, sorted."""
        ids = [str(e) for e in employee_ids]
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = self.view.rows(
            f"SELECT userid FROM {MEMBERS} WHERE tenant_id = ? AND ({_EFFECTIVE}) IN ({marks}) "
            "ORDER BY userid",
            (str(tenant_id), *ids),
        )
        return [str(row["userid"]) for row in rows]

    def employees_of(self, tenant_id: UUID, userids: Collection[str]) -> dict[str, UUID]:
        """The huoke employee of each of the userids that has one."""
        found: dict[str, UUID] = {}
        names = list(userids)
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.view.rows(
                f"SELECT userid, {_EFFECTIVE} AS employee_id FROM {MEMBERS} "
                f"WHERE tenant_id = ? AND userid IN ({marks})",
                (str(tenant_id), *chunk),
            )
            found.update(
                (str(row["userid"]), UUID(row["employee_id"])) for row in rows if row["employee_id"]
            )
        return found

    def names_of(self, tenant_id: UUID, userids: Collection[str]) -> dict[str, str]:
        """The names of the members among `userids`."""
        found: dict[str, str] = {}
        names = list(userids)
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.view.rows(
                f"SELECT userid, name FROM {MEMBERS} WHERE tenant_id = ? AND userid IN ({marks})",
                (str(tenant_id), *chunk),
            )
            found.update((str(row["userid"]), str(row["name"])) for row in rows)
        return found

    def employee_known(self, tenant_id: UUID, employee_id: UUID) -> bool:
        """Whether the org context has hired `employee_id` in the tenant."""
        rows = self.view.rows(
            f"SELECT 1 FROM {ORG_EMPLOYEES} WHERE tenant_id = ? AND employee_id = ?",
            (str(tenant_id), str(employee_id)),
        )
        return bool(rows)

    def employee_names(self, tenant_id: UUID, *, include_left: bool = False) -> dict[UUID, str]:
        """The org's employees (still employed unless asked), by id, by name."""
        rows = self.view.rows(
            f"SELECT employee_id, name FROM {ORG_EMPLOYEES} WHERE tenant_id = ? "
            + ("" if include_left else "AND has_left = 0 ")
            + "ORDER BY name, employee_id",
            (str(tenant_id),),
        )
        return {UUID(row["employee_id"]): str(row["name"]) for row in rows}

    def _details(self, tenant_id: UUID, rows: list[dict[str, Any]]) -> list[MemberDetails]:
        effective = [_effective(row) for row in rows]
        left = self._left(tenant_id, {e for e in effective if e})
        return [
            MemberDetails(
                userid=row["userid"],
                name=row["name"],
                department_ids=json.loads(row["department_ids"]),
                mobile=row["mobile"],
                email=row["email"],
                status=int(row["status"]),
                in_visible_range=bool(row["in_visible_range"]),
                employee_id=UUID(employee) if employee else None,
                linked_by_hand=bool(row["linked_by_hand"]),
                departed=employee in left,
                synced_at=parse_iso(row["synced_at"]),
            )
            for row, employee in zip(rows, effective, strict=True)
        ]

    def _left(self, tenant_id: UUID, employees: set[str]) -> set[str]:
        if not employees:
            return set()
        ids = sorted(employees)
        marks = ", ".join("?" for _ in ids)
        rows = self.view.rows(
            f"SELECT employee_id FROM {ORG_EMPLOYEES} WHERE tenant_id = ? AND has_left = 1 "
            f"AND employee_id IN ({marks})",
            (str(tenant_id), *ids),
        )
        return {str(row["employee_id"]) for row in rows}


def _departments(tenant_id: str, userid: str, department_ids: list[int]) -> list[Statement]:
    """The member's departments, replaced."""
    statements: list[Statement] = [
        (
            f"DELETE FROM {MEMBER_DEPARTMENTS} WHERE tenant_id = ? AND userid = ?",
            (tenant_id, userid),
        )
    ]
    statements += [
        (
            f"INSERT INTO {MEMBER_DEPARTMENTS} (tenant_id, department_id, userid) "
            "VALUES (?, ?, ?) ON CONFLICT (tenant_id, department_id, userid) DO NOTHING",
            (tenant_id, int(department), userid),
        )
        for department in department_ids
    ]
    return statements


def _effective(row: dict[str, Any]) -> str | None:
    employee = row["hand_employee_id"] if row["linked_by_hand"] else row["matched_employee_id"]
    return str(employee) if employee else None
