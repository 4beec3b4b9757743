"""The dashboard (工作台): the first page after signing in. Tenant employees see their
leads by state and by source (inside their data scope), recent imports and the use of
their plan's quotas; staff see how many tenants, open refunds and incidents there are.
Each part shows only to roles that may read it, from the read models the API lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get
from markupsafe import Markup

from application.leads.import_list import LeadImportQueries, LeadImportSummary
from application.leads.queries import LeadQueries
from application.shared.callers import StaffCaller, TenantCaller
from application.tenancy.billing import Billing
from application.tenancy.billing_commands import SubscriptionDetails
from application.tenancy.billing_directory import BillingQueries
from application.tenancy.directory import TenancyQueries
from domain.shared.access import Action
from entrypoints.web.charts import Bar, bar_chart
from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _
from entrypoints.web.leads.lead_support import POOL_STATES
from entrypoints.web.pages import page, viewer_of

RECENT_IMPORTS = 5
# Staff figures are counted from the first page of each list: past it, "100+".
COUNTED_UP_TO = 100
OPEN_REFUNDS = ("requested", "failed")  # waiting for a decision or a retry
IMPORT_STATES: dict[str, str] = {
    "running": N_("导入中"),
    "completed": N_("已完成"),
    "failed": N_("已中断"),
}
QUOTAS: dict[str, str] = {
    "concurrent_campaigns": N_("同时进行的活动"),
    "campaigns_per_month": N_("每月活动数"),
    "interactive_campaigns_per_month": N_("每月互动活动数"),
    "card_seats": N_("名片席位"),
    "managed_accounts": N_("托管账号"),
    "wecom_accounts": N_("企业微信账号"),
}


@dataclass(frozen=True)
class Figure:
    """One counted thing, with the list it was counted from."""

    label: str
    value: int
    href: str | None = None
    more: bool = False  # counted up to COUNTED_UP_TO only

    @property
    def shown(self) -> str:
        return f"{self.value - 1}+" if self.more else f"{self.value:,}"


@dataclass(frozen=True)
class QuotaLine:
    product_line: str
    edition: str
    name: str
    used: int
    limit: int | None
    period: str

    @property
    def percent(self) -> int:
        if not self.limit:
            return 0
        return min(round(100 * self.used / self.limit), 100)


def lead_figures(counts: dict[str, int], labels: dict[str, str], filter_name: str) -> list[Figure]:
    return [
        Figure(
            label=_(labels[value]) if value in labels else (value or _("未填来源")),
            value=count,
            href=f"/console/leads?{filter_name}={value}" if value else None,
        )
        for value, count in counts.items()
    ]


def chart_of(title: str, figures: list[Figure]) -> Markup:
    return bar_chart(title, [Bar(figure.label, figure.value) for figure in figures])


def quota_lines(subscriptions: list[SubscriptionDetails]) -> list[QuotaLine]:
    return [
        QuotaLine(
            product_line=subscription.product_line,
            edition=subscription.edition,
            name=_(QUOTAS[use.quota]) if use.quota in QUOTAS else use.quota,
            used=use.used,
            limit=use.limit,
            period=use.period,
        )
        for subscription in subscriptions
        for use in subscription.usage
    ]


class DashboardController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def home(
        self,
        request: Request[Any, Any, Any],
        lead_queries: LeadQueries,
        lead_import_queries: LeadImportQueries,
        billing: Billing,
        billing_queries: BillingQueries,
        tenancy_queries: TenancyQueries,
    ) -> Response[Any]:
        viewer = viewer_of(request)
        caller = viewer.caller if viewer is not None else None
        context: dict[str, Any] = {}
        if isinstance(caller, TenantCaller):
            context = self._tenant(caller, lead_queries, lead_import_queries, billing)
        elif isinstance(caller, StaffCaller):
            context = self._staff(caller, billing_queries, tenancy_queries)
        return page(request, "dashboard/home.html", title=_("工作台"), **context)

    def _tenant(
        self,
        caller: TenantCaller,
        lead_queries: LeadQueries,
        lead_import_queries: LeadImportQueries,
        billing: Billing,
    ) -> dict[str, Any]:
        context: dict[str, Any] = {}
        if caller.may("leads", Action.READ):
            states = lead_figures(
                lead_queries.counts(caller, "pool_state"), POOL_STATES, "pool_state"
            )
            sources = lead_figures(
                lead_queries.counts(caller, "source_level1"), {}, "source_level1"
            )
            imports: list[LeadImportSummary] = list(
                lead_import_queries.recent(
                    caller.tenant_id, cursor=None, limit=RECENT_IMPORTS
                ).items
            )
            context |= {
                "lead_total": sum(figure.value for figure in states),
                "states": states,
                "sources": sources,
                "states_chart": chart_of(_("线索状态分布"), states) if states else None,
                "sources_chart": chart_of(_("线索来源分布"), sources) if sources else None,
                "imports": imports,
                "import_states": {k: _(v) for k, v in IMPORT_STATES.items()},
            }
        if caller.may("billing", Action.READ):
            context["quotas"] = quota_lines(billing.subscriptions(caller.tenant_id))
        return context

    def _staff(
        self, caller: StaffCaller, billing_queries: BillingQueries, tenancy_queries: TenancyQueries
    ) -> dict[str, Any]:
        figures: list[Figure] = []
        if caller.may("tenants", Action.READ):
            tenants = tenancy_queries.tenants(
                status=None, name_contains=None, cursor=None, limit=COUNTED_UP_TO
            )
            figures.append(
                _counted(
                    _("租户"), len(tenants.items), tenants.next_cursor, "/console/admin/tenants"
                )
            )
        if caller.may("billing", Action.READ):
            open_refunds, more = 0, False
            for status in OPEN_REFUNDS:
                found = billing_queries.refunds(
                    tenant_id=None, status=status, cursor=None, limit=COUNTED_UP_TO
                )
                open_refunds += len(found.items)
                more = more or found.next_cursor is not None
            figures.append(
                Figure(
                    _("待处理退款"),
                    open_refunds + (1 if more else 0),
                    "/console/admin/refunds",
                    more,
                )
            )
            incidents = billing_queries.incidents(cursor=None, limit=COUNTED_UP_TO)
            figures.append(
                _counted(
                    _("安全事件"),
                    len(incidents.items),
                    incidents.next_cursor,
                    "/console/admin/security-incidents",
                )
            )
        return {"staff_figures": figures}


def _counted(label: str, found: int, next_cursor: str | None, href: str) -> Figure:
    more = next_cursor is not None
    return Figure(label, found + (1 if more else 0), href, more)
