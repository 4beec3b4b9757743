"""Who a multi-employee live code (员工活码) hands the next customer to (WECOM-1).

WeCom itself rotates a "contact me" code across the employees of its user list; huoke
decides what that list holds. Each employee of a code may have a daily cap (customers
added through the code today, in the tenant's calendar); an employee at the cap, or
offline (disabled or gone in WeCom), leaves the list until tomorrow, and when nobody is
left the code's backup employee (备用员工) takes every customer. Two rotations:

- "order" (轮流): each available employee in turn, so without caps the day's counts
  differ by at most one;
- "load" (按负载): the available employee with the fewest customers today (ties in
  turn), so the list holds that one employee and moves on after each customer.

Everything here is pure: today's counts come from the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.shared.errors import InvalidValue

MAX_DAILY_CAP = 10_000


class Rotation(StrEnum):
    ORDER = "order"  # 轮流
    LOAD = "load"  # 按负载: fewest customers added today


@dataclass(frozen=True)
class Seat:
    """An employee (WeCom userid) of a code and their daily cap (None: no cap)."""

    userid: str
    daily_cap: int | None = None

    def __post_init__(self) -> None:
        if self.daily_cap is not None and not 1 <= self.daily_cap <= MAX_DAILY_CAP:
            raise InvalidValue(
                f"a daily cap must be between 1 and {MAX_DAILY_CAP}", field="daily_cap"
            )

    def has_room(self, added_today: int) -> bool:
        return self.daily_cap is None or added_today < self.daily_cap


@dataclass(frozen=True)
class Choice:
    """The employee the next customer goes to; None when nobody may take one (everyone
    capped or offline and no backup). `by_backup` when the backup takes them; `cursor`
    is where the turn stands after this choice (the index after the chosen seat)."""

    userid: str | None
    by_backup: bool
    cursor: int


def available(
    seats: Sequence[Seat], counts: Mapping[str, int], offline: frozenset[str] = frozenset()
) -> list[Seat]:
    """The seats that may take a customer now, in the code's order."""
    return [s for s in seats if s.userid not in offline and s.has_room(counts.get(s.userid, 0))]


def next_employee(
    seats: Sequence[Seat],
    counts: Mapping[str, int],
    *,
    rotation: Rotation,
    cursor: int,
    backup: str | None,
    offline: frozenset[str] = frozenset(),
) -> Choice:
    """Whom the next customer goes to, given today's `counts` (customers added through
    the code per userid) and the turn's `cursor` (any int: taken modulo the seats)."""
    if not seats:
        return Choice(backup, backup is not None, cursor)
    start = cursor % len(seats)
    in_turn = [(start + i) % len(seats) for i in range(len(seats))]
    room = {s.userid for s in available(seats, counts, offline)}
    candidates = [i for i in in_turn if seats[i].userid in room]
    if not candidates:
        return Choice(backup, backup is not None, cursor)
    if rotation == Rotation.LOAD:
        # min() keeps the first of equals: ties go in turn from the cursor.
        chosen = min(candidates, key=lambda i: counts.get(seats[i].userid, 0))
    else:
        chosen = candidates[0]
    return Choice(seats[chosen].userid, False, chosen + 1)


def serving(
    seats: Sequence[Seat],
    counts: Mapping[str, int],
    *,
    rotation: Rotation,
    cursor: int,
    backup: str | None,
    offline: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """The user list the code's contact way should hold now. "order": every available
    employee (WeCom takes them in turn); "load": the one `next_employee` names. When
    nobody is available, the backup alone; without a backup, every employee of the code
    (WeCom needs someone, and a customer reaching a capped employee beats one reaching
    nobody: the code shows as full)."""
    open_seats = available(seats, counts, offline)
    if not open_seats:
        if backup is not None:
            return (backup,)
        return tuple(s.userid for s in seats)
    if rotation == Rotation.LOAD:
        choice = next_employee(
            seats, counts, rotation=rotation, cursor=cursor, backup=backup, offline=offline
        )
        assert choice.userid is not None  # someone has room
        return (choice.userid,)
    return tuple(s.userid for s in open_seats)


def is_full(
    seats: Sequence[Seat], counts: Mapping[str, int], offline: frozenset[str] = frozenset()
) -> bool:
    """Whether every employee of the code is capped (or offline) for today."""
    return bool(seats) and not available(seats, counts, offline)


def parse_rotation(value: str) -> Rotation:
    try:
        return Rotation(value)
    except ValueError:
        raise InvalidValue("rotation must be 'order' or 'load'", field="rotation") from None
