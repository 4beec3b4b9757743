"""Quota usage (TEN-3): how much of a quota a tenant has used in a period.

One ledger per tenant, quota and period ("2026-11" for monthly quotas, "current" for
ceilings such as card seats), its id derived from the three, so concurrent commands
that consume the same quota conflict on the ledger and the limit holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import DomainError, InvalidValue

CURRENT_PERIOD = "current"


class QuotaExceeded(DomainError):
    """Using `amount` more would pass the plan's limit."""

    code = "quota_exceeded"
    # Seconds until the period starts over and the quota is free again; None for a
    # ceiling, which only a release or a bigger plan frees. The ledger does not know the
    # tenant's calendar, so the quota service fills it in.
    resets_in_seconds: int | None = None

    def __init__(self, *, quota: str, limit: int, used: int, amount: int) -> None:
        super().__init__(
            f"quota {quota} allows {limit}; {used} used, {amount} more requested", field=quota
        )
        self.quota, self.limit, self.used = quota, limit, used


class QuotaUsage(Aggregate):
    """The running total of one quota in one period."""

    TOPIC = "tenancy.QuotaUsage"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Opened: ClassVar[type[AggregateEvent]]
        Consumed: ClassVar[type[AggregateEvent]]
        Released: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID, quota: str, period: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/quotas/{quota}/{period}")

    @event("Opened", topic="tenancy.QuotaUsage.Opened")
    def __init__(self, tenant_id: UUID, quota: str, period: str) -> None:
        self.tenant_id = tenant_id
        self.quota = quota
        self.period = period
        self.used = 0

    def check(self, amount: int, limit: int | None) -> None:
        """Refuse when `amount` more would pass `limit` (None: unlimited)."""
        if amount < 1:
            raise InvalidValue("amount must be at least 1", field="amount")
        if limit is not None and self.used + amount > limit:
            raise QuotaExceeded(quota=self.quota, limit=limit, used=self.used, amount=amount)

    def consume(self, amount: int, limit: int | None, reference: str) -> None:
        """Count `amount` uses against `limit`; `reference` says what used it."""
        self.check(amount, limit)
        self._consumed(amount=amount, reference=reference[:200])

    @event("Consumed", topic="tenancy.QuotaUsage.Consumed")
    def _consumed(self, amount: int, reference: str) -> None:
        self.used += amount

    def release(self, amount: int, reference: str) -> None:
        """Give back uses of a ceiling quota (a campaign unpublished, a seat freed)."""
        if amount < 1:
            raise InvalidValue("amount must be at least 1", field="amount")
        if self.used > 0:
            self._released(amount=min(amount, self.used), reference=reference[:200])

    @event("Released", topic="tenancy.QuotaUsage.Released")
    def _released(self, amount: int, reference: str) -> None:
        self.used -= amount
