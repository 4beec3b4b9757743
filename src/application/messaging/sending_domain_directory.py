"""The sending domains' read model: the tenant's list, by name."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.messaging.sending_domain_commands import SendingDomainSummary
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from domain.messaging.sending_domain import SendingDomain

TABLE = "messaging_sending_domains"


class SendingDomainDirectory(ReadModel):
    """Keeps each tenant's sending domains listable."""

    name = "messaging_sending_domains"
    version = 1
    follows = ("messaging",)
    tables = {
        TABLE: "tenant_id TEXT NOT NULL, domain_id TEXT NOT NULL, domain TEXT NOT NULL, "
        "state TEXT NOT NULL, live INTEGER NOT NULL, version INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (tenant_id, domain_id)",
    }

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(SendingDomain.Added)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "domain_id": str(event.originator_id),
            "domain": event.domain,
            "state": "pending",
            "live": 1,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
            "updated_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert(TABLE, row)])

    @process_event.register(SendingDomain.Verified)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"state": "verified"})

    @process_event.register(SendingDomain.VerificationFailed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"state": "failed"})

    @process_event.register(SendingDomain.Removed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"live": 0})

    @process_event.register(SendingDomain.Readded)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"live": 1, "state": "pending"})

    def _change(self, event: Any, tracking: Tracking, changes: dict[str, Any]) -> None:
        where = {"tenant_id": str(tenant_of(event)), "domain_id": str(event.originator_id)}
        changes = {
            **changes,
            "version": event.originator_version,
            "updated_at": iso(event.timestamp),
        }
        self.view.write(tracking, [update(TABLE, changes, where=where)])


class SendingDomainQueries:
    def __init__(self, view: View) -> None:
        self.view = view

    def domains(
        self, tenant_id: UUID, *, cursor: str | None, limit: int
    ) -> Page[SendingDomainSummary]:
        """The tenant's sending domains, newest first."""
        page = fetch_page(
            self.view,
            table=TABLE,
            where="tenant_id = ? AND live = 1",
            params=[str(tenant_id)],
            order_by=("created_at", "domain_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_summary(row) for row in page.items], page.next_cursor)

    def verified(self, tenant_id: UUID) -> list[str]:
        rows = self.view.rows(
            f"SELECT domain FROM {TABLE} WHERE tenant_id = ? AND live = 1 AND state = ? "
            "ORDER BY domain",
            (str(tenant_id), "verified"),
        )
        return [row["domain"] for row in rows]


def _summary(row: dict[str, Any]) -> SendingDomainSummary:
    return SendingDomainSummary(
        id=UUID(row["domain_id"]),
        domain=row["domain"],
        state=row["state"],
        version=int(row["version"]),
        created_at=parse_iso(row["created_at"]),
        updated_at=parse_iso(row["updated_at"]),
    )
