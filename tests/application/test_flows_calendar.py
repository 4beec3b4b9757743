"""Date start conditions over the running system (FLOW-2): a birthday flow at 09:00 in
the tenant's zone (Asia/Shanghai) enrols the leads born on this month and day once
their time has come, once each, also after a restart; a 29 February birthday is kept
on 28 February in a common year; an exact date with an offset ("3 days before the
appointment at 10:00"); a changed, cleared or deleted date leaves nobody to enrol; a day
whose time came before the flow was enabled admits nobody."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.flows.calendar import DateEnrolling
from application.flows.commands import DraftFlow
from application.flows.dates import LeadDateQueries
from application.leads.commands import UpdateLead
from application.leads.scope import LeadScope
from application.leads.settings import DefineCustomField
from application.shared.context import RequestContext, acting
from application.tenancy.commands import RegisterTenant
from domain.flows.enrolment import enrolment_id
from entrypoints.container import Runtime
from tests.application.test_flows import MovableClock, lead_tags, new_lead
from tests.settling import settle

BIRTHDAY = {"kind": "date", "field": "birthday", "mode": "yearly", "time": "09:00"}
GREET = [
    {"id": "greet", "kind": "add_tag", "tag": "生日祝福", "next": "end"},
    {"id": "end", "kind": "end"},
]


@pytest.fixture
def system(runtime: Runtime) -> Iterator[Runtime]:
    with acting(RequestContext(request_id="test-flows-calendar")):
        yield runtime


def new_tenant(runtime: Runtime) -> UUID:
    """A tenant of its own (its zone, Asia/Shanghai, is the calendar's)."""
    tenant = runtime.container.tenancy().register_tenant(
        RegisterTenant(name="生日关怀科技", owner_name="韩梅梅", owner_contact="han@acme.cn")
    )
    return tenant.id


def date_flow(runtime: Runtime, tenant_id: UUID, trigger: dict[str, Any]) -> UUID:
    flows = runtime.container.flows()
    draft = flows.draft(
        tenant_id,
        DraftFlow(
            name="生日关怀",
            trigger=trigger,
            graph={"start": "greet", "nodes": GREET},
            enrolment_rule="every_days",
            every_days=360,
        ),
    )
    flows.enable(tenant_id, draft.flow_id, expected_version=draft.version)
    settle(runtime)
    return draft.flow_id


def calendar_at(runtime: Runtime, clock: MovableClock) -> DateEnrolling:
    """A fresh worker's calendar (a restart remembers nothing in memory)."""
    c = runtime.container
    dates = LeadDateQueries(c.flows_dates_view())
    return DateEnrolling(c.flow_enrolments(), c.flow_queries(), dates, c.tenancy(), clock)


def shanghai(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def update(runtime: Runtime, tenant_id: UUID, lead_id: UUID, change: UpdateLead) -> None:
    leads, company = runtime.container.leads(), LeadScope.whole_company(tenant_id)
    version = leads.lead(company, lead_id).version
    leads.update_lead(company, lead_id, change, expected_version=version)
    settle(runtime)


def greeted(runtime: Runtime, tenant_id: UUID, lead_id: UUID) -> bool:
    return "生日祝福" in lead_tags(runtime, tenant_id, lead_id)


def test_birthdays_enter_at_nine_in_the_tenant_s_zone_once_each(system: Runtime) -> None:
    tenant_id = new_tenant(system)
    flow_id = date_flow(system, tenant_id, BIRTHDAY)
    today = new_lead(system, tenant_id, "13800139501", birthday="1990-03-15")
    tomorrow = new_lead(system, tenant_id, "13800139502", birthday="1985-03-16")
    nobody = new_lead(system, tenant_id, "13800139503")
    leap = new_lead(system, tenant_id, "13800139504", birthday="1992-02-29")
    moved = new_lead(system, tenant_id, "13800139505", birthday="1991-03-15")
    gone = new_lead(system, tenant_id, "13800139506", birthday="1993-03-15")
    update(system, tenant_id, moved, UpdateLead(birthday="1991-07-01"))
    system.container.leads().delete(LeadScope.whole_company(tenant_id), gone, "重复录入")
    settle(system)

    # 28 February 2027 is in a common year: the 29 February birthday is kept on it.
    clock = MovableClock(shanghai(2027, 2, 28, 9, 1))
    assert calendar_at(system, clock).run_once() == 1
    settle(system)
    assert greeted(system, tenant_id, leap)

    clock.moment = shanghai(2027, 3, 15, 8, 59)  # 08:59 in Shanghai: not yet
    calendar = calendar_at(system, clock)
    assert calendar.run_once() == 0
    clock.moment = shanghai(2027, 3, 15, 9, 0)
    assert calendar.run_once() == 1
    settle(system)
    assert greeted(system, tenant_id, today)
    assert not any(greeted(system, tenant_id, lead) for lead in (tomorrow, nobody, moved, gone))
    clock.moment += timedelta(minutes=5)
    assert calendar.run_once() == 0  # the day was looked at
    assert calendar_at(system, clock).run_once() == 0  # nor after a restart: the same cause

    # The next day at 09:30: the 16th's birthday, and the 15th's is not repeated.
    clock.moment = shanghai(2027, 3, 16, 9, 30)
    assert calendar_at(system, clock).run_once() == 1
    settle(system)
    assert greeted(system, tenant_id, tomorrow)
    enrolment = system.container.flows().enrolment_of(tenant_id, enrolment_id(flow_id, today))
    assert (enrolment.run, enrolment.status) == (1, "ended")


def test_an_exact_date_with_an_offset_and_a_day_before_the_flow_was_enabled(
    system: Runtime,
) -> None:
    tenant_id = new_tenant(system)
    system.container.lead_settings().define_field(
        tenant_id, DefineCustomField(key="appointment", name="预约日期", type="date")
    )
    trigger = {
        "kind": "date",
        "field": "custom.appointment",
        "mode": "exact",
        "offset_days": -3,
        "time": "10:00",
    }
    date_flow(system, tenant_id, trigger)
    booked = new_lead(system, tenant_id, "13800139511", custom={"appointment": "2027-05-20"})
    other = new_lead(system, tenant_id, "13800139512", custom={"appointment": "2028-05-20"})

    clock = MovableClock(shanghai(2027, 5, 17, 9, 59))
    calendar = calendar_at(system, clock)
    assert calendar.run_once() == 0
    clock.moment = shanghai(2027, 5, 17, 10, 0)
    assert calendar.run_once() == 1
    settle(system)
    assert greeted(system, tenant_id, booked) and not greeted(system, tenant_id, other)

    # A day whose 10:00 came before the flow was enabled admits nobody, even when looked
    # at later (the flow was enabled now, long after 2020).
    update(system, tenant_id, other, UpdateLead(custom={"appointment": "2020-05-20"}))
    assert calendar_at(system, MovableClock(shanghai(2020, 5, 17, 10, 30))).run_once() == 0
