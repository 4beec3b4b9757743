"""Per-key rate limiting answers 429 problem+json; other keys are unaffected."""

from __future__ import annotations

from dataclasses import replace

from litestar.testing import TestClient

from entrypoints.http.app import create_app
from tests.conftest import Api


def test_a_key_over_its_rate_is_refused_with_429(api: Api) -> None:
    runtime = api.runtime
    limited = replace(runtime.settings, rate_limit_per_minute=5)
    original, runtime.settings = runtime.settings, limited
    try:
        app = create_app(runtime, close_runtime_on_shutdown=False)
    finally:
        runtime.settings = original
    _, busy = api.tenant_with_key("tenant_admin")
    _, quiet = api.tenant_with_key("tenant_admin")
    with TestClient(app) as client:
        codes = [client.get("/api/v1/tenant", headers=api.key(busy)).status_code for _ in range(7)]
        refused = client.get("/api/v1/tenant", headers=api.key(busy))
        other = client.get("/api/v1/tenant", headers=api.key(quiet))
    assert codes[:5] == [200] * 5 and 429 in codes[5:]
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "rate_limited"
    # when the key's one-minute window starts over: a client can wait exactly that long
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    reset = int(refused.headers["ratelimit-reset"])
    assert refused.headers["retry-after"] == str(max(1, reset))
    assert other.status_code == 200
