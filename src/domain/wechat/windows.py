"""WeChat's fixed limits on reaching a fan (WX-3, WX-4), as pure rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.shared.errors import StateConflict

CUSTOMER_SERVICE_WINDOW = timedelta(hours=48)
MASS_SENDS_PER_MONTH = 4  # a service-account fan receives at most 4 mass messages a month
# WeChat counts calendar months in Beijing time (China keeps no daylight saving).
WECHAT_ZONE = timezone(timedelta(hours=8))


class OutsideServiceWindow(StateConflict):
    """A customer-service message to a fan whose last interaction is over 48 hours old."""

    code = "outside_service_window"


def service_window_left(last_interaction_at: datetime | None, now: datetime) -> timedelta:
    """How long customer-service messages to the fan are still allowed; refused (naming
    the rule and how long ago the window closed) once 48 hours have passed since the
    fan's last interaction (a message, following, a scan, a menu click)."""
    if last_interaction_at is None:
        raise OutsideServiceWindow(
            "customer-service messages are allowed only within 48 hours of the fan's last "
            "interaction (WX-3); this fan has never interacted with the account"
        )
    left = last_interaction_at + CUSTOMER_SERVICE_WINDOW - now
    if left <= timedelta(0):
        hours, minutes = divmod(int(-left.total_seconds()) // 60, 60)
        raise OutsideServiceWindow(
            "customer-service messages are allowed only within 48 hours of the fan's last "
            f"interaction (WX-3); the window closed {hours} h {minutes} min ago"
        )
    return left


def mass_month(at: datetime) -> str:
    """The calendar month (YYYY-MM, Beijing time) a mass message counts against."""
    return at.astimezone(WECHAT_ZONE).strftime("%Y-%m")


# Menu events WeChat counts as an interaction that opens the 48-hour window (a VIEW
# menu, which only opens a page, does not).
INTERACTIVE_MENU_EVENTS = frozenset({"CLICK", "scancode_push", "scancode_waitmsg"})
