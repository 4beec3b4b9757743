"""A context registered only through its manifest is migrated, checked by /readyz,
documented in OpenAPI and walked by the isolation checks; its policy creates each
downstream record exactly once even when it dies in the middle of a batch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from eventsourcing.persistence import Tracking
from litestar.testing import TestClient

from adapters.persistence.runners import catch_up
from application.shared.context import RequestContext, acting
from application.tenancy.commands import RegisterTenant
from entrypoints.container import Runtime, migrate
from entrypoints.http.app import create_app
from entrypoints.registry import CONTEXTS
from entrypoints.settings import Settings
from tests.e2e.probe_context import PROBE, Greeting, WelcomeTenants

WITH_PROBE = (*CONTEXTS, PROBE)
OPERATOR = RequestContext(request_id="test-registry")


@pytest.fixture
def probe_runtime(fresh_settings: Settings) -> Iterator[Runtime]:
    runtime = Runtime(fresh_settings, WITH_PROBE).start()
    yield runtime
    runtime.close()


def test_migrate_creates_the_probe_contexts_tables(fresh_settings: Settings) -> None:
    created = migrate(replace(fresh_settings, auto_migrate=False), WITH_PROBE)

    assert {"probe", "probe_greetings", "probe_welcomes", "operation_log"} <= set(created)
    assert "probe" not in migrate(fresh_settings)  # only registered contexts are migrated


def test_readyz_openapi_and_the_isolation_walk_include_the_probe(probe_runtime: Runtime) -> None:
    with TestClient(create_app(probe_runtime, close_runtime_on_shutdown=False)) as client:
        checks = client.get("/readyz").json()["checks"]
        schema = client.get("/schema/openapi.json").json()
        staff = _staff_token(probe_runtime)
        owner, intruder = (_tenant_key(client, staff, name) for name in ("甲公司", "乙公司"))
        written = client.post(
            "/api/v1/probe-greetings", json={"text": "你好"}, headers=_bearer(owner)
        )
        greeting_id = written.json()["id"]
        mine = client.get(f"/api/v1/probe-greetings/{greeting_id}", headers=_bearer(owner))
        theirs = client.get(f"/api/v1/probe-greetings/{greeting_id}", headers=_bearer(intruder))

    assert checks["probe"] == checks["probe_greetings"] == checks["probe_welcomes"] == "ok"
    assert {"/api/v1/probe-greetings", "/api/v1/probe-greetings/{greeting_id}"} <= set(
        schema["paths"]
    )
    assert "probe" in {tag["name"] for tag in schema["tags"]}
    assert written.status_code == 201 and mine.status_code == 200, mine.text
    assert mine.json()["text"] == "你好"
    assert theirs.status_code == 404


def test_the_isolation_route_catalogue_lists_the_probe_routes(probe_runtime: Runtime) -> None:
    from tests.e2e.routes import api_routes

    app = create_app(probe_runtime, close_runtime_on_shutdown=False)
    paths = {(route.method, route.path) for route in api_routes(app)}

    assert ("GET", "/api/v1/probe-greetings/{greeting_id}") in paths
    assert ("POST", "/api/v1/probe-greetings") in paths


def test_a_policy_killed_mid_batch_greets_each_tenant_exactly_once(
    fresh_settings: Settings,
) -> None:
    runtime = Runtime(replace(fresh_settings, in_process_projections=False), WITH_PROBE).start()
    try:
        with acting(OPERATOR):
            tenants = [
                runtime.container.tenancy().register_tenant(
                    RegisterTenant(name=f"公司{n}", owner_name="李", owner_contact="li@acme.cn")
                )
                for n in range(12)
            ]
        # The policy dies on the 8th event of its first batch: 7 greetings are committed,
        # the batch's tracking position is not.
        view = runtime.container.infrastructure().open_view(WelcomeTenants)
        dying = _DyingWelcome(view, greetings=runtime.container.probe(), after=7)
        with pytest.raises(RuntimeError, match="killed"):
            catch_up(dying, view, runtime.container.tenancy())
        assert view.max_tracking_id("tenancy") is None
        assert len(_welcomes(runtime)) == 7
        # Restarted (the runner of a new process), it sees the whole batch again.
        runtime.start_workers()
        _until(lambda: view.max_tracking_id("tenancy") == _head(runtime, "tenancy"))
        _until(lambda: probe_rows(runtime) == len(tenants))
        welcomes = _welcomes(runtime)
    finally:
        runtime.close()

    assert sorted(w.tenant_id for w in welcomes) == sorted(t.id for t in tenants)


class _DyingWelcome(WelcomeTenants):
    def __init__(self, view: Any, *, greetings: Any, after: int) -> None:
        super().__init__(view, greetings=greetings)
        self.left = after

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if self.left == 0:
            raise RuntimeError("killed")
        self.left -= 1
        super().process_event(domain_event, tracking)


def _welcomes(runtime: Runtime) -> list[Greeting]:
    greetings = runtime.container.probe()
    notifications = greetings.recorder.select_notifications(start=1, limit=1000)
    ids = {n.originator_id for n in notifications if n.topic == "probe.Greeting.Written"}
    return [greetings.repository.get(greeting_id) for greeting_id in ids]


def probe_rows(runtime: Runtime) -> int:
    view = runtime.container.probe_view()
    return int(view.rows("SELECT COUNT(*) AS n FROM probe_greetings")[0]["n"])


def _head(runtime: Runtime, name: str) -> int:
    return runtime.container.providers[name]().recorder.max_notification_id() or 0


def _until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the followers did not catch up"
        time.sleep(0.05)


def _staff_token(runtime: Runtime) -> str:
    with acting(OPERATOR):
        enrolled = runtime.container.tenancy().enrol_first_admin("root@huoke.test")
    assert enrolled is not None and enrolled.token
    return enrolled.token


def _tenant_key(client: TestClient[Any], staff: str, name: str) -> str:
    headers = {**_bearer(staff), "Prefer": "read-your-writes"}
    tenant = client.post(
        "/api/v1/admin/tenants",
        json={"name": name, "owner_name": "李雷", "owner_contact": "li@acme.cn"},
        headers=headers,
    )
    key = client.post(
        f"/api/v1/admin/tenants/{tenant.json()['id']}/api-keys",
        json={"name": "probe", "roles": ["marketer"]},
        headers=headers,
    )
    return str(key.json()["token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
