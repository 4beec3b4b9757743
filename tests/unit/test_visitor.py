"""Visitors (identity stitching): one per tenant and key, identified with a lead once and
again only when the lead changes."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.shared.errors import InvalidValue
from domain.tracking.visitor import Visitor, VisitorKind, visitor_id
from tests.unit.events import replay, topics


def test_a_visitor_id_is_the_tenant_and_key_so_two_identifies_collide() -> None:
    tenant_id, lead_id = uuid4(), uuid4()
    first = Visitor.identify_new(tenant_id=tenant_id, kind="anonymous", key="a-1", lead_id=lead_id)
    second = Visitor.identify_new(tenant_id=tenant_id, kind="anonymous", key="a-1", lead_id=uuid4())

    assert first.id == second.id == visitor_id(tenant_id, VisitorKind.ANONYMOUS, "a-1")
    assert visitor_id(uuid4(), "anonymous", "a-1") != first.id  # another tenant's visitor
    assert visitor_id(tenant_id, "user", "a-1") != first.id  # a user id is another visitor
    assert topics(first.collect_events()) == ["tracking.Visitor.Identified"]
    assert (first.tenant_id, first.kind, first.key, first.lead_id) == (
        tenant_id,
        "anonymous",
        "a-1",
        lead_id,
    )


def test_identifying_with_the_lead_it_already_is_records_nothing() -> None:
    lead_id = uuid4()
    visitor = Visitor.identify_new(tenant_id=uuid4(), kind="user", key="m-42", lead_id=lead_id)
    visitor.collect_events()

    visitor.identify(lead_id)

    assert visitor.collect_events() == []


def test_a_visitor_whose_lead_changes_is_reidentified_and_replays_to_the_new_lead() -> None:
    before, after = uuid4(), uuid4()
    visitor = Visitor.identify_new(tenant_id=uuid4(), kind="user", key="m-42", lead_id=before)

    visitor.identify(after)
    events = visitor.collect_events()

    assert topics(events) == ["tracking.Visitor.Identified", "tracking.Visitor.Reidentified"]
    assert events[1].previous_lead_id == before
    assert replay(events, Visitor).lead_id == after


@pytest.mark.parametrize(
    ("kind", "key"), [("cookie", "a-1"), ("anonymous", ""), ("user", "x" * 201)]
)
def test_a_visitor_needs_a_known_kind_and_a_key_of_1_to_200_characters(kind: str, key: str) -> None:
    with pytest.raises(InvalidValue):
        Visitor.identify_new(tenant_id=uuid4(), kind=kind, key=key, lead_id=uuid4())
