"""A flow's wait is a durable timer (FLOW-5, issue 19 "Tests that must exist"): a lead
tagged into "wait 3 days, then tag and score" is parked on a huoke that is then closed;
started again 2 days later nothing fires, started again at the third day's due moment
the flow worker fires the wait once, and the run's steps show it ended when due.

Each huoke here is a fresh `Runtime` over the same storage whose clock the test sets
before it starts (`running`), on both backends; its flow worker thread runs a round as
soon as it starts, and the test runs rounds of its own to see what a round finds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from dependency_injector import providers
from litestar.testing import TestClient

from application.flows.waking import Waking
from application.shared.context import RequestContext, acting
from entrypoints.container import Runtime
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.conftest import Api
from tests.e2e.billing_support import FakeClock
from tests.settling import settle

TAGGED_AT = datetime(2027, 3, 1, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
RYW = {"Prefer": "read-your-writes"}
GRAPH = {
    "start": "wait",
    "nodes": [
        {"id": "wait", "kind": "wait", "amount": 3, "unit": "days", "next": "later"},
        {"id": "later", "kind": "add_tag", "tag": "三天后", "next": "points"},
        {"id": "points", "kind": "add_score", "points": 7, "next": "end"},
        {"id": "end", "kind": "end"},
    ],
}


@contextmanager
def running(settings: Settings, clock: FakeClock) -> Iterator[Api]:
    """A huoke over `settings`' storage at `clock`'s time (its worker threads running)."""
    runtime = Runtime(replace(settings, scheduler_interval_seconds=3600))
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


def flow_round(api: Api) -> int:
    """One more round of the flow worker, as its thread runs them: how many runs it woke."""
    waking: Waking = api.runtime.container.flow_waking()
    with acting(RequestContext(request_id="test-flow-round")):
        return waking.run_once().woken


def waiting_rows(api: Api, token: str, flow_id: str) -> list[dict[str, Any]]:
    """The flow's waiting runs once the read model lists them (the worker reads it)."""
    deadline = time.monotonic() + 10
    while True:
        listed = api.client.get(
            f"/api/v1/flows/{flow_id}/enrolments",
            params={"status": "waiting"},
            headers=api.key(token),
        ).json()["items"]
        if listed or time.monotonic() > deadline:
            return list(listed)
        time.sleep(0.05)


def path_of(api: Api, token: str, flow_id: str, lead_id: str, *, steps: int = 0) -> dict[str, Any]:
    """The lead's path through the flow, once its steps (read model) number `steps`."""
    deadline = time.monotonic() + 10
    while True:
        answer = api.client.get(
            f"/api/v1/flows/{flow_id}/enrolments/{lead_id}", headers=api.key(token)
        )
        assert answer.status_code == 200, answer.text
        if len(answer.json()["steps"]) >= steps or time.monotonic() > deadline:
            return dict(answer.json())
        time.sleep(0.05)


def times_tagged(api: Api, token: str, lead_id: str, tag: str) -> int:
    """How often the lead's event history says `tag` was added."""
    history = api.client.get(f"/api/v1/history/{lead_id}", headers=api.key(token)).json()
    return sum(1 for e in history if e["type"] == "leads.Lead.Tagged" and tag in e["data"]["tags"])


def test_a_three_day_wait_survives_restarts_and_fires_once_when_due(
    fresh_settings: Settings,
) -> None:
    clock = FakeClock(TAGGED_AT)
    with running(fresh_settings, clock) as api:
        tenant_id, token = api.tenant_with_key("tenant_admin")
        headers = {**api.key(token), **RYW}
        draft = api.client.post(
            "/api/v1/flows",
            json={
                "name": "三天后回访",
                "trigger": {"kind": "tag_added", "tag": "新注册"},
                "graph": GRAPH,
            },
            headers=headers,
        )
        assert draft.status_code == 201, draft.text
        flow_id = draft.json()["flow_id"]
        enabled = api.client.post(
            f"/api/v1/flows/{flow_id}/enable",
            headers={**headers, "If-Match": draft.headers["etag"]},
        )
        assert enabled.status_code == 200, enabled.text
        made = api.client.post(
            "/api/v1/leads", json={"name": "等待", "mobile": "13800139301"}, headers=headers
        )
        assert made.status_code == 201, made.text
        lead_id = made.json()["lead"]["id"]
        tagged = api.client.post(
            f"/api/v1/leads/{lead_id}/tags", json={"tags": ["新注册"]}, headers=headers
        )
        assert tagged.status_code == 200, tagged.text

        [row] = waiting_rows(api, token, flow_id)  # enrolled, parked at the wait
        due = datetime.fromisoformat(row["wake_at"])
        assert due == TAGGED_AT + timedelta(days=3)  # three days after the clock's now
        assert flow_round(api) == 0

    clock.move(days=2)
    with running(fresh_settings, clock) as api:
        assert flow_round(api) == 0  # not due: nothing fires
        waiting = path_of(api, token, flow_id, lead_id)
        assert (waiting["status"], waiting["at_node"], waiting["steps"]) == ("waiting", "wait", [])
        assert times_tagged(api, token, lead_id, "三天后") == 0

    clock.move(days=1)  # exactly the due moment
    with running(fresh_settings, clock) as api:  # its worker's first round fires the wait
        ended = path_of(api, token, flow_id, lead_id, steps=4)
        assert ended["status"] == "ended"
        settle(api.runtime)  # the read model the worker reads has the run's new state
        assert flow_round(api) == 0  # fired once: another round finds nothing due
        steps = [
            (s["node_id"], s["outcome"], datetime.fromisoformat(s["at"])) for s in ended["steps"]
        ]
        assert steps == [
            ("wait", "waited", due),  # the wait ended at its due moment, not before
            ("later", "done", due),
            ("points", "done", due),
            ("end", "ended", due),
        ]
        assert times_tagged(api, token, lead_id, "三天后") == 1
        score = api.runtime.container.scoring().lead_score(UUID(tenant_id), UUID(lead_id))
        assert score.behaviour_score == 7
