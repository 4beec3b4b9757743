"""The leads application as the WeCom context's `CustomerLeadsPort`: a WeCom customer
becomes, or matches, a lead through the one intake every channel uses
(`Leads.create_lead`, company-wide: it is the system's own work), keyed by the
identity `wecom_external_userid`."""

from __future__ import annotations

import logging
from uuid import UUID

from application.leads.commands import CreateLead
from application.leads.leads import Leads
from application.leads.scope import LeadScope
from application.shared.context import Actor, ActorKind, RequestContext, acting
from application.shared.errors import InvalidInput
from domain.leads.identity import IdentityKind, LeadIdentity
from domain.shared.errors import InvalidValue

log = logging.getLogger("huoke.wecom.leads")
SOURCE_LEVEL1 = "企业微信"
WECOM = Actor(ActorKind.SYSTEM, "wecom")


class LeadsAsCustomers:
    """Finds or creates the lead of a WeCom customer."""

    def __init__(self, leads: Leads) -> None:
        self.leads = leads

    def lead_for_customer(
        self,
        tenant_id: UUID,
        external_userid: str,
        *,
        name: str,
        owner_id: UUID | None,
        state: str,
        key: str,
    ) -> UUID | None:
        source: dict[str, str | None] = {"level1": SOURCE_LEVEL1, "channel": "wecom"}
        if state:
            source["level2"] = state[:100]
        offer: dict[str, object] = {
            "wecom_external_userid": external_userid,
            "name": name[:100] or None,
            "owner_id": owner_id,
            "source": source,
        }
        scope = LeadScope.whole_company(tenant_id)
        # The lead's id is derived from the row's key: a replay collides, never doubles.
        context = RequestContext(actor=WECOM, request_id=f"wecom-{key[:80]}", idempotency_key=key)
        # Each refusal takes one thing out (the owner, the tenant's source list), so
        # this ends after a few attempts.
        for _ in range(4):
            try:
                with acting(context):
                    result = self.leads.create_lead(scope, CreateLead.model_validate(offer))
                return result.lead.id
            except (InvalidInput, InvalidValue) as error:
                field = error.field or ""
            if field == "owner_id" and offer["owner_id"] is not None:
                offer["owner_id"] = None  # the employee left meanwhile: a pool lead
            elif field.startswith("source") and "level1" in source:
                # The tenant keeps its own list of sources and 企业微信 is not on it.
                offer["source"] = {"channel": "wecom"}
                source = {}
            elif offer.get("name"):
                offer["name"] = None
            else:
                log.warning("tenant %s: no lead for a WeCom customer: %s", tenant_id, field)
                return None
        return None

    def lead_of_customer(self, tenant_id: UUID, external_userid: str) -> UUID | None:
        claim_id = LeadIdentity.create_id(
            tenant_id, IdentityKind.WECOM_EXTERNAL_USERID.value, external_userid
        )
        if claim_id not in self.leads.repository:
            return None
        claim = self.leads.load(claim_id, LeadIdentity, tenant_id=tenant_id)
        return claim.lead_id
