"""A tenant's own billing: plans, subscriptions, orders, payments, refunds, and its
branch tenants (TEN-2…4, BIL-1…5)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, post
from pydantic import BaseModel

from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from application.tenancy.billing import Billing
from application.tenancy.billing_commands import (
    CancelOrder,
    CatalogueDetails,
    OrderDetails,
    PaymentDetails,
    PayOrder,
    PlaceOrder,
    RefundDetails,
    RequestRefund,
    StartTrial,
    SubscriptionDetails,
)
from application.tenancy.billing_directory import BillingQueries, OrderRow, RefundRow
from application.tenancy.commands import RegisterTenant, TenantDetails
from application.tenancy.directory import TenancyQueries, TenantSummary
from application.tenancy.tenancy import Tenancy
from domain.shared.access import Action
from entrypoints.http.conventions import ListOf, page_of, tenant_may, with_etag
from entrypoints.http.tenant import Cursor, Limit


class SubscriptionOverview(BaseModel):
    """The tenant's subscription on each product line, with use against each limit."""

    subscriptions: list[SubscriptionDetails]


class BranchDetails(BaseModel):
    """A branch tenant and its subscriptions, as its head office sees them (roll-up)."""

    tenant: TenantDetails
    subscriptions: list[SubscriptionDetails]


class PlanController(Controller):
    path = "/api/v1"
    tags = ["billing"]

    @get(
        "/plans",
        operation_id="listPlans",
        guards=[tenant_may("tenant", Action.READ)],
        sync_to_thread=True,
    )
    def plans(self, billing: Billing) -> CatalogueDetails:
        """The plan catalogue in force: editions, add-ons, prices (in fen) and quotas."""
        return billing.plans()

    @get(
        "/subscription",
        operation_id="getSubscription",
        guards=[tenant_may("billing", Action.READ)],
        sync_to_thread=True,
    )
    def subscription(self, billing: Billing, caller: TenantCaller) -> SubscriptionOverview:
        """The tenant's current plan on each product line.

        Edition, period and the use of each quota against its limit."""
        return SubscriptionOverview(subscriptions=billing.subscriptions(caller.tenant_id))

    @post(
        "/subscription/trials",
        operation_id="startTrial",
        guards=[tenant_may("billing", Action.CREATE)],
        sync_to_thread=True,
    )
    def start_trial(
        self, data: StartTrial, billing: Billing, caller: TenantCaller
    ) -> Response[SubscriptionDetails]:
        """Start a free trial of an edition.

        Once per product line; editions without `trial_days` refuse (409)."""
        return with_etag(billing.start_trial(caller.tenant_id, data.edition), status_code=201)


class OrderController(Controller):
    path = "/api/v1/orders"
    tags = ["billing"]

    @get(
        "/",
        operation_id="listOrders",
        guards=[tenant_may("billing", Action.READ)],
        sync_to_thread=True,
    )
    def list_orders(
        self,
        billing_queries: BillingQueries,
        caller: TenantCaller,
        status: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[OrderRow]:
        """The tenant's orders, newest first, optionally in one `status`."""
        return page_of(
            billing_queries.orders(
                tenant_id=caller.tenant_id,
                status=status,
                kind=None,
                number=None,
                cursor=cursor,
                limit=limit,
            )
        )

    @post(
        "/",
        operation_id="placeOrder",
        guards=[tenant_may("billing", Action.CREATE)],
        sync_to_thread=True,
    )
    def place_order(
        self, data: PlaceOrder, billing: Billing, caller: TenantCaller
    ) -> Response[OrderDetails]:
        """Order a new subscription, a renewal, an upgrade or an add-on.

        Priced from the catalogue; an upgrade costs the prorated difference for the
        remaining days. `kind: new`, `renew` and `upgrade` name the `edition`, `add_on`
        names the add-on. Pay it with `POST /api/v1/orders/{order_id}/pay`."""
        return with_etag(billing.place_order(caller.tenant_id, data), status_code=201)

    @get(
        "/{order_id:uuid}",
        operation_id="getOrder",
        guards=[tenant_may("billing", Action.READ)],
        sync_to_thread=True,
    )
    def get_order(
        self, order_id: UUID, billing: Billing, caller: TenantCaller
    ) -> Response[OrderDetails]:
        """One order with its line items, payment and refund state."""
        return with_etag(billing.order(order_id, tenant_id=caller.tenant_id))

    @post(
        "/{order_id:uuid}/pay",
        operation_id="payOrder",
        status_code=200,
        guards=[tenant_may("billing", Action.CREATE)],
        sync_to_thread=True,
    )
    def pay_order(
        self, order_id: UUID, data: PayOrder, billing: Billing, caller: TenantCaller
    ) -> PaymentDetails:
        """Start paying an order.

        The answer holds a QR code URL (WeChat Pay native), a page to open (Alipay), JSAPI
        parameters (inside WeChat) or, in the sandbox, how staff confirm it. The order is
        paid when the provider notifies huoke."""
        return billing.pay_order(caller.tenant_id, order_id, data)

    @post(
        "/{order_id:uuid}/cancel",
        operation_id="cancelOrder",
        status_code=200,
        guards=[tenant_may("billing", Action.CLOSE)],
        sync_to_thread=True,
    )
    def cancel_order(
        self, order_id: UUID, data: CancelOrder, billing: Billing, caller: TenantCaller
    ) -> Response[OrderDetails]:
        """Withdraw an unpaid order, with a reason."""
        return with_etag(billing.cancel_order(caller.tenant_id, order_id, data.reason))


class RefundController(Controller):
    path = "/api/v1/refunds"
    tags = ["billing"]

    @get(
        "/",
        operation_id="listRefunds",
        guards=[tenant_may("billing", Action.READ)],
        sync_to_thread=True,
    )
    def list_refunds(
        self,
        billing_queries: BillingQueries,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[RefundRow]:
        """The tenant's refund tickets, newest first."""
        return page_of(
            billing_queries.refunds(
                tenant_id=caller.tenant_id, status=None, cursor=cursor, limit=limit
            )
        )

    @post(
        "/",
        operation_id="requestRefund",
        guards=[tenant_may("billing", Action.CLOSE)],
        sync_to_thread=True,
    )
    def request_refund(
        self, data: RequestRefund, billing: Billing, caller: TenantCaller
    ) -> Response[RefundDetails]:
        """Ask for a refund of a delivered order (unsubscribe), with a reason.

        Staff approve or reject it; the proposal is what the unused days are worth."""
        return with_etag(billing.request_refund(caller.tenant_id, data), status_code=201)

    @get(
        "/{refund_id:uuid}",
        operation_id="getRefund",
        guards=[tenant_may("billing", Action.READ)],
        sync_to_thread=True,
    )
    def get_refund(
        self, refund_id: UUID, billing: Billing, caller: TenantCaller
    ) -> Response[RefundDetails]:
        """One refund ticket of the tenant."""
        return with_etag(billing.refund(refund_id, tenant_id=caller.tenant_id))


class BranchController(Controller):
    path = "/api/v1/branches"
    tags = ["tenant"]

    @get(
        "/",
        operation_id="listBranches",
        guards=[tenant_may("tenant", Action.READ)],
        sync_to_thread=True,
    )
    def list_branches(
        self,
        tenancy_queries: TenancyQueries,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[TenantSummary]:
        """The head office's branch tenants (TEN-4), newest first."""
        return page_of(
            tenancy_queries.tenants(
                status=None,
                name_contains=None,
                cursor=cursor,
                limit=limit,
                head_office_id=caller.tenant_id,
            )
        )

    @post(
        "/",
        operation_id="openBranch",
        guards=[tenant_may("tenant", Action.CREATE)],
        sync_to_thread=True,
    )
    def open_branch(
        self, data: RegisterTenant, tenancy: Tenancy, caller: TenantCaller
    ) -> Response[TenantDetails]:
        """Open a branch tenant under the caller's tenant (TEN-4).

        The branch gets its own keys from staff or from its own admin; the head office
        reads its subscriptions and usage."""
        return with_etag(tenancy.open_branch(caller.tenant_id, data), status_code=201)

    @get(
        "/{branch_id:uuid}",
        operation_id="getBranch",
        guards=[tenant_may("tenant", Action.READ)],
        sync_to_thread=True,
    )
    def get_branch(
        self, branch_id: UUID, tenancy: Tenancy, billing: Billing, caller: TenantCaller
    ) -> BranchDetails:
        """A branch and its subscriptions with usage (roll-up)."""
        branch = tenancy.branch(caller.tenant_id, branch_id)
        return BranchDetails(tenant=branch, subscriptions=billing.subscriptions(branch.id))
