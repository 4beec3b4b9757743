"""The duplicate queue read model (LEAD-4): open cases to work through, oldest first,
and the leads a duplicate scan compares (read from the leads read model)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from pydantic import BaseModel

from application.leads.cleaning import Candidate
from application.leads.scope import CallerOrScope, ScopedLeads
from application.shared.pages import Page, fetch_page
from application.shared.tenant_rows import RecordTenants, insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from domain.leads.duplicate_case import DuplicateCase

CaseStatus = Literal["open", "merged", "dismissed", "deleted"]


class DuplicateQueue(ReadModel):
    """One row per duplicate case, with its state."""

    name = "lead_duplicates"
    version = 2  # 2: tenant-first statements, record tenants
    follows = ("leads",)
    tenants = RecordTenants("leads_duplicate_record_tenants")
    tables = {
        "leads_duplicate_cases": "tenant_id TEXT NOT NULL, case_id TEXT NOT NULL, "
        "status TEXT NOT NULL, reason TEXT NOT NULL, lead_ids TEXT NOT NULL, "
        "has_record INTEGER NOT NULL, survivor_id TEXT, rule TEXT, version INTEGER NOT NULL, "
        "opened_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (tenant_id, case_id)",
        **tenants.definition,
    }
    indexes = {
        "leads_duplicate_cases_queue": "leads_duplicate_cases "
        "(tenant_id, status, opened_at, case_id)",
    }
    platform_wide = {tenants.table: "whose record an id is, for events stored unstamped"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(DuplicateCase.Opened)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "case_id": str(event.originator_id),
            "status": "open",
            "reason": event.reason,
            "lead_ids": ",".join(str(lead_id) for lead_id in event.lead_ids),
            "has_record": 1 if event.record else 0,
            "survivor_id": None,
            "rule": None,
            "version": event.originator_version,
            "opened_at": iso(event.timestamp),
            "updated_at": iso(event.timestamp),
        }
        self.view.write(
            tracking,
            [
                insert("leads_duplicate_cases", row),
                *self.tenants.remember(self.view, event, event.tenant_id),
            ],
        )

    @process_event.register(DuplicateCase.Merged)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(
            event, tracking, status="merged", survivor_id=str(event.survivor_id), rule=event.rule
        )

    @process_event.register(DuplicateCase.Dismissed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, status="dismissed")

    @process_event.register(DuplicateCase.DuplicateDeleted)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, status="deleted")

    def _change(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        changes.update(version=event.originator_version, updated_at=iso(event.timestamp))
        where = {
            "tenant_id": self.tenants.of(self.view, event),
            "case_id": str(event.originator_id),
        }
        self.view.write(tracking, [update("leads_duplicate_cases", changes, where=where)])


class CaseSummary(BaseModel):
    id: UUID
    status: str
    reason: str
    lead_ids: list[UUID]
    from_import: bool
    survivor_id: UUID | None
    rule: str | None
    version: int
    opened_at: datetime
    updated_at: datetime


class DuplicateQueries:
    """Reads of the duplicate queue."""

    def __init__(self, view: View, leads: ScopedLeads) -> None:
        self.view = view
        self.leads = leads

    def cases(
        self,
        who: CallerOrScope,
        *,
        status: CaseStatus = "open",
        cursor: str | None,
        limit: int,
    ) -> Page[CaseSummary]:
        """The tenant's cases in one state, oldest first (a queue to work through).
        Cleaning is company-wide work: a narrower data scope sees an empty queue."""
        scope = self.leads.scope_of(who)
        if not scope.company_wide:
            return Page([], None)
        page = fetch_page(
            self.view,
            table="leads_duplicate_cases",
            where="tenant_id = ? AND status = ?",
            params=[str(scope.tenant_id), status],
            order_by=("opened_at", "case_id"),
            descending=False,
            cursor=cursor,
            limit=limit,
        )
        return Page([_summary(row) for row in page.items], page.next_cursor)


def _summary(row: dict[str, Any]) -> CaseSummary:
    return CaseSummary(
        id=UUID(row["case_id"]),
        status=row["status"],
        reason=row["reason"],
        lead_ids=[UUID(lead_id) for lead_id in row["lead_ids"].split(",") if lead_id],
        from_import=bool(row["has_record"]),
        survivor_id=UUID(row["survivor_id"]) if row["survivor_id"] else None,
        rule=row["rule"],
        version=row["version"],
        opened_at=parse_iso(row["opened_at"]),
        updated_at=parse_iso(row["updated_at"]),
    )


class LeadCandidatesView:
    """The scan's `LeadCandidates` from the leads read model (`leads_leads`)."""

    PAGE = 1000

    def __init__(self, lead_view: View) -> None:
        self.view = lead_view

    def named_leads(self, tenant_id: UUID) -> Iterator[Candidate]:
        """Live leads with a name and a company, oldest first, a page at a time."""
        after: tuple[str, str] = ("", "")
        while True:
            rows = self.view.rows(
                "SELECT lead_id, name, company, created_at FROM leads_leads "
                "WHERE tenant_id = ? AND live = 1 AND name IS NOT NULL AND company IS NOT NULL "
                "AND (created_at, lead_id) > (?, ?) ORDER BY created_at, lead_id "
                f"LIMIT {self.PAGE}",
                [str(tenant_id), *after],
            )
            for row in rows:
                yield Candidate(UUID(row["lead_id"]), row["name"], row["company"])
            if len(rows) < self.PAGE:
                return
            after = (rows[-1]["created_at"], rows[-1]["lead_id"])
