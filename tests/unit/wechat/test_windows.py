"""WeChat's fixed limits as pure rules (WX-3, WX-4): the 48-hour customer-service window
and the mass-send month in Beijing time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.wechat.windows import (
    CUSTOMER_SERVICE_WINDOW,
    OutsideServiceWindow,
    mass_month,
    service_window_left,
)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_49_hours_after_the_last_interaction_is_refused_naming_the_rule() -> None:
    with pytest.raises(OutsideServiceWindow) as refused:
        service_window_left(NOW - timedelta(hours=49), NOW)
    assert "48 hours" in refused.value.message
    assert "closed 1 h 0 min ago" in refused.value.message
    with pytest.raises(OutsideServiceWindow, match="never interacted"):
        service_window_left(None, NOW)


@given(st.integers(min_value=0, max_value=10 * 24 * 3600))
def test_the_window_is_open_exactly_48_hours(seconds_ago: int) -> None:
    last = NOW - timedelta(seconds=seconds_ago)
    if timedelta(seconds=seconds_ago) < CUSTOMER_SERVICE_WINDOW:
        assert service_window_left(last, NOW) == CUSTOMER_SERVICE_WINDOW - timedelta(
            seconds=seconds_ago
        )
    else:
        with pytest.raises(OutsideServiceWindow):
            service_window_left(last, NOW)


def test_the_mass_send_month_is_beijings() -> None:
    # 16:00 UTC on 30 November is already midnight of 1 December in Beijing.
    assert mass_month(datetime(2026, 11, 30, 15, 59, tzinfo=UTC)) == "2026-11"
    assert mass_month(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == "2026-12"
