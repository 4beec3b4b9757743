"""Plan quotas and feature gates (TEN-3): the `QuotaService` every context asks before
a command that consumes part of the tenant's plan."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo

from application.shared.errors import InvalidInput, VersionConflict
from application.tenancy.billing_commands import QuotaUse
from domain.tenancy.plans import Quota
from domain.tenancy.subscription import Subscription, SubscriptionInactive
from domain.tenancy.usage import CURRENT_PERIOD, QuotaExceeded, QuotaUsage

if TYPE_CHECKING:
    from application.tenancy.billing import Billing

CONFLICT_RETRIES = 5


class PlanQuotas:
    """Limits come from the subscription's quota snapshot; use is counted in
    `QuotaUsage` ledgers of the billing event store (monthly ones per calendar month in
    the tenant's timezone)."""

    def __init__(self, billing: Billing) -> None:
        self.billing = billing

    def check_quota(self, tenant_id: UUID, quota: str, amount: int = 1) -> None:
        """Refuse (QuotaExceeded / SubscriptionInactive) unless `amount` more fit."""
        limit = self._limit(tenant_id, quota)
        with self._saying_when_it_resets(tenant_id, quota):
            self._usage(tenant_id, quota).check(amount, limit)

    def consume_quota(self, tenant_id: UUID, quota: str, amount: int, reference: str) -> None:
        """Count `amount` uses; concurrent consumers conflict on the ledger and recount."""
        for _ in range(CONFLICT_RETRIES):
            limit = self._limit(tenant_id, quota)
            usage = self._usage(tenant_id, quota)
            with self._saying_when_it_resets(tenant_id, quota):
                usage.consume(amount, limit, reference)
            try:
                self.billing.commit(usage)
                return
            except VersionConflict:
                continue
        raise VersionConflict(f"quota {quota} is busy; retry")

    def release_quota(self, tenant_id: UUID, quota: str, amount: int, reference: str) -> None:
        """Give back uses of a ceiling quota."""
        for _ in range(CONFLICT_RETRIES):
            usage = self._usage(tenant_id, quota)
            usage.release(amount, reference)
            try:
                self.billing.commit(usage)
                return
            except VersionConflict:
                continue
        raise VersionConflict(f"quota {quota} is busy; retry")

    def require_feature(self, tenant_id: UUID, feature: str) -> None:
        """Refuse unless a subscription in service includes `feature`."""
        catalogue = self.billing.catalogue
        lines = {e.product_line.value for e in catalogue.editions.values() if feature in e.features}
        for line in sorted(lines):
            subscription = self.billing.subscription_of(tenant_id, line)
            if subscription is not None and subscription.in_service:
                if feature in subscription.features:
                    return
                raise SubscriptionInactive(
                    f"edition {subscription.edition} does not include {feature}", field=feature
                )
        raise SubscriptionInactive(f"no subscription in service includes {feature}", field=feature)

    def usage(self, subscription: Subscription) -> list[QuotaUse]:
        """Use against each limit of a subscription, in the current periods."""
        return [
            QuotaUse(
                quota=quota,
                limit=limit,
                used=self._usage(subscription.tenant_id, quota).used,
                period=self._period(subscription.tenant_id, quota),
            )
            for quota, limit in sorted(subscription.quotas.items())
        ]

    def _limit(self, tenant_id: UUID, quota: str) -> int | None:
        line = self._line_of(quota)
        subscription = self.billing.subscription_of(tenant_id, line)
        if subscription is None or not subscription.in_service:
            raise SubscriptionInactive(f"no {line} subscription is in service", field=quota)
        return subscription.limit_of(quota)

    def _usage(self, tenant_id: UUID, quota: str) -> QuotaUsage:
        period = self._period(tenant_id, quota)
        usage_id = QuotaUsage.create_id(tenant_id, quota, period)
        if usage_id in self.billing.repository:
            return self.billing.load(usage_id, QuotaUsage, tenant_id=tenant_id)
        return QuotaUsage(tenant_id=tenant_id, quota=quota, period=period)

    def _period(self, tenant_id: UUID, quota: str) -> str:
        if not Quota(quota).is_monthly:
            return CURRENT_PERIOD
        zone = ZoneInfo(self.billing.calendar.timezone_of(tenant_id))
        local = self.billing.clock.now().astimezone(zone)
        return f"{local.year:04d}-{local.month:02d}"

    @contextmanager
    def _saying_when_it_resets(self, tenant_id: UUID, quota: str) -> Iterator[None]:
        """A monthly quota used up frees at the tenant's next month: the refusal says in
        how many seconds (the API's `Retry-After`)."""
        try:
            yield
        except QuotaExceeded as exceeded:
            if Quota(quota).is_monthly:
                zone = ZoneInfo(self.billing.calendar.timezone_of(tenant_id))
                now = self.billing.clock.now()
                local = now.astimezone(zone)
                year, month = divmod(local.year * 12 + local.month, 12)  # the month after
                next_month = datetime(year, month + 1, 1, tzinfo=zone)
                exceeded.resets_in_seconds = max(1, math.ceil((next_month - now).total_seconds()))
            raise

    def _line_of(self, quota: str) -> str:
        for edition in self.billing.catalogue.editions.values():
            if quota in edition.quotas:
                return edition.product_line.value
        raise InvalidInput(f"no plan limits {quota}", field="quota")
