"""LEAD-1's invariant over the real leads application (SQLite): whatever people do —
create, attach identities, merge (directly or through the cleaning queue), delete —
each identity belongs to exactly one live lead, and that lead holds it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from application.leads.cleaning import DuplicateCases, MergeCase
from application.leads.commands import AttachIdentity, CreateLead
from application.leads.identities import normalise
from application.leads.intake import offer_from
from application.leads.leads import Leads
from application.leads.scope import LeadScope
from application.shared.errors import AlreadyExists, InvalidInput, NotFound
from domain.leads.identity import LeadIdentity
from domain.leads.lead import Lead
from domain.shared.errors import DomainError
from entrypoints.container import Runtime
from tests.conftest import make_settings

# A few values, so that sequences keep colliding on them.
IDENTITIES = [
    ("mobile", "13800138000"),
    ("mobile", "13800138001"),
    ("mobile", "13800138002"),
    ("email", "a@acme.cn"),
    ("email", "B@acme.cn"),
    ("member_id", "m-1"),
]
identities = st.sampled_from(IDENTITIES)
picks = st.integers(min_value=0, max_value=1000)


@pytest.fixture(scope="module")
def sqlite_runtime(tmp_path_factory: pytest.TempPathFactory, request: Any) -> Iterator[Runtime]:
    """One store for every example; each example works in a tenant of its own."""
    var: Path = tmp_path_factory.mktemp("invariant")
    settings_ = make_settings("sqlite", var, request, in_process_projections=False)
    running = Runtime(settings_).start()
    yield running
    running.close()


class IdentityLedger(RuleBasedStateMachine):
    leads: ClassVar[Leads]
    cleaning: ClassVar[DuplicateCases]

    def __init__(self) -> None:
        super().__init__()
        self.tenant_id = uuid4()
        self.company = LeadScope.whole_company(self.tenant_id)
        self.lead_ids: list[UUID] = []

    def _pick(self, pick: int) -> UUID:
        return self.lead_ids[pick % len(self.lead_ids)]

    # --- what people do ------------------------------------------------------------------

    @rule(offered=st.lists(identities, min_size=1, max_size=3, unique=True))
    def create(self, offered: list[tuple[str, str]]) -> None:
        result = self.leads.create_lead(self.company, CreateLead.model_validate(dict(offered)))
        if result.lead.id not in self.lead_ids:
            self.lead_ids.append(result.lead.id)

    @precondition(lambda self: self.lead_ids)
    @rule(pick=picks, offered=identities)
    def attach(self, pick: int, offered: tuple[str, str]) -> None:
        kind, value = offered
        # refused: another lead's identity, or a lead merged away or deleted
        with contextlib.suppress(AlreadyExists, DomainError):
            self.leads.attach_identity(
                self.company,
                self._pick(pick),
                AttachIdentity(kind=kind, value=value),  # type: ignore[arg-type]
            )

    @precondition(lambda self: self.lead_ids)
    @rule(survivor=picks, merged=picks)
    def merge(self, survivor: int, merged: int) -> None:
        # refused: the same lead twice, or one no longer live
        with contextlib.suppress(InvalidInput, DomainError):
            self.leads.merge(self.company, self._pick(survivor), self._pick(merged), {})

    @precondition(lambda self: self.lead_ids)
    @rule(pick=picks)
    def delete(self, pick: int) -> None:
        with contextlib.suppress(DomainError):  # already merged away or deleted
            self.leads.delete(self.company, self._pick(pick), "cleaning up")

    @rule(offered=st.lists(identities, min_size=1, max_size=3, unique=True), second=st.booleans())
    def import_duplicate_then_merge_it(self, offered: list[tuple[str, str]], second: bool) -> None:
        """An import reports a row that matched lead(s); someone merges its case."""
        cases = self.cleaning.duplicate_found(
            self.tenant_id, offer_from(CreateLead.model_validate(dict(offered)))
        )
        for case_id in cases:
            try:
                case = self.cleaning.case(self.company, case_id)
                survivor = case.lead_ids[-1] if second else case.lead_ids[0]
                self.cleaning.merge(self.company, case_id, MergeCase(survivor_id=survivor))
            except (NotFound, DomainError):
                pass  # already merged, or a lead of it is gone

    # --- the invariant -------------------------------------------------------------------

    @invariant()
    def each_identity_belongs_to_exactly_one_live_lead(self) -> None:
        repository = self.leads.repository
        leads: dict[UUID, Lead] = {lead_id: repository.get(lead_id) for lead_id in self.lead_ids}
        holders: dict[tuple[str, str], list[UUID]] = {}
        for lead in leads.values():
            if lead.is_live:
                for held in lead.identities:
                    holders.setdefault((held["kind"], held["value"]), []).append(lead.id)
        for kind, raw in IDENTITIES:
            found = normalise(kind, raw)
            key = (found["kind"], found["value"])
            claim_id = LeadIdentity.create_id(self.tenant_id, *key)
            claim: LeadIdentity | None = (
                repository.get(claim_id) if claim_id in repository else None
            )
            owner = claim.lead_id if claim is not None else None
            # every claim points to a live lead that holds the identity ...
            if owner is not None:
                assert leads[owner].is_live, (key, owner)
                assert leads[owner].has_identity(*key), (key, owner)
            # ... and every identity a live lead holds is claimed by it, and by it alone
            assert holders.get(key, []) == ([owner] if owner is not None else []), key
        for lead in leads.values():
            if lead.merged_into is not None:
                assert lead.merged_into in leads and lead.merged_into != lead.id


def test_each_identity_belongs_to_exactly_one_live_lead(sqlite_runtime: Runtime) -> None:
    IdentityLedger.leads = sqlite_runtime.container.leads()
    IdentityLedger.cleaning = sqlite_runtime.container.lead_cleaning()
    run_state_machine_as_test(
        IdentityLedger,
        settings=settings(max_examples=30, stateful_step_count=12, deadline=None),
    )
