"""Reply timeouts' rules (回复超时设置, ARCH-4): a tenant's working hours per weekday, the
threshold in working minutes after which a customer's unanswered message is a timeout,
whether the rules apply at all, and whether group chats count.

Time is counted in working time: the minutes of a wait that fall inside the working
hours, on the wall clock of the tenant's zone (`WorkingHours.working_time`). A customer
who writes on Friday at 17:50 to an office open Monday to Friday 09:00–18:00 and gets an
answer on Monday at 09:10 waited 20 working minutes.

One aggregate per tenant (its id is uuid5 of the tenant); until a tenant changes them
the rules are the defaults (Monday to Friday 09:00–18:00, 30 minutes, one-to-one chats).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue

DAY_MINUTES = 24 * 60
MIN_THRESHOLD = 1
MAX_THRESHOLD = 1440  # minutes
MAX_PERIODS_A_DAY = 3  # e.g. morning, afternoon and evening shifts
# How far back from now a deadline is looked for: beyond this, the schedule is so thin
# that no wait is counted as late (a week with a minute of work and a day's threshold).
MAX_DAYS_BACK = 4000
DEFAULT_THRESHOLD = 30
DEFAULT_PERIODS = tuple({"weekday": day, "start": "09:00", "end": "18:00"} for day in range(1, 6))
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
ZERO = timedelta(0)

Period = tuple[int, int]  # minutes since local midnight: [start, end)


def _minutes(text: Any, *, field: str) -> int:
    value = str(text).strip()
    if not _CLOCK.match(value):
        raise InvalidValue(f"{field} must be a time of day HH:MM (00:00–24:00)", field=field)
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class WorkingHours:
    """The working periods of each weekday (Monday first), on the local wall clock."""

    days: tuple[tuple[Period, ...], ...]

    @classmethod
    def parse(cls, periods: Iterable[Mapping[str, Any]]) -> WorkingHours:
        """Periods as the API gives them: {"weekday": 1–7 (Monday 1), "start": "09:00",
        "end": "18:00"}; a day's periods may not overlap, at most three a day."""
        days: list[list[Period]] = [[] for _ in range(7)]
        for index, period in enumerate(periods):
            field = f"working_hours[{index}]"
            weekday = period.get("weekday")
            if not isinstance(weekday, int) or isinstance(weekday, bool) or not 1 <= weekday <= 7:
                raise InvalidValue(
                    f"{field}.weekday must be 1 (Monday) to 7", field="working_hours"
                )
            start = _minutes(period.get("start", ""), field=f"{field}.start")
            end = _minutes(period.get("end", ""), field=f"{field}.end")
            if end <= start:
                raise InvalidValue(f"{field} must end after it starts", field="working_hours")
            days[weekday - 1].append((start, end))
        for weekday, day in enumerate(days, start=1):
            day.sort()
            if len(day) > MAX_PERIODS_A_DAY:
                raise InvalidValue(
                    f"weekday {weekday} has more than {MAX_PERIODS_A_DAY} working periods",
                    field="working_hours",
                )
            for (_, end), (start, _) in pairwise(day):
                if start < end:
                    raise InvalidValue(
                        f"weekday {weekday} has overlapping working periods", field="working_hours"
                    )
        return cls(tuple(tuple(day) for day in days))

    def periods(self) -> list[dict[str, Any]]:
        """The periods as `parse` takes them (and events carry them)."""
        return [
            {"weekday": weekday, "start": _clock(start), "end": _clock(end)}
            for weekday, day in enumerate(self.days, start=1)
            for start, end in day
        ]

    @property
    def weekly(self) -> timedelta:
        """Working time in a week (on a wall clock without daylight saving)."""
        return timedelta(minutes=sum(end - start for day in self.days for start, end in day))

    def working_time(self, start: datetime, end: datetime, zone: tzinfo) -> timedelta:
        """How much of [start, end) falls inside the working hours in `zone` (zero when
        `end` is not after `start`). Additive: for a ≤ b ≤ c, the time from a to c is the
        time from a to b plus the time from b to c."""
        if end <= start:
            return ZERO
        total = ZERO
        for opens, closes in self._periods_between(start, end, zone):
            later, earlier = max(opens, start), min(closes, end)
            if earlier > later:
                total += earlier - later
        return total

    def deadline(self, now: datetime, threshold: timedelta, zone: tzinfo) -> datetime | None:
        """The moment before which a wait still open at `now` has lasted more than
        `threshold` of working time: a wait opened at `s` is late exactly when
        `s < deadline`. None when the schedule is too thin for any wait to be late."""
        remaining = threshold
        day = now.astimezone(zone).date()
        for _ in range(MAX_DAYS_BACK):
            for opens, closes in reversed(list(self._periods_on(day, zone))):
                if opens >= now:
                    continue
                length = min(closes, now) - opens
                if length > remaining:
                    return min(closes, now) - remaining
                remaining -= length
            day -= timedelta(days=1)
        return None

    def _periods_between(
        self, start: datetime, end: datetime, zone: tzinfo
    ) -> Iterator[tuple[datetime, datetime]]:
        # A day either side: a period near midnight may cross into the next UTC day.
        day = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date() + timedelta(days=1)
        while day <= last:
            yield from self._periods_on(day, zone)
            day += timedelta(days=1)

    def _periods_on(self, day: date, zone: tzinfo) -> Iterator[tuple[datetime, datetime]]:
        midnight = datetime.combine(day, time())
        for start, end in self.days[day.weekday()]:
            yield (
                _utc(midnight + timedelta(minutes=start), zone),
                _utc(midnight + timedelta(minutes=end), zone),
            )


def _utc(local: datetime, zone: tzinfo) -> datetime:
    """A wall-clock time in `zone` as UTC (a time skipped by daylight saving is read
    with the offset before the change, as zoneinfo does)."""
    return local.replace(tzinfo=zone).astimezone(UTC)


def checked_threshold(value: Any) -> int:
    """A threshold in minutes, 1 to 1440."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidValue("threshold_minutes must be a whole number", field="threshold_minutes")
    if not MIN_THRESHOLD <= value <= MAX_THRESHOLD:
        raise InvalidValue(
            f"threshold_minutes must be between {MIN_THRESHOLD} and {MAX_THRESHOLD}",
            field="threshold_minutes",
        )
    return value


class ReplyRules(Aggregate):
    """A tenant's reply-timeout rules."""

    TOPIC = "archive.ReplyRules"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Started: ClassVar[type[AggregateEvent]]
        Changed: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/archive/reply-rules")

    @classmethod
    def start(cls, tenant_id: UUID) -> ReplyRules:
        """The rules before any change (carried by the creation event, so changing the
        defaults later never rewrites a tenant's rules)."""
        return cls(
            id=cls.create_id(tenant_id),
            tenant_id=tenant_id,
            enabled=True,
            threshold_minutes=DEFAULT_THRESHOLD,
            working_hours=[dict(period) for period in DEFAULT_PERIODS],
            include_groups=False,
        )

    @event("Started", topic="archive.ReplyRules.Started")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        enabled: bool,
        threshold_minutes: int,
        working_hours: list[dict[str, Any]],
        include_groups: bool,
    ) -> None:
        self.tenant_id = tenant_id
        self._apply(enabled, threshold_minutes, working_hours, include_groups)

    def change(
        self,
        *,
        enabled: bool,
        threshold_minutes: int,
        working_hours: Iterable[Mapping[str, Any]],
        include_groups: bool,
    ) -> None:
        """Replace the rules (no event if nothing differs)."""
        minutes = checked_threshold(threshold_minutes)
        periods = WorkingHours.parse(working_hours).periods()
        if (bool(enabled), minutes, periods, bool(include_groups)) != (
            self.enabled,
            self.threshold_minutes,
            self.hours.periods(),
            self.include_groups,
        ):
            self._changed(
                enabled=bool(enabled),
                threshold_minutes=minutes,
                working_hours=periods,
                include_groups=bool(include_groups),
            )

    @event("Changed", topic="archive.ReplyRules.Changed")
    def _changed(
        self,
        enabled: bool,
        threshold_minutes: int,
        working_hours: list[dict[str, Any]],
        include_groups: bool,
    ) -> None:
        self._apply(enabled, threshold_minutes, working_hours, include_groups)

    def _apply(
        self,
        enabled: bool,
        threshold_minutes: int,
        working_hours: list[dict[str, Any]],
        include_groups: bool,
    ) -> None:
        self.enabled = enabled
        self.threshold_minutes = threshold_minutes
        self.hours = WorkingHours.parse(working_hours)
        self.include_groups = include_groups

    @property
    def threshold(self) -> timedelta:
        return timedelta(minutes=self.threshold_minutes)
