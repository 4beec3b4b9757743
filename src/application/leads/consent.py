"""Consent for senders (LEAD-9): what a person said per channel, the one question every
sender asks before a send, and hard-bounce suppression.

Senders (mail, SMS and WeChat tasks, flows) ask `ConsentQueries.contactable` once per
batch of recipients; it is served from the leads read model, which an opt-out reaches
before the opt-out is acknowledged (`Leads.change_consent` waits for it), so a send
planned after an unsubscribe was answered never includes that person.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from pydantic import BaseModel, Field

from application.leads.commands import ChangeConsent, LeadDetails
from application.leads.identities import normalise_email
from application.leads.leads import Leads
from application.leads.scope import CallerOrScope, LeadScope
from application.shared.errors import InvalidInput, NotFound
from application.shared.views import View
from domain.leads.identity import IdentityKind, LeadIdentity
from domain.leads.lead import CHANNELS, ConsentState

HARD_BOUNCE = "hard_bounce"
CHUNK = 500
_BLOCKING = (ConsentState.UNSUBSCRIBED.value, ConsentState.SUPPRESSED.value)


class ChannelConsent(BaseModel):
    state: str | None = Field(description="subscribed, unsubscribed, suppressed; null: never said")
    source: str | None = Field(description="how we learnt it, e.g. unsubscribe link, hard_bounce")
    at: str | None = Field(description="when the person said so (ISO-8601)")
    may_contact: bool


class ConsentDetails(BaseModel):
    """A lead's consent on every channel, and whether a send is allowed on each."""

    lead_id: UUID
    channels: dict[str, ChannelConsent]
    version: int


class ConsentQueries:
    """The batch question senders ask, from the leads read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def contactable(self, tenant_id: UUID, lead_ids: Collection[UUID], channel: str) -> set[UUID]:
        """Those of `lead_ids` a send on `channel` may go to: live leads of the tenant that
        have not unsubscribed and are not suppressed there. Unknown, merged-away, deleted
        and other tenants' ids are never contactable."""
        if channel not in CHANNELS:
            raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
        allowed: set[UUID] = set()
        ids = sorted({str(lead_id) for lead_id in lead_ids})
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ", ".join("?" for _ in chunk)
            rows = self.view.rows(
                "SELECT l.lead_id FROM leads_leads l WHERE l.tenant_id = ? AND l.live = 1 "
                f"AND l.lead_id IN ({marks}) AND NOT EXISTS (SELECT 1 FROM leads_consent c "
                "WHERE c.tenant_id = l.tenant_id AND c.lead_id = l.lead_id AND c.channel = ? "
                "AND c.state IN (?, ?))",
                [str(tenant_id), *chunk, channel, *_BLOCKING],
            )
            allowed.update(UUID(row["lead_id"]) for row in rows)
        return allowed


class LeadConsent:
    """Consent use cases beyond recording a choice (which `Leads.change_consent` does)."""

    def __init__(self, leads: Leads) -> None:
        self.leads = leads

    def consent(self, who: CallerOrScope, lead_id: UUID) -> ConsentDetails:
        """The lead's consent per channel, from the lead itself (never stale)."""
        lead = self.leads.lead_in_scope(who, lead_id)
        channels = {}
        for channel in CHANNELS:
            said = lead.consent.get(channel, {})
            channels[channel] = ChannelConsent(
                state=said.get("state"),
                source=said.get("source"),
                at=said.get("at"),
                may_contact=lead.may_contact(channel),
            )
        return ConsentDetails(lead_id=lead.id, channels=channels, version=lead.version)

    def record_hard_bounce(self, tenant_id: UUID, email: str) -> LeadDetails | None:
        """Suppress e-mail for the lead that owns `email` after a hard bounce (MAIL-5),
        with source `hard_bounce`. None when no live lead has the address (the sender
        keeps its own suppression list for addresses that are not leads)."""
        address = normalise_email(email)
        claim_id = LeadIdentity.create_id(tenant_id, IdentityKind.EMAIL.value, address)
        try:
            claim = self.leads.load(claim_id, LeadIdentity, tenant_id=tenant_id)
        except NotFound:
            return None
        if claim.lead_id is None:
            return None  # the lead that had it was deleted
        # A repeat bounce changes nothing: the lead records a state only when it differs.
        # The mail sender reports for the tenant, whoever owns the lead.
        return self.leads.change_consent(
            LeadScope.whole_company(tenant_id),
            claim.lead_id,
            ChangeConsent(channel="email", state="suppressed", source=HARD_BOUNCE),
        )
