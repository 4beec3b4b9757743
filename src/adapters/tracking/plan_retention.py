"""Retention per plan from the billing read model and the plan catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

from application.tenancy.billing_directory import BillingQueries
from application.tenancy.directory import TenancyQueries
from domain.tenancy.plans import Catalogue

LIVE = ("active", "trial")  # SubscriptionStatus values in service
PAGE = 100  # the most a list page holds


class PlanRetention:
    """Each tenant's longest behaviour retention among its live subscriptions."""

    def __init__(self, tenants: TenancyQueries, billing: BillingQueries, catalogue: Catalogue):
        self.tenants = tenants
        self.billing = billing
        self.catalogue = catalogue

    def retention_days(self) -> Iterator[tuple[UUID, int | None]]:
        cursor: str | None = None
        while True:
            page = self.tenants.tenants(status=None, name_contains=None, cursor=cursor, limit=PAGE)
            for tenant in page.items:
                yield tenant.id, self._days_of(tenant.id)
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def _days_of(self, tenant_id: UUID) -> int | None:
        subscriptions = self.billing.subscriptions(
            tenant_id=tenant_id, status=None, product_line=None, cursor=None, limit=PAGE
        ).items
        days = [
            self.catalogue.editions[s.edition].behaviour_retention_days
            for s in subscriptions
            if s.status in LIVE and s.edition in self.catalogue.editions
        ]
        return max(days, default=None)
