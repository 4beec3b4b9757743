"""LEAD-9: the one question senders ask before a send, in batches, from the read model;
opt-outs count from the moment they are acknowledged; hard bounces suppress e-mail."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest

from application.leads.commands import ChangeConsent, CreateLead
from application.leads.scope import LeadScope
from application.shared.context import RequestContext, acting
from application.shared.errors import InvalidInput
from entrypoints.container import Runtime


@pytest.fixture
def system(runtime: Runtime) -> Iterator[Runtime]:
    with acting(RequestContext(request_id="test-consent")):
        yield runtime


def new_lead(runtime: Runtime, tenant_id: UUID, **person: str) -> UUID:
    return (
        runtime.container.leads()
        .create_lead(LeadScope.whole_company(tenant_id), CreateLead(**person))
        .lead.id
    )


def test_senders_get_only_the_leads_they_may_contact_on_a_channel(system: Runtime) -> None:
    leads, tenant_id = system.container.leads(), uuid4()
    quiet = new_lead(system, tenant_id, mobile="13800138000")
    opted_out = new_lead(system, tenant_id, mobile="13800138001", email="out@example.cn")
    merged = new_lead(system, tenant_id, mobile="13800138002")
    deleted = new_lead(system, tenant_id, mobile="13800138003")
    elsewhere = new_lead(system, uuid4(), mobile="13800138004")
    company = LeadScope.whole_company(tenant_id)
    leads.merge(company, quiet, merged, {})
    leads.delete(company, deleted, "用户要求")
    leads.change_consent(
        company,
        opted_out,
        ChangeConsent(channel="email", state="unsubscribed", source="unsubscribe link"),
    )

    # No waiting here: an acknowledged opt-out is already in the read model.
    contactable = system.container.consent_queries().contactable
    everyone = [quiet, opted_out, merged, deleted, elsewhere, uuid4()]
    assert contactable(tenant_id, everyone, "email") == {quiet}
    assert contactable(tenant_id, everyone, "sms") == {quiet, opted_out}
    assert contactable(tenant_id, [], "sms") == set()


def test_subscribing_again_makes_a_lead_contactable_again(system: Runtime) -> None:
    leads, tenant_id = system.container.leads(), uuid4()
    lead_id = new_lead(system, tenant_id, mobile="13900139000")
    company = LeadScope.whole_company(tenant_id)
    for state in ("unsubscribed", "subscribed"):
        leads.change_consent(
            company, lead_id, ChangeConsent(channel="wechat", state=state, source="菜单")
        )
    assert leads.wait_for_views(leads.recorder.max_notification_id() or 0)

    assert system.container.consent_queries().contactable(tenant_id, [lead_id], "wechat") == {
        lead_id
    }
    assert leads.may_contact(company, lead_id, "wechat")


def test_a_hard_bounce_suppresses_the_email_of_the_lead_that_has_it(system: Runtime) -> None:
    tenant_id = uuid4()
    lead_id = new_lead(system, tenant_id, mobile="13700137000", email="bounce@example.cn")
    desk = system.container.lead_consent()

    suppressed = desk.record_hard_bounce(tenant_id, " Bounce@Example.CN ")
    again = desk.record_hard_bounce(tenant_id, "bounce@example.cn")

    assert suppressed is not None and again is not None
    assert suppressed.consent["email"]["state"] == "suppressed"
    assert suppressed.consent["email"]["source"] == "hard_bounce"
    assert again.version == suppressed.version  # a repeat bounce records nothing
    consent = desk.consent(LeadScope.whole_company(tenant_id), lead_id).channels
    assert (consent["email"].may_contact, consent["sms"].may_contact) == (False, True)
    assert system.container.consent_queries().contactable(tenant_id, [lead_id], "email") == set()
    assert desk.record_hard_bounce(tenant_id, "nobody@example.cn") is None
    assert desk.record_hard_bounce(uuid4(), "bounce@example.cn") is None  # another tenant


def test_an_unknown_channel_is_refused(system: Runtime) -> None:
    with pytest.raises(InvalidInput) as refused:
        system.container.consent_queries().contactable(uuid4(), [uuid4()], "fax")
    assert refused.value.field == "channel"
