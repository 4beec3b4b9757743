"""订单: the tenant's orders as /api/v1/orders lists and shows them, and asking for a
refund of a delivered order as POST /api/v1/refunds does (BIL-1, BIL-5)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.errors import InvalidInput
from application.shared.history import RecordHistory
from application.tenancy.billing import Billing
from application.tenancy.billing_commands import OrderDetails, RequestRefund
from application.tenancy.billing_directory import BillingQueries
from domain.shared.access import Action
from domain.shared.errors import InvalidValue, StateConflict
from domain.tenancy.order import OrderStatus
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import GENERAL, FormErrors, errors_of, form_data, parse_form
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import (
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Column, Filter, Option, Table
from entrypoints.web.tenancy.billing_cells import COMPANY, order_cells, order_columns, row_of
from entrypoints.web.tenancy.company_labels import (
    ORDER_STATUSES,
    PROVIDERS,
    label,
)
from entrypoints.web.tenancy.record_pages import record_page

ORDERS = "/console/company/orders"
REFUNDS = "/console/company/refunds"


class CompanyOrdersController(Controller):
    path = "/company/orders"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def orders(
        self,
        request: Request[Any, Any, Any],
        billing_queries: BillingQueries,
        status: str | None = None,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, "billing", Action.READ)
        timezone = signed_in_viewer(request).timezone
        found = billing_queries.orders(
            tenant_id=caller.tenant_id,
            status=status or None,
            kind=None,
            number=None,
            cursor=cursor,
            limit=PAGE_SIZE,
        )
        columns = order_columns(Column("product_line", "产品线"))
        table = Table(
            id="orders",
            url=ORDERS,
            caption="订单",
            columns=columns,
            rows=[
                row_of(
                    order.id,
                    columns,
                    order_cells(order, COMPANY, href=f"{ORDERS}/{order.id}", timezone=timezone),
                )
                for order in found.items
            ],
            next_cursor=found.next_cursor,
            filters=[
                Filter(
                    "status",
                    "状态",
                    kind="select",
                    options=tuple(Option(code, name) for code, name in ORDER_STATUSES.items()),
                )
            ],
            query=query_of(request, ("status", "cursor")),
            empty_message="暂无订单",
        )
        return page(request, "tenancy/company/orders.html", title=_("订单"), table=table)

    @get("/{order_id:uuid}", sync_to_thread=True)
    def order(
        self,
        request: Request[Any, Any, Any],
        order_id: UUID,
        billing: Billing,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, "billing", Action.READ)
        order = billing.order(order_id, tenant_id=caller.tenant_id)
        catalogue = billing.plans()  # names the edition or add-on bought
        names = {e.code: e.name for e in catalogue.editions} | {
            a.code: a.name for a in catalogue.add_ons
        }
        return record_page(
            request,
            "tenancy/company/order.html",
            title=_("订单") + f" {order.number}",
            record_id=order.id,
            caller=caller,
            history=history,
            order=order,
            kind=COMPANY.kind(order.kind),
            product_line=COMPANY.product_line(order.product_line),
            target=names.get(order.target, order.target),
            provider=label(PROVIDERS, order.provider) if order.provider else "—",
            state=COMPANY.order_state(order.status),
            badge=COMPANY.badge(order.status),
            may_refund=_refundable(order) and caller.may("billing", Action.CLOSE),
        )

    @get("/{order_id:uuid}/refund", sync_to_thread=True)
    def refund_form(
        self, request: Request[Any, Any, Any], order_id: UUID, billing: Billing
    ) -> Response[Any]:
        caller = tenant_may(request, "billing", Action.CLOSE)
        order = billing.order(order_id, tenant_id=caller.tenant_id)
        return _refund_form(request, order, {}, {}, 200)

    @post("/{order_id:uuid}/refund")
    async def request_refund(
        self, request: Request[Any, Any, Any], order_id: UUID, billing: Billing
    ) -> Response[Any]:
        caller = tenant_may(request, "billing", Action.CLOSE)
        order = await in_thread(lambda: billing.order(order_id, tenant_id=caller.tenant_id))
        data = await form_data(request)
        values = {"reason": str(data.get("reason", ""))}
        try:
            command = parse_form(RequestRefund, {**data, "order_id": str(order_id)})
            refund = await change(lambda: billing.request_refund(caller.tenant_id, command))
        except (FormErrors, InvalidInput, InvalidValue) as refused:
            return _refund_form(request, order, values, errors_of(refused), 422)
        except StateConflict as conflict:
            return _refund_form(request, order, values, {GENERAL: str(conflict)}, 409)
        flash = Flash("success", _("退款申请已提交，等待平台审核"))
        return redirect(request, f"{REFUNDS}/{refund.id}", flash=flash)


def _refundable(order: OrderDetails) -> bool:
    return order.status == OrderStatus.DELIVERED


def _refund_form(
    request: Request[Any, Any, Any],
    order: OrderDetails,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response[Any]:
    return page(
        request,
        "tenancy/company/refund_request.html",
        title=_("申请退款") + f" · {order.number}",
        order=order,
        values=values,
        errors=errors,
        status=status,
    )
