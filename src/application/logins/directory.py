"""The logins read model: which employees and staff members can sign in, and how lately."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from domain.logins import Login, LoginKind


@dataclass(frozen=True)
class LoginSummary:
    login_id: UUID
    subject_id: UUID
    identifier: str
    revoked: bool
    locked_until: datetime | None
    last_signed_in_at: datetime | None
    failed_attempts: int
    version: int


class LoginDirectory(ReadModel):
    """One row per login: employees' under their tenant, staff members' platform-wide."""

    name = "login_directory"
    follows = ("logins",)
    _COLUMNS = (
        "login_id TEXT NOT NULL, subject_id TEXT NOT NULL, identifier TEXT NOT NULL, "
        "revoked INTEGER NOT NULL, locked_until TEXT, last_signed_in_at TEXT, "
        "failed_attempts INTEGER NOT NULL, version INTEGER NOT NULL"
    )
    tables = {
        "login_employees": f"tenant_id TEXT NOT NULL, {_COLUMNS}, "
        "PRIMARY KEY (tenant_id, login_id)",
        "login_staff": f"{_COLUMNS}, PRIMARY KEY (login_id)",
    }
    indexes = {
        "login_employees_subject": "login_employees (tenant_id, subject_id)",
        "login_staff_subject": "login_staff (subject_id)",
    }
    platform_wide = {"login_staff": "staff members' logins belong to no tenant"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(Login.Granted)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "login_id": str(event.originator_id),
            "subject_id": str(event.subject_id),
            "identifier": event.identifier,
            "revoked": 0,
            "locked_until": None,
            "last_signed_in_at": None,
            "failed_attempts": 0,
            "version": event.originator_version,
        }
        if event.kind == LoginKind.EMPLOYEE:
            row = {"tenant_id": str(event.tenant_id), **row}
            self.view.write(tracking, [insert("login_employees", row)])
        else:
            self.view.write(tracking, [insert("login_staff", row)])

    @process_event.register(Login.SignedIn)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(
            event, tracking, last_signed_in_at=iso(event.at), failed_attempts=0, locked_until=None
        )

    @process_event.register(Login.SignInFailed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, failed_attempts=event.attempt)

    @process_event.register(Login.LockedOut)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, locked_until=iso(event.until), failed_attempts=0)

    @process_event.register(Login.PasswordChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, locked_until=None, failed_attempts=0)

    @process_event.register(Login.Revoked)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, revoked=1)

    def _change(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        changes["version"] = event.originator_version
        tenant = tenant_of(event)  # every login event is stamped; staff logins have none
        login = str(event.originator_id)
        if tenant is None:
            statement = update("login_staff", changes, where={"login_id": login})
        else:
            where = {"tenant_id": str(tenant), "login_id": login}
            statement = update("login_employees", changes, where=where)
        self.view.write(tracking, [statement])


class LoginQueries:
    """Who of a tenant's employees has a login; who of the staff has one."""

    def __init__(self, view: View) -> None:
        self.view = view

    def of_employees(self, tenant_id: UUID, employee_ids: list[UUID]) -> dict[UUID, LoginSummary]:
        """The live logins of some employees (one page of a list), by employee."""
        if not employee_ids:
            return {}
        marks = ", ".join("?" for _ in employee_ids)
        rows = self.view.rows(
            "SELECT * FROM login_employees WHERE tenant_id = ? AND revoked = 0 "
            f"AND subject_id IN ({marks})",
            [str(tenant_id), *(str(e) for e in employee_ids)],
        )
        return {UUID(row["subject_id"]): _summary(row) for row in rows}

    def of_staff(self, staff_ids: list[UUID]) -> dict[UUID, LoginSummary]:
        if not staff_ids:
            return {}
        marks = ", ".join("?" for _ in staff_ids)
        rows = self.view.rows(
            f"SELECT * FROM login_staff WHERE revoked = 0 AND subject_id IN ({marks})",
            [str(s) for s in staff_ids],
        )
        return {UUID(row["subject_id"]): _summary(row) for row in rows}


def _summary(row: dict[str, Any]) -> LoginSummary:
    return LoginSummary(
        login_id=UUID(row["login_id"]),
        subject_id=UUID(row["subject_id"]),
        identifier=row["identifier"],
        revoked=bool(row["revoked"]),
        locked_until=parse_iso(row["locked_until"]) if row["locked_until"] else None,
        last_signed_in_at=parse_iso(row["last_signed_in_at"]) if row["last_signed_in_at"] else None,
        failed_attempts=row["failed_attempts"],
        version=row["version"],
    )
