"""Back office: every tenant's orders, one order with its history, and a sandbox
payment confirmed (as /api/v1/admin/orders)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.errors import InvalidInput
from application.shared.history import RecordHistory
from application.shared.pages import DEFAULT_LIMIT
from application.tenancy.billing import Billing
from application.tenancy.billing_directory import BillingQueries
from domain.shared.access import Action
from domain.shared.errors import InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import errors_of
from entrypoints.web.i18n import gettext as _
from entrypoints.web.i18n import yuan
from entrypoints.web.pages import (
    confirm_page,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    staff_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import Column, Filter, Table
from entrypoints.web.tenancy.back_office_labels import (
    ADMIN,
    TEMPLATE_HELPERS,
    TENANT_FILTER,
    kind_filter,
    state_filter,
    tenant_link,
    uuid_or_none,
)
from entrypoints.web.tenancy.billing_cells import BACK_OFFICE, order_cells, order_columns, row_of
from entrypoints.web.tenancy.record_pages import record_page

FILTERS = ("number", "tenant_id", "status", "kind", "cursor")
# A sandbox payment can be confirmed while the order waits for it.
CONFIRMABLE = ("created",)


class OrderPages(Controller):
    path = "/admin/orders"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def orders(
        self,
        request: Request[Any, Any, Any],
        billing_queries: BillingQueries,
        number: str | None = None,
        tenant_id: str | None = None,
        status: str | None = None,
        kind: str | None = None,
        cursor: str | None = None,
    ) -> Response[Any]:
        staff_may(request, "billing", Action.READ)
        found = billing_queries.orders(
            tenant_id=uuid_or_none(tenant_id),
            status=status or None,
            kind=kind or None,
            number=(number or "").strip() or None,
            cursor=cursor or None,
            limit=DEFAULT_LIMIT,
        )
        timezone = signed_in_viewer(request).timezone
        columns = [*order_columns(Column("target", "购买内容")), Column("tenant", "企业")]
        table = Table(
            id="orders",
            url=f"{ADMIN}/orders",
            caption="订单列表",
            columns=columns,
            rows=[
                row_of(
                    o.id,
                    columns,
                    order_cells(o, BACK_OFFICE, href=f"{ADMIN}/orders/{o.id}", timezone=timezone)
                    | {"tenant": tenant_link(o.tenant_id)},
                )
                for o in found.items
            ],
            next_cursor=found.next_cursor,
            filters=[
                Filter("number", label="订单号", kind="search", placeholder="HK…"),
                TENANT_FILTER,
                state_filter("created", "paid", "delivered", "refunding", "refunded", "cancelled"),
                kind_filter("new", "renew", "upgrade", "add_on"),
            ],
            query=query_of(request, FILTERS),
            empty_message="没有符合条件的订单",
        )
        return page(request, "tenancy/back_office/list.html", title=_("订单"), table=table)

    @get("/{order_id:uuid}", sync_to_thread=True)
    def order(
        self,
        request: Request[Any, Any, Any],
        order_id: UUID,
        billing: Billing,
        history: RecordHistory,
    ) -> Response[Any]:
        staff = staff_may(request, "billing", Action.READ)
        order = billing.order(order_id, tenant_id=None)
        return record_page(
            request,
            "tenancy/back_office/order.html",
            title=_("订单 {number}").format(number=order.number),
            record_id=order_id,
            caller=staff,
            history=history,
            order=order,
            may_confirm=staff.may("billing", Action.UPDATE)
            and order.status in CONFIRMABLE
            and order.provider in (None, "sandbox"),
            **TEMPLATE_HELPERS,
        )

    @get("/{order_id:uuid}/confirm-payment", sync_to_thread=True)
    def confirm_form(
        self, request: Request[Any, Any, Any], order_id: UUID, billing: Billing
    ) -> Response[Any]:
        staff_may(request, "billing", Action.UPDATE)
        order = billing.order(order_id, tenant_id=None)
        return self._form(request, order_id, order.number, order.amount_fen, {})

    @post("/{order_id:uuid}/confirm-payment")
    async def confirm(
        self, request: Request[Any, Any, Any], order_id: UUID, billing: Billing
    ) -> Response[Any]:
        staff_may(request, "billing", Action.UPDATE)
        try:
            order = await change(lambda: billing.confirm_sandbox_payment(order_id))
        except (InvalidInput, InvalidValue) as refusal:
            order = await in_thread(lambda: billing.order(order_id, tenant_id=None))
            errors = errors_of(refusal)
            return self._form(request, order_id, order.number, order.amount_fen, errors, 422)
        return redirect(
            request,
            f"{ADMIN}/orders/{order_id}",
            flash=Flash("success", _("已确认订单 {number} 的沙箱支付").format(number=order.number)),
        )

    def _form(
        self,
        request: Request[Any, Any, Any],
        order_id: UUID,
        number: str,
        amount_fen: int,
        errors: dict[str, str],
        status: int = 200,
    ) -> Response[Any]:
        return confirm_page(
            request,
            title=_("确认沙箱支付"),
            description=_("确认订单 {number} 已通过沙箱支付 {amount}：订单随即开通服务。").format(
                number=number, amount=yuan(amount_fen)
            ),
            action=f"{ADMIN}/orders/{order_id}/confirm-payment",
            cancel=f"{ADMIN}/orders/{order_id}",
            confirm_label=_("确认已支付"),
            reason_required=None,
            errors=errors,
            status=status,
        )
