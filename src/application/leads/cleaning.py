"""Data cleaning (LEAD-4): the duplicate queue and automatic merge rules.

Cases come from two places: an import that met a person who is already a lead and was
told not to touch existing leads reports the row here (`duplicate_found`, the sink of
the import), and `detect_duplicates` scans a tenant's leads for the same name at the
same company. Each case is merged (field by field, through `Leads.merge`), dismissed,
or resolved by deleting one lead. When a case opens, the tenant's merge rules may merge
it at once. Cases and rules live in the leads event store, beside the leads they are
about, so a merge and the case it closes commit in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol
from uuid import UUID

from pydantic import BaseModel, Field

from application.leads.commands import AttachIdentity, FieldValue, LeadDetails
from application.leads.intake import Offer
from application.leads.leads import Leads
from application.leads.scope import CallerOrScope, LeadScope
from application.shared.commands import Command
from application.shared.errors import (
    AlreadyExists,
    ApplicationError,
    NotFound,
    PermissionDenied,
    VersionConflict,
)
from domain.leads.duplicate_case import (
    DuplicateCase,
    DuplicateReason,
    FieldChoice,
    MatchField,
    MergeRules,
    SurvivorChoice,
    company_key,
    plain_text,
    similarity_key,
)
from domain.leads.identity import LeadIdentity
from domain.leads.lead import BASE_FIELDS, Lead, Value
from domain.shared.errors import DomainError

# --- commands and answers ------------------------------------------------------------------


class MergeCase(Command):
    survivor_id: UUID = Field(description="the lead that stays; the others merge into it")
    chosen: dict[str, FieldValue] = Field(
        default_factory=dict,
        max_length=100,
        description="field values to keep where the leads differ (others: the survivor's, "
        "or the duplicate's where the survivor has none)",
    )


class DismissCase(Command):
    reason: str = Field(min_length=1, max_length=500, examples=["different people"])


class DeleteFromCase(Command):
    lead_id: UUID = Field(description="the case's lead to delete")
    reason: str = Field(min_length=1, max_length=500, examples=["test data"])


class MergeRuleInput(Command):
    """Merge without asking when all of `match` agree between the two sides of a case.
    Two live leads never share a mobile or e-mail (LEAD-1), so `mobile` and `email`
    agree only between an import's incoming record and the lead it matched."""

    match: list[Literal["mobile", "email", "name", "company"]] = Field(
        min_length=1, max_length=4, examples=[["mobile", "name"]]
    )
    survivor: Literal["oldest", "newest"] = "oldest"
    fields: Literal["keep_non_empty", "prefer_newest"] = "keep_non_empty"


class SetMergeRules(Command):
    rules: list[MergeRuleInput] = Field(max_length=20, description="tried in order")


class MergeRulesDetails(BaseModel):
    rules: list[MergeRuleInput]
    version: int = Field(description="0 until the tenant sets rules")


class DuplicateCaseDetails(BaseModel):
    id: UUID
    status: str
    reason: str
    lead_ids: list[UUID]
    record: dict[str, Any] | None = Field(description="the incoming record, for import cases")
    leads: list[LeadDetails] = Field(description="the case's leads as they are now")
    survivor_id: UUID | None
    rule: str | None = Field(description="the merge rule that merged it, e.g. `rules.0`")
    note: str | None = Field(description="why it was dismissed or a lead deleted")
    version: int
    opened_at: datetime
    updated_at: datetime


class ScanResult(BaseModel):
    examined: int = Field(description="live leads with a name and a company")
    opened: int
    merged_automatically: int
    already_queued: int


# --- ports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    lead_id: UUID
    name: str | None
    company: str | None


class LeadCandidates(Protocol):
    """The leads a scan compares (the leads read model)."""

    def named_leads(self, tenant_id: UUID) -> Iterable[Candidate]:
        """Live leads of the tenant with a name and a company, oldest first."""
        ...


Opened = Literal["opened", "merged", "known", "skipped"]


class DuplicateCases:
    """The cleaning use cases, over the `Leads` application."""

    def __init__(self, leads: Leads, candidates: LeadCandidates) -> None:
        self.leads = leads
        self.candidates = candidates

    # --- detection -----------------------------------------------------------------------

    def duplicate_found(self, tenant_id: UUID, offer: Offer) -> list[UUID]:
        """The import's sink: `offer` matched a lead and was left alone. Opens a case
        about it and the lead(s) its identities belong to (or merges it by rule);
        answers the case ids. Reporting the same row again opens nothing new."""
        owners: list[UUID] = []
        matched_kind = None
        for found in offer.identities:
            claim_id = LeadIdentity.create_id(tenant_id, found["kind"], found["value"])
            if claim_id not in self.leads.repository:
                continue
            claim = self.leads.load(claim_id, LeadIdentity, tenant_id=tenant_id)
            if claim.lead_id is not None and claim.lead_id not in owners:
                owners.append(claim.lead_id)
                matched_kind = matched_kind or found["kind"]
        if not owners:
            return []  # nobody has these identities (any more): nothing to clean
        reason = {
            "mobile": DuplicateReason.SAME_MOBILE,
            "email": DuplicateReason.SAME_EMAIL,
        }.get(matched_kind or "", DuplicateReason.IMPORT_DUPLICATE)
        record = {
            "identities": [dict(i) for i in offer.identities],
            "profile": dict(offer.profile),
            "custom": dict(offer.custom),
        }
        ids = [DuplicateCase.create_id(tenant_id, owners[:2], record)]
        self._open(tenant_id, owners[:2], reason.value, record)
        for other in owners[2:]:  # a row holding identities of three leads or more
            ids.append(DuplicateCase.create_id(tenant_id, [owners[0], other]))
            self._open(tenant_id, [owners[0], other], DuplicateReason.IMPORT_DUPLICATE, None)
        return ids

    def detect_duplicates(self, who: CallerOrScope) -> ScanResult:
        """Scan the tenant's live leads for the same person at the same company (see
        `similarity_key`) and queue each suspected pair once: every later lead of a
        group is paired with the group's oldest (or with what it was merged into).
        Needs a company-wide data scope."""
        tenant_id = self._company_wide(who).tenant_id
        groups: dict[str, list[UUID]] = {}
        examined = 0
        for candidate in self.candidates.named_leads(tenant_id):
            examined += 1
            key = similarity_key(candidate.name, candidate.company)
            if key is not None:
                groups.setdefault(key, []).append(candidate.lead_id)
        counts = {"opened": 0, "merged": 0, "known": 0, "skipped": 0}
        for first, *others in groups.values():
            for other in others:
                outcome, survivor = self._open(
                    tenant_id, [first, other], DuplicateReason.SIMILAR_NAME_COMPANY, None
                )
                counts[outcome] += 1
                if outcome == "merged" and survivor is not None:
                    first = survivor  # the group's oldest may have merged into this one
        return ScanResult(
            examined=examined,
            opened=counts["opened"],
            merged_automatically=counts["merged"],
            already_queued=counts["known"],
        )

    # --- the queue -----------------------------------------------------------------------

    def case(self, who: CallerOrScope, case_id: UUID) -> DuplicateCaseDetails:
        """One case with its leads as they are now, for a side-by-side choice."""
        case, _ = self._case_in_scope(who, case_id)
        return self._details(case)

    def merge(self, who: CallerOrScope, case_id: UUID, command: MergeCase) -> DuplicateCaseDetails:
        """Merge the case's leads into `survivor_id`, field by field (`chosen`); the
        others answer with `merged_into` from now on. An incoming record's identities
        join the survivor where no other lead holds them."""
        case, scope = self._case_in_scope(who, case_id)
        case.merge(command.survivor_id, dict(command.chosen))
        self._carry_out(scope, case, command.survivor_id, dict(command.chosen), record_fields=None)
        return self._details(case)

    def dismiss(
        self, who: CallerOrScope, case_id: UUID, command: DismissCase
    ) -> DuplicateCaseDetails:
        """Not duplicates: the case closes and the same leads are not queued again."""
        case, _ = self._case_in_scope(who, case_id)
        case.dismiss(command.reason)
        self.leads.commit(case)
        return self._details(case)

    def delete_lead(
        self, who: CallerOrScope, case_id: UUID, command: DeleteFromCase
    ) -> DuplicateCaseDetails:
        """Resolve the case by deleting one of its leads (its identities are freed)."""
        case, scope = self._case_in_scope(who, case_id)
        case.delete_duplicate(command.lead_id, command.reason)
        self.leads.delete(scope, command.lead_id, command.reason, companions=(case,))
        return self._details(case)

    # --- merge rules ---------------------------------------------------------------------

    def merge_rules(self, who: CallerOrScope) -> MergeRulesDetails:
        """The tenant's automatic merge rules (none until set)."""
        rules = self._rules(self.leads.scope_of(who).tenant_id)
        if rules is None:
            return MergeRulesDetails(rules=[], version=0)
        return _rules_details(rules)

    def set_merge_rules(
        self, who: CallerOrScope, command: SetMergeRules, *, expected_version: int | None
    ) -> MergeRulesDetails:
        """Replace the rules (needs a company-wide data scope: they merge leads of every
        owner). `expected_version` (If-Match) guards a change of rules that exist; the
        first setting needs none (a concurrent first setting answers 409)."""
        tenant_id = self._company_wide(who).tenant_id
        wanted = [rule.model_dump() for rule in command.rules]
        rules = self._rules(tenant_id)
        if rules is None:
            rules = MergeRules.configure(tenant_id=tenant_id, rules=wanted)
        else:
            if expected_version is not None and rules.version != expected_version:
                raise VersionConflict(
                    f"the merge rules are at version {rules.version}, not {expected_version}"
                )
            rules.change(wanted)
        self.leads.commit(rules)
        return _rules_details(rules)

    # --- helpers -------------------------------------------------------------------------

    def _company_wide(self, who: CallerOrScope) -> LeadScope:
        scope = self.leads.scope_of(who)
        if not scope.company_wide:
            raise PermissionDenied("data cleaning needs a company-wide data scope")
        return scope

    def _case_in_scope(self, who: CallerOrScope, case_id: UUID) -> tuple[DuplicateCase, LeadScope]:
        """The case, and the caller's scope, if every lead of it is inside the scope; a
        case about a lead the caller may not see is not found, like another tenant's."""
        scope = self.leads.scope_of(who)
        case = self.leads.load(case_id, DuplicateCase, tenant_id=scope.tenant_id)
        if not scope.company_wide:
            for lead_id in case.lead_ids:
                try:
                    self.leads.lead_in_scope(scope, lead_id)
                except NotFound:
                    raise NotFound(f"no DuplicateCase {case_id}") from None
        return case, scope

    def _rules(self, tenant_id: UUID) -> MergeRules | None:
        rules_id = MergeRules.create_id(tenant_id)
        if rules_id not in self.leads.repository:
            return None
        return self.leads.load(rules_id, MergeRules, tenant_id=tenant_id)

    def _open(
        self,
        tenant_id: UUID,
        lead_ids: list[UUID],
        reason: str,
        record: dict[str, Any] | None,
    ) -> tuple[Opened, UUID | None]:
        """Queue a case unless it is known or one of its leads is gone; merge it at once
        when a rule says so. Answers what happened and the survivor of a merge."""
        if DuplicateCase.create_id(tenant_id, lead_ids, record) in self.leads.repository:
            return "known", None
        leads = [self.leads.load(lead_id, Lead, tenant_id=tenant_id) for lead_id in lead_ids]
        if not all(lead.is_live for lead in leads):
            return "skipped", None  # the read model lagged behind a merge or a deletion
        rules = self._rules(tenant_id)
        found = rules.rule_for(_agreeing(leads, record)) if rules is not None else None
        if found is not None:
            position, rule = found
            case = DuplicateCase.open(
                tenant_id=tenant_id, lead_ids=lead_ids, reason=reason, record=record
            )
            survivor, chosen = _by_rule(rule, leads)
            case.merge(survivor.id, chosen, rule=f"rules.{position}")
            try:  # the system's own merge, by the tenant's rule: the whole company's leads
                self._carry_out(
                    LeadScope.whole_company(tenant_id),
                    case,
                    survivor.id,
                    chosen,
                    record_fields=rule["fields"],
                )
                return "merged", survivor.id
            except (ApplicationError, DomainError):
                pass  # e.g. a lead changed meanwhile: leave the case to a person
        case = DuplicateCase.open(
            tenant_id=tenant_id, lead_ids=lead_ids, reason=reason, record=record
        )
        try:
            self.leads.commit(case)
        except VersionConflict:
            return "known", None  # opened by a concurrent scan or import
        return "opened", None

    def _carry_out(
        self,
        scope: LeadScope,
        case: DuplicateCase,
        survivor_id: UUID,
        chosen: dict[str, Value],
        *,
        record_fields: str | None,
    ) -> None:
        """Merge the case's leads (committing the case with them), then let an incoming
        record's identities join the survivor; `record_fields` (a rule's field choice)
        also takes the record's profile, as an import with "update existing" would."""
        others = [lead_id for lead_id in case.lead_ids if lead_id != survivor_id]
        if others:
            self.leads.merge(scope, survivor_id, others[0], chosen, companions=(case,))
        else:  # one lead and the record: the chosen values are the record's worth keeping
            lead = self.leads.lead_in_scope(scope, survivor_id)
            profile = {k: v for k, v in chosen.items() if k in BASE_FIELDS}
            custom = {k: v for k, v in chosen.items() if k not in BASE_FIELDS}
            lead.update_profile(profile, custom)
            self.leads.commit(lead, case)
        if case.record is None:
            return
        for found in case.record["identities"]:
            try:  # each is idempotent; one another lead holds stays with that lead
                self.leads.attach_identity(scope, survivor_id, AttachIdentity.model_validate(found))
            except AlreadyExists:
                continue
        if record_fields is not None:
            lead = self.leads.lead_in_scope(scope, survivor_id)
            lead.update_profile(
                case.record["profile"],
                case.record["custom"],
                only_empty=record_fields == FieldChoice.KEEP_NON_EMPTY,
            )
            self.leads.commit(lead)

    def _details(self, case: DuplicateCase) -> DuplicateCaseDetails:
        return DuplicateCaseDetails(
            id=case.id,
            status=case.state,
            reason=case.reason,
            lead_ids=list(case.lead_ids),
            record=case.record,
            # The case was checked against the caller's scope when it was loaded.
            leads=[
                self.leads.lead(LeadScope.whole_company(case.tenant_id), lead_id)
                for lead_id in case.lead_ids
            ],
            survivor_id=case.survivor_id,
            rule=case.rule,
            note=case.note,
            version=case.version,
            opened_at=case.created_on,
            updated_at=case.modified_on,
        )


def _rules_details(rules: MergeRules) -> MergeRulesDetails:
    return MergeRulesDetails(
        rules=[MergeRuleInput(**rule) for rule in rules.rules], version=rules.version
    )


def _side(lead: Lead | None, record: dict[str, Any] | None) -> dict[str, set[str]]:
    """What one side of a case shows for each match field (normalised)."""
    if lead is not None:
        identities, profile = lead.identities, lead.profile
    else:
        assert record is not None
        identities, profile = record["identities"], record["profile"]
    name, company = profile.get("name"), profile.get("company")
    return {
        MatchField.MOBILE: {i["value"] for i in identities if i["kind"] == "mobile"},
        MatchField.EMAIL: {i["value"] for i in identities if i["kind"] == "email"},
        MatchField.NAME: {plain_text(name)} - {""} if isinstance(name, str) else set(),
        MatchField.COMPANY: {company_key(company)} - {""} if isinstance(company, str) else set(),
    }


def _agreeing(leads: list[Lead], record: dict[str, Any] | None) -> set[str]:
    """The match fields on which every side of the case agrees: the record with each
    lead, or the two leads with each other."""
    sides = [_side(lead, None) for lead in leads]
    pairs = [(_side(None, record), side) for side in sides] if record else [(sides[0], sides[1])]
    return {
        str(field)
        for field in MatchField
        if all(first[field] & second[field] for first, second in pairs)
    }


def _by_rule(rule: dict[str, Any], leads: list[Lead]) -> tuple[Lead, dict[str, Value]]:
    """The survivor and the field values a rule chooses between the case's leads."""
    by_age = sorted(leads, key=lambda lead: (lead.created_on, str(lead.id)))
    survivor = by_age[0] if rule["survivor"] == SurvivorChoice.OLDEST else by_age[-1]
    chosen: dict[str, Value] = {}
    if rule["fields"] == FieldChoice.PREFER_NEWEST and len(by_age) > 1:
        for lead in by_age:  # later leads overwrite: the newest non-empty value wins
            values = {**lead.profile, **lead.custom}
            chosen.update({k: v for k, v in values.items() if v not in (None, "")})
    return survivor, chosen
