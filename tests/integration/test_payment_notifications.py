"""Duplicate, reordered and forged payment notifications (BIL-2) and refunds (BIL-3) through
the HTTP API, with the real WeChat Pay v3 and Alipay adapters talking to local provider
servers: one activation per order, none for a forged or mismatched notification."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from application.shared.context import RequestContext, acting
from entrypoints.container import Runtime, migrate
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.integration.payment_servers import ProviderServer, provider_server
from tests.integration.provider_sides import SIDES, STRANGER, Notification, ProviderSide

EDITION, PRICE_FEN = "qs_micro_entry", 1000  # from the catalogue in force


@dataclass
class World:
    client: TestClient[Any]
    staff: dict[str, str]
    side: ProviderSide
    server: ProviderServer

    def post(self, notification: Notification) -> Any:
        headers, body = notification
        return self.client.post(
            f"/callbacks/payments/{self.side.name}", content=body, headers=headers
        )

    def post_at_once(self, notification: Notification, copies: int) -> list[Any]:
        """`copies` deliveries of the same notification, released together from threads."""
        start = threading.Barrier(copies)

        def deliver(_: int) -> Any:
            start.wait()
            return self.post(notification)

        with ThreadPoolExecutor(max_workers=copies) as pool:
            return list(pool.map(deliver, range(copies)))

    def call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        answer = self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    def paying_order(self) -> tuple[dict[str, Any], dict[str, str]]:
        """A new tenant's new order whose payment was started with the provider."""
        owner = {"name": "Acme 科技", "owner_name": "李雷", "owner_contact": "li@acme.cn"}
        tenant = self.call("POST", "/admin/tenants", self.staff, json=owner)
        key = {"name": "billing", "roles": ["tenant_admin"]}
        issued = self.call("POST", f"/admin/tenants/{tenant['id']}/api-keys", self.staff, json=key)
        headers = {"Authorization": f"Bearer {issued['token']}"}
        order = self.call("POST", "/orders", headers, json={"kind": "new", "edition": EDITION})
        assert order["amount_fen"] == PRICE_FEN
        pay = {"provider": self.side.name, "channel": self.side.channel}
        paying = self.call("POST", f"/orders/{order['id']}/pay", headers, json=pay)
        assert paying["kind"] == self.side.instruction
        started = self.side.payment_started(paying["value"], self.server)
        assert started == (order["number"], self.side.amount_as_sent(PRICE_FEN))
        return order, headers

    def status(self, order: dict[str, Any], headers: dict[str, str]) -> str:
        return str(self.call("GET", f"/orders/{order['id']}", headers)["status"])

    def subscriptions(self, headers: dict[str, str]) -> list[dict[str, Any]]:
        return list(self.call("GET", "/subscription", headers)["subscriptions"])

    def events(self, record_id: str, headers: dict[str, str]) -> list[str]:
        return [entry["type"] for entry in self.call("GET", f"/history/{record_id}", headers)]

    def incidents(self, expected: int) -> list[tuple[str, str]]:
        """The security incidents, once the read model lists `expected` of them (or 5 s)."""
        deadline = time.monotonic() + 5
        while True:
            rows = self.call("GET", "/admin/security-incidents", self.staff)["items"]
            if len(rows) >= expected or time.monotonic() > deadline:
                return sorted((row["kind"], row["source"]) for row in rows)
            time.sleep(0.05)


@pytest.fixture(params=list(SIDES))
def world(
    request: pytest.FixtureRequest, fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    # requests and urllib would send 127.0.0.1 through a proxy configured in the environment.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    notify = fresh_settings.public_url + "/callbacks/payments/"
    with provider_server() as server:
        gateways = {name: side.gateway(server.url, notify + name) for name, side in SIDES.items()}
        # Tables first: projection workers creating them at once on a fresh PostgreSQL
        # database collide ("tuple concurrently updated") and restart a second later.
        migrate(fresh_settings)
        runtime = Runtime(replace(fresh_settings, auto_migrate=False))
        runtime.container.gateways.override(providers.Object(gateways))
        try:
            runtime.start()
            with acting(RequestContext(request_id="test-bootstrap")):
                enrolled = runtime.container.tenancy().enrol_first_admin("root@huoke.test")
            assert enrolled is not None and enrolled.token
            side = SIDES[request.param]
            server.answer = side.answers(refuse_refunds=False)
            staff = {"Authorization": f"Bearer {enrolled.token}"}
            with TestClient(create_app(runtime, close_runtime_on_shutdown=False)) as client:
                yield World(client, staff, side, server)
        finally:
            runtime.close()


def test_repeated_concurrent_and_reordered_notifications_activate_once(world: World) -> None:
    order, headers = world.paying_order()
    paid = world.side.notification(order["number"], PRICE_FEN)

    first = world.post(paid)

    assert world.side.acknowledged(first), first.text
    assert world.status(order, headers) == "delivered"
    [subscription] = world.subscriptions(headers)
    assert (subscription["status"], subscription["edition"]) == ("active", EDITION)
    assert world.side.acknowledged(world.post(paid))  # the provider retries: same answer
    repeats = world.post_at_once(paid, 3)
    assert all(world.side.acknowledged(answer) for answer in repeats), [r.text for r in repeats]
    for state in world.side.not_paid:  # reordered: a stale state arrives after the success
        late = world.post(world.side.notification(order["number"], PRICE_FEN, state))
        assert world.side.acknowledged(late), late.text
    order_events = world.events(order["id"], headers)
    assert order_events.count("tenancy.Order.Paid") == 1
    assert order_events[-1] == "tenancy.Order.Delivered"  # nothing after the first delivery
    assert world.status(order, headers) == "delivered"
    [subscription] = world.subscriptions(headers)
    assert world.events(subscription["id"], headers) == ["tenancy.Subscription.Started"]

    second, second_headers = world.paying_order()  # a stale state arrives first
    for state in world.side.not_paid:
        early = world.post(world.side.notification(second["number"], PRICE_FEN, state))
        assert world.side.acknowledged(early), early.text

    assert world.status(second, second_headers) == "created"
    assert world.subscriptions(second_headers) == []
    assert "tenancy.Order.Paid" not in world.events(second["id"], second_headers)
    # then its success, delivered three times at once: the copies race to pay the order
    answers = world.post_at_once(world.side.notification(second["number"], PRICE_FEN), 3)
    assert all(world.side.acknowledged(answer) for answer in answers), [a.text for a in answers]
    assert world.events(second["id"], second_headers).count("tenancy.Order.Paid") == 1
    assert world.status(second, second_headers) == "delivered"
    [subscription] = world.subscriptions(second_headers)
    assert world.events(subscription["id"], second_headers) == ["tenancy.Subscription.Started"]
    assert world.incidents(expected=0) == []


def test_refused_payments_and_notifications_activate_nothing_and_are_recorded(
    world: World,
) -> None:
    order, headers = world.paying_order()
    unusable = {"provider": world.side.name, "channel": world.side.unusable_channel}
    refused = world.client.post(f"/api/v1/orders/{order['id']}/pay", json=unusable, headers=headers)
    assert refused.status_code == 422, refused.text  # the payer's mistake, not a 500
    assert (refused.json()["code"], refused.json()["field"]) == ("invalid_input", "channel")
    forgeries = {
        "tampered": world.side.tampered(order["number"], PRICE_FEN),
        "another key": world.side.notification(order["number"], PRICE_FEN, key=STRANGER),
    }

    for name, forged in forgeries.items():
        answer = world.post(forged)
        assert answer.status_code == 401, (name, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "unauthenticated"
    mismatch = world.post(world.side.notification(order["number"], PRICE_FEN + 1))

    assert mismatch.status_code == 409, mismatch.text
    assert mismatch.headers["content-type"].startswith("application/problem+json")
    assert mismatch.json()["code"] == "amount_mismatch"
    assert world.status(order, headers) == "created"
    assert world.subscriptions(headers) == []
    placed = ["tenancy.Order.Placed", "tenancy.Order.PaymentStarted"]
    assert world.events(order["id"], headers) == placed
    assert world.incidents(expected=3) == [
        ("payment_amount_mismatch", world.side.name),
        ("payment_notification_forged", world.side.name),
        ("payment_notification_forged", world.side.name),
    ]
    # the genuine notification still pays the order that the refused ones left alone
    assert world.side.acknowledged(world.post(world.side.notification(order["number"], PRICE_FEN)))
    assert world.status(order, headers) == "delivered"


def test_a_refund_goes_through_the_provider_and_a_refused_one_can_be_retried(
    world: World,
) -> None:
    order, headers = world.paying_order()
    assert world.side.acknowledged(world.post(world.side.notification(order["number"], PRICE_FEN)))
    ask = {"order_id": order["id"], "reason": "不再使用"}
    refund_id = world.call("POST", "/refunds", headers, json=ask)["id"]
    refund_fen, sent_amount = 733, world.side.amount_as_sent(733)  # fen / "7.33" yuan
    world.server.answer = world.side.answers(refuse_refunds=True)
    calls = len(world.server.received)

    approve = {"amount_fen": refund_fen, "override_reason": "按实际使用天数协商"}
    failed = world.call("POST", f"/admin/refunds/{refund_id}/approve", world.staff, json=approve)

    assert failed["status"] == "failed"
    sent = [world.side.refund_sent(request) for request in world.server.received[calls:]]
    assert sent == [(failed["refund_number"], sent_amount)]
    assert world.status(order, headers) == "refunding"
    assert world.subscriptions(headers)[0]["status"] == "active"

    world.server.answer = world.side.answers(refuse_refunds=False)
    retried = world.call("POST", f"/admin/refunds/{refund_id}/retry", world.staff)

    assert (retried["status"], retried["amount_fen"]) == ("refunded", refund_fen)
    assert retried["provider_refund_id"]
    sent = [world.side.refund_sent(request) for request in world.server.received[calls:]]
    assert sent == [(failed["refund_number"], sent_amount)] * 2  # same number: refunded once
    finished = world.call("GET", f"/orders/{order['id']}", headers)
    assert (finished["status"], finished["refunded_fen"]) == ("refunded", refund_fen)
    assert world.subscriptions(headers)[0]["status"] == "cancelled"
    # WeChat Pay and Alipay may still repeat the payment notification after the refund
    again = world.post(world.side.notification(order["number"], PRICE_FEN))
    assert world.side.acknowledged(again), again.text
    assert world.events(order["id"], headers).count("tenancy.Order.Paid") == 1
    assert world.status(order, headers) == "refunded"
