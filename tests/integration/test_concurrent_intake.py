"""One person offered by many callers at once becomes one lead (LEAD-1), on PostgreSQL
where the callers really race: the identity index is the only thing that decides."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.leads.commands import CreateLead, IntakeResult
from application.leads.queries import LeadFilter
from application.leads.scope import LeadScope
from application.shared.context import RequestContext, acting
from domain.leads.identity import LeadIdentity
from entrypoints.container import Runtime

CALLERS = 20
MOBILE = "+8613800138000"


@pytest.mark.postgres
@pytest.mark.parametrize("runtime", ["postgres"], indirect=True)
def test_twenty_concurrent_offers_of_one_mobile_make_exactly_one_lead(runtime: Runtime) -> None:
    leads = runtime.container.leads()
    tenant_id = uuid4()
    start = (leads.recorder.max_notification_id() or 0) + 1
    ready = threading.Barrier(CALLERS)

    def offer(caller: int) -> IntakeResult:
        ready.wait()  # all callers leave the gate together
        with acting(RequestContext(request_id=f"form-{caller}")):
            return leads.create_lead(
                LeadScope.whole_company(tenant_id), CreateLead(mobile="138 0013 8000", name="张三")
            )

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        results = list(pool.map(offer, range(CALLERS)))

    assert Counter(result.outcome for result in results) == {"created": 1, "matched": 19}
    [lead_id] = {result.lead.id for result in results}
    # the event store: one lead registered for the tenant, one claim of the mobile
    registered = _registrations(leads, tenant_id, start)
    assert registered == [lead_id]
    claim_id = LeadIdentity.create_id(tenant_id, "mobile", MOBILE)
    assert [type(event).__name__ for event in leads.history(claim_id)] == ["Claimed"]
    assert leads.repository.get(claim_id).lead_id == lead_id
    # the read model, once it caught up: one live lead with that mobile
    assert leads.wait_for_views(leads.recorder.max_notification_id() or 0)
    page = runtime.container.lead_queries().search(
        LeadScope.whole_company(tenant_id), LeadFilter(mobile=MOBILE)
    )
    assert [(item.id, item.mobile) for item in page.items] == [(lead_id, MOBILE)]
    assert runtime.container.lead_queries().claimed(tenant_id, [claim_id]) == {claim_id}


def _registrations(leads: Any, tenant_id: UUID, start: int) -> list[UUID]:
    """Ids of the leads registered for `tenant_id` since notification `start`."""
    found = []
    notifications = leads.recorder.select_notifications(
        start, 10_000, topics=["leads.Lead.Registered"]
    )
    for notification in notifications:
        event = leads.mapper.to_domain_event(notification)
        if event.tenant_id == tenant_id:
            found.append(event.originator_id)
    return found
