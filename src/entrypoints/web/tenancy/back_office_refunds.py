"""Back office: refund tickets of every tenant; approving the prorated proposal or
another amount with a reason, rejecting with a reason, retrying a failed refund (as
/api/v1/admin/refunds). Each action has its confirmation step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
from entrypoints.web.i18n import N_, yuan
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import (
    confirm_page,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    staff_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import Column, Table
from entrypoints.web.tenancy.back_office_labels import (
    ADMIN,
    TEMPLATE_HELPERS,
    TENANT_FILTER,
    state_filter,
    tenant_link,
    uuid_or_none,
)
from entrypoints.web.tenancy.billing_cells import BACK_OFFICE, refund_cells, row_of
from entrypoints.web.tenancy.record_pages import record_page

FILTERS = ("tenant_id", "status", "cursor")
FORM_REFUSALS = (FormErrors, InvalidInput, InvalidValue)
COLUMNS = [
    Column("order_number", "订单号"),
    Column("status", "状态"),
    Column("proposed_fen", "建议金额", numeric=True),
    Column("amount_fen", "批准金额", numeric=True),
    Column("created_at", "申请时间"),
    Column("tenant", "企业"),
]


@dataclass(frozen=True)
class Step:
    """One action's confirmation step (msgids): its path under the refund, what it says
    (with {order}, {number}, {proposed}, {refundable}, {amount} of the refund), the
    reason it asks for (None: no reason field) and the template showing it."""

    path: str
    title: str
    description: str
    confirm: str
    reason: bool | None = None
    template: str = "frame/confirm.html"


APPROVE = Step(
    "approve",
    N_("批准退款"),
    N_(
        "订单 {order} 的退款：按未使用天数建议退 {proposed}，最多可退 {refundable}。"
        "批准后款项经支付渠道退回，套餐随即结束。"
    ),
    N_("确认批准"),
    template="tenancy/back_office/approve.html",
)
REJECT = Step(
    "reject",
    N_("驳回退款"),
    N_("驳回订单 {order} 的退款申请：订单与服务照常继续。"),
    N_("确认驳回"),
    reason=True,
)
RETRY = Step(
    "retry",
    N_("重试退款"),
    N_("以同一退款单号 {number} 再次向支付渠道发送 {amount} 的退款。"),
    N_("确认重试"),
)


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
            columns=COLUMNS,
            rows=[
                row_of(
                    r.id,
                    COLUMNS,
                    refund_cells(
                        r,
                        BACK_OFFICE,
                        links={"order_number": f"{ADMIN}/refunds/{r.id}"},
                        timezone=timezone,
                    )
                    | {"tenant": tenant_link(r.tenant_id)},
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
        return record_page(
            request,
            "tenancy/back_office/refund.html",
            title=_("退款 {number}").format(number=refund.refund_number),
            record_id=refund_id,
            caller=staff,
            history=history,
            refund=refund,
            may_decide=may_act and refund.status == RefundStatus.REQUESTED,
            may_retry=may_act and refund.status == RefundStatus.FAILED,
            **TEMPLATE_HELPERS,
        )

    # --- approve ---------------------------------------------------------------------

    @get("/{refund_id:uuid}/approve", sync_to_thread=True)
    def approve_form(
        self, request: Request[Any, Any, Any], refund_id: UUID, billing: Billing
    ) -> Response[Any]:
        return self._show(request, APPROVE, billing, refund_id)

    @post("/{refund_id:uuid}/approve")
    async def approve(
        self, request: Request[Any, Any, Any], refund_id: UUID, billing: Billing
    ) -> Response[Any]:
        async def decide(data: dict[str, Any]) -> RefundDetails:
            command = approval_of(data)
            return await change(
                lambda: billing.approve_refund(refund_id, command, expected_version=None),
                reason=command.override_reason,
            )

        return await self._decide(request, APPROVE, billing, refund_id, decide, _approved)

    # --- reject ----------------------------------------------------------------------

    @get("/{refund_id:uuid}/reject", sync_to_thread=True)
    def reject_form(
        self, request: Request[Any, Any, Any], refund_id: UUID, billing: Billing
    ) -> Response[Any]:
        return self._show(request, REJECT, billing, refund_id)

    @post("/{refund_id:uuid}/reject")
    async def reject(
        self, request: Request[Any, Any, Any], refund_id: UUID, billing: Billing
    ) -> Response[Any]:
        async def decide(data: dict[str, Any]) -> RefundDetails:
            reason = reason_of(data, required=True)
            return await change(
                lambda: billing.reject_refund(refund_id, reason, expected_version=None),
                reason=reason,
            )

        return await self._decide(request, REJECT, billing, refund_id, decide, _rejected)

    # --- retry -----------------------------------------------------------------------

    @get("/{refund_id:uuid}/retry", sync_to_thread=True)
    def retry_form(
        self, request: Request[Any, Any, Any], refund_id: UUID, billing: Billing
    ) -> Response[Any]:
        return self._show(request, RETRY, billing, refund_id)

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

    # --- the steps -------------------------------------------------------------------

    def _show(
        self, request: Request[Any, Any, Any], step: Step, billing: Billing, refund_id: UUID
    ) -> Response[Any]:
        staff_may(request, "billing", Action.UPDATE)
        return _step_page(request, step, billing.refund(refund_id, tenant_id=None), {}, {})

    async def _decide(
        self,
        request: Request[Any, Any, Any],
        step: Step,
        billing: Billing,
        refund_id: UUID,
        decide: Callable[[dict[str, Any]], Awaitable[RefundDetails]],
        done: Callable[[RefundDetails], Flash],
    ) -> Response[Any]:
        """The step's POST: the decision the form asks for, or the step again with the
        refusal next to its field (422)."""
        staff_may(request, "billing", Action.UPDATE)
        data = await form_data(request)
        try:
            refund = await decide(data)
        except FORM_REFUSALS as refusal:
            shown = await in_thread(lambda: billing.refund(refund_id, tenant_id=None))
            return _step_page(request, step, shown, data, in_yuan(errors_of(refusal)), 422)
        return redirect(request, f"{ADMIN}/refunds/{refund_id}", flash=done(refund))


def _approved(refund: RefundDetails) -> Flash:
    if refund.status == RefundStatus.FAILED:
        return Flash("error", _("已批准，但支付渠道未能退款；可稍后重试。"))
    return Flash("success", _("已批准退款 {amount}").format(amount=yuan(refund.amount_fen)))


def _rejected(refund: RefundDetails) -> Flash:
    return Flash("success", _("已驳回退款申请"))


def _step_page(
    request: Request[Any, Any, Any],
    step: Step,
    refund: RefundDetails,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        template=step.template,
        title=_(step.title),
        description=_(step.description).format(
            order=refund.order_number,
            number=refund.refund_number,
            proposed=yuan(refund.proposed_fen),
            refundable=yuan(refund.refundable_fen),
            amount=yuan(refund.amount_fen),
        ),
        refund=refund,
        action=f"{ADMIN}/refunds/{refund.id}/{step.path}",
        cancel=f"{ADMIN}/refunds/{refund.id}",
        confirm_label=_(step.confirm),
        reason_required=step.reason,
        values=values,
        errors=errors,
        status=status,
    )
