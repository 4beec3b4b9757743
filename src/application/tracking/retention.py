"""Behaviour retention per plan (ADR 0013): a tenant's observations are kept as long as
its plan says, then forgotten whole (rows and message ids), oldest first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from application.shared.clock import Clock

# A tenant on no live plan (a trial that ended, a suspended company) keeps this long.
DEFAULT_RETENTION_DAYS = 180


class RetentionPlans(Protocol):
    """How long each tenant's plan keeps behaviours (the billing context knows)."""

    def retention_days(self) -> Iterable[tuple[UUID, int | None]]:
        """Every tenant with the longest retention of its live subscriptions, None for a
        tenant with none."""
        ...


class ForgettingLog(Protocol):
    def forget_before(self, tenant_id: UUID, before: datetime) -> int:
        """Delete the tenant's rows received before `before`; answers how many."""
        ...


class BehaviourRetention:
    """Forgets what each tenant's plan no longer keeps. A repeated sweep deletes nothing
    more; an interrupted one is finished by the next."""

    def __init__(self, log: ForgettingLog, plans: RetentionPlans, clock: Clock) -> None:
        self.log = log
        self.plans = plans
        self.clock = clock

    def sweep(self) -> int:
        """One pass over every tenant; answers how many behaviours were forgotten."""
        now = self.clock.now()
        forgotten = 0
        for tenant_id, days in self.plans.retention_days():
            kept = timedelta(days=days if days is not None else DEFAULT_RETENTION_DAYS)
            forgotten += self.log.forget_before(tenant_id, now - kept)
        return forgotten
