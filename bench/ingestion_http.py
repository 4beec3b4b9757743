"""Cases 3-5 of bench/ingestion.py: the tracking API of a real `huoke serve` process.

The server runs as its own process on the bench's database (followers in-process, as
`huoke serve` runs them); --procs client processes, each with --threads keep-alive
connections, post Segment batches; meanwhile this process measures how long an
acknowledged page view takes to reach the lead's timeline and how fast short links
redirect.
"""

from __future__ import annotations

import argparse
import base64
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from application.shared.context import Actor, ActorKind, RequestContext, acting
from application.tenancy.commands import IssueApiKey, RegisterTenant
from application.tracking.commands import CreateTrackingSource
from entrypoints.container import Runtime
from entrypoints.settings import Settings

BOOTSTRAP = RequestContext(actor=Actor(ActorKind.SYSTEM, "bench"), request_id="bench")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _auth(write_key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}


def _client(url: str, write_key: str, batch: int, seconds: float, threads: int, out: Any) -> None:
    """One client process: `threads` connections posting batches until time is up."""
    latencies: list[float] = []
    accepted = [0]
    refused = [0]
    lock = threading.Lock()
    headers = _auth(write_key)
    deadline = time.monotonic() + seconds

    def send() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while time.monotonic() < deadline:
                messages = [
                    {"type": "track", "event": "Product Viewed", "anonymousId": f"a{i % 997}",
                     "messageId": uuid.uuid4().hex,
                     "properties": {"sku": f"SKU-{i}", "price_fen": 12800, "category": "茶叶"},
                     "context": {"userAgent": "Mozilla/5.0 MicroMessenger", "ip": "203.0.113.7"}}
                    for i in range(batch)
                ]  # fmt: skip
                started = time.perf_counter()
                answer = client.post("/v1/batch", json={"batch": messages}, headers=headers)
                took = time.perf_counter() - started
                with lock:
                    if answer.status_code == 200:
                        accepted[0] += batch
                        latencies.append(took)
                    else:
                        refused[0] += 1

    workers = [threading.Thread(target=send) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put((accepted[0], refused[0], latencies))


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _serve(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HUOKE_DATABASE_URL": settings.database_url or "",
        "HUOKE_CIPHER_KEY": settings.cipher_key or "",
        "HUOKE_VAR_DIR": str(settings.var_dir),
        "HUOKE_RATE_LIMIT_PER_MINUTE": "10000000",
        "HUOKE_TRACKING_RATE_LIMIT": "10000000",
        "HUOKE_POOL_SIZE": "8",
        "HUOKE_INPROCESS_PROJECTIONS": "y",  # the timeline's follower in the server process
    }
    huoke = str(Path(sys.executable).with_name("huoke"))
    process = subprocess.Popen(
        [huoke, "serve", "--port", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    sys.exit("huoke serve did not start:\n" + log.read_text()[-2000:])


def _write_key(runtime: Runtime) -> tuple[uuid.UUID, str, str]:
    """A tenant with a tracking source (its write key) and an admin API key."""
    with acting(BOOTSTRAP):
        tenant = runtime.container.tenancy().register_tenant(
            RegisterTenant(name="压测公司", owner_name="王", owner_contact="bench@acme.cn")
        )
        created = runtime.container.tracking_sources().create(
            tenant.id, CreateTrackingSource(name="bench", kind="server")
        )
        key = runtime.container.tenancy().issue_api_key(
            tenant.id, IssueApiKey(name="bench", roles=["tenant_admin"])
        )
    assert created.write_key is not None
    assert key.token is not None
    return tenant.id, created.write_key, key.token


class Probes:
    """While the load runs: ack -> on the lead's timeline, and short-link redirects."""

    def __init__(self, url: str, write_key: str, api_key: str) -> None:
        self.url = url
        self.write_key = write_key
        self.api = {"Authorization": f"Bearer {api_key}"}
        self.visible: list[float] = []
        self.redirects: list[float] = []
        self.missed = 0
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._timeline),
            threading.Thread(target=self._links),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _timeline(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            member = f"probe-{uuid.uuid4().hex[:8]}"
            lead = client.post(
                "/api/v1/leads", json={"member_id": member, "name": "探针"}, headers=self.api
            )
            body = lead.json()
            lead_id = body["lead"]["id"] if "lead" in body else body["id"]
            while not self._stop.wait(0.1):
                marker = f"https://acme.cn/p/{uuid.uuid4().hex}"
                page = {"type": "page", "userId": member, "messageId": uuid.uuid4().hex,
                        "properties": {"url": marker}}  # fmt: skip
                sent = client.post("/v1/page", json=page, headers=_auth(self.write_key))
                if sent.status_code != 200:
                    continue
                acknowledged = time.perf_counter()
                while time.perf_counter() - acknowledged < 10:
                    timeline = client.get(f"/api/v1/leads/{lead_id}/timeline", headers=self.api)
                    if marker in timeline.text:
                        self.visible.append(time.perf_counter() - acknowledged)
                        break
                    time.sleep(0.01)
                else:
                    self.missed += 1

    def _links(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            link = client.post(
                "/api/v1/tracking/links",
                json={"target_url": "https://acme.cn/spring", "title": "春季", "channel": "朋友圈"},
                headers=self.api,
            )
            path = link.json()["short_path"]
            while not self._stop.wait(0.05):
                started = time.perf_counter()
                answer = client.get(path, headers={"User-Agent": "Mozilla/5.0 (iPhone) Safari"})
                if answer.status_code in (302, 303, 307):
                    self.redirects.append(time.perf_counter() - started)


def run_http_cases(runtime: Runtime, settings: Settings, args: argparse.Namespace) -> None:
    tenant_id, write_key, api_key = _write_key(runtime)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as logs:
        server = _serve(settings, port, Path(logs) / "serve.log")
        try:
            results: Any = multiprocessing.Queue()
            clients = [
                multiprocessing.Process(
                    target=_client,
                    args=(url, write_key, args.batch, args.seconds, args.threads, results),
                )
                for _ in range(args.procs)
            ]
            probes = Probes(url, write_key, api_key)
            started = time.perf_counter()
            for client in clients:
                client.start()
            probes.start()
            gathered = [results.get(timeout=args.seconds + 120) for _ in clients]
            elapsed = time.perf_counter() - started
            probes.stop()
            for client in clients:
                client.join()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    accepted = sum(g[0] for g in gathered)
    refused = sum(g[1] for g in gathered)
    latencies = [value for g in gathered for value in g[2]]
    print(
        f"\nHTTP /v1/batch ({args.procs} processes x {args.threads} connections, "
        f"{args.batch} events a request, {args.seconds:.0f} s): "
        f"{accepted / elapsed:,.0f} events/s accepted, {refused} requests refused (429); "
        f"acknowledgement p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {_percentile(latencies, 0.99) * 1000:.1f} ms"
    )
    print(
        f"ack -> on the lead's timeline (GET /api/v1/leads/{{id}}/timeline), under that load: "
        f"p50 {statistics.median(probes.visible or [float('nan')]) * 1000:.0f} ms, "
        f"p95 {_percentile(probes.visible, 0.95) * 1000:.0f} ms "
        f"({len(probes.visible)} probes, {probes.missed} not seen within 10 s)"
    )
    print(
        f"/s/{{code}} redirect under that load: "
        f"p50 {statistics.median(probes.redirects or [float('nan')]) * 1000:.1f} ms, "
        f"p95 {_percentile(probes.redirects, 0.95) * 1000:.1f} ms ({len(probes.redirects)} clicks)"
    )
    del tenant_id
