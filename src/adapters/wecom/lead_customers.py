"""The leads application as customer inheritance's `LeadCustomers` port (WECOM-4): the
WeCom customer a lead is (its identity `wecom_external_userid`), and the lead of a
customer (the identity index)."""

from __future__ import annotations

from uuid import UUID

from application.leads.leads import Leads
from application.shared.errors import NotFound
from domain.leads.identity import IdentityKind, LeadIdentity
from domain.leads.lead import Lead

WECOM = IdentityKind.WECOM_EXTERNAL_USERID.value


class LeadsAsTransferCustomers:
    def __init__(self, leads: Leads) -> None:
        self.leads = leads

    def customer_of_lead(self, tenant_id: UUID, lead_id: UUID) -> str | None:
        try:
            lead = self.leads.load(lead_id, Lead, tenant_id=tenant_id)
        except NotFound:
            return None
        return lead.identity_of(WECOM)

    def lead_of_customer(self, tenant_id: UUID, external_userid: str) -> UUID | None:
        claim_id = LeadIdentity.create_id(tenant_id, WECOM, external_userid)
        if claim_id not in self.leads.repository:
            return None
        claim = self.leads.load(claim_id, LeadIdentity, tenant_id=tenant_id)
        return claim.lead_id
