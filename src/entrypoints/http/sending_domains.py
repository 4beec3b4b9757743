"""Routes of sending domains (MAIL-3 发信域名): add a subdomain, see the DNS records to
publish, verify them, remove it."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response

from application.messaging.sending_domain_commands import (
    AddSendingDomain,
    SendingDomainDetails,
    SendingDomainSummary,
)
from application.messaging.sending_domains import SendingDomains
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
from entrypoints.http.conventions import (
    IF_MATCH,
    ListOf,
    delete,
    get,
    page_of,
    post,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit


class SendingDomainController(Controller):
    path = "/api/v1/sending-domains"
    tags = ["email"]
    guards = [tenant_may("sending_domains")]
    dependencies = IF_MATCH

    @get("/", operation_id="listSendingDomains")
    def list_domains(
        self,
        sending_domains: SendingDomains,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[SendingDomainSummary]:
        """The tenant's sending domains, newest first."""
        return page_of(sending_domains.domains(caller.tenant_id, cursor=cursor, limit=limit))

    @post("/", operation_id="addSendingDomain", may=Action.CREATE)
    def add(
        self, data: AddSendingDomain, sending_domains: SendingDomains, caller: TenantCaller
    ) -> Response[SendingDomainDetails]:
        """Add a subdomain to send from; answers the DNS records to publish.

        SPF and DKIM TXT records, the MX of the return path (bounces) on the same host,
        and the tracking CNAME; the domain sends only once a check finds them all."""
        return with_etag(sending_domains.add(caller.tenant_id, data), status_code=201)

    @get("/{sending_domain_id:uuid}", operation_id="getSendingDomain")
    def get_domain(
        self, sending_domain_id: UUID, sending_domains: SendingDomains, caller: TenantCaller
    ) -> Response[SendingDomainDetails]:
        """One sending domain with its records and what the last check found."""
        return with_etag(sending_domains.domain(caller.tenant_id, sending_domain_id))

    @post(
        "/{sending_domain_id:uuid}/verify",
        operation_id="verifySendingDomain",
        status_code=200,
        may=Action.UPDATE,
    )
    def verify(
        self, sending_domain_id: UUID, sending_domains: SendingDomains, caller: TenantCaller
    ) -> Response[SendingDomainDetails]:
        """Look the domain's records up in DNS now; verified when all are found."""
        return with_etag(sending_domains.verify(caller.tenant_id, sending_domain_id))

    @delete("/{sending_domain_id:uuid}", operation_id="removeSendingDomain", status_code=200)
    def remove(
        self,
        sending_domain_id: UUID,
        sending_domains: SendingDomains,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SendingDomainDetails]:
        """Stop sending from a domain (tasks on it wait until it is back)."""
        return with_etag(
            sending_domains.remove(
                caller.tenant_id, sending_domain_id, expected_version=expected_version
            )
        )
