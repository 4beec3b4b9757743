"""The billing back office: refund tickets approved or rejected by the right staff, and
searching orders, subscriptions, refunds and security incidents (BIL-2, BIL-5, BIL-6)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.conftest import Api
from tests.e2e.billing_support import (
    RYW,
    buy,
    days,
    enrol_staff,
    every_page,
    place,
    shanghai_today,
    subscription,
)
from tests.e2e.routes import api_routes


def request_refund(api: Api, token: str, order_id: str, reason: str = "不再需要") -> Any:
    return api.client.post(
        "/api/v1/refunds",
        json={"order_id": order_id, "reason": reason},
        headers={**api.key(token), **RYW},
    )


def test_billing_staff_approve_a_refund_within_what_was_paid(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    order = buy(api, token, "qs_micro_entry", units=3)

    ticket = request_refund(api, token, order["id"], "门店关闭")

    assert ticket.status_code == 201, ticket.text
    refund = ticket.json()
    assert refund["status"] == "requested" and refund["order_id"] == order["id"]
    remaining = days(shanghai_today().isoformat(), order["covers_until"])
    total = days(order["covers_from"], order["covers_until"])
    assert refund["proposed_fen"] == order["paid_fen"] * remaining // total
    assert 0 < refund["proposed_fen"] <= order["paid_fen"] == 3000

    marketer = api.new_key(tenant_id, "marketer")
    ids = {"refund_id": refund["id"], "order_id": order["id"], "tenant_id": tenant_id}
    ids |= {"subscription_id": subscription(api, token)["id"], "aggregate_id": order["id"]}
    ids["staff_id"] = str(uuid.uuid4())
    admin_reads = [r for r in api_routes(api.client.app) if r.is_admin and r.method == "GET"]
    assert len(admin_reads) >= 8
    for route in admin_reads:
        refused = api.client.get(route.url(ids), headers=api.key(marketer))
        assert refused.status_code == 403, (route.path, refused.text)
        assert refused.json()["code"] == "permission_denied"

    _, auditor = enrol_staff(api, "auditor")
    listed = api.client.get(
        "/api/v1/admin/refunds", params={"tenant_id": tenant_id}, headers=api.staff(auditor)
    )
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [refund["id"]]
    approve = f"/api/v1/admin/refunds/{refund['id']}/approve"
    assert api.client.post(approve, json={}, headers=api.staff(auditor)).status_code == 403

    billing_id, billing = enrol_staff(api, "billing")
    positions = api.event_positions()
    too_much = api.client.post(approve, json={"amount_fen": 3001}, headers=api.staff(billing))
    assert too_much.status_code == 422 and too_much.json()["field"] == "amount_fen"
    unexplained = api.client.post(
        approve, json={"amount_fen": refund["proposed_fen"] - 1}, headers=api.staff(billing)
    )
    assert unexplained.status_code == 422 and unexplained.json()["field"] == "override_reason"
    assert api.event_positions() == positions

    approved = api.client.post(
        approve,
        json={},
        headers={**api.staff(billing), **RYW, "X-Reason": "shop closed; prorated refund approved"},
    )

    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "refunded"
    assert approved.json()["amount_fen"] == refund["proposed_fen"]
    refunded = api.client.get(f"/api/v1/orders/{order['id']}", headers=api.key(token)).json()
    assert refunded["status"] == "refunded"
    assert refunded["refunded_fen"] == refund["proposed_fen"]
    assert subscription(api, token)["status"] == "cancelled"
    history = api.client.get(f"/api/v1/admin/history/{refund['id']}", headers=api.staff())
    steps = {entry["type"]: entry for entry in history.json()}
    assert list(steps) == [
        "tenancy.Refund.Requested",
        "tenancy.Refund.Approved",
        "tenancy.Refund.Completed",
    ]
    assert steps["tenancy.Refund.Requested"]["actor"]["kind"] == "api_key"
    for step in ("tenancy.Refund.Approved", "tenancy.Refund.Completed"):
        assert steps[step]["actor"] == {"kind": "staff", "id": billing_id, "tenant_id": None}
        assert steps[step]["reason"] == "shop closed; prorated refund approved"


def test_another_amount_is_refunded_only_with_a_recorded_reason(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    order = buy(api, token, "qs_micro_entry", units=3)
    refund = request_refund(api, token, order["id"]).json()

    approved = api.client.post(
        f"/api/v1/admin/refunds/{refund['id']}/approve",
        json={"amount_fen": 1000, "override_reason": "客户仅退一个月"},
        headers={**api.staff(), **RYW},
    )

    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["amount_fen"]) == ("refunded", 1000)
    shown = api.client.get(f"/api/v1/orders/{order['id']}", headers=api.key(token)).json()
    assert shown["refunded_fen"] == 1000 and shown["paid_fen"] == 3000
    history = api.client.get(f"/api/v1/history/{refund['id']}", headers=api.key(token)).json()
    approval = next(e for e in history if e["type"] == "tenancy.Refund.Approved")
    assert approval["data"] == {"amount_fen": 1000, "override_reason": "客户仅退一个月"}
    again = request_refund(api, token, order["id"])
    assert again.status_code == 409  # refunded once: nothing more goes back


def test_a_rejected_refund_leaves_the_order_delivered_and_the_service_running(
    api: Api,
) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    order = buy(api, token, "qs_micro_entry", units=1)
    refund = request_refund(api, token, order["id"]).json()
    refunding = api.client.get(f"/api/v1/orders/{order['id']}", headers=api.key(token))
    assert refunding.json()["status"] == "refunding"

    rejected = api.client.post(
        f"/api/v1/admin/refunds/{refund['id']}/reject",
        json={"reason": "服务已使用"},
        headers={**api.staff(), **RYW},
    )

    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    shown = api.client.get(f"/api/v1/orders/{order['id']}", headers=api.key(token)).json()
    assert (shown["status"], shown["refunded_fen"]) == ("delivered", 0)
    assert subscription(api, token)["status"] == "active"
    renewal = place(api, token, "renew", edition="qs_micro_entry", units=1)
    assert renewal.status_code == 201, renewal.text  # the service goes on
    assert request_refund(api, token, order["id"]).status_code == 201  # may ask again


def test_staff_search_orders_subscriptions_and_refunds_page_by_page(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    _, neighbour = api.tenant_with_key("tenant_admin")
    buy(api, neighbour, "qs_micro_entry")
    delivered = [
        buy(api, token, "qs_micro_entry", units=1)["id"],
        buy(api, token, "qs_micro_entry", units=2, kind="renew")["id"],
        buy(api, token, "scrm_advanced", units=1)["id"],
    ]
    unpaid = place(api, token, "renew", edition="qs_micro_entry", units=1).json()["id"]
    staff = api.staff()

    orders = every_page(
        api, "/api/v1/admin/orders", staff, tenant_id=tenant_id, status="delivered", limit=1
    )
    assert orders == delivered[::-1]  # newest first
    created = every_page(api, "/api/v1/admin/orders", staff, tenant_id=tenant_id, status="created")
    assert created == [unpaid]
    subscriptions = every_page(
        api, "/api/v1/admin/subscriptions", staff, tenant_id=tenant_id, limit=1
    )
    assert len(subscriptions) == 2
    assert {subscription(api, token, line)["id"] for line in ("quick_sell", "scrm")} == set(
        subscriptions
    )
    active = {"tenant_id": tenant_id, "status": "active"}
    assert len(every_page(api, "/api/v1/admin/subscriptions", staff, **active)) == 2
    expired = {"tenant_id": tenant_id, "status": "expired"}
    assert every_page(api, "/api/v1/admin/subscriptions", staff, **expired) == []

    refunds = [request_refund(api, token, order_id).json()["id"] for order_id in delivered[1:]]
    requested = {"tenant_id": tenant_id, "status": "requested", "limit": 1}
    assert every_page(api, "/api/v1/admin/refunds", staff, **requested) == refunds[::-1]
    api.client.post(
        f"/api/v1/admin/refunds/{refunds[0]}/reject",
        json={"reason": "续订期内不退"},
        headers={**staff, **RYW},
    )
    rejected = {"tenant_id": tenant_id, "status": "rejected"}
    assert every_page(api, "/api/v1/admin/refunds", staff, **rejected) == [refunds[0]]
    assert every_page(api, "/api/v1/admin/refunds", staff, **requested) == [refunds[1]]
    mine = api.client.get("/api/v1/orders", params={"limit": 100}, headers=api.key(token))
    assert {item["id"] for item in mine.json()["items"]} == {*delivered, unpaid}


def test_a_forged_payment_notification_is_refused_and_listed_as_an_incident(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    order = place(api, token, edition="qs_micro_entry", units=1).json()
    incidents = "/api/v1/admin/security-incidents"
    known = set(every_page(api, incidents, api.staff(), limit=100))
    body = json.dumps(
        {
            "order_number": order["number"],
            "transaction_id": f"T{uuid.uuid4().hex}",
            "amount_fen": 1000,
        }
    ).encode()
    forged = {"Content-Type": "application/json", "X-Sandbox-Signature": "0" * 64, **RYW}

    refused = api.client.post("/callbacks/payments/sandbox", content=body, headers=forged)

    assert refused.status_code == 401, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "unauthenticated"
    shown = api.client.get(f"/api/v1/orders/{order['id']}", headers=api.key(token)).json()
    assert shown["status"] == "created" and shown["paid_fen"] == 0
    listed = api.client.get(incidents, params={"limit": 100}, headers=api.staff()).json()["items"]
    new = [item for item in listed if item["id"] not in known]
    assert [(item["kind"], item["source"]) for item in new] == [
        ("payment_notification_forged", "sandbox")
    ]

    signature = api.runtime.container.gateways()["sandbox"].sign(body)
    signed = {**forged, "X-Sandbox-Signature": signature}
    for _ in range(2):  # a replayed notification changes nothing
        accepted = api.client.post("/callbacks/payments/sandbox", content=body, headers=signed)
        assert accepted.status_code == 200 and accepted.json() == {"status": "ok"}
    paid = api.client.get(f"/api/v1/orders/{order['id']}", headers=api.key(token)).json()
    assert paid["status"] == "delivered" and paid["paid_fen"] == 1000
    history = api.client.get(f"/api/v1/history/{order['id']}", headers=api.key(token)).json()
    assert [e["type"] for e in history].count("tenancy.Order.Paid") == 1
