"""Date start conditions (FLOW-2): "on a lead's birthday at 09:00", "3 days before the
appointment date at 10:00", in the tenant's zone.

The calendar is no event, so the flow worker asks once a minute: for every enabled flow
with a date trigger whose time of day has come in its tenant's zone today, the leads
whose date field falls on today (`LeadDates`) are enrolled. The cause is the flow and
the day ("date:<flow>:<day>"), so a second look the same day, by this worker after a
restart or by another, admits nobody twice, and next year's birthday is a new cause.
A day whose time passed while no worker ran is looked at when one starts, up to
`CATCH_UP_DAYS` back; a day whose time came before the flow was enabled is not.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from application.flows.dates import LeadDateQueries
from application.flows.directory import FlowQueries
from application.flows.enrolments import Enrolments
from application.flows.ports import TenantCalendar
from application.shared.clock import Clock
from application.shared.errors import NotFound
from domain.flows.triggers import Trigger

log = logging.getLogger("huoke.flows.calendar")
LOOK_EVERY = timedelta(minutes=1)
CATCH_UP_DAYS = 1  # yesterday's entries, if its time passed while no worker ran


class DateEnrolling:
    """Enrols the leads whose date start condition falls due (see the module)."""

    def __init__(
        self,
        enrolments: Enrolments,
        queries: FlowQueries,
        dates: LeadDateQueries,
        calendar: TenantCalendar,
        clock: Clock,
    ) -> None:
        self.enrolments = enrolments
        self.queries = queries
        self.dates = dates
        self.calendar = calendar
        self.clock = clock
        self._next_look: datetime | None = None
        self._done: set[tuple[UUID, date]] = set()  # (flow, day) looked at in full

    def run_once(self) -> int:
        """Enrol whoever is due now, at most once a minute; answers how many entered."""
        now = self.clock.now()
        if self._next_look is not None and now < self._next_look:
            return 0
        self._next_look = now + LOOK_EVERY
        oldest = now.date() - timedelta(days=CATCH_UP_DAYS + 2)
        self._done = {(flow, day) for flow, day in self._done if day >= oldest}
        entered = 0
        for tenant_id, flow_id, enabled_at in self.queries.date_flows():
            try:
                entered += self._enrol_due(tenant_id, flow_id, enabled_at, now)
            except NotFound as gone:  # a tenant or flow removed since the row was read
                log.warning("date flow %s of tenant %s skipped: %s", flow_id, tenant_id, gone)
        return entered

    def _enrol_due(
        self, tenant_id: UUID, flow_id: UUID, enabled_at: datetime, now: datetime
    ) -> int:
        flow = self.enrolments.flow(tenant_id, flow_id)
        if not flow.enabled or flow.live is None:
            return 0
        trigger = Trigger.parse(flow.live["trigger"])
        if not trigger.is_scheduled:
            return 0
        zone = ZoneInfo(self.calendar.timezone_of(tenant_id))
        today = now.astimezone(zone).date()
        entered = 0
        for back in range(CATCH_UP_DAYS, -1, -1):
            day = today - timedelta(days=back)
            fires_at = datetime.combine(day, trigger.fire_time(), zone)
            # a day counts once its time has come, and only if the flow was on by then
            if (flow_id, day) in self._done or not enabled_at <= fires_at <= now:
                continue
            entered += self._enrol_day(tenant_id, flow_id, trigger, day, now)
            self._done.add((flow_id, day))
        return entered

    def _enrol_day(
        self, tenant_id: UUID, flow_id: UUID, trigger: Trigger, day: date, now: datetime
    ) -> int:
        entered = 0
        month_days, value = _wanted(trigger, day)
        field = trigger.params["field"]
        for page in self.dates.leads_on(tenant_id, field, month_days=month_days, value=value):
            for lead_id, held in page:
                if not trigger.fires_on(day, held):
                    continue
                walked = self.enrolments.enrol(
                    tenant_id, flow_id, lead_id, cause=f"date:{flow_id}:{day}", at=now
                )
                entered += walked is not None
        return entered


def _wanted(trigger: Trigger, day: date) -> tuple[tuple[str, ...], str]:
    """(month-days, exact date) of the rows that may fire on `day`: the same month and
    day every year (a 29 February also on the 28th: `fires_on` says which years), or
    the one exact date."""
    target = day - timedelta(days=trigger.params.get("offset_days", 0))
    if trigger.params.get("mode", "yearly") == "exact":
        return (), target.isoformat()
    month_day = target.isoformat()[5:]
    return ((month_day, "02-29") if month_day == "02-28" else (month_day,)), ""
