"""The leads application as the WeChat context's `LeadsInView`: a binding QR code is
made only for a lead the caller may see (another tenant's, or a colleague's for a sales
key, is not found)."""

from __future__ import annotations

from uuid import UUID

from application.leads.leads import Leads
from application.shared.callers import TenantCaller
from application.shared.errors import NotFound


class LeadsAsInView:
    def __init__(self, leads: Leads) -> None:
        self.leads = leads

    def sees(self, caller: TenantCaller, lead_id: UUID) -> bool:
        try:
            details = self.leads.lead(caller, lead_id)
        except NotFound:
            return False
        return details.merged_into is None and not details.deleted
