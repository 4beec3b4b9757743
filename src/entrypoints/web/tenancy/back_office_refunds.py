"""Back office: refund tickets of every tenant; approving the prorated proposal or
another amount with a reason, rejecting with a reason, retrying a failed refund (as
/api/v1/admin/refunds). Each action has its confirmation step."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.errors import InvalidInput
from application.shared.history import RecordHistory
from application.shared.pages import DEFAULT_LIMIT
from application.tenancy.billing import Billing
from application.tenancy.billing_commands import ApproveRefund, RefundDetails
from application.tenancy.billing_directory import BillingQueries
from domain.shared.access import Action
from domain.shared.errors import InvalidValue
from domain.tenancy.refund import RefundStatus
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, parse_form, reason_of
from entrypoints.web.i18n import gettext as _
from entrypoints.web.i18n import local_time, yuan
from entrypoints.web.pages import (
    confirm_page,
    history_for,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    staff_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import Cell, Column, Row, Table
from entrypoints.web.tenancy.back_office_labels import (
    ADMIN,
    TEMPLATE_HELPERS,
    TENANT_FILTER,
    state_badge,
    state_filter,
    state_label,
    tenant_link,
    uuid_or_none,
)

FILTERS = ("tenant_id", "status", "cursor")
FORM_REFUSALS = (FormErrors, InvalidInput, InvalidValue)


def fen_of(typed: str) -> int | None:
    """An amount typed in yuan (`12.34`) in fen; empty: none given (the proposal)."""
    text = typed.strip().replace(",", "").removeprefix("¥")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise FormErrors({"amount": _("请输入金额，例如 128.00")}) from None
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise FormErrors({"amount": _("金额须大于 0，最多两位小数")})
    return int(amount * 100)


def approval_of(data: dict[str, Any]) -> ApproveRefund:
    """The approval the form asks for: the proposal, or another amount with its reason."""
    given = {
        "amount_fen": fen_of(str(data.get("amount", ""))),
        "override_reason": str(data.get("override_reason", "")).strip(),
    }
    return parse_form(ApproveRefund, given)


def in_yuan(errors: dict[str, str]) -> dict[str, str]:
    """The command and the refund name the amount in fen; the form shows it in yuan."""
    return {"amount" if name == "amount_fen" else name: text for name, text in errors.items()}


class RefundPages(Controller):
    path = "/admin/refunds"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def refunds(
        self,
        request: Request[Any, Any, Any],
        billing_queries: BillingQueries,
        tenant_id: str | None = None,
        status: str | None = None,
        cursor: str | None = None,
    ) -> Response[Any]:
        staff_may(request, "billing", Action.READ)
        found = billing_queries.refunds(
            tenant_id=uuid_or_none(tenant_id),
            status=status or None,
            cursor=cursor or None,
            limit=DEFAULT_LIMIT,
        )
        timezone = signed_in_viewer(request).timezone
        table = Table(
            id="refunds",
            url=f"{ADMIN}/refunds",
            caption="退款工单",
            columns=[
                Column("order_number", "订单号"),
                Column("status", "状态"),
                Column("proposed_fen", "建议金额", numeric=True),
                Column("amount_fen", "批准金额", numeric=True),
                Column("created_at", "申请时间"),
                Column("tenant", "企业"),
            ],
            rows=[
                Row(
                    str(r.id),
                    [
                        Cell(r.order_number, href=f"{ADMIN}/refunds/{r.id}"),
                        Cell(state_label(r.status), badge=state_badge(r.status)),
                        Cell(yuan(r.proposed_fen)),
                        Cell(yuan(r.amount_fen)),
                        Cell(local_time(r.created_at, timezone)),
                        tenant_link(r.tenant_id),
                    ],
                )
                for r in found.items
            ],
            next_cursor=found.next_cursor,
            filters=[
                state_filter("requested", "approved", "refunded", "failed", "rejected"),
                TENANT_FILTER,
            ],
            query=query_of(request, FILTERS),
            empty_message="没有符合条件的退款工单",
        )
        return page(request, "tenancy/back_office/list.html", title=_("退款"), table=table)

    @get("/{refund_id:uuid}", sync_to_thread=True)
    def refund(
        self,
        request: Request[Any, Any, Any],
        refund_id: UUID,
        billing: Billing,
        history: RecordHistory,
    ) -> Response[Any]:
        staff = staff_may(request, "billing", Action.READ)
        refund = billing.refund(refund_id, tenant_id=None)
        may_act = staff.may("billing", Action.UPDATE)
        return page(
            request,
            "tenancy/back_office/refund.html",
            title=_("退款 {number}").format(number=refund.refund_number),
            refund=refund,
            may_decide=may_act and refund.status == RefundStatus.REQUESTED,
            may_retry=may_act and refund.status == RefundStatus.FAILED,
            history=history_for(history, staff, refund_id),
            **TEMPLATE_HELPERS,
        )

    # --- approve ---------------------------------------------------------------------

    @get("/{refund_id:uuid}/approve", sync_to_thread=True)
    def approve_form(
        self, request: Request[Any, Any, Any], refund_id: UUID, billing: Billing
    ) -> Response[Any]:
        staff_may(request, "billing", Action.UPDATE)
        return self._approve_form(request, billing.refund(refund_id, tenant_id=None), {}, {})

    @post("/{refund_id:uuid}/approve")
    async def approve(
        self, request: Request[Any, Any, Any], refund_id: UUID, billing: Billing
    ) -> Response[Any]:
        staff_may(request, "billing", Action.UPDATE)
        data = await form_data(request)
        try:
            command = approval_of(data)
            refund = await change(
                lambda: billing.approve_refund(refund_id, command, expected_version=None),
                reason=command.override_reason,
            )
        except FORM_REFUSALS as refusal:
            shown = await in_thread(lambda: billing.refund(refund_id, tenant_id=None))
            return self._approve_form(request, shown, data, in_yuan(errors_of(refusal)), 422)
        if refund.status == RefundStatus.FAILED:
            flash = Flash("error", _("已批准，但支付渠道未能退款；可稍后重试。"))
        else:
            flash = Flash(
                "success", _("已批准退款 {amount}").format(amount=yuan(refund.amount_fen))
            )
        return redirect(request, f"{ADMIN}/refunds/{refund_id}", flash=flash)

    def _approve_form(
        self,
        request: Request[Any, Any, Any],
        refund: RefundDetails,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response[Any]:
        return confirm_page(
            request,
            template="tenancy/back_office/approve.html",
            title=_("批准退款"),
            description=_(
                "订单 {order} 的退款：按未使用天数建议退 {proposed}，最多可退 {refundable}。"
                "批准后款项经支付渠道退回，套餐随即结束。"
            ).format(
                order=refund.order_number,
                proposed=yuan(refund.proposed_fen),
                refundable=yuan(refund.refundable_fen),
            ),
            refund=refund,
            action=f"{ADMIN}/refunds/{refund.id}/approve",
            cancel=f"{ADMIN}/refunds/{refund.id}",
            confirm_label=_("确认批准"),
            reason_required=None,
            values=values,
            errors=errors,
            status=status,
        )

    # --- reject ----------------------------------------------------------------------

    @get("/{refund_id:uuid}/reject", sync_to_thread=True)
    def reject_form(
        self, request: Request[Any, Any, Any], refund_id: UUID, billing: Billing
    ) -> Response[Any]:
        staff_may(request, "billing", Action.UPDATE)
        return self._reject_form(request, billing.refund(refund_id, tenant_id=None), {}, {})

    @post("/{refund_id:uuid}/reject")
    async def reject(
        self, request: Request[Any, Any, Any], refund_id: UUID, billing: Billing
    ) -> Response[Any]:
        staff_may(request, "billing", Action.UPDATE)
        data = await form_data(request)
        try:
            reason = reason_of(data, required=True)
            await change(
                lambda: billing.reject_refund(refund_id, reason, expected_version=None),
                reason=reason,
            )
        except FORM_REFUSALS as refusal:
            shown = await in_thread(lambda: billing.refund(refund_id, tenant_id=None))
            return self._reject_form(request, shown, data, errors_of(refusal), 422)
        return redirect(
            request, f"{ADMIN}/refunds/{refund_id}", flash=Flash("success", _("已驳回退款申请"))
        )

    def _reject_form(
        self,
        request: Request[Any, Any, Any],
        refund: RefundDetails,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response[Any]:
        return confirm_page(
            request,
            title=_("驳回退款"),
            description=_("驳回订单 {order} 的退款申请：订单与服务照常继续。").format(
                order=refund.order_number
            ),
            action=f"{ADMIN}/refunds/{refund.id}/reject",
            cancel=f"{ADMIN}/refunds/{refund.id}",
            confirm_label=_("确认驳回"),
            reason_required=True,
            values=values,
            errors=errors,
            status=status,
        )

    # --- retry -----------------------------------------------------------------------

    @get("/{refund_id:uuid}/retry", sync_to_thread=True)
    def retry_form(
        self, request: Request[Any, Any, Any], refund_id: UUID, billing: Billing
    ) -> Response[Any]:
        staff_may(request, "billing", Action.UPDATE)
        refund = billing.refund(refund_id, tenant_id=None)
        return confirm_page(
            request,
            title=_("重试退款"),
            description=_("以同一退款单号 {number} 再次向支付渠道发送 {amount} 的退款。").format(
                number=refund.refund_number, amount=yuan(refund.amount_fen)
            ),
            action=f"{ADMIN}/refunds/{refund_id}/retry",
            cancel=f"{ADMIN}/refunds/{refund_id}",
            confirm_label=_("确认重试"),
            reason_required=None,
        )

    @post("/{refund_id:uuid}/retry")
    async def retry(
        self, request: Request[Any, Any, Any], refund_id: UUID, billing: Billing
    ) -> Response[Any]:
        staff_may(request, "billing", Action.UPDATE)
        refund = await change(lambda: billing.retry_refund(refund_id))
        if refund.status == RefundStatus.FAILED:
            flash = Flash("error", _("支付渠道仍未能退款；可稍后再试。"))
        else:
            flash = Flash("success", _("退款已完成"))
        return redirect(request, f"{ADMIN}/refunds/{refund_id}", flash=flash)
