"""LEAD-7: the new owner of a lead is told once per assignment, and a notice that cannot be
delivered never undoes (or fails) the assignment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from dependency_injector import providers

from adapters.leads.outbox_notifier import OutboxNotifier
from application.leads.commands import AssignLead, CreateLead
from application.leads.handover import HandOverLeads
from application.leads.scope import LeadScope
from application.org.commands import HireEmployee
from application.shared.context import RequestContext, acting
from entrypoints.container import Runtime
from entrypoints.settings import Settings


class RecordingNotifier:
    """Remembers every notice; `broken` makes delivery fail like a WeCom outage."""

    def __init__(self) -> None:
        self.notices: list[tuple[UUID, UUID]] = []
        self.broken = False

    def owner_assigned(self, tenant_id: UUID, lead_id: UUID, owner_id: UUID) -> None:
        self.notices.append((lead_id, owner_id))
        if self.broken:
            raise ConnectionError("the notification service is down")


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def running(fresh_settings: Settings, notifier: RecordingNotifier) -> Iterator[Runtime]:
    runtime = Runtime(fresh_settings)
    runtime.container.notifier.override(providers.Object(notifier))
    with acting(RequestContext(request_id="test-notices")):
        yield runtime.start()
    runtime.close()


def hire(runtime: Runtime, tenant_id: UUID, name: str) -> UUID:
    command = HireEmployee(name=name, roles=["sales"])
    return runtime.container.org().hire_employee(tenant_id, command).id


def test_an_assignment_sends_exactly_one_notice(
    running: Runtime, notifier: RecordingNotifier
) -> None:
    leads, tenant_id = running.container.leads(), uuid4()
    first, second = hire(running, tenant_id, "甲"), hire(running, tenant_id, "乙")
    company = LeadScope.whole_company(tenant_id)
    lead = leads.create_lead(company, CreateLead(mobile="13800138000")).lead

    leads.assign_owner(company, lead.id, AssignLead(owner_id=first))
    leads.assign_owner(company, lead.id, AssignLead(owner_id=first))  # no change, no notice
    leads.assign_owner(company, lead.id, AssignLead(owner_id=second))

    assert notifier.notices == [(lead.id, first), (lead.id, second)]


def test_a_failed_notice_never_undoes_the_assignment(
    running: Runtime, notifier: RecordingNotifier
) -> None:
    leads, tenant_id = running.container.leads(), uuid4()
    seller, heir = hire(running, tenant_id, "甲"), hire(running, tenant_id, "乙")
    company = LeadScope.whole_company(tenant_id)
    lead = leads.create_lead(company, CreateLead(mobile="13800138000")).lead
    notifier.broken = True

    answer = leads.assign_owner(company, lead.id, AssignLead(owner_id=seller))
    handover = running.container.lead_handover().hand_over(
        company, seller, HandOverLeads(to_employee_id=heir, reason="调岗", lead_ids=[lead.id])
    )

    assert answer.owner_id == seller
    assert [r.outcome for r in handover.results] == ["handed_over"]
    stored = leads.lead(company, lead.id)
    assert (stored.owner_id, stored.pool_state) == (heir, "assigned")
    assert [type(e).__name__ for e in leads.history(lead.id)][-2:] == ["Assigned", "HandedOver"]
    assert notifier.notices == [(lead.id, seller), (lead.id, heir)]  # both were tried


def test_the_outbox_notifier_swallows_a_write_failure(tmp_path: Path) -> None:
    blocked = tmp_path / "outbox"
    blocked.write_text("a file where the outbox directory should be")
    notifier = OutboxNotifier(blocked)

    notifier.owner_assigned(uuid4(), uuid4(), uuid4())  # logged, not raised

    working = OutboxNotifier(tmp_path / "ok")
    lead_id, owner_id = uuid4(), uuid4()
    working.owner_assigned(uuid4(), lead_id, owner_id)
    lines = (tmp_path / "ok" / "notifications.jsonl").read_text().splitlines()
    assert len(lines) == 1 and str(lead_id) in lines[0] and str(owner_id) in lines[0]
