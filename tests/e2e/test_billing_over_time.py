"""Billing as days pass, on a huoke of its own whose clock the test moves: periods end
and expire durably (BIL-3, TEN-3), upgrades charge only the unused days and renewals
follow on exactly where the period ended (BIL-3, BIL-4)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from application.shared.context import RequestContext, acting
from domain.tenancy.subscription import SubscriptionInactive
from entrypoints.container import Runtime
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.conftest import Api
from tests.e2e.billing_support import (
    FakeClock,
    buy,
    catalogue_edition,
    pay_and_confirm,
    place,
    subscription,
)

# New Year's Eve, noon in Shanghai: a 31st, so month arithmetic has to clamp.
NEW_YEARS_EVE = datetime(2026, 12, 31, 4, 0, tzinfo=UTC)


@contextmanager
def running(settings: Settings, clock: FakeClock | None = None) -> Iterator[Api]:
    """A huoke over `settings`' storage, its clock replaced before it starts."""
    # the scheduler thread runs one round at start; the test runs the later ones itself
    runtime = Runtime(replace(settings, scheduler_interval_seconds=3600))
    if clock is not None:
        runtime.container.clock.override(providers.Object(clock))
    runtime.start()
    try:
        with acting(RequestContext(request_id="test-bootstrap")):
            admin = runtime.container.tenancy().enrol_first_admin("root@huoke.test")
        app = create_app(runtime, close_runtime_on_shutdown=False)
        with TestClient(app) as client:
            yield Api(client, runtime, admin.token if admin else "")
    finally:
        runtime.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NEW_YEARS_EVE)


def expired_in_view(api: Api, tenant_id: str) -> list[str]:
    """Poll the back office until the read model shows the expiry (or give up)."""
    deadline = time.monotonic() + 10
    while True:
        listed = api.client.get(
            "/api/v1/admin/subscriptions",
            params={"tenant_id": tenant_id, "status": "expired"},
            headers=api.staff(),
        ).json()["items"]
        if listed or time.monotonic() > deadline:
            return [item["id"] for item in listed]
        time.sleep(0.05)


def test_an_ended_period_expires_durably_and_stops_consumption_but_not_reading(
    fresh_settings: Settings, clock: FakeClock
) -> None:
    with running(fresh_settings, clock) as api:
        tenant_id, token = api.tenant_with_key("tenant_admin")
        buy(api, token, "qs_micro_entry", units=1)
        bought = subscription(api, token)
        assert (bought["starts_on"], bought["ends_on"]) == ("2026-12-31", "2027-01-31")
        scheduler = api.runtime.scheduler
        assert scheduler is not None
        assert scheduler.run_once() == {
            "expired": 0,
            "refunds_sent": 0,
            "behaviours_forgotten": 0,
            "points_expired": 0,
            "smart_groups_evaluated": 0,
        }  # still running
        quotas = api.runtime.container.billing().quotas
        quotas.consume_quota(UUID(tenant_id), "campaigns_per_month", 1, "campaign:before")

        clock.move(days=40)
        assert scheduler.run_once() == {
            "expired": 1,
            "refunds_sent": 0,
            "behaviours_forgotten": 0,
            "points_expired": 0,
            "smart_groups_evaluated": 0,
        }

        assert expired_in_view(api, tenant_id) == [bought["id"]]
        read = api.client.get("/api/v1/subscription", headers=api.key(token))
        assert read.status_code == 200
        assert [s["status"] for s in read.json()["subscriptions"]] == ["expired"]
        with pytest.raises(SubscriptionInactive):
            quotas.consume_quota(UUID(tenant_id), "campaigns_per_month", 1, "campaign:after")
        renewal = place(api, token, "renew", edition="qs_micro_entry", units=1)
        assert renewal.status_code == 403 and renewal.json()["code"] == "subscription_inactive"
        positions = api.event_positions()
        assert scheduler.run_once() == {
            "expired": 0,
            "refunds_sent": 0,
            "behaviours_forgotten": 0,
            "points_expired": 0,
            "smart_groups_evaluated": 0,
        }
        assert api.event_positions() == positions
        history = api.client.get(f"/api/v1/history/{bought['id']}", headers=api.key(token))
        expiry = history.json()[-1]
        assert expiry["type"] == "tenancy.Subscription.Expired"
        assert expiry["actor"]["kind"] == "system" and expiry["actor"]["id"] == "scheduler"

    with running(fresh_settings) as restarted:  # the real clock; the expiry is stored
        again = subscription(restarted, token)
        assert (again["status"], again["version"]) == ("expired", bought["version"] + 1)
        with pytest.raises(SubscriptionInactive):
            restarted.runtime.container.billing().quotas.check_quota(
                UUID(tenant_id), "campaigns_per_month"
            )


def test_as_days_pass_an_upgrade_charges_only_the_unused_days(
    fresh_settings: Settings, clock: FakeClock
) -> None:
    with running(fresh_settings, clock) as api:
        _, token = api.tenant_with_key("tenant_admin")
        buy(api, token, "qs_micro_entry", units=3)
        before = subscription(api, token)
        assert (before["starts_on"], before["ends_on"]) == ("2026-12-31", "2027-03-31")
        current = catalogue_edition(api, token, "qs_micro_entry")
        target = catalogue_edition(api, token, "qs_merchant_basic")

        clock.move(days=17)  # 2027-01-17 in Shanghai: 17 of 90 days used, 73 left
        placed = place(api, token, "upgrade", edition="qs_merchant_basic")

        assert placed.status_code == 201, placed.text
        difference = (target["price_fen"] - current["price_fen"]) * 3
        assert difference == 12000
        assert placed.json()["amount_fen"] == 12000 * 73 // 90 == 9733  # rounded down
        assert placed.json()["lines"][0]["quantity"] == 73
        pay_and_confirm(api, token, placed.json()["id"])
        after = subscription(api, token)
        assert after["edition"] == "qs_merchant_basic"
        assert (after["starts_on"], after["ends_on"]) == ("2026-12-31", "2027-03-31")
        upgrade = api.client.get(
            f"/api/v1/orders/{placed.json()['id']}", headers=api.key(token)
        ).json()
        assert (upgrade["covers_from"], upgrade["covers_until"]) == ("2027-01-17", "2027-03-31")


def test_a_renewal_covers_the_months_right_after_the_period_end(
    fresh_settings: Settings, clock: FakeClock
) -> None:
    with running(fresh_settings, clock) as api:
        _, token = api.tenant_with_key("tenant_admin")
        first = buy(api, token, "qs_micro_entry", units=3)
        assert (first["covers_from"], first["covers_until"]) == ("2026-12-31", "2027-03-31")

        renewal = buy(api, token, "qs_micro_entry", units=1, kind="renew")

        assert subscription(api, token)["ends_on"] == "2027-04-30"
        # contiguous: the renewal pays from the old end, not from April 30 minus a month
        assert (renewal["covers_from"], renewal["covers_until"]) == ("2027-03-31", "2027-04-30")
        clock.move(days=100)  # 2027-04-10: 10 of the renewed month's 30 days used
        ticket = api.client.post(
            "/api/v1/refunds",
            json={"order_id": renewal["id"], "reason": "renewed by mistake"},
            headers=api.key(token),
        )
        assert ticket.status_code == 201, ticket.text
        assert ticket.json()["proposed_fen"] == 1000 * 20 // 30 == 666
