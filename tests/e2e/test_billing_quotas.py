"""Plan quotas (TEN-3) as a consuming command meets them. Campaigns do not exist yet, so
a tiny stand-in "publish" route consumes `campaigns_per_month` through the billing
application and answers errors with the API's own exception handlers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from litestar import Litestar, post
from litestar.testing import TestClient

from domain.tenancy.subscription import SubscriptionInactive
from domain.tenancy.usage import QuotaExceeded
from entrypoints.container import Runtime
from entrypoints.http.problems import EXCEPTION_HANDLERS
from tests.conftest import Api
from tests.e2e.billing_support import SHANGHAI, buy, subscription, usage

QUOTA = "campaigns_per_month"


@pytest.fixture
def publisher(runtime: Runtime) -> Iterator[TestClient[Any]]:
    """A fake campaign service: publishing one campaign consumes one of the month's."""
    quotas = runtime.container.billing().quotas

    @post("/campaigns/{tenant_id:uuid}/publish", sync_to_thread=True)
    def publish(tenant_id: UUID) -> dict[str, str]:
        reference = f"campaign:{uuid4()}"
        quotas.consume_quota(tenant_id, QUOTA, 1, reference)
        return {"published": reference}

    with TestClient(Litestar([publish], exception_handlers=EXCEPTION_HANDLERS)) as client:
        yield client


def test_publishing_beyond_the_monthly_quota_is_refused_naming_quota_and_limit(
    api: Api, publisher: TestClient[Any]
) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    buy(api, token, "qs_micro_entry", units=1)  # 2 campaigns per month

    published = [publisher.post(f"/campaigns/{tenant_id}/publish") for _ in range(2)]
    third = publisher.post(f"/campaigns/{tenant_id}/publish")

    assert [answer.status_code for answer in published] == [201, 201]
    assert third.status_code == 429, third.text
    assert third.headers["content-type"].startswith("application/problem+json")
    problem = third.json()
    assert problem["code"] == "quota_exceeded"
    assert (problem["quota"], problem["limit"], problem["used"]) == (QUOTA, 2, 2)
    assert QUOTA in problem["detail"]
    shown = subscription(api, token)
    assert usage(shown)[QUOTA] == (2, 2)
    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    assert next(u["period"] for u in shown["usage"] if u["quota"] == QUOTA) == month
    assert usage(shown)["card_seats"] == (10, 0)  # other quotas untouched


def test_a_tenant_without_a_subscription_in_service_cannot_publish(
    api: Api, publisher: TestClient[Any]
) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    positions = api.event_positions()

    refused = publisher.post(f"/campaigns/{tenant_id}/publish")

    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "subscription_inactive"
    assert refused.json()["field"] == QUOTA
    assert api.event_positions() == positions
    trial = api.client.post(
        "/api/v1/subscription/trials", json={"edition": "qs_micro_entry"}, headers=api.key(token)
    )
    assert trial.status_code == 201, trial.text
    assert publisher.post(f"/campaigns/{tenant_id}/publish").status_code == 201  # trials work


def test_concurrent_consumers_never_pass_the_limit(api: Api, runtime: Runtime) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    buy(api, token, "qs_micro_entry", units=1)
    quotas = runtime.container.billing().quotas
    start = threading.Barrier(10)
    outcomes: list[str] = []

    def consume(n: int) -> None:
        start.wait()
        try:
            quotas.consume_quota(UUID(tenant_id), QUOTA, 1, f"campaign:{n}")
            outcomes.append("published")
        except QuotaExceeded as refusal:
            outcomes.append(f"refused at {refusal.used}/{refusal.limit}")
        except Exception as error:  # anything else is a failure of the test
            outcomes.append(repr(error))

    threads = [threading.Thread(target=consume, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["published"] * 2 + ["refused at 2/2"] * 8
    assert usage(subscription(api, token))[QUOTA] == (2, 2)
    with pytest.raises(QuotaExceeded):
        quotas.check_quota(UUID(tenant_id), QUOTA)
    with pytest.raises(SubscriptionInactive):
        quotas.check_quota(uuid4(), QUOTA)  # nobody's subscription
