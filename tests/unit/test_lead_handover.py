"""Handing a lead over between employees or to the pool (ORG-3)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.leads.lead import Lead
from domain.shared.errors import InvalidValue, StateConflict
from tests.unit.events import replay, topics


def a_lead(owner_id: UUID | None) -> Lead:
    return Lead.register(
        lead_id=uuid4(),
        tenant_id=uuid4(),
        identities=[{"kind": "mobile", "value": "+8613800138000"}],
        profile={"name": "张三"},
        custom={},
        source={},
        status="new",
        owner_id=owner_id,
    )


def test_a_handover_records_from_to_reason_and_kind_on_the_lead() -> None:
    leaver, heir = uuid4(), uuid4()
    lead = a_lead(leaver)

    lead.hand_over(leaver, heir, reason=" 离职交接 ", kind="leaving")

    events = lead.collect_events()
    assert topics(events)[-1] == "leads.Lead.HandedOver"
    handed = events[-1]
    assert (handed.from_owner_id, handed.to_owner_id, handed.reason, handed.kind) == (  # type: ignore[attr-defined]
        leaver,
        heir,
        "离职交接",
        "leaving",
    )
    again = replay(events, Lead)
    assert (again.owner_id, again.pool_state) == (heir, "assigned")


def test_handing_over_to_nobody_puts_an_open_lead_back_in_the_pool() -> None:
    leaver = uuid4()
    lead = a_lead(leaver)
    lead.follow_up("called twice")

    lead.hand_over(leaver, None, reason="离职", kind="leaving")

    assert (lead.owner_id, lead.pool_state) == (None, "pool")


def test_a_won_customer_changes_hands_and_stays_won() -> None:
    seller, heir = uuid4(), uuid4()
    lead = a_lead(seller)
    lead.close("won", "signed")

    lead.hand_over(seller, heir, reason="在职继承", kind="in_service")

    assert (lead.owner_id, lead.pool_state) == (heir, "won")


def test_only_the_current_owners_leads_are_handed_over() -> None:
    owner, someone_else = uuid4(), uuid4()
    lead = a_lead(owner)
    lead.collect_events()

    with pytest.raises(StateConflict):
        lead.hand_over(someone_else, uuid4(), reason="x", kind="leaving")
    with pytest.raises(InvalidValue) as same:
        lead.hand_over(owner, owner, reason="x", kind="leaving")
    assert same.value.field == "to_employee_id"
    with pytest.raises(InvalidValue) as kind:
        lead.hand_over(owner, uuid4(), reason="x", kind="promotion")
    assert kind.value.field == "kind"
    with pytest.raises(InvalidValue):
        lead.hand_over(owner, uuid4(), reason="  ", kind="leaving")

    assert lead.owner_id == owner and lead.collect_events() == []


def test_a_merged_away_lead_is_not_handed_over() -> None:
    owner = uuid4()
    survivor, duplicate = a_lead(None), a_lead(owner)
    duplicate.merge_into(survivor)

    with pytest.raises(StateConflict):
        duplicate.hand_over(owner, None, reason="离职", kind="leaving")
