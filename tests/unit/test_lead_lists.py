"""Pure rules behind bulk actions and exports: group listing and formula escaping."""

from __future__ import annotations

from uuid import uuid4

import pytest

from application.leads.export import safe_cell
from domain.leads.groups import GroupMembership
from domain.leads.lead import Lead
from domain.shared.errors import StateConflict
from tests.unit.events import replay, topics


def a_lead() -> Lead:
    mobile = {"kind": "mobile", "value": "+8613800138000"}
    return Lead.register(
        lead_id=uuid4(), tenant_id=uuid4(), identities=[mobile],
        profile={}, custom={}, source={}, status="new", owner_id=None,
    )  # fmt: skip


def test_listing_a_lead_in_a_group_has_one_id_per_pair_and_replays() -> None:
    lead, group_id = a_lead(), uuid4()
    membership = GroupMembership.record(group_id=group_id, lead=lead)
    events = membership.collect_events()
    assert topics(events) == ["leads.GroupMembership.Recorded"]
    again = replay(events, GroupMembership)
    assert (again.tenant_id, again.group_id, again.lead_id) == (lead.tenant_id, group_id, lead.id)
    assert membership.id == GroupMembership.create_id(lead.tenant_id, group_id, lead.id)
    assert membership.id != GroupMembership.create_id(lead.tenant_id, uuid4(), lead.id)


def test_a_deleted_lead_is_not_listed() -> None:
    lead = a_lead()
    lead.delete("spam")
    with pytest.raises(StateConflict):
        GroupMembership.record(group_id=uuid4(), lead=lead)


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("  =1+1", "'  =1+1"),
        ("\t=1+1", "'\t=1+1"),
        ("\r\n@x", "'\r\n@x"),
        ("\tplain", "'\tplain"),
        ("+8613800138000", "+8613800138000"),
        ("-12.5", "-12.5"),
        ("a=b", "a=b"),
        ("张三", "张三"),
        ("", ""),
        (None, None),
        (42, 42),
    ],
)
def test_cells_a_spreadsheet_would_evaluate_are_escaped(typed: object, written: object) -> None:
    assert safe_cell(typed) == written  # type: ignore[arg-type]
