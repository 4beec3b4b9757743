"""Buying huoke as a tenant: trials, a new order paid in the sandbox, renewals, minimum
terms, upgrades and refused downgrades (TEN-1, TEN-2, BIL-1…4)."""

from __future__ import annotations

from datetime import date, timedelta

from tests.conftest import Api
from tests.e2e.billing_support import (
    RYW,
    buy,
    catalogue_edition,
    days,
    months_after,
    pay_and_confirm,
    place,
    shanghai_today,
    subscription,
    usage,
)


def test_scrm_cannot_be_tried_and_a_quick_sell_trial_starts_only_once(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    headers = {**api.key(token), **RYW}
    positions = api.event_positions()

    scrm = api.client.post(
        "/api/v1/subscription/trials", json={"edition": "scrm_advanced"}, headers=headers
    )

    assert scrm.status_code == 422, scrm.text  # 翼有群: 本产品不支持试用
    assert scrm.json()["code"] == "invalid_value" and scrm.json()["field"] == "edition"
    assert api.event_positions() == positions
    trial = api.client.post(
        "/api/v1/subscription/trials", json={"edition": "qs_micro_basic"}, headers=headers
    )
    assert trial.status_code == 201, trial.text
    assert (trial.json()["status"], trial.json()["edition"]) == ("trial", "qs_micro_basic")
    trial_days = catalogue_edition(api, token, "qs_micro_basic")["trial_days"]
    assert trial_days > 0
    shown = subscription(api, token)
    assert shown["status"] == "trial" and shown["starts_on"] == shanghai_today().isoformat()
    assert date.fromisoformat(shown["ends_on"]) == shanghai_today() + timedelta(days=trial_days)

    for edition in ("qs_micro_basic", "qs_merchant_entry"):
        again = api.client.post(
            "/api/v1/subscription/trials", json={"edition": edition}, headers=headers
        )
        assert again.status_code == 409, again.text
        assert again.json()["code"] == "state_conflict"
    assert subscription(api, token)["edition"] == "qs_micro_basic"


def test_a_new_order_paid_in_the_sandbox_opens_the_service_once(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")

    placed = place(api, token, edition="qs_micro_entry", units=3)

    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert (order["amount_fen"], order["status"], order["kind"]) == (3000, "created", "new")
    assert order["number"].startswith("HK") and order["paid_fen"] == 0
    assert [(line["quantity"], line["unit_price_fen"]) for line in order["lines"]] == [(3, 1000)]
    paying = api.client.post(
        f"/api/v1/orders/{order['id']}/pay", json={"provider": "sandbox"}, headers=api.key(token)
    )
    assert paying.status_code == 200, paying.text
    assert paying.json()["kind"] == "sandbox" and order["number"] in paying.json()["value"]
    assert paying.json()["order"]["status"] == "created"  # paid only once confirmed
    nothing_yet = api.client.get("/api/v1/subscription", headers=api.key(token))
    assert nothing_yet.json()["subscriptions"] == []

    confirmed = api.client.post(
        f"/api/v1/admin/orders/{order['id']}/confirm-payment", headers={**api.staff(), **RYW}
    )

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "delivered" and confirmed.json()["paid_fen"] == 3000
    opened = subscription(api, token)
    assert (opened["status"], opened["edition"]) == ("active", "qs_micro_entry")
    starts_on = date.fromisoformat(opened["starts_on"])
    assert starts_on == shanghai_today()
    assert opened["ends_on"] == months_after(starts_on, 3).isoformat()
    limits = catalogue_edition(api, token, "qs_micro_entry")["quotas"]
    assert usage(opened) == {quota: (limit, 0) for quota, limit in limits.items()}
    assert usage(opened)["campaigns_per_month"] == (2, 0)

    positions = api.event_positions()
    again = api.client.post(
        f"/api/v1/admin/orders/{order['id']}/confirm-payment", headers=api.staff()
    )
    assert again.status_code == 200 and again.json()["status"] == "delivered"
    assert api.event_positions() == positions
    history = api.client.get(f"/api/v1/history/{order['id']}", headers=api.key(token)).json()
    assert [entry["type"] for entry in history] == [
        "tenancy.Order.Placed",
        "tenancy.Order.PaymentStarted",
        "tenancy.Order.Paid",
        "tenancy.Order.Delivered",
    ]
    assert [e["type"] for e in history].count("tenancy.Order.Paid") == 1
    assert subscription(api, token)["version"] == opened["version"]


def test_a_renewal_extends_the_period_from_its_current_end(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    first = buy(api, token, "qs_micro_entry", units=2)
    before = subscription(api, token)

    renewal = place(api, token, "renew", edition="qs_micro_entry", units=3)

    assert renewal.status_code == 201, renewal.text
    assert renewal.json()["amount_fen"] == 3000 and "续订" in renewal.json()["lines"][0]["name"]
    pay_and_confirm(api, token, renewal.json()["id"])
    after = subscription(api, token)
    assert after["status"] == "active" and after["starts_on"] == before["starts_on"]
    ends_before = date.fromisoformat(before["ends_on"])
    assert after["ends_on"] == months_after(ends_before, 3).isoformat()
    renewed = api.client.get(
        f"/api/v1/orders/{renewal.json()['id']}", headers=api.key(token)
    ).json()
    assert first["covers_from"] == before["starts_on"]
    assert first["covers_until"] == before["ends_on"] == renewed["covers_from"]  # contiguous
    assert renewed["covers_until"] == after["ends_on"]

    other_edition = place(api, token, "renew", edition="qs_micro_basic", units=1)
    assert other_edition.status_code == 422, other_edition.text
    assert other_edition.json()["field"] == "edition"


def test_an_edition_with_a_minimum_term_refuses_a_shorter_order(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    minimum = catalogue_edition(api, token, "qs_enterprise_min_term")["minimum_units"]
    assert minimum == 24  # 企业起订版: at least 24 months

    short = place(api, token, edition="qs_enterprise_min_term", units=12)

    assert short.status_code == 422, short.text
    assert short.json()["code"] == "invalid_value" and short.json()["field"] == "units"
    assert "24" in short.json()["detail"]
    enough = place(api, token, edition="qs_enterprise_min_term", units=24)
    assert enough.status_code == 201 and enough.json()["amount_fen"] == 24 * 10000


def test_an_upgrade_charges_the_prorated_difference_and_keeps_the_period(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    buy(api, token, "qs_micro_entry", units=3)
    before = subscription(api, token)
    current = catalogue_edition(api, token, "qs_micro_entry")
    target = catalogue_edition(api, token, "qs_merchant_basic")

    placed = place(api, token, "upgrade", edition="qs_merchant_basic")

    assert placed.status_code == 201, placed.text
    # the price difference over the 3 paid months, of which the unused days' share (down)
    difference = (target["price_fen"] - current["price_fen"]) * 3
    total = days(before["starts_on"], before["ends_on"])
    remaining = days(shanghai_today().isoformat(), before["ends_on"])
    assert placed.json()["amount_fen"] == difference * remaining // total
    assert placed.json()["lines"][0]["quantity"] == remaining
    pay_and_confirm(api, token, placed.json()["id"])
    after = subscription(api, token)
    assert after["edition"] == "qs_merchant_basic" and after["status"] == "active"
    assert (after["starts_on"], after["ends_on"]) == (before["starts_on"], before["ends_on"])
    assert usage(after) == {quota: (limit, 0) for quota, limit in target["quotas"].items()}
    assert usage(after)["campaigns_per_month"] == (4, 0)


def test_a_downgrade_is_refused_and_an_upgrade_stays_within_its_product_line(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    buy(api, token, "qs_merchant_entry", units=1)
    positions = api.event_positions()

    down = place(api, token, "upgrade", edition="qs_micro_entry")
    same = place(api, token, "upgrade", edition="qs_merchant_entry")
    cross = place(api, token, "upgrade", edition="scrm_advanced")
    second = place(api, token, "new", edition="qs_micro_entry", units=1)

    assert down.status_code == 409, down.text
    assert down.json()["code"] == "state_conflict" and "downgrade" in down.json()["detail"]
    assert same.status_code == 409 and same.json()["code"] == "state_conflict"
    assert cross.status_code == 422, cross.text
    assert cross.json()["field"] == "edition"
    assert second.status_code == 409, second.text  # one subscription per line: renew/upgrade
    assert api.event_positions() == positions
    assert subscription(api, token)["edition"] == "qs_merchant_entry"


def test_an_upgrade_priced_before_a_renewal_does_not_reach_the_renewed_months(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    buy(api, token, "qs_micro_entry", units=1)
    upgrade = place(api, token, "upgrade", edition="qs_enterprise_entry").json()
    assert upgrade["amount_fen"] <= 12000 - 1000  # one month's difference at most
    buy(api, token, "qs_micro_entry", units=12, kind="renew")  # 13 months now

    paid = api.client.post(
        f"/api/v1/admin/orders/{upgrade['id']}/confirm-payment", headers={**api.staff(), **RYW}
    )

    # the payment is recorded, but one month's difference does not buy thirteen
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["paid_fen"]) == ("paid", upgrade["amount_fen"])
    held = subscription(api, token)
    assert held["edition"] == "qs_micro_entry"
    assert held["ends_on"] == months_after(date.fromisoformat(held["starts_on"]), 13).isoformat()
