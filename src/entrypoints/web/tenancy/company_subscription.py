"""套餐与用量: the tenant's subscription on each product line and the use of each quota
against its limit, as GET /api/v1/subscription answers them (TEN-3, BIL-1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get

from application.tenancy.billing import Billing
from application.tenancy.billing_commands import QuotaUse, SubscriptionDetails
from domain.shared.access import Action
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import page, tenant_may
from entrypoints.web.tenancy.company_labels import (
    BADGES,
    PRODUCT_LINES,
    QUOTAS,
    SUBSCRIPTION_STATUSES,
    label,
)

NEAR_LIMIT = 0.8  # a bar turns to a warning from here


@dataclass(frozen=True)
class QuotaBar:
    """One quota as the page draws it: a labelled bar, or a count when unlimited."""

    quota: str
    name: str
    used: int
    limit: int | None
    period: str

    @property
    def share(self) -> float:
        return 0.0 if not self.limit else min(1.0, self.used / self.limit)

    @property
    def state(self) -> str:
        if self.limit is not None and self.used >= self.limit:
            return "bad"
        return "warn" if self.share >= NEAR_LIMIT else "ok"


@dataclass(frozen=True)
class PlanShown:
    subscription: SubscriptionDetails
    product_line: str
    edition: str
    status: str
    badge: str
    add_ons: list[tuple[str, int]]
    bars: list[QuotaBar]


class CompanySubscriptionController(Controller):
    path = "/company/subscription"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def subscription(self, request: Request[Any, Any, Any], billing: Billing) -> Response[Any]:
        caller = tenant_may(request, "billing", Action.READ)
        subscriptions = billing.subscriptions(caller.tenant_id)
        catalogue = billing.plans()  # the catalogue in force names editions and add-ons
        editions = {edition.code: edition.name for edition in catalogue.editions}
        add_ons = {add_on.code: add_on.name for add_on in catalogue.add_ons}
        plans = [
            PlanShown(
                subscription=s,
                product_line=label(PRODUCT_LINES, s.product_line),
                edition=editions.get(s.edition, s.edition),
                status=label(SUBSCRIPTION_STATUSES, s.status),
                badge=BADGES.get(s.status, "info"),
                add_ons=[(add_ons.get(code, code), n) for code, n in sorted(s.add_ons.items())],
                bars=[_bar(use) for use in s.usage],
            )
            for s in subscriptions
        ]
        return page(
            request,
            "tenancy/company/subscription.html",
            title=_("套餐与用量"),
            plans=plans,
        )


def _bar(use: QuotaUse) -> QuotaBar:
    period = _("本月") if use.period != "current" else _("当前")
    return QuotaBar(
        quota=use.quota,
        name=label(QUOTAS, use.quota),
        used=use.used,
        limit=use.limit,
        period=period,
    )
