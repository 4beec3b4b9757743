"""The `ConsentBook` port over the leads context: an unsubscribe or a suppression is a
consent change on the lead (LEAD-9), which the leads' consent read model — the one every
send asks — shows before the change is answered."""

from __future__ import annotations

import contextlib
from typing import Literal, cast
from uuid import UUID

from application.leads.commands import ChangeConsent
from application.leads.leads import Leads
from application.leads.scope import LeadScope
from application.shared.errors import NotFound

Channel = Literal["email", "sms", "wechat"]


class LeadConsentBook:
    def __init__(self, leads: Leads) -> None:
        self.leads = leads

    def unsubscribe(self, tenant_id: UUID, lead_id: UUID, channel: str, source: str) -> None:
        self._change(tenant_id, lead_id, channel, "unsubscribed", source)

    def suppress(self, tenant_id: UUID, lead_id: UUID, channel: str, source: str) -> None:
        self._change(tenant_id, lead_id, channel, "suppressed", source)

    def _change(
        self,
        tenant_id: UUID,
        lead_id: UUID,
        channel: str,
        state: Literal["unsubscribed", "suppressed"],
        source: str,
    ) -> None:
        command = ChangeConsent(channel=cast(Channel, channel), state=state, source=source[:200])
        # The sender speaks for the tenant, whoever owns the lead; a lead deleted or
        # merged away has nobody left to write to.
        with contextlib.suppress(NotFound):
            self.leads.change_consent(LeadScope.whole_company(tenant_id), lead_id, command)
