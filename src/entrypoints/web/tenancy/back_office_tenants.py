"""Back office: the tenants of the platform (search by name and status, a tenant's
page with its subscriptions, orders and history), as GET /api/v1/admin/tenants."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get

from application.shared.history import RecordHistory
from application.shared.pages import DEFAULT_LIMIT
from application.tenancy.billing_directory import BillingQueries
from application.tenancy.directory import TenancyQueries
from application.tenancy.tenancy import Tenancy
from domain.shared.access import Action
from domain.tenancy import TenantStatus
from entrypoints.web.i18n import gettext as _
from entrypoints.web.i18n import local_time
from entrypoints.web.pages import page, query_of, signed_in_viewer, staff_may
from entrypoints.web.tables import Cell, Column, Filter, Row, Table
from entrypoints.web.tenancy.back_office_labels import (
    ADMIN,
    TEMPLATE_HELPERS,
    state_badge,
    state_filter,
    state_label,
)
from entrypoints.web.tenancy.record_pages import record_page

FILTERS = ("q", "status", "cursor")


class TenantPages(Controller):
    path = "/admin/tenants"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def tenants(
        self,
        request: Request[Any, Any, Any],
        tenancy_queries: TenancyQueries,
        q: str | None = None,
        status: str | None = None,
        cursor: str | None = None,
    ) -> Response[Any]:
        staff_may(request, "tenants", Action.READ)
        known = {s.value for s in TenantStatus}
        found = tenancy_queries.tenants(
            status=status if status in known else None,
            name_contains=q or None,
            cursor=cursor or None,
            limit=DEFAULT_LIMIT,
        )
        timezone = signed_in_viewer(request).timezone
        table = Table(
            id="tenants",
            url=f"{ADMIN}/tenants",
            caption="企业列表",
            columns=[
                Column("name", "企业名称"),
                Column("status", "状态"),
                Column("timezone", "时区"),
                Column("created_at", "开通时间"),
            ],
            rows=[
                Row(
                    str(t.id),
                    [
                        Cell(t.name, href=f"{ADMIN}/tenants/{t.id}"),
                        Cell(state_label(t.status), badge=state_badge(t.status)),
                        Cell(t.timezone),
                        Cell(local_time(t.created_at, timezone)),
                    ],
                )
                for t in found.items
            ],
            next_cursor=found.next_cursor,
            filters=[
                Filter("q", label="企业名称", kind="search", placeholder="名称的一部分"),
                state_filter("active", "suspended"),
            ],
            query=query_of(request, FILTERS),
            empty_message="没有符合条件的企业",
        )
        return page(request, "tenancy/back_office/list.html", title=_("企业"), table=table)

    @get("/{tenant_id:uuid}", sync_to_thread=True)
    def tenant(
        self,
        request: Request[Any, Any, Any],
        tenant_id: UUID,
        tenancy: Tenancy,
        billing_queries: BillingQueries,
        history: RecordHistory,
    ) -> Response[Any]:
        staff = staff_may(request, "tenants", Action.READ)
        tenant = tenancy.tenant(tenant_id)  # 404 for an unknown tenant
        subscriptions = orders = None
        if staff.may("billing", Action.READ):  # as GET /api/v1/admin/subscriptions?tenant_id=
            subscriptions = billing_queries.subscriptions(
                tenant_id=tenant_id, status=None, product_line=None, cursor=None, limit=20
            ).items
            orders = billing_queries.orders(
                tenant_id=tenant_id, status=None, kind=None, number=None, cursor=None, limit=20
            ).items
        return record_page(
            request,
            "tenancy/back_office/tenant.html",
            title=tenant.name,
            record_id=tenant_id,
            caller=staff,
            history=history,
            tenant=tenant,
            subscriptions=subscriptions,
            orders=orders,
            **TEMPLATE_HELPERS,
        )
