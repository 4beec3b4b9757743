"""Sign-in throttling by address: the eleventh attempt in five minutes is refused before
any password is checked, with Retry-After; other addresses are not affected."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from entrypoints.http.app import create_app
from entrypoints.web.logins.throttle import SignInThrottle
from tests.conftest import Api

_TOKEN = re.compile(r'name="_csrf" value="([^"]+)"')


def test_the_address_throttle_answers_429_with_retry_after(api: Api) -> None:
    app = create_app(api.runtime, close_runtime_on_shutdown=False)
    app.state.sign_in_throttle = SignInThrottle(attempts=3, window=300)
    with TestClient(app) as client:
        token = _TOKEN.search(client.get("/console/sign-in").text)
        assert token
        form = {"_csrf": token.group(1), "identifier": "x@acme.cn", "password": "whatever-1"}
        statuses = [client.post("/console/sign-in", data=form).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        refused = client.post("/console/sign-in", data=form)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert "text/html" in refused.headers["content-type"]


def test_the_throttle_counts_per_address_and_forgets_after_the_window() -> None:
    throttle = SignInThrottle(attempts=2, window=0.2)
    assert throttle.admit("10.0.0.1") is None
    assert throttle.admit("10.0.0.1") is None
    assert throttle.admit("10.0.0.1") is not None
    assert throttle.admit("10.0.0.2") is None
    import time

    time.sleep(0.25)
    assert throttle.admit("10.0.0.1") is None
