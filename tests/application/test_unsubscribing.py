"""Unsubscribing through a signed link (MAIL-4, LEAD-9) with the real leads application
behind the consent book: the opt-out is on the lead and in the read model every send
asks before `confirm` answers; one behaviour per message; a tampered token does nothing."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest

from adapters.messaging.consent_book import LeadConsentBook
from application.leads.commands import CreateLead
from application.leads.scope import LeadScope
from application.messaging.unsubscribe import Unsubscribing
from application.shared.behaviours import BehaviourKind
from application.shared.context import RequestContext, acting
from entrypoints.container import Runtime


@pytest.fixture
def system(runtime: Runtime) -> Iterator[Runtime]:
    with acting(RequestContext(request_id="test-unsubscribing", read_your_writes=True)):
        yield runtime


def test_confirming_a_link_opts_the_lead_out_at_once(system: Runtime) -> None:
    container = system.container
    tenant_id = uuid4()
    company = LeadScope.whole_company(tenant_id)
    lead_id = (
        container.leads()
        .create_lead(company, CreateLead(mobile="13800138000", email="wang@acme.cn"))
        .lead.id
    )
    links = container.unsubscribe_links()
    unsubscribing = Unsubscribing(
        links, LeadConsentBook(container.leads()), container.behaviours(), container.clock()
    )
    message_id = str(uuid4())
    token = links.url_for(tenant_id, lead_id, message_id, "email").rpartition("/u/")[2]

    assert unsubscribing.read(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert unsubscribing.confirm(token[:-2], one_click=True) is None
    assert container.consent_queries().contactable(tenant_id, [lead_id], "email") == {lead_id}

    read = unsubscribing.read(token)
    assert read is not None and (read.tenant_id, read.lead_id) == (tenant_id, lead_id)
    done = unsubscribing.confirm(token, one_click=True)
    assert done is not None and done.source == "one-click"
    # No waiting: the next send's question already leaves the lead out.
    assert container.consent_queries().contactable(tenant_id, [lead_id], "email") == set()
    assert container.consent_queries().contactable(tenant_id, [lead_id], "sms") == {lead_id}
    said = container.lead_consent().consent(company, lead_id).channels["email"]
    assert (said.state, said.source) == ("unsubscribed", "one-click")

    unsubscribing.confirm(token, one_click=False)  # a second click
    rows = [
        row
        for row in container.behaviours().behaviours_of(tenant_id, limit=50)
        if row.kind == BehaviourKind.UNSUBSCRIBED
    ]
    assert [(row.lead_id, row.properties["message"]) for row in rows] == [(lead_id, message_id)]
    assert rows[0].message_id == f"unsubscribed-{message_id}"


def test_a_lead_gone_since_the_message_is_no_error(system: Runtime) -> None:
    container = system.container
    links = container.unsubscribe_links()
    unsubscribing = Unsubscribing(
        links, LeadConsentBook(container.leads()), container.behaviours(), container.clock()
    )
    token = links.token(uuid4(), UUID(int=7), "m-1", "email")
    assert unsubscribing.confirm(token, one_click=True) is not None
