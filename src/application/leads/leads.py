"""The leads application: one marketing user per person, with identities, profile,
pool workflow, tags, consent and merges (LEAD-1…9)."""

from __future__ import annotations

import logging
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.leads.commands import (
    AssignLead,
    AttachIdentity,
    ChangeConsent,
    CloseLead,
    CreateLead,
    IntakeResult,
    LeadDetails,
    UpdateLead,
    lead_details,
)
from application.leads.identities import normalise
from application.leads.intake import IntakeBatch, OnMatch, offer_from
from application.leads.ports import EmployeeRoster, OwnerNotifier
from application.leads.scope import CallerOrScope, LeadScope, TeamDirectory, scope_of
from application.leads.settings import TenantLeadSettings, may_add_tags
from application.shared.callers import TenantCaller
from application.shared.clock import Clock
from application.shared.errors import AlreadyExists, InvalidInput, NotFound, VersionConflict
from application.shared.event_sourced import EventSourcedContext, Infrastructure
from domain.leads.identity import LeadIdentity
from domain.leads.lead import Lead, Value
from domain.leads.lead_settings import LeadSettings

CONFLICT_RETRIES = 5
log = logging.getLogger("huoke.leads")


class Leads(EventSourcedContext):
    """Takes people in, keeps each identity on one live lead, and moves leads through
    the pool."""

    name = "leads"
    # A lead gathers follow-ups, tags and consent for years, and the tenant's settings
    # are asked by every lead write: both load from a snapshot and its tail (ADR 0009).
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Lead: 50, LeadSettings: 50}

    def __init__(
        self,
        infrastructure: Infrastructure,
        *,
        clock: Clock,
        roster: EmployeeRoster,
        notifier: OwnerNotifier,
        teams: TeamDirectory,
    ) -> None:
        super().__init__(infrastructure)
        self.clock = clock
        self.roster = roster
        self.notifier = notifier
        self.teams = teams
        # Every lead write is checked against its tenant's lead settings, which live in
        # this same event store (so a lead and what it teaches them commit together).
        self.rules = TenantLeadSettings(self, roster=roster)

    # --- intake --------------------------------------------------------------------------

    def create_lead(self, who: CallerOrScope, command: CreateLead) -> IntakeResult:
        """A new lead, or the existing one the identities match (new identities are
        attached and empty fields filled). Concurrent offers of one person make one lead.
        A match outside the caller's data scope is a colleague's customer (撞单): refused,
        unchanged and unshown."""
        scope = self.scope_of(who)
        tenant_id = scope.tenant_id
        offer = offer_from(command)
        if command.owner_id is not None:
            self._require_employee(tenant_id, command.owner_id, field="owner_id")
        for _ in range(CONFLICT_RETRIES):
            batch = IntakeBatch(
                tenant_id,
                self.repository,
                lambda: self.new_lead_id(tenant_id),
                on_match=OnMatch.ATTACH,
                rules=self.rules.for_tenant(tenant_id),
            )
            outcome, lead = batch.offer(offer)
            if outcome != "created" and not scope.includes(lead.owner_id):
                raise AlreadyExists(
                    "this person is already a lead outside your data scope",
                    field=self._identity_of(lead, offer.identities),
                )  # nothing is committed: the matched lead stays as it was
            try:
                self.commit(*batch.aggregates())
            except VersionConflict:
                continue  # someone claimed one of these identities meanwhile: match again
            if outcome == "created" and lead.owner_id is not None:
                self._notify_owner(lead)
            return IntakeResult(outcome=outcome, lead=lead_details(lead))
        raise VersionConflict("the lead is busy; retry")

    def new_lead_id(self, tenant_id: UUID) -> UUID:
        return self.new_id(f"lead:{tenant_id}")

    # --- the data scope (ORG-2) ----------------------------------------------------------

    def scope_of(self, who: CallerOrScope) -> LeadScope:
        """Whose leads `who` may see and change."""
        return scope_of(who, self.teams)

    def lead_in_scope(
        self, who: CallerOrScope, lead_id: UUID, *, expected_version: int | None = None
    ) -> Lead:
        """The one way a use case loads a lead by id: a lead of another tenant, or outside
        the caller's data scope, is not found. The scope is checked before the version,
        so a stale If-Match on someone else's lead still answers 404, never 409."""
        scope = self.scope_of(who)
        lead = self.load(lead_id, Lead, tenant_id=scope.tenant_id)
        if not scope.includes(lead.owner_id):
            raise NotFound(f"no Lead {lead_id}")
        if expected_version is not None and lead.version != expected_version:
            raise VersionConflict(f"Lead is at version {lead.version}, not {expected_version}")
        return lead

    def may_see_history(self, caller: TenantCaller, aggregate_id: UUID) -> bool:
        """Whether `caller` may read the event history of this store's record (AUD-1): a
        lead inside the caller's scope; anything else of the leads store (identity
        index, duplicate cases, imports, settings) only with a company-wide scope, since
        it tells about leads of every owner."""
        scope = self.scope_of(caller)
        if scope.company_wide:
            return True
        try:
            self.lead_in_scope(scope, aggregate_id)
        except NotFound:
            return False
        return True

    # --- one lead ------------------------------------------------------------------------

    def lead(self, who: CallerOrScope, lead_id: UUID) -> LeadDetails:
        """The lead as it is; a merged-away lead answers with `merged_into` set."""
        return lead_details(self.lead_in_scope(who, lead_id))

    def update_lead(
        self, who: CallerOrScope, lead_id: UUID, command: UpdateLead, *, expected_version: int
    ) -> LeadDetails:
        """Change profile fields (only those sent; null clears)."""
        lead = self.lead_in_scope(who, lead_id, expected_version=expected_version)
        sent = command.model_dump(exclude_unset=True)
        custom: dict[str, Value] = dict(sent.pop("custom", {}))
        rules = self.rules.for_tenant(lead.tenant_id)
        lead.update_profile(sent, rules.check_custom(custom))
        self.commit(lead, *rules.pending())
        return lead_details(lead)

    def attach_identity(
        self, who: CallerOrScope, lead_id: UUID, command: AttachIdentity
    ) -> LeadDetails:
        """Add an identity; one that belongs to another lead is refused (merge them)."""
        found = normalise(command.kind, command.value)
        lead = self.lead_in_scope(who, lead_id)
        tenant_id = lead.tenant_id
        claim_id = LeadIdentity.create_id(tenant_id, found["kind"], found["value"])
        claim: LeadIdentity | None = None
        if claim_id in self.repository:
            claim = self.load(claim_id, LeadIdentity, tenant_id=tenant_id)
            if claim.lead_id == lead.id:
                return lead_details(lead)
            if claim.lead_id is not None:
                raise AlreadyExists(
                    f"{found['kind']} belongs to lead {claim.lead_id}; merge the two",
                    field=command.kind,
                )
            claim.reclaim(lead.id)
        else:
            claim = LeadIdentity(
                tenant_id=tenant_id, kind=found["kind"], value=found["value"], lead_id=lead.id
            )
        lead.attach_identity(found["kind"], found["value"])
        try:
            self.commit(lead, claim)
        except VersionConflict:
            raise AlreadyExists(
                f"{found['kind']} was just claimed; retry", field=command.kind
            ) from None
        return lead_details(lead)

    def assign_owner(self, who: CallerOrScope, lead_id: UUID, command: AssignLead) -> LeadDetails:
        """Give the lead to a current employee, who is notified (LEAD-7)."""
        lead = self.lead_in_scope(who, lead_id)
        self._require_employee(lead.tenant_id, command.owner_id, field="owner_id")
        lead.assign_owner(command.owner_id, reason=command.reason)
        if self.commit(lead) is not None:  # re-assigning the same owner is no new notice
            self._notify_owner(lead)
        return lead_details(lead)

    def release_to_pool(self, who: CallerOrScope, lead_id: UUID, reason: str) -> LeadDetails:
        lead = self.lead_in_scope(who, lead_id)
        lead.release_to_pool(reason)
        self.commit(lead)
        return lead_details(lead)

    def follow_up(self, who: CallerOrScope, lead_id: UUID, note: str) -> LeadDetails:
        lead = self.lead_in_scope(who, lead_id)
        lead.follow_up(note)
        self.commit(lead)
        return lead_details(lead)

    def close_lead(self, who: CallerOrScope, lead_id: UUID, command: CloseLead) -> LeadDetails:
        """Won, lost or closed (LEAD-7)."""
        lead = self.lead_in_scope(who, lead_id)
        lead.close(command.outcome, command.reason)
        self.commit(lead)
        return lead_details(lead)

    def change_status(self, who: CallerOrScope, lead_id: UUID, status: str) -> LeadDetails:
        lead = self.lead_in_scope(who, lead_id)
        lead.change_status(self.rules.for_tenant(lead.tenant_id).check_status(status))
        self.commit(lead)
        return lead_details(lead)

    def tag(self, who: CallerOrScope, lead_id: UUID, tags: list[str], *, add: bool) -> LeadDetails:
        lead = self.lead_in_scope(who, lead_id)
        rules = self.rules.for_tenant(lead.tenant_id)
        if add:  # a new tag joins the tenant's tags, ungrouped, if `who` may create tags
            lead.tag(rules.check_tags(tags, may_add=may_add_tags(who)))
        else:
            lead.untag(tags)
        self.commit(lead, *rules.pending())
        return lead_details(lead)

    def change_consent(
        self, who: CallerOrScope, lead_id: UUID, command: ChangeConsent
    ) -> LeadDetails:
        """Record a subscribe, unsubscribe or suppression on one channel (LEAD-9)."""
        lead = self.lead_in_scope(who, lead_id)
        lead.record_consent(
            command.channel, command.state, source=command.source, at=self.clock.now().isoformat()
        )
        position = self.commit(lead)
        if position is not None and command.state != "subscribed":
            # Senders ask the read model (ConsentQueries.contactable): an opt-out is
            # answered only once they see it, so no send planned afterwards includes it.
            self.wait_for_views(position)
        return lead_details(lead)

    def may_contact(self, who: CallerOrScope, lead_id: UUID, channel: str) -> bool:
        """Whether a send to the lead on `channel` is allowed (the senders ask this)."""
        return self.lead_in_scope(who, lead_id).may_contact(channel)

    def delete(
        self,
        who: CallerOrScope,
        lead_id: UUID,
        reason: str,
        *,
        companions: tuple[Aggregate, ...] = (),
    ) -> LeadDetails:
        """Delete a lead; its identities are released for other leads. `companions` are
        committed in the same transaction (e.g. the duplicate case this resolves)."""
        lead = self.lead_in_scope(who, lead_id)
        lead.delete(reason)
        claims = [self._claim_of(lead, i) for i in lead.identities]
        for claim in claims:
            claim.release()
        self.commit(lead, *claims, *companions)
        return lead_details(lead)

    def merge(
        self,
        who: CallerOrScope,
        survivor_id: UUID,
        merged_id: UUID,
        chosen: dict[str, Value],
        *,
        companions: tuple[Aggregate, ...] = (),
    ) -> LeadDetails:
        """Merge a duplicate into the survivor (LEAD-4): identities, tags and fields
        combined, the duplicate's identities re-pointed, the duplicate left as a pointer.
        Both leads must be inside the caller's scope. `companions` are committed in the
        same transaction (e.g. the duplicate case)."""
        if survivor_id == merged_id:
            raise InvalidInput("a lead cannot be merged into itself", field="merged_id")
        scope = self.scope_of(who)
        survivor = self.lead_in_scope(scope, survivor_id)
        merged = self.lead_in_scope(scope, merged_id)
        survivor.absorb(merged, chosen=chosen)
        merged.merge_into(survivor)
        claims = [self._claim_of(merged, i) for i in merged.identities]
        for claim in claims:
            claim.move_to(survivor.id)
        self.commit(survivor, merged, *claims, *companions)
        return lead_details(survivor)

    # --- helpers -------------------------------------------------------------------------

    def _claim_of(self, lead: Lead, found: dict[str, str]) -> LeadIdentity:
        claim_id = LeadIdentity.create_id(lead.tenant_id, found["kind"], found["value"])
        return self.load(claim_id, LeadIdentity, tenant_id=lead.tenant_id)

    def _identity_of(self, lead: Lead, offered: list[dict[str, str]]) -> str | None:
        """The kind of the first offered identity that the stored lead holds."""
        stored = self.load(lead.id, Lead, tenant_id=lead.tenant_id)  # not the batch's copy
        return next(
            (i["kind"] for i in offered if stored.has_identity(i["kind"], i["value"])), None
        )

    def _require_employee(self, tenant_id: UUID, employee_id: UUID, *, field: str) -> None:
        if not self.roster.is_current_employee(tenant_id, employee_id):
            raise InvalidInput(f"no current employee {employee_id}", field=field)

    def _notify_owner(self, lead: Lead) -> None:
        if lead.owner_id is not None:
            notify_owner(self.notifier, lead.tenant_id, lead.id, lead.owner_id)


def notify_owner(notifier: OwnerNotifier, tenant_id: UUID, lead_id: UUID, owner_id: UUID) -> None:
    """Tell the new owner (LEAD-7). The change is already stored: a notice that fails is
    logged, never turned into an error that would make the caller retry the change."""
    try:
        notifier.owner_assigned(tenant_id, lead_id, owner_id)
    except Exception:
        log.exception("could not notify employee %s of lead %s", owner_id, lead_id)
