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
from entrypoints.web.i18n import local_time, yuan
from entrypoints.web.pages import history_for, page, query_of, signed_in_viewer, tenant_may
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Row, Table
from entrypoints.web.tenancy.company_labels import BADGES, REFUND_STATUSES, label

ORDERS = "/console/company/orders"
REFUNDS = "/console/company/refunds"


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
            columns=[
                Column("created_at", "申请时间"),
                Column("order_number", "订单号"),
                Column("proposed_fen", "建议退款", numeric=True),
                Column("amount_fen", "退款金额", numeric=True),
                Column("status", "状态"),
            ],
            rows=[
                Row(
                    str(refund.id),
                    [
                        Cell(
                            local_time(refund.created_at, timezone),
                            href=f"{REFUNDS}/{refund.id}",
                        ),
                        Cell(refund.order_number, href=f"{ORDERS}/{refund.order_id}"),
                        Cell(yuan(refund.proposed_fen)),
                        Cell(yuan(refund.amount_fen)),
                        Cell(
                            label(REFUND_STATUSES, refund.status),
                            badge=BADGES.get(refund.status, "info"),
                        ),
                    ],
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
        return page(
            request,
            "tenancy/company/refund.html",
            title=_("退款") + f" {refund.refund_number}",
            refund=refund,
            state=label(REFUND_STATUSES, refund.status),
            badge=BADGES.get(refund.status, "info"),
            history=history_for(history, caller, refund.id),
        )
