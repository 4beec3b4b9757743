"""Reply-timeout rules (ARCH-4): working hours per weekday parsed and refused as the
API gives them, waiting counted in working minutes in the tenant's zone (a wait over a
weekend counts only the working minutes either side), and the deadline before which an
open wait is late. Hypothesis: working time is never negative, never more than the
wall-clock time (zone without daylight saving), additive, and the deadline splits
waits exactly into late and not late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.archive.reply_rules import DEFAULT_PERIODS, ReplyRules, WorkingHours
from domain.shared.errors import InvalidValue
from tests.unit.events import replay, topics

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = WorkingHours.parse(DEFAULT_PERIODS)  # Monday to Friday 09:00–18:00
SHIFTS = WorkingHours.parse(
    [
        *({"weekday": d, "start": "08:30", "end": "12:00"} for d in range(1, 7)),
        *({"weekday": d, "start": "13:30", "end": "24:00"} for d in range(1, 7)),
        {"weekday": 7, "start": "00:00", "end": "00:01"},
    ]
)


def local(text: str, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def test_a_wait_over_the_weekend_counts_only_working_minutes() -> None:
    friday = local("2027-03-05T17:50")  # a Friday
    monday = local("2027-03-08T09:10")
    assert OFFICE.working_time(friday, monday, SHANGHAI) == timedelta(minutes=20)
    assert OFFICE.working_time(monday, friday, SHANGHAI) == timedelta(0)
    saturday, sunday = local("2027-03-06T10:00"), local("2027-03-07T23:00")
    assert OFFICE.working_time(saturday, sunday, SHANGHAI) == timedelta(0)


def test_working_hours_are_the_tenants_wall_clock() -> None:
    """09:00–18:00 in Berlin is 08:00–17:00 UTC in winter, 07:00–16:00 in summer."""
    winter = datetime(2027, 1, 4, 7, 30, tzinfo=UTC)  # Monday 08:30 in Berlin
    assert OFFICE.working_time(winter, winter + timedelta(hours=1), BERLIN) == timedelta(minutes=30)
    summer = datetime(2027, 7, 5, 6, 30, tzinfo=UTC)  # Monday 08:30 in Berlin
    assert OFFICE.working_time(summer, summer + timedelta(hours=1), BERLIN) == timedelta(minutes=30)
    # The same instant is Monday 14:30 in Shanghai: all of the hour is working time.
    assert OFFICE.working_time(summer, summer + timedelta(hours=1), SHANGHAI) == timedelta(hours=1)


def test_the_deadline_of_open_waits() -> None:
    monday = local("2027-03-08T09:10")
    deadline = OFFICE.deadline(monday, timedelta(minutes=30), SHANGHAI)
    assert deadline == local("2027-03-05T17:40")  # 20 minutes on Friday, 10 on Monday
    # Exactly the threshold is not late; a moment more is.
    assert OFFICE.working_time(local("2027-03-05T17:40"), monday, SHANGHAI) == timedelta(minutes=30)
    empty = WorkingHours.parse([])
    assert empty.deadline(monday, timedelta(minutes=1), SHANGHAI) is None


def test_periods_are_refused_naming_what_is_wrong() -> None:
    bad = [
        [{"weekday": 0, "start": "09:00", "end": "18:00"}],
        [{"weekday": 8, "start": "09:00", "end": "18:00"}],
        [{"weekday": True, "start": "09:00", "end": "18:00"}],
        [{"weekday": 1, "start": "9:00", "end": "18:00"}],
        [{"weekday": 1, "start": "09:00", "end": "24:01"}],
        [{"weekday": 1, "start": "18:00", "end": "09:00"}],
        [
            {"weekday": 1, "start": "09:00", "end": "12:00"},
            {"weekday": 1, "start": "11:00", "end": "18:00"},
        ],
        [{"weekday": 2, "start": f"{h:02d}:00", "end": f"{h:02d}:30"} for h in range(8, 12)],
    ]
    for periods in bad:
        with pytest.raises(InvalidValue):
            WorkingHours.parse(periods)
    assert SHIFTS.periods()[0] == {"weekday": 1, "start": "08:30", "end": "12:00"}
    assert WorkingHours.parse(SHIFTS.periods()) == SHIFTS


def test_reply_rules_start_with_the_defaults_and_change_once() -> None:
    rules = ReplyRules.start(tenant_id := uuid4())
    assert rules.id == ReplyRules.create_id(tenant_id)
    assert (rules.enabled, rules.threshold_minutes, rules.include_groups) == (True, 30, False)
    assert rules.hours == OFFICE
    periods = [{"weekday": 6, "start": "10:00", "end": "16:00"}]
    rules.change(enabled=True, threshold_minutes=15, working_hours=periods, include_groups=True)
    rules.change(enabled=True, threshold_minutes=15, working_hours=periods, include_groups=True)
    events = rules.collect_events()
    assert topics(events) == ["archive.ReplyRules.Started", "archive.ReplyRules.Changed"]
    again = replay(events, ReplyRules)
    assert (again.threshold_minutes, again.hours.periods(), again.include_groups) == (
        15,
        periods,
        True,
    )


@pytest.mark.parametrize("minutes", [0, 1441, -5, 2.5, True])
def test_the_threshold_is_one_to_1440_minutes(minutes: object) -> None:
    rules = ReplyRules.start(uuid4())
    with pytest.raises(InvalidValue) as refused:
        rules.change(
            enabled=True,
            threshold_minutes=minutes,  # type: ignore[arg-type]
            working_hours=DEFAULT_PERIODS,
            include_groups=False,
        )
    assert refused.value.field == "threshold_minutes"


# --- properties ---------------------------------------------------------------------------

EPOCH = datetime(2027, 1, 1, tzinfo=UTC)
moments = st.integers(0, 60 * 24 * 400).map(lambda minutes: EPOCH + timedelta(minutes=minutes))
seconds = st.integers(0, 86_400 * 30).map(lambda s: timedelta(seconds=s))
schedules = st.sampled_from([OFFICE, SHIFTS, WorkingHours.parse([])])
zones = st.sampled_from([SHANGHAI, BERLIN])


@given(schedules, zones, moments, seconds, seconds)
def test_working_time_is_never_negative_and_additive(
    hours: WorkingHours, zone: ZoneInfo, a: datetime, ab: timedelta, bc: timedelta
) -> None:
    b, c = a + ab, a + ab + bc
    first, second = hours.working_time(a, b, zone), hours.working_time(b, c, zone)
    assert first >= timedelta(0) and second >= timedelta(0)
    assert hours.working_time(a, c, zone) == first + second
    assert hours.working_time(c, a, zone) == timedelta(0) or a == c


@given(schedules, moments, seconds)
def test_working_time_is_at_most_the_time_on_the_wall_clock(
    hours: WorkingHours, a: datetime, span: timedelta
) -> None:
    assert hours.working_time(a, a + span, SHANGHAI) <= span


@given(schedules, zones, moments, st.integers(0, 1440), st.integers(0, 86_400 * 20))
def test_the_deadline_splits_open_waits_into_late_and_not_late(
    hours: WorkingHours, zone: ZoneInfo, now: datetime, minutes: int, back: int
) -> None:
    threshold = timedelta(minutes=minutes)
    deadline = hours.deadline(now, threshold, zone)
    opened = now - timedelta(seconds=back)
    waited = hours.working_time(opened, now, zone)
    if deadline is None:
        assert waited <= threshold
    else:
        assert (opened < deadline) == (waited > threshold)
