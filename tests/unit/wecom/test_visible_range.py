"""The visible-range rule (WECOM-5): an all-staff task reaches only members inside the
app's visible range, active, and no more than the interface accounts bought, taken in
seat order; everyone else is left out with the reason. Properties: never outside the
range, never past the accounts, a wider range never reaches fewer, the order of the
input changes nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.errors import InvalidValue
from domain.wecom.visible_range import Candidate, LeftOut, reach_of

USERIDS = [f"u{i:02d}" for i in range(12)]

candidates_strategy = st.lists(
    st.builds(
        Candidate,
        userid=st.sampled_from(USERIDS),
        seat=st.integers(0, 20),
        in_visible_range=st.booleans(),
        active=st.booleans(),
        departed=st.booleans(),
    ),
    max_size=12,
    unique_by=lambda c: c.userid,
)
accounts_strategy = st.one_of(st.none(), st.integers(0, 12))


@given(candidates=candidates_strategy, accounts=accounts_strategy)
def test_an_all_staff_task_never_reaches_outside_the_range_nor_past_the_accounts(
    candidates: list[Candidate], accounts: int | None
) -> None:
    reach = reach_of(candidates, accounts=accounts, all_staff=True)
    by_id = {c.userid: c for c in candidates}
    assert all(by_id[u].in_visible_range and by_id[u].active for u in reach.reached)
    assert accounts is None or len(reach.reached) <= accounts
    # everyone is either reached or left out, once
    named = list(reach.reached) + [u for u, _ in reach.left_out]
    assert sorted(named) == sorted(by_id)
    # nobody eligible is left out while an account is free
    eligible = [c for c in candidates if c.in_visible_range and c.active and not c.departed]
    assert len(reach.reached) == (
        len(eligible) if accounts is None else min(accounts, len(eligible))
    )


@given(
    candidates=candidates_strategy,
    accounts=accounts_strategy,
    widened=st.sets(st.sampled_from(USERIDS)),
)
def test_a_wider_visible_range_never_reaches_fewer(
    candidates: list[Candidate], accounts: int | None, widened: set[str]
) -> None:
    narrow = reach_of(candidates, accounts=accounts, all_staff=True)
    wider = [
        Candidate(c.userid, c.seat, c.in_visible_range or c.userid in widened, c.active, c.departed)
        for c in candidates
    ]
    wide = reach_of(wider, accounts=accounts, all_staff=True)
    assert len(wide.reached) >= len(narrow.reached)


@given(candidates=candidates_strategy, accounts=accounts_strategy, data=st.data())
def test_the_reach_does_not_depend_on_the_order_members_are_listed_in(
    candidates: list[Candidate], accounts: int | None, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(candidates))
    first = reach_of(candidates, accounts=accounts, all_staff=True)
    assert reach_of(shuffled, accounts=accounts, all_staff=True) == first


def test_the_first_members_to_join_keep_the_accounts_and_the_others_say_why() -> None:
    members = [
        Candidate("late", seat=5),
        Candidate("early", seat=1),
        Candidate("gone", seat=0, in_visible_range=False),
        Candidate("disabled", seat=2, active=False),
        Candidate("middle", seat=3),
        Candidate("left_huoke", seat=4, departed=True),
    ]
    reach = reach_of(members, accounts=2, all_staff=True)
    assert reach.reached == ("early", "middle")
    assert dict(reach.left_out) == {
        "gone": LeftOut.OUTSIDE_RANGE,
        "disabled": LeftOut.INACTIVE,
        "left_huoke": LeftOut.DEPARTED,
        "late": LeftOut.OVER_QUOTA,
    }
    assert reach.left_out_by_reason == {
        "outside_visible_range": 1,
        "inactive": 1,
        "departed": 1,
        "over_account_quota": 1,
    }


def test_no_accounts_bought_reaches_nobody_of_all_staff() -> None:
    reach = reach_of([Candidate("a", 1), Candidate("b", 2)], accounts=0, all_staff=True)
    assert reach.reached == ()
    assert {reason for _, reason in reach.left_out} == {LeftOut.OVER_QUOTA}


def test_listed_employees_are_not_held_to_the_accounts_but_to_the_range() -> None:
    members = [Candidate("a", 1), Candidate("b", 2), Candidate("c", 3, in_visible_range=False)]
    reach = reach_of(members, accounts=0, all_staff=False, named=["b", "a", "c", "ghost"])
    assert reach.reached == ("a", "b")
    assert dict(reach.left_out) == {"c": LeftOut.OUTSIDE_RANGE, "ghost": LeftOut.UNKNOWN}


def test_a_negative_number_of_accounts_is_refused() -> None:
    with pytest.raises(InvalidValue):
        reach_of([], accounts=-1, all_staff=True)
