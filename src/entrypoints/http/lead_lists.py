"""Routes on many leads at once (LEAD-10): bulk actions and the XLSX export, both
inside the caller's data scope (ORG-2)."""

from __future__ import annotations

from litestar import Controller, Response, get, post

from application.leads.bulk import BulkLeadAction, BulkLeadActions, BulkResult
from application.leads.export import LeadExport
from application.leads.queries import LeadFilter
from application.leads.scope import owners_in_scope
from application.org.directory import OrgQueries
from application.shared.callers import TenantCaller
from domain.shared.access import Action
from entrypoints.http.conventions import tenant_may


class LeadListController(Controller):
    path = "/api/v1/leads"
    tags = ["leads"]

    @post(
        "/bulk",
        operation_id="bulkLeadAction",
        status_code=200,
        guards=[tenant_may("leads", Action.UPDATE)],
        sync_to_thread=True,
    )
    def bulk(
        self,
        data: BulkLeadAction,
        lead_bulk: BulkLeadActions,
        org_queries: OrgQueries,
        caller: TenantCaller,
    ) -> BulkResult:
        """Add to a group, add or remove tags, change source or status, or delete: up to
        500 leads by id or by filter, each changed on its own; the answer says per lead
        `ok`, `not_found` (not this tenant's, or outside the caller's scope) or `refused`
        (with the reason). Deleting needs the `delete` permission."""
        if data.action == "delete":
            caller.require("leads", Action.DELETE)
        owners = owners_in_scope(caller, org_queries)
        return lead_bulk.apply(caller.tenant_id, data, owners=owners)

    @get(
        "/export",
        operation_id="exportLeads",
        guards=[tenant_may("leads", Action.EXPORT)],
        sync_to_thread=True,
    )
    def export(
        self,
        lead_export: LeadExport,
        org_queries: OrgQueries,
        caller: TenantCaller,
        lead_filter: LeadFilter,
    ) -> Response[bytes]:
        """An XLSX file of the leads the list filters select, in the caller's data scope
        (at most 100,000; text that a spreadsheet would run as a formula is escaped).
        Needs the `export` permission."""
        found = lead_filter
        sheet = lead_export.export(
            caller.tenant_id, found, owners=owners_in_scope(caller, org_queries)
        )
        return Response(
            sheet.content,
            media_type=sheet.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{sheet.filename}"',
                "X-Total-Count": str(sheet.rows),
            },
        )
