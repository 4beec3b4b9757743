"""Back office: every tenant's subscriptions, one with its usage and history, and a
period extended by some days with a reason (as /api/v1/admin/subscriptions)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.errors import InvalidInput
from application.shared.history import RecordHistory
from application.shared.pages import DEFAULT_LIMIT
from application.tenancy.billing import Billing
from application.tenancy.billing_commands import ExtendSubscription, SubscriptionDetails
from application.tenancy.billing_directory import BillingQueries
from domain.shared.access import Action
from domain.shared.errors import InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, parse_form
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import confirm_page, page, query_of, redirect, staff_may
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import Cell, Column, Row, Table
from entrypoints.web.tenancy.back_office_labels import (
    ADMIN,
    TEMPLATE_HELPERS,
    TENANT_FILTER,
    product_line_filter,
    product_line_label,
    state_badge,
    state_filter,
    state_label,
    tenant_link,
    uuid_or_none,
)
from entrypoints.web.tenancy.record_pages import record_page

FILTERS = ("tenant_id", "status", "product_line", "cursor")


class SubscriptionPages(Controller):
    path = "/admin/subscriptions"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def subscriptions(
        self,
        request: Request[Any, Any, Any],
        billing_queries: BillingQueries,
        tenant_id: str | None = None,
        status: str | None = None,
        product_line: str | None = None,
        cursor: str | None = None,
    ) -> Response[Any]:
        staff_may(request, "billing", Action.READ)
        found = billing_queries.subscriptions(
            tenant_id=uuid_or_none(tenant_id),
            status=status or None,
            product_line=product_line or None,
            cursor=cursor or None,
            limit=DEFAULT_LIMIT,
        )
        table = Table(
            id="subscriptions",
            url=f"{ADMIN}/subscriptions",
            caption="套餐列表",
            columns=[
                Column("product_line", "产品线"),
                Column("edition", "版本"),
                Column("status", "状态"),
                Column("period", "服务期"),
                Column("tenant", "企业"),
            ],
            rows=[
                Row(
                    str(s.id),
                    [
                        Cell(
                            product_line_label(s.product_line),
                            href=f"{ADMIN}/subscriptions/{s.id}",
                        ),
                        Cell(s.edition),
                        Cell(state_label(s.status), badge=state_badge(s.status)),
                        Cell(f"{s.starts_on} – {s.ends_on}"),
                        tenant_link(s.tenant_id),
                    ],
                )
                for s in found.items
            ],
            next_cursor=found.next_cursor,
            filters=[
                TENANT_FILTER,
                state_filter("trial", "active", "expired", "cancelled"),
                product_line_filter(),
            ],
            query=query_of(request, FILTERS),
            empty_message="没有符合条件的套餐",
        )
        return page(request, "tenancy/back_office/list.html", title=_("套餐"), table=table)

    @get("/{subscription_id:uuid}", sync_to_thread=True)
    def subscription(
        self,
        request: Request[Any, Any, Any],
        subscription_id: UUID,
        billing: Billing,
        history: RecordHistory,
    ) -> Response[Any]:
        staff = staff_may(request, "billing", Action.READ)
        subscription = billing.subscription(subscription_id, tenant_id=None)
        return record_page(
            request,
            "tenancy/back_office/subscription.html",
            title=_("套餐详情"),
            record_id=subscription_id,
            caller=staff,
            history=history,
            subscription=subscription,
            may_extend=staff.may("billing", Action.UPDATE),
            **TEMPLATE_HELPERS,
        )

    @get("/{subscription_id:uuid}/extend", sync_to_thread=True)
    def extend_form(
        self, request: Request[Any, Any, Any], subscription_id: UUID, billing: Billing
    ) -> Response[Any]:
        staff_may(request, "billing", Action.UPDATE)
        subscription = billing.subscription(subscription_id, tenant_id=None)
        return self._form(request, subscription, {}, {})

    @post("/{subscription_id:uuid}/extend")
    async def extend(
        self, request: Request[Any, Any, Any], subscription_id: UUID, billing: Billing
    ) -> Response[Any]:
        staff_may(request, "billing", Action.UPDATE)
        data = await form_data(request)
        try:
            command = parse_form(ExtendSubscription, data)
            await change(
                lambda: billing.extend_subscription(
                    subscription_id, command, expected_version=None
                ),
                reason=command.reason,
            )
        except (FormErrors, InvalidInput, InvalidValue) as refusal:
            subscription = await in_thread(
                lambda: billing.subscription(subscription_id, tenant_id=None)
            )
            return self._form(request, subscription, data, errors_of(refusal), status=422)
        return redirect(
            request,
            f"{ADMIN}/subscriptions/{subscription_id}",
            flash=Flash("success", _("已延长服务期")),
        )

    def _form(
        self,
        request: Request[Any, Any, Any],
        subscription: SubscriptionDetails,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response[Any]:
        return confirm_page(
            request,
            template="tenancy/back_office/extend.html",
            title=_("延长服务期"),
            description=_(
                "为 {edition} 的服务期（至 {ends_on}）增加天数；原因会记录在套餐的变更历史中。"
            ).format(edition=subscription.edition, ends_on=subscription.ends_on),
            action=f"{ADMIN}/subscriptions/{subscription.id}/extend",
            cancel=f"{ADMIN}/subscriptions/{subscription.id}",
            confirm_label=_("确认延长"),
            reason_required=True,
            values=values,
            errors=errors,
            status=status,
        )
