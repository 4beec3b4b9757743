"""The billing back office under /api/v1/admin (BIL-5, BIL-6): search subscriptions,
orders, refunds and security incidents of every tenant; approve or reject refunds;
extend a period; confirm sandbox payments. Auditors read only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.pages import DEFAULT_LIMIT
from application.tenancy.billing import Billing
from application.tenancy.billing_commands import (
    ApproveRefund,
    ExtendSubscription,
    OrderDetails,
    RefundDetails,
    RejectRefund,
    SubscriptionDetails,
)
from application.tenancy.billing_directory import (
    BillingQueries,
    IncidentRow,
    OrderRow,
    RefundRow,
    SubscriptionRow,
)
from domain.shared.access import Action
from entrypoints.http.conventions import (
    ListOf,
    optional_if_match,
    page_of,
    staff_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit

READ = staff_may("billing", Action.READ)
WRITE = staff_may("billing", Action.UPDATE)


class AdminSubscriptionController(Controller):
    path = "/api/v1/admin/subscriptions"
    tags = ["admin"]

    @get("/", operation_id="adminListSubscriptions", guards=[READ], sync_to_thread=True)
    def list_subscriptions(
        self,
        billing_queries: BillingQueries,
        tenant_id: UUID | None = None,
        status: str | None = None,
        product_line: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[SubscriptionRow]:
        """Subscriptions of every tenant, most recently changed first.

        Filter by `tenant_id`, `status` and `product_line`."""
        return page_of(
            billing_queries.subscriptions(
                tenant_id=tenant_id,
                status=status,
                product_line=product_line,
                cursor=cursor,
                limit=limit,
            )
        )

    @get(
        "/{subscription_id:uuid}",
        operation_id="adminGetSubscription",
        guards=[READ],
        sync_to_thread=True,
    )
    def get_subscription(
        self, subscription_id: UUID, billing: Billing
    ) -> Response[SubscriptionDetails]:
        """One subscription with usage (its events: /api/v1/admin/history/{id})."""
        return with_etag(billing.subscription(subscription_id, tenant_id=None))

    @post(
        "/{subscription_id:uuid}/extend",
        operation_id="adminExtendSubscription",
        status_code=200,
        guards=[WRITE],
        sync_to_thread=True,
    )
    def extend(
        self,
        request: Request[Any, Any, Any],
        subscription_id: UUID,
        data: ExtendSubscription,
        billing: Billing,
    ) -> Response[SubscriptionDetails]:
        """Add days to a subscription's period, with a reason."""
        version = optional_if_match(request)
        return with_etag(
            billing.extend_subscription(subscription_id, data, expected_version=version)
        )


class AdminOrderController(Controller):
    path = "/api/v1/admin/orders"
    tags = ["admin"]

    @get("/", operation_id="adminListOrders", guards=[READ], sync_to_thread=True)
    def list_orders(
        self,
        billing_queries: BillingQueries,
        tenant_id: UUID | None = None,
        status: str | None = None,
        kind: str | None = None,
        number: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[OrderRow]:
        """Orders of every tenant, newest first.

        Filter by `tenant_id`, `status`, `kind` and order `number` (`HK…`)."""
        return page_of(
            billing_queries.orders(
                tenant_id=tenant_id,
                status=status,
                kind=kind,
                number=number,
                cursor=cursor,
                limit=limit,
            )
        )

    @get("/{order_id:uuid}", operation_id="adminGetOrder", guards=[READ], sync_to_thread=True)
    def get_order(self, order_id: UUID, billing: Billing) -> Response[OrderDetails]:
        """One order of any tenant."""
        return with_etag(billing.order(order_id, tenant_id=None))

    @post(
        "/{order_id:uuid}/confirm-payment",
        operation_id="adminConfirmSandboxPayment",
        status_code=200,
        guards=[WRITE],
        sync_to_thread=True,
    )
    def confirm_payment(self, order_id: UUID, billing: Billing) -> Response[OrderDetails]:
        """Confirm that a sandbox order was paid.

        The embedded default pays through the sandbox provider; the service opens at
        once. Orders of real providers are paid only by their notification."""
        return with_etag(billing.confirm_sandbox_payment(order_id))


class AdminRefundController(Controller):
    path = "/api/v1/admin/refunds"
    tags = ["admin"]

    @get("/", operation_id="adminListRefunds", guards=[READ], sync_to_thread=True)
    def list_refunds(
        self,
        billing_queries: BillingQueries,
        tenant_id: UUID | None = None,
        status: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[RefundRow]:
        """Refund tickets of every tenant, newest first.

        Filter by `tenant_id` and `status`."""
        return page_of(
            billing_queries.refunds(tenant_id=tenant_id, status=status, cursor=cursor, limit=limit)
        )

    @get("/{refund_id:uuid}", operation_id="adminGetRefund", guards=[READ], sync_to_thread=True)
    def get_refund(self, refund_id: UUID, billing: Billing) -> Response[RefundDetails]:
        """One refund ticket of any tenant, with the proposal and the provider's answer."""
        return with_etag(billing.refund(refund_id, tenant_id=None))

    @post(
        "/{refund_id:uuid}/approve",
        operation_id="adminApproveRefund",
        status_code=200,
        guards=[WRITE],
        sync_to_thread=True,
    )
    def approve(
        self,
        request: Request[Any, Any, Any],
        refund_id: UUID,
        data: ApproveRefund,
        billing: Billing,
    ) -> Response[RefundDetails]:
        """Approve a refund: the prorated proposal, or another amount.

        Another `amount_fen` than the proposal needs an `override_reason`. The refund goes
        to the payment provider and the subscription ends."""
        version = optional_if_match(request)
        return with_etag(billing.approve_refund(refund_id, data, expected_version=version))

    @post(
        "/{refund_id:uuid}/reject",
        operation_id="adminRejectRefund",
        status_code=200,
        guards=[WRITE],
        sync_to_thread=True,
    )
    def reject(
        self,
        request: Request[Any, Any, Any],
        refund_id: UUID,
        data: RejectRefund,
        billing: Billing,
    ) -> Response[RefundDetails]:
        """Reject a refund, with a reason; the order and its service go on."""
        version = optional_if_match(request)
        return with_etag(billing.reject_refund(refund_id, data.reason, expected_version=version))

    @post(
        "/{refund_id:uuid}/retry",
        operation_id="adminRetryRefund",
        status_code=200,
        guards=[WRITE],
        sync_to_thread=True,
    )
    def retry(self, refund_id: UUID, billing: Billing) -> Response[RefundDetails]:
        """Send a failed refund to the payment provider again, under the same refund number."""
        return with_etag(billing.retry_refund(refund_id))


class AdminIncidentController(Controller):
    path = "/api/v1/admin/security-incidents"
    tags = ["admin"]

    @get("/", operation_id="adminListSecurityIncidents", guards=[READ], sync_to_thread=True)
    def list_incidents(
        self, billing_queries: BillingQueries, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> ListOf[IncidentRow]:
        """Refused inbound calls: forged payment notifications and amount mismatches."""
        return page_of(billing_queries.incidents(cursor=cursor, limit=limit))
