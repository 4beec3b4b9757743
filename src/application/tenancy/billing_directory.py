"""The billing read model: subscriptions, orders, refunds and security incidents, for
tenant lists, the back office's searches (BIL-6) and the expiry scheduler."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from pydantic import BaseModel

from application.shared.pages import Page, fetch_page
from application.shared.tenant_rows import RecordTenants, insert, update
from application.shared.views import ReadModel, Statement, View, iso, parse_iso
from domain.tenancy.incident import SecurityIncident
from domain.tenancy.order import Order
from domain.tenancy.refund import Refund
from domain.tenancy.subscription import Subscription


class SubscriptionRow(BaseModel):
    id: UUID
    tenant_id: UUID
    product_line: str
    edition: str
    status: str
    starts_on: date
    ends_on: date
    version: int


class OrderRow(BaseModel):
    id: UUID
    tenant_id: UUID
    number: str
    kind: str
    product_line: str
    target: str
    amount_fen: int
    status: str
    provider: str | None
    refunded_fen: int
    version: int
    created_at: Any


class RefundRow(BaseModel):
    id: UUID
    tenant_id: UUID
    order_id: UUID
    order_number: str
    status: str
    proposed_fen: int
    amount_fen: int | None
    version: int
    created_at: Any


class IncidentRow(BaseModel):
    id: UUID
    kind: str
    source: str
    detail: str
    created_at: Any


_SUBSCRIPTION_STATUS = {
    Subscription.Expired: "expired",
    Subscription.Cancelled: "cancelled",
}
_ORDER_STATUS = {
    Order.Paid: "paid",
    Order.Delivered: "delivered",
    Order.Cancelled: "cancelled",
    Order.RefundOpened: "refunding",
}
_REFUND_STATUS = {
    Refund.Rejected: "rejected",
    Refund.Completed: "refunded",
    Refund.Failed: "failed",
    Refund.Retried: "approved",
}


class BillingDirectory(ReadModel):
    """Keeps billing records listable and searchable across tenants."""

    name = "billing_directory"
    version = 2  # 2: tenant-first statements, record tenants
    follows = ("billing",)
    tenants = RecordTenants("billing_record_tenants")
    tables = {
        "billing_subscriptions": "tenant_id TEXT NOT NULL, subscription_id TEXT NOT NULL, "
        "product_line TEXT NOT NULL, edition TEXT NOT NULL, status TEXT NOT NULL, "
        "starts_on TEXT NOT NULL, ends_on TEXT NOT NULL, version INTEGER NOT NULL, "
        "updated_at TEXT NOT NULL, PRIMARY KEY (tenant_id, subscription_id)",
        "billing_orders": "tenant_id TEXT NOT NULL, order_id TEXT NOT NULL, number TEXT NOT NULL, "
        "kind TEXT NOT NULL, product_line TEXT NOT NULL, target TEXT NOT NULL, "
        "amount_fen INTEGER NOT NULL, status TEXT NOT NULL, provider TEXT, "
        "refunded_fen INTEGER NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, order_id)",
        "billing_refunds": "tenant_id TEXT NOT NULL, refund_id TEXT NOT NULL, "
        "order_id TEXT NOT NULL, order_number TEXT NOT NULL, status TEXT NOT NULL, "
        "proposed_fen INTEGER NOT NULL, amount_fen INTEGER, version INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (tenant_id, refund_id)",
        "billing_incidents": "incident_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "source TEXT NOT NULL, detail TEXT NOT NULL, created_at TEXT NOT NULL, "
        "PRIMARY KEY (incident_id)",
        **tenants.definition,
    }
    indexes = {
        "billing_subscriptions_due": "billing_subscriptions (status, ends_on)",
        "billing_orders_created": "billing_orders (created_at, order_id)",
        "billing_orders_tenant": "billing_orders (tenant_id, created_at, order_id)",
        "billing_refunds_created": "billing_refunds (created_at, refund_id)",
        "billing_refunds_tenant": "billing_refunds (tenant_id, created_at, refund_id)",
        "billing_incidents_created": "billing_incidents (created_at, incident_id)",
    }
    # What serves the platform rather than one tenant, and why (DESIGN: tenant_id leads
    # every other key and index). Under Citus these indexes exist on every shard and the
    # back office's lists ask all shards, as a list across tenants must.
    platform_wide = {
        "billing_incidents": "security incidents (forged callbacks) have no tenant",
        "billing_subscriptions_due": "the scheduler expires every tenant's subscriptions",
        "billing_orders_created": "the back office lists every tenant's orders",
        "billing_refunds_created": "the back office lists every tenant's refunds",
        tenants.table: "whose record an id is, for events stored unstamped",
    }

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    # --- subscriptions -------------------------------------------------------------------

    @process_event.register(Subscription.Started)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                insert(
                    "billing_subscriptions",
                    {
                        "tenant_id": str(event.tenant_id),
                        "subscription_id": str(event.originator_id),
                        "product_line": event.product_line,
                        "edition": event.edition,
                        "status": event.status,
                        "starts_on": event.starts_on,
                        "ends_on": event.ends_on,
                        "version": event.originator_version,
                        "updated_at": iso(event.timestamp),
                    },
                ),
                *self.tenants.remember(self.view, event, event.tenant_id),
            ],
        )

    @process_event.register(Subscription.Restarted)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                self._subscription(
                    event,
                    edition=event.edition,
                    status=event.status,
                    starts_on=event.starts_on,
                    ends_on=event.ends_on,
                )
            ],
        )

    @process_event.register(Subscription.Renewed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(tracking, [self._subscription(event, ends_on=event.ends_on)])

    @process_event.register(Subscription.Extended)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking, [self._subscription(event, ends_on=event.ends_on, status=event.status)]
        )

    @process_event.register(Subscription.Upgraded)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(tracking, [self._subscription(event, edition=event.edition)])

    @process_event.register(Subscription.Expired)
    @process_event.register(Subscription.Cancelled)
    @process_event.register(Subscription.AddOnPurchased)
    def _(self, event: Any, tracking: Tracking) -> None:
        status = _SUBSCRIPTION_STATUS.get(type(event))
        self.view.write(
            tracking, [self._subscription(event, **({"status": status} if status else {}))]
        )

    # --- orders --------------------------------------------------------------------------

    @process_event.register(Order.Placed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                insert(
                    "billing_orders",
                    {
                        "tenant_id": str(event.tenant_id),
                        "order_id": str(event.originator_id),
                        "number": event.number,
                        "kind": event.kind,
                        "product_line": event.product_line,
                        "target": event.target,
                        "amount_fen": event.amount_fen,
                        "status": "created",
                        "provider": None,
                        "refunded_fen": 0,
                        "version": event.originator_version,
                        "created_at": iso(event.timestamp),
                    },
                ),
                *self.tenants.remember(self.view, event, event.tenant_id),
            ],
        )

    @process_event.register(Order.PaymentStarted)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(tracking, [self._order(event, provider=event.provider)])

    @process_event.register(Order.Paid)
    @process_event.register(Order.Delivered)
    @process_event.register(Order.Cancelled)
    @process_event.register(Order.RefundOpened)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(tracking, [self._order(event, status=_ORDER_STATUS[type(event)])])

    @process_event.register(Order.RefundClosed)
    def _(self, event: Any, tracking: Tracking) -> None:
        status = "refunded" if event.refunded_fen > 0 else "delivered"
        tenant_id = self.tenants.of(self.view, event)
        self.view.write(
            tracking,
            [
                self._order(event, status=status),
                (
                    "UPDATE billing_orders SET refunded_fen = refunded_fen + ? "
                    "WHERE tenant_id = ? AND order_id = ?",
                    (event.refunded_fen, tenant_id, str(event.originator_id)),
                ),
            ],
        )

    # --- refunds and incidents -----------------------------------------------------------

    @process_event.register(Refund.Requested)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                insert(
                    "billing_refunds",
                    {
                        "tenant_id": str(event.tenant_id),
                        "refund_id": str(event.originator_id),
                        "order_id": str(event.order_id),
                        "order_number": event.order_number,
                        "status": "requested",
                        "proposed_fen": event.proposed_fen,
                        "amount_fen": None,
                        "version": event.originator_version,
                        "created_at": iso(event.timestamp),
                        "updated_at": iso(event.timestamp),
                    },
                ),
                *self.tenants.remember(self.view, event, event.tenant_id),
            ],
        )

    @process_event.register(Refund.Approved)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking, [self._refund(event, status="approved", amount_fen=event.amount_fen)]
        )

    @process_event.register(Refund.Rejected)
    @process_event.register(Refund.Completed)
    @process_event.register(Refund.Failed)
    @process_event.register(Refund.Retried)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(tracking, [self._refund(event, status=_REFUND_STATUS[type(event)])])

    @process_event.register(SecurityIncident.Recorded)
    def _(self, event: Any, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            [
                insert(
                    "billing_incidents",
                    {
                        "incident_id": str(event.originator_id),
                        "kind": event.kind,
                        "source": event.source,
                        "detail": event.detail,
                        "created_at": iso(event.timestamp),
                    },
                )
            ],
        )

    def _subscription(self, event: Any, **changes: Any) -> Statement:
        changes["updated_at"] = iso(event.timestamp)
        return self._update("billing_subscriptions", "subscription_id", event, changes)

    def _order(self, event: Any, **changes: Any) -> Statement:
        return self._update("billing_orders", "order_id", event, changes)

    def _refund(self, event: Any, **changes: Any) -> Statement:
        changes["updated_at"] = iso(event.timestamp)
        return self._update("billing_refunds", "refund_id", event, changes)

    def _update(self, table: str, key: str, event: Any, changes: dict[str, Any]) -> Statement:
        where = {"tenant_id": self.tenants.of(self.view, event), key: str(event.originator_id)}
        return update(table, {**changes, "version": event.originator_version}, where=where)


class BillingQueries:
    """Lists for tenants (their own records) and for staff (every tenant's)."""

    def __init__(self, view: View) -> None:
        self.view = view

    def subscriptions(
        self,
        *,
        tenant_id: UUID | None,
        status: str | None,
        product_line: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page[SubscriptionRow]:
        where, params = _filters(tenant_id=tenant_id, status=status, product_line=product_line)
        page = fetch_page(
            self.view,
            table="billing_subscriptions",
            where=where,
            params=params,
            order_by=("updated_at", "subscription_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                SubscriptionRow(
                    id=UUID(row["subscription_id"]),
                    tenant_id=UUID(row["tenant_id"]),
                    product_line=row["product_line"],
                    edition=row["edition"],
                    status=row["status"],
                    starts_on=date.fromisoformat(row["starts_on"]),
                    ends_on=date.fromisoformat(row["ends_on"]),
                    version=row["version"],
                )
                for row in page.items
            ],
            page.next_cursor,
        )

    def due_to_expire(self, on_or_before: date, *, limit: int = 500) -> list[UUID]:
        """Subscriptions in service whose period ends on or before the given date."""
        rows = self.view.rows(
            "SELECT subscription_id FROM billing_subscriptions WHERE status IN "
            f"('active', 'trial') AND ends_on <= ? ORDER BY ends_on LIMIT {int(limit)}",
            (on_or_before.isoformat(),),
        )
        return [UUID(row["subscription_id"]) for row in rows]

    def approved_refunds(self, *, before: datetime, limit: int = 100) -> list[UUID]:
        """Refunds approved before `before` and still not answered by the provider (a
        crash between approval and dispatch); younger ones are still being sent."""
        rows = self.view.rows(
            "SELECT refund_id FROM billing_refunds WHERE status = 'approved' "
            f"AND updated_at < ? LIMIT {int(limit)}",
            (iso(before),),
        )
        return [UUID(row["refund_id"]) for row in rows]

    def orders(
        self,
        *,
        tenant_id: UUID | None,
        status: str | None,
        kind: str | None,
        number: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page[OrderRow]:
        where, params = _filters(tenant_id=tenant_id, status=status, kind=kind, number=number)
        page = fetch_page(
            self.view,
            table="billing_orders",
            where=where,
            params=params,
            order_by=("created_at", "order_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                OrderRow(
                    id=UUID(row["order_id"]),
                    tenant_id=UUID(row["tenant_id"]),
                    number=row["number"],
                    kind=row["kind"],
                    product_line=row["product_line"],
                    target=row["target"],
                    amount_fen=row["amount_fen"],
                    status=row["status"],
                    provider=row["provider"],
                    refunded_fen=row["refunded_fen"],
                    version=row["version"],
                    created_at=parse_iso(row["created_at"]),
                )
                for row in page.items
            ],
            page.next_cursor,
        )

    def refunds(
        self, *, tenant_id: UUID | None, status: str | None, cursor: str | None, limit: int
    ) -> Page[RefundRow]:
        where, params = _filters(tenant_id=tenant_id, status=status)
        page = fetch_page(
            self.view,
            table="billing_refunds",
            where=where,
            params=params,
            order_by=("created_at", "refund_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                RefundRow(
                    id=UUID(row["refund_id"]),
                    tenant_id=UUID(row["tenant_id"]),
                    order_id=UUID(row["order_id"]),
                    order_number=row["order_number"],
                    status=row["status"],
                    proposed_fen=row["proposed_fen"],
                    amount_fen=row["amount_fen"],
                    version=row["version"],
                    created_at=parse_iso(row["created_at"]),
                )
                for row in page.items
            ],
            page.next_cursor,
        )

    def incidents(self, *, cursor: str | None, limit: int) -> Page[IncidentRow]:
        page = fetch_page(
            self.view,
            table="billing_incidents",
            where="1 = 1",
            params=[],
            order_by=("created_at", "incident_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                IncidentRow(
                    id=UUID(row["incident_id"]),
                    kind=row["kind"],
                    source=row["source"],
                    detail=row["detail"],
                    created_at=parse_iso(row["created_at"]),
                )
                for row in page.items
            ],
            page.next_cursor,
        )


def _filters(**values: Any) -> tuple[str, list[Any]]:
    """`column = ?` for every given value; the tenant first, as every index leads with it."""
    clauses, params = ["1 = 1"], []
    for column, value in values.items():
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(str(value))
    return " AND ".join(clauses), params
