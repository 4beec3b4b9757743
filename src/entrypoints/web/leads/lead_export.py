"""Export the list's current filter as an XLSX download (the API's export use case),
under a Chinese file name."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get

from application.leads.export import LeadExport
from domain.shared.access import Action
from entrypoints.web.i18n import gettext as _
from entrypoints.web.leads.lead_filters import QUERY_NAMES, lead_filter_of
from entrypoints.web.pages import query_of, signed_in_viewer, tenant_may


class LeadExportController(Controller):
    path = "/leads/export"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def export_leads(
        self, request: Request[Any, Any, Any], lead_export: LeadExport
    ) -> Response[bytes]:
        caller = tenant_may(request, "leads", Action.EXPORT)
        timezone = signed_in_viewer(request).timezone
        found = lead_filter_of(query_of(request, QUERY_NAMES), timezone)
        sheet = lead_export.export(caller, found)
        # leads-20260502-101500.xlsx -> 线索导出-20260502-101500.xlsx; header values are
        # ASCII, so the Chinese name travels RFC 6266/8187-encoded beside a plain one.
        chinese = sheet.filename.replace("leads", _("线索导出"), 1)
        return Response(
            sheet.content,
            media_type=sheet.media_type,
            headers={
                "Content-Disposition": (
                    f"attachment; filename=\"{sheet.filename}\"; filename*=UTF-8''{quote(chinese)}"
                ),
                "X-Total-Count": str(sheet.rows),
            },
        )
