"""The list of a tenant's lead imports (LEAD-3), newest first: file, state and counts of
each, for the console's import list and the dashboard's recent imports. The rows of an
import are read from the import itself (`LeadImports.details`), never from here."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from pydantic import BaseModel

from application.shared.pages import Page, fetch_page
from application.shared.tenant_rows import RecordTenants, insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from domain.leads.lead_import import OUTCOMES, LeadImport

TABLE = "leads_imports"


class LeadImportList(ReadModel):
    """One row per import: its state and how many rows came to each outcome."""

    name = "lead_import_list"
    follows = ("leads",)
    tenants = RecordTenants("leads_import_record_tenants")
    tables = {
        TABLE: "tenant_id TEXT NOT NULL, import_id TEXT NOT NULL, file_name TEXT NOT NULL, "
        "size INTEGER NOT NULL, status TEXT NOT NULL, created INTEGER NOT NULL, "
        "updated INTEGER NOT NULL, duplicate INTEGER NOT NULL, rejected INTEGER NOT NULL, "
        "failure TEXT, started_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, import_id)",
        **tenants.definition,
    }
    indexes = {"leads_imports_recent": f"{TABLE} (tenant_id, started_at, import_id)"}
    platform_wide = {tenants.table: "whose record an id is, for events stored unstamped"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(LeadImport.Started)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "import_id": str(event.originator_id),
            "file_name": event.file_name,
            "size": event.size,
            "status": "running",
            **dict.fromkeys(OUTCOMES, 0),
            "failure": None,
            "started_at": iso(event.timestamp),
            "updated_at": iso(event.timestamp),
        }
        self.view.write(
            tracking,
            [insert(TABLE, row), *self.tenants.remember(self.view, event, event.tenant_id)],
        )

    @process_event.register(LeadImport.BatchApplied)
    def _(self, event: Any, tracking: Tracking) -> None:
        # Counts add up batch by batch, as the aggregate's do.
        sums = ", ".join(f"{outcome} = {outcome} + ?" for outcome in OUTCOMES)
        statement = (
            f"UPDATE {TABLE} SET {sums}, updated_at = ? WHERE tenant_id = ? AND import_id = ?",
            (
                *(int(event.counts.get(outcome, 0)) for outcome in OUTCOMES),
                iso(event.timestamp),
                self.tenants.of(self.view, event),
                str(event.originator_id),
            ),
        )
        self.view.write(tracking, [statement])

    @process_event.register(LeadImport.Completed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, status="completed")

    @process_event.register(LeadImport.Failed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, status="failed", failure=event.reason)

    @process_event.register(LeadImport.Resumed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, status="running", failure=None)

    def _change(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        changes["updated_at"] = iso(event.timestamp)
        where = {
            "tenant_id": self.tenants.of(self.view, event),
            "import_id": str(event.originator_id),
        }
        self.view.write(tracking, [update(TABLE, changes, where=where)])


class LeadImportSummary(BaseModel):
    id: UUID
    file_name: str
    size: int
    status: str
    counts: dict[str, int]
    failure: str | None
    started_at: datetime
    updated_at: datetime

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


class LeadImportQueries:
    """Reads of the import list."""

    def __init__(self, view: View) -> None:
        self.view = view

    def recent(self, tenant_id: UUID, *, cursor: str | None, limit: int) -> Page[LeadImportSummary]:
        """The tenant's imports, the latest started first."""
        page = fetch_page(
            self.view,
            table=TABLE,
            where="tenant_id = ?",
            params=[str(tenant_id)],
            order_by=("started_at", "import_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_summary(row) for row in page.items], page.next_cursor)


def _summary(row: dict[str, Any]) -> LeadImportSummary:
    return LeadImportSummary(
        id=UUID(row["import_id"]),
        file_name=row["file_name"],
        size=row["size"],
        status=row["status"],
        counts={outcome: int(row[outcome]) for outcome in OUTCOMES},
        failure=row["failure"],
        started_at=parse_iso(row["started_at"]),
        updated_at=parse_iso(row["updated_at"]),
    )
