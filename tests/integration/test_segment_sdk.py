"""Segment's own Python SDK (segment-analytics-python), pointed at huoke served on a real
port, sends identify, track, page and batches: every message reaches the behaviour log
of the write key's tenant exactly once, also when the SDK has to retry because the
server was down, and when it sends the same messages again (issue 15, "Tests that must
exist"). Both backends.

The server is uvicorn over the session's runtime, started and stopped by the test
(the browser suite's live server cannot be stopped and started again on its port).
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import pytest
import uvicorn
from segment.analytics.client import Client

from entrypoints.container import Runtime
from entrypoints.http.app import create_app
from tests.conftest import Api

SOURCES = "/api/v1/tracking/sources"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(runtime: Runtime, port: int) -> Iterator[str]:
    """huoke on `port` until the block ends."""
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime, close_runtime_on_shutdown=False),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def source_key(api: Api) -> tuple[UUID, str, str]:
    """A new tenant's server source: (tenant id, source id, write key)."""
    tenant_id, token = api.tenant_with_key("tenant_admin")
    answer = api.client.post(
        SOURCES,
        json={"name": "后端服务", "kind": "server"},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert answer.status_code == 201, answer.text
    return UUID(tenant_id), answer.json()["id"], answer.json()["write_key"]


def logged(runtime: Runtime, tenant_id: UUID) -> list[Any]:
    return list(runtime.container.behaviours().behaviours_of(tenant_id, limit=5000))


def sdk(write_key: str, host: str, errors: list[Any], **options: Any) -> Client:
    return Client(
        write_key,
        host=host,
        on_error=lambda error, batch: errors.append(error),
        upload_interval=0.05,
        **options,
    )


def test_the_sdk_sends_identify_track_page_and_batches(api: Api) -> None:
    tenant_id, source_id, key = source_key(api)
    other_tenant, _, _ = source_key(api)
    errors: list[Any] = []

    with serving(api.runtime, _free_port()) as url:
        # One request per call (sync mode: the SDK posts each at once, as a batch of one).
        direct = sdk(key, url, errors, sync_mode=True)
        direct.identify("u-100", {"email": "li@acme.cn", "name": "李雷"}, message_id="id-1")
        direct.track("u-100", "下单", {"金额": 128}, message_id="tr-1")
        direct.page(
            "u-100",
            "文档",
            "安装",
            {"url": "https://acme.cn/docs?utm_source=baidu"},
            message_id="pg-1",
        )
        # Queued and sent in batches of up to 100, gzip-compressed.
        queued = sdk(key, url, errors, gzip=True)
        for n in range(250):
            queued.track(
                anonymous_id=f"a-{n % 7}",
                event="浏览商品",
                properties={"n": n},
                message_id=f"bt-{n}",
            )
        queued.flush()
        queued.join()

    assert errors == []
    rows = logged(api.runtime, tenant_id)
    ids = [row.message_id for row in rows]
    assert ids[:3] == ["id-1", "tr-1", "pg-1"]
    assert sorted(ids[3:]) == sorted(f"bt-{n}" for n in range(250))
    assert all(row.source_id == source_id and row.channel == "server" for row in rows)
    identify, tracked, page = rows[:3]
    assert identify.kind == "identify" and identify.user_id == "u-100"
    assert identify.properties == {"email": "li@acme.cn", "name": "李雷"}
    assert (tracked.kind, tracked.name, tracked.properties) == ("track", "下单", {"金额": 128})
    assert (page.kind, page.name) == ("page", "安装")
    assert page.properties == {"url": "https://acme.cn/docs?utm_source=baidu", "category": "文档"}
    assert page.context["campaign"] == {"source": "baidu"}
    assert page.context["library"]["name"] == "analytics-python"
    assert logged(api.runtime, other_tenant) == []


def test_retries_after_the_server_was_down_and_repeats_store_each_message_once(
    api: Api,
) -> None:
    tenant_id, _, key = source_key(api)
    port = _free_port()
    errors: list[Any] = []
    ids = [f"retry-{uuid.uuid4().hex[:8]}-{n}" for n in range(120)]
    # Nothing listens yet: the SDK's first attempts are refused and it backs off.
    client = sdk(key, f"http://127.0.0.1:{port}", errors, max_retries=10)
    for n, message_id in enumerate(ids):
        client.track(user_id="u-7", event="点击", properties={"n": n}, message_id=message_id)
    time.sleep(0.3)  # long enough for a refused attempt, shorter than the SDK's backoff

    with serving(api.runtime, port) as url:
        client.flush()
        client.join()
        # Sent again (an acknowledgement lost on the way back): nothing is stored twice.
        again = sdk(key, url, errors, sync_mode=True)
        again.track(user_id="u-7", event="点击", properties={"n": 0}, message_id=ids[0])
        resend = sdk(key, url, errors)
        for n, message_id in enumerate(ids):
            resend.track(user_id="u-7", event="点击", properties={"n": n}, message_id=message_id)
        resend.flush()
        resend.join()

    assert errors == []
    stored = [row.message_id for row in logged(api.runtime, tenant_id)]
    assert sorted(stored) == sorted(ids)


def test_an_unknown_key_is_refused_and_not_retried(api: Api) -> None:
    errors: list[Any] = []
    with serving(api.runtime, _free_port()) as url:
        client = sdk("hk_not_a_key", url, errors, sync_mode=True)
        with pytest.raises(Exception) as refused:
            client.track("u-1", "x")

    assert getattr(refused.value, "status", None) == 401
