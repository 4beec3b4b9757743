"""Routes on many leads at once (LEAD-10): bulk actions and the XLSX export, both
inside the caller's data scope (ORG-2), which the use cases apply."""

from __future__ import annotations

from litestar import Controller, Response

from adapters.leads.xlsx_sheet import XLSX
from application.leads.bulk import BulkLeadAction, BulkLeadActions, BulkResult
from application.leads.export import LeadExport
from application.leads.queries import LeadFilter
from application.shared.callers import TenantCaller
from domain.shared.access import Action
from entrypoints.http.conventions import get, post, tenant_may


class LeadListController(Controller):
    path = "/api/v1/leads"
    tags = ["leads"]
    guards = [tenant_may("leads")]

    @post("/bulk", operation_id="bulkLeadAction", status_code=200)
    def bulk(
        self, data: BulkLeadAction, lead_bulk: BulkLeadActions, caller: TenantCaller
    ) -> BulkResult:
        """Act on many leads at once: tag, untag, change source or status, group, delete.

        Up to 500 leads by id or by filter, each changed on its own; the answer says per
        lead `ok`, `not_found` (not this tenant's, or outside the caller's scope) or
        `refused` (with the reason). Deleting needs the `delete` permission."""
        if data.action == "delete":
            caller.require("leads", Action.DELETE)
        return lead_bulk.apply(caller, data)

    @get(
        "/export",
        operation_id="exportLeads",
        may=Action.EXPORT,
        opt={"media_types": [XLSX], "response_headers": ["Content-Disposition", "X-Total-Count"]},
    )
    def export(
        self, lead_export: LeadExport, caller: TenantCaller, lead_filter: LeadFilter
    ) -> Response[bytes]:
        """Export the leads the list filters select as an XLSX spreadsheet.

        Only leads in the caller's data scope, at most 100,000; text that a spreadsheet
        would run as a formula is escaped. Needs the `export` permission."""
        sheet = lead_export.export(caller, lead_filter)
        return Response(
            sheet.content,
            media_type=sheet.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{sheet.filename}"',
                "X-Total-Count": str(sheet.rows),
            },
        )
