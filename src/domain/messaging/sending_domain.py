"""Sending domains (MAIL-3): a subdomain the tenant sends from, with its DKIM key pair,
the DNS records it must publish, and whether a DNS check found them all. Only a verified
domain may send; a later failed check takes that away until the records are back.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict

NAMESPACE = uuid.UUID("2f0e5a4c-9b1d-4d7e-8c3a-6a1f0b9e4d21")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
PENDING, VERIFIED, FAILED = "pending", "verified", "failed"


def checked_domain(value: str) -> str:
    """A lower-case host name of at least three labels (a subdomain such as
    mail.acme.cn, so the tenant's own mail keeps its MX), never an IP address."""
    name = value.strip().lower().rstrip(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidValue("domain must be a host name such as mail.acme.cn", field="domain")
    if labels[-1].isdigit():
        raise InvalidValue("domain must be a host name, not an IP address", field="domain")
    if len(labels) < 3:
        raise InvalidValue(
            "domain must be a subdomain (mail.acme.cn), not the company's own domain",
            field="domain",
        )
    return name


class SendingDomain(Aggregate):
    """One tenant's sending domain; its id is derived from the tenant and the name, so a
    domain is added once per tenant."""

    TOPIC = "messaging.SendingDomain"
    Created = None  # type: ignore[assignment]
    if TYPE_CHECKING:
        Added: ClassVar[type[AggregateEvent]]
        Verified: ClassVar[type[AggregateEvent]]
        VerificationFailed: ClassVar[type[AggregateEvent]]
        Removed: ClassVar[type[AggregateEvent]]
        Readded: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID, domain: str) -> UUID:
        return uuid.uuid5(NAMESPACE, f"{tenant_id}:{checked_domain(domain)}")

    @classmethod
    def add(
        cls,
        *,
        tenant_id: UUID,
        domain: str,
        selector: str,
        public_key: str,
        private_key_pem: str,
        records: list[dict[str, str]],
    ) -> SendingDomain:
        """A new, unverified domain with its key pair and the records to publish."""
        name = checked_domain(domain)
        return cls(
            id=cls.create_id(tenant_id, name),
            tenant_id=tenant_id,
            domain=name,
            selector=selector,
            public_key=public_key,
            private_key_pem=private_key_pem,
            records=records,
        )

    @event("Added", topic="messaging.SendingDomain.Added")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        domain: str,
        selector: str,
        public_key: str,
        private_key_pem: str,  # the event store encrypts payloads at rest
        records: list[dict[str, str]],
    ) -> None:
        self.tenant_id = tenant_id
        self.domain = domain
        self._begin(selector, public_key, private_key_pem, records)

    def _begin(
        self, selector: str, public_key: str, private_key_pem: str, records: list[dict[str, str]]
    ) -> None:
        self.selector = selector
        self.public_key = public_key
        self.private_key_pem = private_key_pem
        self.records = records
        self.state = PENDING
        self.checks: list[dict[str, Any]] = []
        self.checked_at: str | None = None
        self.verified_at: str | None = None
        self.removed = False

    @property
    def may_send(self) -> bool:
        return self.state == VERIFIED and not self.removed

    def record_check(self, checks: list[dict[str, Any]], *, at: str) -> None:
        """What a DNS look-up found for each record (`purpose`, `ok`, `found`): Verified
        when every record is there, else VerificationFailed naming the missing ones."""
        self._require_live()
        purposes = sorted(record["purpose"] for record in self.records)
        if sorted(check["purpose"] for check in checks) != purposes:
            raise InvalidValue("a check must cover every record", field="checks")
        failed = [check["purpose"] for check in checks if not check["ok"]]
        if failed:
            self._verification_failed(checks=checks, failed=failed, at=at)
        else:
            self._verified(checks=checks, at=at)

    @event("Verified", topic="messaging.SendingDomain.Verified")
    def _verified(self, checks: list[dict[str, Any]], at: str) -> None:
        if self.state != VERIFIED:
            self.verified_at = at
        self.checks = checks
        self.checked_at = at
        self.state = VERIFIED

    @event("VerificationFailed", topic="messaging.SendingDomain.VerificationFailed")
    def _verification_failed(
        self, checks: list[dict[str, Any]], failed: list[str], at: str
    ) -> None:
        self.checks = checks
        self.checked_at = at
        self.state = FAILED

    @property
    def missing(self) -> list[str]:
        """The purposes of the records the last check did not find."""
        return [check["purpose"] for check in self.checks if not check["ok"]]

    def remove(self) -> None:
        """No more sending from it (tasks on it fail their send until it is back)."""
        self._require_live()
        self._removed()

    @event("Removed", topic="messaging.SendingDomain.Removed")
    def _removed(self) -> None:
        self.removed = True

    def readd(
        self,
        *,
        selector: str,
        public_key: str,
        private_key_pem: str,
        records: list[dict[str, str]],
    ) -> None:
        """Add a removed domain again, with a new key pair (it must be verified again)."""
        if not self.removed:
            raise StateConflict(f"{self.domain} is already a sending domain", field="domain")
        self._readded(
            selector=selector,
            public_key=public_key,
            private_key_pem=private_key_pem,
            records=records,
        )

    @event("Readded", topic="messaging.SendingDomain.Readded")
    def _readded(
        self, selector: str, public_key: str, private_key_pem: str, records: list[dict[str, str]]
    ) -> None:
        self._begin(selector, public_key, private_key_pem, records)

    def _require_live(self) -> None:
        if self.removed:
            raise StateConflict("the domain was removed", field="state")
