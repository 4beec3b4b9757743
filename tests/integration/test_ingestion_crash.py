"""Kill the ingestion during batches: every acknowledged event is stored exactly once
after a restart, on both backends (issue 15, "Tests that must exist").

A real `huoke serve` process takes Segment batches from several sending threads; it is
killed with SIGKILL while batches are in flight, started again on the same store, and
the senders retry whatever was not acknowledged, as the SDKs do. Then every message id
a sender sent is in the log exactly once: acknowledged ones were never lost, retried
ones never doubled, and nothing else is there.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from entrypoints.container import Runtime
from entrypoints.settings import Settings
from tests.integration.serve_process import Server, serving

SENDERS = 3
BATCH = 50


def _write_key(server: Server) -> tuple[str, str]:
    staff = {"Authorization": f"Bearer {server.staff_token}"}
    tenant = httpx.post(
        f"{server.url}/api/v1/admin/tenants",
        json={"name": "断电测试", "owner_name": "王", "owner_contact": "kill@acme.cn"},
        headers=staff,
    )
    assert tenant.status_code == 201, tenant.text
    tenant_id = tenant.json()["id"]
    key = httpx.post(
        f"{server.url}/api/v1/admin/tenants/{tenant_id}/api-keys",
        json={"name": "admin", "roles": ["tenant_admin"]},
        headers=staff,
    )
    assert key.status_code == 201, key.text
    source = httpx.post(
        f"{server.url}/api/v1/tracking/sources",
        json={"name": "server", "kind": "server"},
        headers={"Authorization": f"Bearer {key.json()['token']}"},
    )
    assert source.status_code == 201, source.text
    return tenant_id, source.json()["write_key"]


@dataclass
class Sender:
    """Sends batches of fresh message ids; retries a batch until it is acknowledged."""

    url: str
    write_key: str
    sent: set[str] = field(default_factory=set)
    acknowledged: set[str] = field(default_factory=set)
    retried_batches: int = 0
    unexpected: list[str] = field(default_factory=list)  # answers no sender should get

    def run(self, stop: threading.Event) -> None:
        auth = "Basic " + base64.b64encode(f"{self.write_key}:".encode()).decode()
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while not stop.is_set():
                batch = [
                    {"type": "track", "event": "下单", "anonymousId": "a1",
                     "messageId": str(uuid.uuid4()), "properties": {"n": i}}
                    for i in range(BATCH)
                ]  # fmt: skip
                ids = {message["messageId"] for message in batch}
                self.sent |= ids
                attempts = 0
                while True:  # like the SDKs: retry until answered (here: forever)
                    attempts += 1
                    try:
                        answer = client.post(
                            "/v1/batch", json={"batch": batch}, headers={"Authorization": auth}
                        )
                        if answer.status_code == 200:
                            self.acknowledged |= ids
                            break
                        if answer.status_code not in (429, 502, 503):
                            self.unexpected.append(f"{answer.status_code} {answer.text}")
                            return
                    except httpx.HTTPError:
                        pass  # the server is down: try again shortly
                    time.sleep(0.05)
                if attempts > 1:
                    self.retried_batches += 1


def _stored_message_ids(settings: Settings, tenant_id: str) -> list[str]:
    runtime = Runtime(settings)
    try:
        log = runtime.container.behaviours()
        ids: list[str] = []
        after = 0
        while rows := log.behaviours_of(uuid.UUID(tenant_id), after=after, limit=1000):
            ids += [row.message_id for row in rows]
            after = rows[-1].position
        return ids
    finally:
        runtime.close()


def test_acknowledged_events_survive_a_kill_exactly_once(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    settings = fresh_settings
    with serving(settings, tmp_path) as server:
        tenant_id, write_key = _write_key(server)
        senders = [Sender(server.url, write_key) for _ in range(SENDERS)]
        stop = threading.Event()
        threads = [threading.Thread(target=s.run, args=(stop,)) for s in senders]
        for thread in threads:
            thread.start()
        for _ in range(2):  # twice, each while batches are in flight
            deadline = time.monotonic() + 30
            before = sum(len(s.acknowledged) for s in senders)
            while sum(len(s.acknowledged) for s in senders) < before + 20 * BATCH:
                assert time.monotonic() < deadline, "no progress before the kill"
                time.sleep(0.01)
            server.kill()
            time.sleep(0.3)  # senders find the server gone and keep retrying
            server.start()
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)

    stored = _stored_message_ids(settings, tenant_id)
    sent = set().union(*(s.sent for s in senders))
    acknowledged = set().union(*(s.acknowledged for s in senders))
    assert [answer for s in senders for answer in s.unexpected] == []
    assert acknowledged == sent  # every batch was eventually acknowledged
    assert len(stored) == len(set(stored)), "an event was stored twice"
    assert set(stored) == sent
    assert sum(s.retried_batches for s in senders) > 0  # the kills did hit batches in flight
    if settings.database_url:  # no row outside the month partitions
        with psycopg.connect(settings.database_url) as connection:
            stray = connection.execute("SELECT count(*) FROM behaviours_default").fetchone()
        assert stray == (0,)
