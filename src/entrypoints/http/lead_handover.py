"""Handing an employee's leads over when they leave or while employed (ORG-3)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller

from application.leads.handover import HandOverLeads, HandoverReport, LeadHandover
from application.shared.callers import TenantCaller
from domain.shared.access import Action
from entrypoints.http.conventions import post, tenant_may


class LeadHandoverController(Controller):
    path = "/api/v1/employees/{employee_id:uuid}/lead-handover"
    tags = ["org", "leads"]
    # Moving someone else's customers is the administrator's call (org CLOSE, like
    # recording the leaving) and changes leads (leads UPDATE).
    guards = [tenant_may("org", Action.CLOSE), tenant_may("leads", Action.UPDATE)]

    @post("/", operation_id="handOverLeads", status_code=200)
    def hand_over(
        self,
        employee_id: UUID,
        data: HandOverLeads,
        lead_handover: LeadHandover,
        caller: TenantCaller,
    ) -> HandoverReport:
        """Hand an employee's leads over to a colleague or to the shared pool.

        All their leads (or `lead_ids`) go to another current employee, or to the pool
        when `to_employee_id` is null: 离职继承 when the employee has left, 在职继承
        otherwise. One result per lead; at most 500 a call, `more` says
        whether to call again. Re-running is safe: leads already moved are skipped, and
        leads outside the caller's data scope are `failed` (no such lead)."""
        return lead_handover.hand_over(caller, employee_id, data)
