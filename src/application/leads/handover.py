"""Handing an employee's leads over (ORG-3): when they leave (离职继承) or while they are
still employed (在职继承), each of their leads goes to another current employee or back
to the shared pool, recorded on the lead as `HandedOver` (from, to, reason, kind).

Each lead is its own command, so a handover that stops half way (a crash, a timeout, a
conflict) is simply run again: leads already moved are no longer the employee's and are
skipped.
"""

from __future__ import annotations

from typing import Literal, Protocol
from uuid import UUID

from pydantic import BaseModel, Field

from application.leads.leads import CONFLICT_RETRIES, Leads, notify_owner
from application.leads.queries import LeadFilter, LeadQueries
from application.leads.scope import CallerOrScope, LeadScope
from application.shared.commands import Command
from application.shared.errors import InvalidInput, NotFound, VersionConflict
from domain.leads.lead import Handover

MAX_HANDOVER = 500  # leads per call; `more` tells the caller to call again
PAGE = 100
HandoverOutcome = Literal["handed_over", "skipped", "failed"]


class Employment(Protocol):
    @property
    def left(self) -> bool: ...


class EmployeeRecords(Protocol):
    """The organisation's employees, as the handover needs them."""

    def employee(self, tenant_id: UUID, employee_id: UUID) -> Employment:
        """A current or former employee of the tenant; NotFound for anyone else."""
        ...

    def is_current_employee(self, tenant_id: UUID, employee_id: UUID) -> bool: ...


class HandOverLeads(Command):
    to_employee_id: UUID | None = Field(
        default=None, description="the current employee who takes the leads; null: the pool"
    )
    reason: str = Field(min_length=1, max_length=500, examples=["离职交接"])
    lead_ids: list[UUID] | None = Field(
        default=None,
        max_length=MAX_HANDOVER,
        description="only these of the employee's leads; omitted: all of them",
    )


class HandoverResult(BaseModel):
    lead_id: UUID
    outcome: HandoverOutcome
    detail: str | None = None


class HandoverReport(BaseModel):
    """What happened to each lead of this call. `more` is true when the employee still
    had leads beyond this call's batch: call again (already moved leads are skipped)."""

    employee_id: UUID
    to_employee_id: UUID | None
    kind: str = Field(description="leaving (离职继承) or in_service (在职继承)")
    results: list[HandoverResult]
    handed_over: int
    skipped: int
    failed: int
    more: bool


class LeadHandover:
    """Moves one employee's leads to another employee or to the pool (ORG-3)."""

    def __init__(self, leads: Leads, employees: EmployeeRecords, queries: LeadQueries) -> None:
        self.leads = leads
        self.employees = employees
        self.queries = queries

    def hand_over(
        self, who: CallerOrScope, employee_id: UUID, command: HandOverLeads
    ) -> HandoverReport:
        """Hand the employee's leads (or the `lead_ids` given) to `to_employee_id`, or
        release them to the pool; the new owner is notified of each lead. Only leads
        inside the caller's data scope move; another lead is `failed`, no such lead."""
        scope = self.leads.scope_of(who)
        tenant_id = scope.tenant_id
        employment = self.employees.employee(tenant_id, employee_id)  # NotFound: 404
        to = command.to_employee_id
        if to == employee_id:
            raise InvalidInput("hand the leads to someone else", field="to_employee_id")
        if to is not None and not self.employees.is_current_employee(tenant_id, to):
            raise InvalidInput(f"no current employee {to}", field="to_employee_id")
        kind = Handover.LEAVING if employment.left else Handover.IN_SERVICE
        if command.lead_ids is not None:
            lead_ids, more = list(dict.fromkeys(command.lead_ids)), False
        else:
            lead_ids, more = self._owned_by(scope, employee_id)
        results = [
            self._hand_over_one(scope, lead_id, employee_id, to, command.reason, kind)
            for lead_id in lead_ids
        ]
        count = {o: sum(r.outcome == o for r in results) for o in ("handed_over", "skipped")}
        return HandoverReport(
            employee_id=employee_id,
            to_employee_id=to,
            kind=kind.value,
            results=results,
            handed_over=count["handed_over"],
            skipped=count["skipped"],
            failed=len(results) - count["handed_over"] - count["skipped"],
            more=more,
        )

    def _owned_by(self, scope: LeadScope, employee_id: UUID) -> tuple[list[UUID], bool]:
        """Up to MAX_HANDOVER of the employee's live leads (from the read model; each
        lead itself has the last word), and whether there are more."""
        found: list[UUID] = []
        cursor: str | None = None
        while len(found) <= MAX_HANDOVER:
            page = self.queries.search(
                scope, LeadFilter(owner_id=employee_id), cursor=cursor, limit=PAGE
            )
            found += [lead.id for lead in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        return found[:MAX_HANDOVER], len(found) > MAX_HANDOVER

    def _hand_over_one(
        self,
        scope: LeadScope,
        lead_id: UUID,
        employee_id: UUID,
        to: UUID | None,
        reason: str,
        kind: Handover,
    ) -> HandoverResult:
        for _ in range(CONFLICT_RETRIES):
            try:
                lead = self.leads.lead_in_scope(scope, lead_id)
            except NotFound:
                return HandoverResult(lead_id=lead_id, outcome="failed", detail="no such lead")
            if not lead.is_live:
                return HandoverResult(
                    lead_id=lead_id, outcome="skipped", detail="merged or deleted"
                )
            if lead.owner_id != employee_id:  # moved already (a re-run) or never theirs
                return HandoverResult(
                    lead_id=lead_id, outcome="skipped", detail="not owned by the employee"
                )
            lead.hand_over(employee_id, to, reason=reason, kind=kind.value)
            try:
                self.leads.commit(lead)
            except VersionConflict:
                continue  # changed meanwhile: look at it again
            if to is not None:
                notify_owner(self.leads.notifier, scope.tenant_id, lead_id, to)
            return HandoverResult(lead_id=lead_id, outcome="handed_over")
        return HandoverResult(lead_id=lead_id, outcome="failed", detail="busy; run again")
