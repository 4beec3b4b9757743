"""退款: the tenant's refund tickets as /api/v1/refunds lists and shows them (BIL-5)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get

from application.shared.history import RecordHistory
from application.tenancy.billing import Billing
from application.tenancy.billing_directory import BillingQueries
from domain.shared.access import Action
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import page, query_of, signed_in_viewer, tenant_may
from entrypoints.web.tables import PAGE_SIZE, Column, Table
from entrypoints.web.tenancy.billing_cells import COMPANY, refund_cells, row_of
from entrypoints.web.tenancy.record_pages import record_page

ORDERS = "/console/company/orders"
REFUNDS = "/console/company/refunds"
COLUMNS = [
    Column("created_at", "申请时间"),
    Column("order_number", "订单号"),
    Column("proposed_fen", "建议退款", numeric=True),
    Column("amount_fen", "退款金额", numeric=True),
    Column("status", "状态"),
]


class CompanyRefundsController(Controller):
    path = "/company/refunds"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def refunds(
        self,
        request: Request[Any, Any, Any],
        billing_queries: BillingQueries,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, "billing", Action.READ)
        timezone = signed_in_viewer(request).timezone
        found = billing_queries.refunds(
            tenant_id=caller.tenant_id, status=None, cursor=cursor, limit=PAGE_SIZE
        )
        table = Table(
            id="refunds",
            url=REFUNDS,
            caption="退款",
            columns=COLUMNS,
            rows=[
                row_of(
                    refund.id,
                    COLUMNS,
                    refund_cells(
                        refund,
                        COMPANY,
                        links={
                            "created_at": f"{REFUNDS}/{refund.id}",
                            "order_number": f"{ORDERS}/{refund.order_id}",
                        },
                        timezone=timezone,
                    ),
                )
                for refund in found.items
            ],
            next_cursor=found.next_cursor,
            query=query_of(request, ("cursor",)),
            empty_message="暂无退款申请",
        )
        return page(request, "tenancy/company/refunds.html", title=_("退款"), table=table)

    @get("/{refund_id:uuid}", sync_to_thread=True)
    def refund(
        self,
        request: Request[Any, Any, Any],
        refund_id: UUID,
        billing: Billing,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, "billing", Action.READ)
        refund = billing.refund(refund_id, tenant_id=caller.tenant_id)
        return record_page(
            request,
            "tenancy/company/refund.html",
            title=_("退款") + f" {refund.refund_number}",
            record_id=refund.id,
            caller=caller,
            history=history,
            refund=refund,
            state=COMPANY.refund_state(refund.status),
            badge=COMPANY.badge(refund.status),
        )
