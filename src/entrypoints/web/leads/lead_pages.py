"""Console pages (线索): the lead list, a lead's page, its actions, bulk actions and export."""

from __future__ import annotations

from typing import Any

from entrypoints.web.leads.lead_actions import LeadActionPages
from entrypoints.web.leads.lead_bulk import LeadBulkController
from entrypoints.web.leads.lead_export import LeadExportController
from entrypoints.web.leads.lead_forms import LeadFormController
from entrypoints.web.leads.lead_list import LeadListController
from entrypoints.web.leads.lead_page import LeadPageController
from entrypoints.web.nav import Audience, NavItem

# Registered by the context's manifest. The fixed paths (/leads/new, /leads/export,
# /leads/bulk/...) never meet /leads/{lead_id:uuid}: those are ids.
PAGES: tuple[Any, ...] = (
    LeadListController,
    LeadExportController,
    LeadBulkController,
    LeadFormController,
    LeadPageController,
    LeadActionPages,
)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="线索列表",
        path="/console/leads",
        resource="leads",
        audience=Audience.TENANT,
        section="线索",
        order=10,
    ),
)
