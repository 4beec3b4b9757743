"""Sending domains (MAIL-3): add a subdomain, publish the records huoke shows, verify
them by DNS look-up before the domain may send; the e-mail channel signs with its key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from uuid import UUID

from application.messaging.dns_records import (
    PROPAGATION_NOTE,
    DnsLookup,
    RequiredRecord,
    check,
    required_records,
)
from application.messaging.messaging import Messaging
from application.messaging.sending_domain_commands import (
    AddSendingDomain,
    DomainRecord,
    SendingDomainDetails,
    SendingDomainSummary,
    SigningIdentity,
)
from application.messaging.sending_domain_directory import SendingDomainQueries
from application.shared.clock import Clock
from application.shared.errors import InvalidInput, NotFound
from application.shared.pages import Page
from application.shared.views import iso
from domain.messaging.sending_domain import SendingDomain, checked_domain
from domain.shared.errors import InvalidValue

SELECTOR = "hk1"
KeyPairs = Callable[[], tuple[str, str]]  # (private PEM, public base64) — a new DKIM pair


@dataclass(frozen=True)
class OurHosts:
    """Where tenants' records point: our SPF include, bounce MX and tracking host."""

    spf_include: str
    mx_host: str
    tracking_host: str


class SendingDomains:
    """The tenant's sending domains."""

    def __init__(
        self,
        messaging: Messaging,
        queries: SendingDomainQueries,
        dns: DnsLookup,
        key_pairs: KeyPairs,
        hosts: OurHosts,
        clock: Clock,
    ) -> None:
        self.messaging = messaging
        self.queries = queries
        self.dns = dns
        self.key_pairs = key_pairs
        self.hosts = hosts
        self.clock = clock

    def add(self, tenant_id: UUID, command: AddSendingDomain) -> SendingDomainDetails:
        """Add a domain with a new DKIM key pair; answers the records to publish."""
        name = checked_domain(command.domain)
        private, public = self.key_pairs()
        records = [asdict(r) for r in self._records(name, public)]
        domain_id = SendingDomain.create_id(tenant_id, name)
        if domain_id in self.messaging.repository:
            domain = self.messaging.load(domain_id, SendingDomain, tenant_id=tenant_id)
            domain.readd(
                selector=SELECTOR, public_key=public, private_key_pem=private, records=records
            )
            self.messaging.commit(domain)
            return details(domain)
        domain = SendingDomain.add(
            tenant_id=tenant_id,
            domain=name,
            selector=SELECTOR,
            public_key=public,
            private_key_pem=private,
            records=records,
        )
        return details(self.messaging.create(domain))

    def verify(self, tenant_id: UUID, domain_id: UUID) -> SendingDomainDetails:
        """Look every record up now and record what was found (verified when all are)."""
        domain = self._load(tenant_id, domain_id, None)
        checks = []
        for record in domain.records:
            found = check(RequiredRecord(**record), self.dns)
            checks.append({"purpose": record["purpose"], "ok": found.ok, "found": found.found})
        domain.record_check(checks, at=iso(self.clock.now()))
        self.messaging.commit(domain)
        return details(domain)

    def remove(
        self, tenant_id: UUID, domain_id: UUID, *, expected_version: int
    ) -> SendingDomainDetails:
        domain = self._load(tenant_id, domain_id, expected_version)
        domain.remove()
        self.messaging.commit(domain)
        return details(domain)

    def domain(self, tenant_id: UUID, domain_id: UUID) -> SendingDomainDetails:
        return details(self._load(tenant_id, domain_id, None))

    def domains(
        self, tenant_id: UUID, *, cursor: str | None, limit: int
    ) -> Page[SendingDomainSummary]:
        return self.queries.domains(tenant_id, cursor=cursor, limit=limit)

    def verified_domains(self, tenant_id: UUID) -> list[str]:
        return self.queries.verified(tenant_id)

    def signing_identity(self, tenant_id: UUID, address: str) -> SigningIdentity:
        """The key of the verified domain `address` is on (422 sender_address if none)."""
        host = address.rpartition("@")[2].strip().lower()
        try:
            domain = self.messaging.load(
                SendingDomain.create_id(tenant_id, host), SendingDomain, tenant_id=tenant_id
            )
        except (NotFound, InvalidValue):
            domain = None
        if domain is None or not domain.may_send:
            raise InvalidInput(
                f"{host} is not a verified sending domain of the tenant", field="sender_address"
            )
        return SigningIdentity(
            domain=domain.domain,
            selector=domain.selector,
            private_key_pem=domain.private_key_pem,
            return_path_domain=domain.domain,
        )

    def _records(self, name: str, public: str) -> list[RequiredRecord]:
        return required_records(
            name,
            selector=SELECTOR,
            public_key=public,
            spf_include=self.hosts.spf_include,
            mx_host=self.hosts.mx_host,
            tracking_host=self.hosts.tracking_host,
        )

    def _load(
        self, tenant_id: UUID, domain_id: UUID, expected_version: int | None
    ) -> SendingDomain:
        domain = self.messaging.load(
            domain_id, SendingDomain, tenant_id=tenant_id, expected_version=expected_version
        )
        if domain.removed:
            raise NotFound(f"no SendingDomain {domain_id}")
        return domain


def details(domain: SendingDomain) -> SendingDomainDetails:
    checks = {check["purpose"]: check for check in domain.checks}
    records = [
        DomainRecord(
            purpose=record["purpose"],
            type=record["kind"],
            host=record["host"],
            value=record["value"],
            ok=checks[record["purpose"]]["ok"] if record["purpose"] in checks else None,
            found=checks.get(record["purpose"], {}).get("found", []),
        )
        for record in domain.records
    ]
    return SendingDomainDetails(
        id=domain.id,
        domain=domain.domain,
        selector=domain.selector,
        state=domain.state,
        may_send=domain.may_send,
        records=records,
        missing=domain.missing,
        note=PROPAGATION_NOTE,
        checked_at=_moment(domain.checked_at),
        verified_at=_moment(domain.verified_at),
        version=domain.version,
        created_at=domain.created_on,
    )


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
