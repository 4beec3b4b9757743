"""A multi-employee live code's rotation (WECOM-1): the next customer goes to an
employee below their daily cap, in turn or by fewest added today; the backup takes
them only when every employee is capped or offline; without caps the turn is fair."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.errors import InvalidValue
from domain.wecom.rotation import Rotation, Seat, is_full, next_employee, serving

BACKUP = "backup"

seats_strategy = st.lists(
    st.builds(
        Seat,
        userid=st.sampled_from([f"u{i}" for i in range(8)]),
        daily_cap=st.one_of(st.none(), st.integers(1, 6)),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda s: s.userid,
)


def run_day(
    seats: list[Seat],
    customers: int,
    rotation: Rotation,
    backup: str | None,
    offline: frozenset[str] = frozenset(),
) -> tuple[Counter[str], list[tuple[str | None, bool, Counter[str]]]]:
    """Hand `customers` customers out one by one; what each choice saw and chose."""
    counts: Counter[str] = Counter()
    cursor = 0
    choices = []
    for _ in range(customers):
        before = Counter(counts)
        choice = next_employee(
            seats, counts, rotation=rotation, cursor=cursor, backup=backup, offline=offline
        )
        choices.append((choice.userid, choice.by_backup, before))
        if choice.userid is not None:
            counts[choice.userid] += 1
        cursor = choice.cursor
    return counts, choices


@given(
    seats=seats_strategy,
    customers=st.integers(0, 60),
    rotation=st.sampled_from(list(Rotation)),
    backup=st.sampled_from([None, BACKUP]),
    offline=st.frozensets(st.sampled_from([f"u{i}" for i in range(8)]), max_size=3),
)
def test_no_employee_ever_passes_their_cap_and_the_backup_only_takes_the_overflow(
    seats: list[Seat],
    customers: int,
    rotation: Rotation,
    backup: str | None,
    offline: frozenset[str],
) -> None:
    counts, choices = run_day(seats, customers, rotation, backup, offline)
    for seat in seats:
        if seat.daily_cap is not None:
            assert counts[seat.userid] <= seat.daily_cap
        if seat.userid in offline:
            assert counts[seat.userid] == 0
    for chosen, by_backup, before in choices:
        everyone_out = all(s.userid in offline or not s.has_room(before[s.userid]) for s in seats)
        assert by_backup == (everyone_out and backup is not None)
        assert (chosen == BACKUP) == by_backup
        if chosen is None:
            assert everyone_out and backup is None


@given(
    userids=st.lists(st.sampled_from([f"u{i}" for i in range(8)]), min_size=1, unique=True),
    customers=st.integers(0, 80),
    rotation=st.sampled_from(list(Rotation)),
)
def test_without_caps_the_days_counts_differ_by_at_most_one(
    userids: list[str], customers: int, rotation: Rotation
) -> None:
    seats = [Seat(u) for u in userids]
    counts, _ = run_day(seats, customers, rotation, BACKUP)
    per_employee = [counts[u] for u in userids]
    assert sum(per_employee) == customers
    assert max(per_employee) - min(per_employee) <= 1


@given(seats=seats_strategy, counts=st.dictionaries(st.sampled_from([f"u{i}" for i in range(8)]),
       st.integers(0, 8)), rotation=st.sampled_from(list(Rotation)),
       backup=st.sampled_from([None, BACKUP]))  # fmt: skip
def test_the_contact_ways_user_list_holds_only_employees_with_room_else_the_backup(
    seats: list[Seat], counts: dict[str, int], rotation: Rotation, backup: str | None
) -> None:
    users = serving(seats, counts, rotation=rotation, cursor=sum(counts.values()), backup=backup)
    with_room = [s.userid for s in seats if s.has_room(counts.get(s.userid, 0))]
    assert users
    if with_room:
        assert set(users) <= set(with_room)
        assert len(users) == (1 if rotation == Rotation.LOAD else len(with_room))
        assert not is_full(seats, counts)
    elif backup is not None:
        assert users == (BACKUP,)
    else:  # nobody has room and no backup: WeCom still needs someone
        assert users == tuple(s.userid for s in seats) and is_full(seats, counts)


def test_in_order_the_turn_goes_round_and_skips_a_capped_employee() -> None:
    seats = [Seat("zhang"), Seat("li", daily_cap=1), Seat("wang")]
    counts, choices = run_day(seats, 7, Rotation.ORDER, BACKUP)
    assert [c[0] for c in choices] == ["zhang", "li", "wang", "zhang", "wang", "zhang", "wang"]
    assert counts == {"zhang": 3, "li": 1, "wang": 3}


def test_by_load_the_employee_with_fewest_customers_today_is_next() -> None:
    seats = [Seat("zhang"), Seat("li"), Seat("wang")]
    choice = next_employee(
        seats, {"zhang": 5, "li": 2, "wang": 3}, rotation=Rotation.LOAD, cursor=0, backup=None
    )
    assert choice.userid == "li" and not choice.by_backup
    assert serving(
        seats, {"zhang": 5, "li": 2, "wang": 3}, rotation=Rotation.LOAD, cursor=0, backup=None
    ) == ("li",)


def test_everyone_capped_hands_the_customer_to_the_backup_or_to_nobody() -> None:
    seats = [Seat("zhang", daily_cap=2), Seat("li", daily_cap=1)]
    full = {"zhang": 2, "li": 1}
    assert next_employee(seats, full, rotation=Rotation.ORDER, cursor=3, backup=BACKUP) == (
        next_employee(seats, full, rotation=Rotation.LOAD, cursor=3, backup=BACKUP)
    )
    choice = next_employee(seats, full, rotation=Rotation.ORDER, cursor=3, backup=BACKUP)
    assert (choice.userid, choice.by_backup) == (BACKUP, True)
    assert next_employee(seats, full, rotation=Rotation.ORDER, cursor=3, backup=None).userid is None
    offline = next_employee(
        seats, {}, rotation=Rotation.ORDER, cursor=0, backup=BACKUP, offline=frozenset({"zhang"})
    )
    assert offline.userid == "li"


def test_a_daily_cap_is_a_positive_number() -> None:
    for cap in (0, -1, 10_001):
        with pytest.raises(InvalidValue) as refused:
            Seat("zhang", daily_cap=cap)
        assert refused.value.field == "daily_cap"
