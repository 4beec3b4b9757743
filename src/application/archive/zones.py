"""The tenant's zone, as the archive's reports need it: alerts are counted per day and
waits in working minutes on the tenant's wall clock (ARCH-3, ARCH-4)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Protocol
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from application.shared.errors import InvalidInput, NotFound
from application.shared.views import iso

DEFAULT_TIMEZONE = "Asia/Shanghai"
ZONE_SECONDS = 60.0  # how long a process keeps a tenant's zone before asking again


class TenantCalendar(Protocol):
    def timezone_of(self, tenant_id: UUID) -> str:
        """The tenant's IANA zone (the tenancy context answers; NotFound for none)."""
        ...


class Zones:
    """Each tenant's zone, kept a minute: followers ask for every row they count."""

    def __init__(
        self, calendar: TenantCalendar, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.calendar = calendar
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._known: dict[UUID, tuple[float, ZoneInfo]] = {}

    def of(self, tenant_id: UUID) -> ZoneInfo:
        now = self.monotonic()
        with self._lock:
            known = self._known.get(tenant_id)
        if known is not None and now - known[0] < ZONE_SECONDS:
            return known[1]
        zone = ZoneInfo(self._name(tenant_id))
        with self._lock:
            self._known[tenant_id] = (now, zone)
        return zone

    def _name(self, tenant_id: UUID) -> str:
        try:
            name = self.calendar.timezone_of(tenant_id)
        except NotFound:  # a tenant the platform did not create (tests, imports)
            return DEFAULT_TIMEZONE
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return DEFAULT_TIMEZONE
        return name


def day_bounds(
    day_from: date | None, day_to: date | None, zone: ZoneInfo
) -> tuple[str | None, str | None]:
    """The UTC instants (as stored, `iso`) from the start of `day_from` to the end of
    `day_to` in `zone`; None where the range is open. A range ending before it starts
    is refused."""
    if day_from is not None and day_to is not None and day_to < day_from:
        raise InvalidInput("day_to is before day_from", field="day_to")
    start = iso(_midnight(day_from, zone)) if day_from is not None else None
    end = iso(_midnight(day_to + timedelta(days=1), zone)) if day_to is not None else None
    return start, end


def local_day(moment: datetime, zone: ZoneInfo) -> str:
    """The date of `moment` on the wall clock of `zone`, as stored (YYYY-MM-DD)."""
    return moment.astimezone(zone).date().isoformat()


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock_time(), tzinfo=zone).astimezone(UTC)
