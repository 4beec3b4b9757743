"""Scheduled reach campaigns over the running system (FLOW-7): content still to choose
keeps a campaign from being scheduled (the field named); in its period the audience is
selected, each lead once, for the first branch it matches, with that branch's send time
("1 hour before the event starts", "1 day after"); a lead who comes to match later in
the period is selected then; due content goes through the SMS pipeline once (an
unsubscribed lead is skipped, the reason kept); cancelling leaves what is not yet due
unsent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.flows.ports import send_task_id
from application.flows.reach_commands import CancelReach, PlanReach
from application.flows.reaching import Reaching
from application.leads.commands import ChangeConsent
from application.leads.scope import LeadScope
from application.messaging.sms_commands import SubmitSignature
from application.shared.context import RequestContext, acting
from application.shared.errors import NotFound
from domain.flows.delivery import ReachDelivery, delivery_id
from domain.shared.errors import InvalidValue
from entrypoints.container import Runtime
from tests.application.test_flows import MovableClock, new_lead, tag
from tests.settling import settle

SHANGHAI = timezone(timedelta(hours=8))
# In 2027, so the runtime's own worker (on the real clock) never finds it running.
OPENS = datetime(2027, 3, 1, 9, tzinfo=SHANGHAI)
LIVE = datetime(2027, 3, 10, 19, 30, tzinfo=SHANGHAI)


@pytest.fixture
def system(runtime: Runtime) -> Iterator[Runtime]:
    with acting(RequestContext(request_id="test-flows-reach")):
        yield runtime


def reaching_at(runtime: Runtime, clock: MovableClock) -> Reaching:
    c = runtime.container
    return Reaching(
        c.reach_campaigns(),
        c.flows(),
        c.reach_queries(),
        c.filter_selection(),
        c.profile_queries(),
        c.flow_effects(),
        clock,
    )


def sms(signature_id: str | None, text: str) -> dict[str, Any]:
    return {"kind": "send_sms", "signature_id": signature_id, "text": text}


def plan(runtime: Runtime, tenant_id: UUID, signature_id: str | None) -> Any:
    command = PlanReach(
        name="直播提醒",
        starts_at=OPENS,
        ends_at=OPENS + timedelta(days=9),
        event_starts_at=LIVE,
        audience={"field": "tags", "op": "equals", "value": "会员"},
        branches=[
            {
                "name": "VIP",
                "filter": {"field": "tags", "op": "equals", "value": "VIP"},
                "send": {"rule": "before_start", "amount": 1, "unit": "hours"},
                "content": sms(signature_id, "VIP专场一小时后开始，回T退订"),
            },
            {
                "name": "其他会员",
                "send": {"rule": "after", "amount": 1, "unit": "days"},
                "content": sms(signature_id, "直播3月10日晚开始，回T退订"),
            },
        ],
    )
    return runtime.container.reach_campaigns().plan(tenant_id, command)


def test_a_campaign_selects_its_audience_by_branch_and_sends_each_lead_once(
    system: Runtime,
) -> None:
    tenant_id = uuid4()
    campaigns = system.container.reach_campaigns()
    unfinished = plan(system, tenant_id, None)
    with pytest.raises(InvalidValue) as refused:
        campaigns.schedule(tenant_id, unfinished.campaign_id, expected_version=unfinished.version)
    assert refused.value.field == "branches[0].content.signature_id"

    signatures = system.container.sms_signatures()
    signature = signatures.submit(tenant_id, SubmitSignature(text="获客科技", purpose="公司简称"))
    signatures.approve(tenant_id, signature.id, reviewer="admin", expected_version=1)
    settle(system)
    campaign = plan(system, tenant_id, str(signature.id))
    campaign = campaigns.schedule(
        tenant_id, campaign.campaign_id, expected_version=campaign.version
    )
    assert campaign.status == "scheduled"
    vip = new_lead(system, tenant_id, "13800139601")
    member = new_lead(system, tenant_id, "13800139602")
    unsubscribed = new_lead(system, tenant_id, "13800139603")
    outsider = new_lead(system, tenant_id, "13800139604")
    tag(system, tenant_id, vip, "会员", "VIP")
    for lead_id in (member, unsubscribed):
        tag(system, tenant_id, lead_id, "会员")
    system.container.leads().change_consent(
        LeadScope.whole_company(tenant_id),
        unsubscribed,
        ChangeConsent(channel="sms", state="unsubscribed", source="test"),
    )
    settle(system)

    clock = MovableClock(OPENS - timedelta(minutes=1))
    reaching = reaching_at(system, clock)
    assert reaching.run_once().selected == 0  # the period has not begun
    clock.moment = OPENS
    assert reaching.run_once().selected == 3
    settle(system)
    flows = system.container.flows()

    def delivery(lead_id: UUID) -> ReachDelivery:
        found = delivery_id(campaign.campaign_id, lead_id)
        return flows.load(found, ReachDelivery, tenant_id=tenant_id)

    assert (delivery(vip).branch, delivery(vip).send_at) == (0, LIVE - timedelta(hours=1))
    assert (delivery(member).branch, delivery(member).send_at) == (1, OPENS + timedelta(days=1))

    # Looked at again a minute later: nobody twice; a lead who joined meanwhile is taken.
    late = new_lead(system, tenant_id, "13800139605")
    tag(system, tenant_id, late, "会员")
    clock.moment = OPENS + timedelta(minutes=2)
    assert reaching_at(system, clock).run_once().selected == 1
    settle(system)

    # A day later the "other members" content is due: sent once, the unsubscribed skipped.
    clock.moment = OPENS + timedelta(days=1, minutes=1)
    done = reaching.run_once()
    assert (done.sent, done.skipped) == (1, 1)
    settle(system)
    assert delivery(unsubscribed).detail == "not contactable"
    assert reaching_at(system, clock).run_once().sent == 0  # a restart sends nothing again
    task = send_task_id(campaign.campaign_id, 1, "branch1")
    counts = system.container.send_queue().counts(tenant_id, task)
    assert sum(counts.values()) == 2 and counts.get("skipped", 0) == 1

    # Cancelled: the VIP's content and the late joiner's, not yet due, are never sent.
    current = campaigns.campaign(tenant_id, campaign.campaign_id)
    campaigns.cancel(
        tenant_id,
        campaign.campaign_id,
        CancelReach(reason="直播延期"),
        expected_version=current.version,
    )
    settle(system)
    reaching.run_once()  # (or the runtime's own worker, first: cancelling needs no clock)
    settle(system)
    assert delivery(vip).status == "cancelled" and delivery(late).status == "cancelled"
    counts_now = system.container.reach_queries().counts(tenant_id, campaign.campaign_id)
    assert counts_now.model_dump() == {
        "selected": 4,
        "pending": 0,
        "sent": 1,
        "skipped": 1,
        "failed": 0,
        "cancelled": 2,
    }
    with pytest.raises(NotFound):
        delivery(outsider)  # never selected
