"""Payment providers are outside the per-client rate limit (ADR 0011): with the default
settings, a provider that repeats one genuine notification a thousand times from one
address gets 2xx every time, the order is paid once, and the next order's notification
from the same address is still applied."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, replace

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from application.shared.context import RequestContext, acting
from entrypoints.container import Runtime, migrate
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.integration.payment_servers import provider_server
from tests.integration.provider_sides import SIDES
from tests.integration.test_payment_notifications import PRICE_FEN, World

REPLAYS = 1_000
DEFAULT_RATE = next(f.default for f in fields(Settings) if f.name == "rate_limit_per_minute")


@pytest.fixture
def world(fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """WeChat Pay (the provider that was refused) talking to a huoke with the default rate
    limit, not the suite's raised one."""
    assert isinstance(DEFAULT_RATE, int) and DEFAULT_RATE < REPLAYS
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    settings = replace(fresh_settings, rate_limit_per_minute=DEFAULT_RATE, auto_migrate=False)
    notify = settings.public_url + "/callbacks/payments/"
    with provider_server() as server:
        gateways = {name: side.gateway(server.url, notify + name) for name, side in SIDES.items()}
        migrate(settings)
        runtime = Runtime(settings)
        runtime.container.gateways.override(providers.Object(gateways))
        try:
            runtime.start()
            with acting(RequestContext(request_id="test-bootstrap")):
                enrolled = runtime.container.tenancy().enrol_first_admin("root@huoke.test")
            assert enrolled is not None and enrolled.token
            side = SIDES["wechatpay"]
            server.answer = side.answers(refuse_refunds=False)
            staff = {"Authorization": f"Bearer {enrolled.token}"}
            with TestClient(create_app(runtime, close_runtime_on_shutdown=False)) as client:
                yield World(client, staff, side, server)
        finally:
            runtime.close()


def test_a_thousand_replays_from_one_address_all_answer_2xx_and_pay_once(world: World) -> None:
    order, headers = world.paying_order()
    paid = world.side.notification(order["number"], PRICE_FEN)

    statuses = [world.post(paid).status_code for _ in range(REPLAYS)]

    assert statuses.count(429) == 0
    assert set(statuses) == {200}, sorted(set(statuses))
    assert world.events(order["id"], headers).count("tenancy.Order.Paid") == 1
    assert world.status(order, headers) == "delivered"
    # the next order's notification, from the same address right after, is applied
    second, second_headers = world.paying_order()
    answer = world.post(world.side.notification(second["number"], PRICE_FEN))
    assert world.side.acknowledged(answer), answer.text
    assert world.status(second, second_headers) == "delivered"


def test_the_api_itself_stays_rate_limited(world: World) -> None:
    """The exemption is for callbacks only: the same client is still limited on `/api`."""
    answers = [world.client.get("/api/v1/tenant") for _ in range(DEFAULT_RATE + 1)]
    assert answers[-1].status_code == 429, answers[-1].text
    assert int(answers[-1].headers["retry-after"]) >= 1
