"""Groups and memberships (SEG-1, SEG-3): pure rules."""

from __future__ import annotations

from itertools import pairwise
from uuid import uuid4

import pytest
from eventsourcing.utils import resolve_topic
from hypothesis import given
from hypothesis import strategies as st

from application.segments import adoption  # noqa: F401  # registers the interim topic
from domain.segments.groups import Group
from domain.segments.membership import Membership, membership_id
from domain.shared.errors import InvalidValue, StateConflict
from tests.unit.events import replay, topics

CONTACTED = {"field": "status", "op": "equals", "value": "contacted"}


def a_membership() -> Membership:
    return Membership.open(tenant_id=uuid4(), group_id=uuid4(), lead_id=uuid4())


@given(st.lists(st.booleans(), max_size=30))
def test_joining_and_leaving_alternate_whatever_is_asked(asks: list[bool]) -> None:
    membership = a_membership()
    for join in asks:
        membership.join("added") if join else membership.leave("removed")
    events = membership.collect_events()
    changes = [t for t in topics(events) if t != "segments.Membership.Created"]
    # Each change flips the state: Joined and Left alternate, starting with Joined.
    assert all(a != b for a, b in pairwise(changes))
    assert not changes or changes[0] == "segments.Membership.Joined"
    assert membership.is_member == (asks[-1] if asks else False)  # the last ask decides
    assert replay(events, Membership).is_member == membership.is_member


def test_a_membership_has_one_id_per_group_and_lead_and_its_events_name_them() -> None:
    tenant_id, group_id, lead_id = uuid4(), uuid4(), uuid4()
    membership = Membership.open(tenant_id=tenant_id, group_id=group_id, lead_id=lead_id)
    assert membership.id == membership_id(tenant_id, group_id, lead_id)
    assert membership.id != membership_id(tenant_id, uuid4(), lead_id)
    membership.join("matched")
    joined = membership.collect_events()[-1]
    assert (joined.tenant_id, joined.group_id, joined.lead_id, joined.reason) == (
        tenant_id, group_id, lead_id, "matched"
    )  # fmt: skip


def test_the_leads_interim_records_read_as_memberships() -> None:
    assert resolve_topic("leads.GroupMembership") is Membership
    assert resolve_topic("leads.GroupMembership.Recorded") is Membership.Recorded
    record = Membership.Recorded(
        originator_id=uuid4(),
        originator_version=1,
        timestamp=Membership.Recorded.create_timestamp(),
        originator_topic="leads.GroupMembership",
        tenant_id=uuid4(),
        group_id=uuid4(),
        lead_id=uuid4(),
    )
    adopted = record.mutate(None)
    assert isinstance(adopted, Membership) and adopted.is_member


def test_a_group_is_static_or_smart_with_a_valid_filter() -> None:
    def form(kind: str, tree: object) -> Group:
        return Group.form(group_id=uuid4(), tenant_id=uuid4(), name="组", kind=kind, tree=tree)

    assert form("static", None).tree is None
    assert form("smart", CONTACTED).tree == CONTACTED
    for kind, tree, field in [
        ("smart", None, "filter"),
        ("static", CONTACTED, "filter"),
        ("dynamic", None, "kind"),
        ("smart", {"field": "status", "op": "bogus", "value": 1}, "filter.op"),
    ]:
        with pytest.raises(InvalidValue) as error:
            form(kind, tree)
        assert error.value.field == field


def test_renaming_filters_merging_and_deleting() -> None:
    tenant_id = uuid4()
    smart = Group.form(
        group_id=uuid4(), tenant_id=tenant_id, name="甲", kind="smart", tree=CONTACTED
    )
    static = Group.form(group_id=uuid4(), tenant_id=tenant_id, name="乙", kind="static", tree=None)
    smart.rename("甲")  # unchanged: no event
    smart.change_filter(CONTACTED)
    assert topics(smart.collect_events()) == ["segments.Group.Formed"]
    with pytest.raises(StateConflict):
        static.change_filter(CONTACTED)
    with pytest.raises(StateConflict):
        static.merge_into(smart)  # only into a static group
    with pytest.raises(InvalidValue):
        static.merge_into(static)
    smart.merge_into(static)
    assert smart.is_deleted and smart.merged_into == static.id
    with pytest.raises(StateConflict):
        smart.rename("丙")
    static.delete(with_members=False)
    assert topics(static.collect_events())[-1] == "segments.Group.Deleted"
