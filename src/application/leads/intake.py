"""Intake: people offered to the leads (one API call, a pasted list, an import) are
matched against the identity index and against each other, then committed together
(LEAD-1, LEAD-3, TRK-4)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.leads.commands import LeadInput, Outcome
from application.leads.identities import normalise
from application.leads.rules import Ruleset
from domain.leads.identity import IdentityKind, LeadIdentity
from domain.leads.lead import BASE_FIELDS, Lead, Value

IDENTITY_FIELDS = tuple(kind.value for kind in IdentityKind)
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
DEFAULT_STATUS = "new"


class OnMatch(StrEnum):
    """What to do when an offered person is already a lead."""

    ATTACH = "attach"  # add new identities, fill empty fields (the API's create, LEAD-1)
    UPDATE = "update"  # add new identities, overwrite fields ("update existing", LEAD-3)
    REPORT = "report"  # change nothing; report a duplicate for the cleaning queue


@dataclass(frozen=True)
class Offer:
    """One person, normalised: identities, profile, custom fields and source."""

    identities: list[dict[str, str]]
    profile: dict[str, Value]
    custom: dict[str, Value]
    source: dict[str, Value]
    status: str | None
    owner_id: UUID | None
    user_type: str


def offer_from(command: LeadInput) -> Offer:
    """Normalise identities (a bad one is refused, naming its field) and read UTM
    parameters from the landing URL when the caller did not give them (TRK-4)."""
    values = command.model_dump()
    identities = [normalise(kind, values[kind]) for kind in IDENTITY_FIELDS if values[kind]]
    source: dict[str, Value] = {k: v for k, v in command.source.items() if v not in (None, "")}
    landing = source.get("landing_url")
    if isinstance(landing, str):
        query = parse_qs(urlsplit(landing).query)
        for key in UTM_FIELDS:
            if key not in source and query.get(key):
                source[key] = query[key][0][:200]
    return Offer(
        identities=identities,
        profile={k: values[k] for k in BASE_FIELDS if values[k] not in (None, "")},
        custom={k: v for k, v in command.custom.items() if v is not None},
        source=source,
        status=command.status,
        owner_id=command.owner_id,
        user_type=command.user_type,
    )


class Repository(Protocol):
    def __contains__(self, item: UUID) -> bool: ...
    def get(self, aggregate_id: UUID) -> Any: ...


class IntakeBatch:
    """Matches offers against stored claims and against the offers before them in the
    same batch, so one file never creates two leads for one person."""

    def __init__(
        self,
        tenant_id: UUID,
        repository: Repository,
        new_lead_id: Callable[[], UUID],
        *,
        on_match: OnMatch,
        known_claims: set[UUID] | None = None,
        rules: Ruleset,
    ) -> None:
        self.tenant_id = tenant_id
        self.repository = repository
        self.new_lead_id = new_lead_id
        self.on_match = on_match
        # Claim ids that may already be stored; None: ask the repository for each.
        self.known_claims = known_claims
        # The tenant's lead settings (LEAD-2/5/6/11): what offers may hold, defaults.
        self.rules = rules
        self.claims: dict[UUID, LeadIdentity] = {}
        self.leads: dict[UUID, Lead] = {}
        self.absent: set[UUID] = set()  # claim ids this batch found not stored

    def offer(self, offer: Offer) -> tuple[Outcome, Lead]:
        """Add one person; answers the outcome and the lead it created or matched."""
        claims = {
            LeadIdentity.create_id(self.tenant_id, i["kind"], i["value"]): i
            for i in offer.identities
        }
        owners = []
        for claim_id in claims:
            claim = self._claim(claim_id)
            if claim is not None and claim.lead_id is not None and claim.lead_id not in owners:
                owners.append(claim.lead_id)
        if not owners:
            return "created", self._create(offer, claims)
        lead = self._lead(owners[0])
        if len(owners) > 1 or self.on_match is OnMatch.REPORT:
            return "duplicate", lead  # identities of two leads, or told not to touch it
        custom = self.rules.check_custom(offer.custom)  # before anything changes
        # The profile first: it is what may still be refused, and then nothing has changed.
        lead.update_profile(offer.profile, custom, only_empty=self.on_match is OnMatch.ATTACH)
        for claim_id, found in claims.items():
            if not lead.has_identity(found["kind"], found["value"]):
                self._claim_for(claim_id, found, lead.id)
                lead.attach_identity(found["kind"], found["value"])
        return ("updated" if self.on_match is OnMatch.UPDATE else "matched"), lead

    def aggregates(self) -> list[Aggregate]:
        """Everything with pending events, for one commit."""
        records = [*self.leads.values(), *self.claims.values(), *self.rules.pending()]
        return [a for a in records if a.pending_events]

    def _create(self, offer: Offer, claims: dict[UUID, dict[str, str]]) -> Lead:
        offer = self.rules.admit(offer)
        lead = Lead.register(
            lead_id=self.new_lead_id(),
            tenant_id=self.tenant_id,
            identities=offer.identities,
            profile=offer.profile,
            custom=offer.custom,
            source=offer.source,
            status=offer.status or DEFAULT_STATUS,
            owner_id=offer.owner_id,
            user_type=offer.user_type,
        )
        for claim_id, found in claims.items():
            self._claim_for(claim_id, found, lead.id)
        self.leads[lead.id] = lead
        return lead

    def _claim(self, claim_id: UUID) -> LeadIdentity | None:
        if claim_id in self.claims:
            return self.claims[claim_id]
        if claim_id in self.absent:
            return None
        if (
            self.known_claims is not None and claim_id not in self.known_claims
        ) or claim_id not in self.repository:
            # Remember the answer: asking again later in this batch could see a claim a
            # concurrent command just stored, and the batch would contradict itself.
            # The commit decides instead (a conflict, then the batch is matched again).
            self.absent.add(claim_id)
            return None
        claim: LeadIdentity = self.repository.get(claim_id)
        self.claims[claim_id] = claim
        return claim

    def _claim_for(self, claim_id: UUID, found: dict[str, str], lead_id: UUID) -> None:
        claim = self._claim(claim_id)
        if claim is None:
            self.claims[claim_id] = LeadIdentity(
                tenant_id=self.tenant_id, kind=found["kind"], value=found["value"], lead_id=lead_id
            )
        else:
            claim.reclaim(lead_id)

    def _lead(self, lead_id: UUID) -> Lead:
        if lead_id not in self.leads:
            self.leads[lead_id] = self.repository.get(lead_id)
        return self.leads[lead_id]


def claim_ids(tenant_id: UUID, offers: Iterable[Offer]) -> list[UUID]:
    """The index ids an import batch will look for (to prefetch which exist)."""
    return [
        LeadIdentity.create_id(tenant_id, i["kind"], i["value"])
        for offer in offers
        for i in offer.identities
    ]
