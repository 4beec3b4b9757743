"""Durable background duties: expire subscriptions whose period has ended, send
refunds that were approved but never answered by the provider (BIL-3, BIL-5), once
a day forget behaviours older than each tenant's plan keeps (ADR 0013), and expire
score points whose validity has ended (SCORE-1).

Every round derives its work from recorded state (the billing read model), so a
restart loses nothing and a repeated round changes nothing. One process at a time
runs it, guarded like a projection runner.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from adapters.persistence.runners import NamedGuard as Guard
from application.scoring.restating import ScoreExpiry
from application.segments.smart_groups import TimeRelativePass
from application.shared.clock import Clock
from application.shared.context import Actor, ActorKind, RequestContext, acting
from application.tenancy.billing import Billing
from application.tenancy.billing_directory import BillingQueries
from application.tracking.retention import BehaviourRetention

log = logging.getLogger("huoke.scheduler")
SCHEDULER = Actor(ActorKind.SYSTEM, "scheduler")
REFUND_GRACE_MINUTES = 5


class Scheduler:
    """Runs `run_once` every `interval` seconds in a thread while it holds its guard."""

    def __init__(
        self,
        billing: Billing,
        queries: BillingQueries,
        clock: Clock,
        guard: Guard,
        interval: float,
        retention: BehaviourRetention | None = None,
        score_expiry: ScoreExpiry | None = None,
        time_relative_groups: TimeRelativePass | None = None,
    ) -> None:
        self.time_relative_groups = time_relative_groups
        self.retention = retention
        self.score_expiry = score_expiry
        self._retention_swept_on: object = None  # the UTC day of the last sweep
        self.billing = billing
        self.queries = queries
        self.clock = clock
        self.guard = guard
        self.interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)

    def run_once(self) -> dict[str, int]:
        """One round; answers how many subscriptions expired and refunds were sent."""
        # Candidates up to tomorrow (UTC): tenants east of UTC are a day ahead; the
        # aggregate decides with the tenant's own calendar.
        horizon = self.clock.now().date() + timedelta(days=1)
        context = RequestContext(actor=SCHEDULER, request_id=f"scheduler-{horizon.isoformat()}")
        with acting(context):
            expired = self.billing.expire_due(self.queries.due_to_expire(horizon))
            # Approval sends the refund itself; only those left unsent for a while are ours.
            stale = self.clock.now() - timedelta(minutes=REFUND_GRACE_MINUTES)
            refunds = self.billing.dispatch_approved_refunds(
                self.queries.approved_refunds(before=stale)
            )
            forgotten = 0
            today = self.clock.now().date()
            if self.retention is not None and self._retention_swept_on != today:
                forgotten = self.retention.sweep()
                self._retention_swept_on = today
            # Every round: the board says which leads have points due, so an idle round
            # is one indexed query.
            points = self.score_expiry.sweep() if self.score_expiry is not None else 0
            # Smart groups on "active / new / dormant in N days": a full pass now and then.
            groups = self.time_relative_groups
            evaluated = groups.sweep() if groups is not None else 0
        return {
            "expired": expired,
            "refunds_sent": refunds,
            "behaviours_forgotten": forgotten,
            "points_expired": points,
            "smart_groups_evaluated": evaluated,
        }

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        held = False
        while not self._stopping.is_set():
            try:
                held = held or self.guard.acquire()
                if held:
                    done = self.run_once()
                    if any(done.values()):
                        log.info("scheduler round: %s", done)
            except Exception:  # the next round tries again; nothing is lost meanwhile
                log.exception("scheduler round failed")
            self._stopping.wait(self.interval)
        if held:
            self.guard.release()
