"""Who an all-staff task reaches (WECOM-5, seed 002 §1.1–1.2): only the corp's members
inside the app's visible range (可见范围), and no more of them than the tenant bought
interface accounts for (企微注册服务, the plan's `wecom_accounts`).

The rule is pure and deterministic: members are taken in seat order, the order they
joined the app's visible range (first found by a contacts sync; ties by userid), so the
same corp and the same number of accounts always reach the same employees, and the
members who came first keep their accounts when the corp grows past the plan. Every
member not reached is left out with the reason, so the console can say why.

A task to listed employees (not all staff) is not limited by the number of accounts
(the requirement limits all-staff tasks), but WeCom sends as nobody outside the visible
range or inactive, so those are left out there too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from domain.shared.errors import InvalidValue


class LeftOut(StrEnum):
    """Why a member does not get their part of a task."""

    OUTSIDE_RANGE = "outside_visible_range"  # the app cannot see them (可见范围外)
    INACTIVE = "inactive"  # disabled, not activated or gone in WeCom
    DEPARTED = "departed"  # their huoke employee left (ORG-3): customers await inheritance
    OVER_QUOTA = "over_account_quota"  # past the interface accounts bought (wecom_accounts)
    UNKNOWN = "unknown_member"  # named by hand but never found by a contacts sync
    NO_CUSTOMERS = "no_matching_customers"  # none of their customers fits the filter


@dataclass(frozen=True)
class Candidate:
    """A member of the corp as the contacts sync last saw them. `seat` is their place in
    the order they joined the visible range (smaller first)."""

    userid: str
    seat: int
    in_visible_range: bool = True
    active: bool = True  # WeCom status 1
    departed: bool = False


@dataclass(frozen=True)
class Reach:
    """The members a task reaches, in seat order, and those left out with the reason."""

    reached: tuple[str, ...]
    left_out: tuple[tuple[str, LeftOut], ...]

    @property
    def left_out_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _userid, reason in self.left_out:
            counts[reason.value] = counts.get(reason.value, 0) + 1
        return counts


def seat_order(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Members by seat, then userid: the order every rule here takes them in."""
    return sorted(candidates, key=lambda c: (c.seat, c.userid))


def reach_of(
    candidates: Iterable[Candidate],
    *,
    accounts: int | None,
    all_staff: bool,
    named: Iterable[str] = (),
) -> Reach:
    """Who a task reaches. `accounts`: the interface accounts bought (None: no limit),
    which only an all-staff task is held to; `named`: for a task to listed employees,
    the userids listed (those no sync found are left out as unknown)."""
    if accounts is not None and accounts < 0:
        raise InvalidValue("the number of accounts cannot be negative", field="accounts")
    members = {c.userid: c for c in candidates}
    if all_staff:
        chosen = seat_order(members.values())
        unknown: list[str] = []
    else:
        wanted = set(named)
        chosen = seat_order(members[u] for u in wanted if u in members)
        unknown = sorted(u for u in wanted if u not in members)
    reached: list[str] = []
    left_out: list[tuple[str, LeftOut]] = []
    for member in chosen:
        reason = _left_out(member)
        if reason is None and all_staff and accounts is not None and len(reached) >= accounts:
            reason = LeftOut.OVER_QUOTA
        if reason is None:
            reached.append(member.userid)
        else:
            left_out.append((member.userid, reason))
    left_out.extend((userid, LeftOut.UNKNOWN) for userid in unknown)
    return Reach(tuple(reached), tuple(left_out))


def _left_out(member: Candidate) -> LeftOut | None:
    """Why WeCom could not send as the member, whatever the accounts."""
    if not member.in_visible_range:
        return LeftOut.OUTSIDE_RANGE
    if not member.active:
        return LeftOut.INACTIVE
    if member.departed:
        return LeftOut.DEPARTED
    return None
