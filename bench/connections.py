"""PostgreSQL connections held by `huoke serve` and by `huoke worker projections`, idle
and under 16 concurrent clients, for today's contexts and for a simulated twelve.

Each process runs in a subprocess of its own (the same Runtime, create_app and uvicorn as
`huoke serve`; the same Runtime with its follower runner as `huoke worker projections`),
with `PGAPPNAME` set so that `pg_stat_activity` tells whose connections are whose. The
baseline is what the server allows: a stock `max_connections = 100`.

    .venv/bin/python bench/connections.py [--clients 16] [--seconds 5]
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.throwaway import server_url, throwaway_database

CIPHER_KEY = base64.b64encode(b"bench-connections-key-0123456789"[:32]).decode()
STOCK_MAX_CONNECTIONS = 100


def simulated_contexts(count: int) -> tuple[Any, ...]:
    """`count` more contexts like a real one: an application, a read model following it
    and another following every application (as the operation log does)."""
    from dependency_injector import providers

    from application.shared.event_sourced import EventSourcedContext
    from application.shared.views import ReadModel
    from entrypoints.manifest import Manifest

    made = []
    for n in range(count):
        name = f"sim{n}"
        application = type(f"Sim{n}", (EventSourcedContext,), {"name": name})
        model = type(
            f"Sim{n}Directory",
            (ReadModel,),
            {
                "name": f"{name}_directory",
                "follows": (name,),
                "tables": {f"{name}_rows": "tenant_id TEXT NOT NULL, id TEXT NOT NULL"},
                "process_event": lambda self, event, tracking: self.skip(tracking),
            },
        )

        def wire(c: Any, application: Any = application, name: str = name) -> Mapping[str, Any]:
            return {name: providers.Singleton(application, c.infrastructure)}

        made.append(Manifest(name=name, providers=wire, applications=(name,), followers=(model,)))
    return tuple(made)


def run_process(role: str, database_url: str, var_dir: str, port: int, extra: int) -> None:
    """The measured process: `serve` (HTTP API, no in-process followers) or `worker`."""
    from dataclasses import replace

    from entrypoints.container import Runtime
    from entrypoints.registry import CONTEXTS
    from entrypoints.settings import Settings

    settings = Settings.from_environment()
    contexts = (*CONTEXTS, *simulated_contexts(extra))
    if role == "migrate":
        from entrypoints.container import migrate

        migrate(settings, contexts)
        return
    if role == "worker":
        runtime = Runtime(replace(settings, in_process_projections=True), contexts).start()
        threading.Event().wait()
    import uvicorn

    from entrypoints.http.app import create_app

    runtime = Runtime(replace(settings, in_process_projections=False), contexts).start()
    uvicorn.run(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")


def spawn(role: str, database_url: str, var_dir: str, port: int, extra: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "PGAPPNAME": f"bench-{role}",
        "HUOKE_DATABASE_URL": database_url,
        "HUOKE_CIPHER_KEY": CIPHER_KEY,
        "HUOKE_VAR_DIR": var_dir,
        "HUOKE_FAST_HASHING": "y",
        "HUOKE_RATE_LIMIT_PER_MINUTE": "1000000",
        "PYTHONPATH": f"{Path(__file__).resolve().parent.parent}/src",
    }
    return subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--role",
            role,
            "--database-url",
            database_url,
            "--var-dir",
            var_dir,
            "--port",
            str(port),
            "--extra",
            str(extra),
        ],
        env=env,
    )


def held(admin_url: str, database: str) -> dict[str, int]:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT application_name, count(*) FROM pg_stat_activity WHERE datname = %s "
            "GROUP BY application_name",
            (database,),
        ).fetchall()
    return {name: count for name, count in rows}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure(server: str, extra: int, clients: int, seconds: float) -> dict[str, int]:
    from urllib.parse import urlsplit, urlunsplit

    with throwaway_database(server) as url, _tmpdir() as var_dir:
        database = urlsplit(url).path.lstrip("/")
        admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
        migrate = spawn("migrate", url, var_dir, 0, extra)
        assert migrate.wait(timeout=120) == 0, "migration failed"
        port = free_port()
        serve = spawn("serve", url, var_dir, port, extra)
        worker = spawn("worker", url, var_dir, 0, extra)
        try:
            base = f"http://127.0.0.1:{port}"
            _until_up(base)
            time.sleep(2.0)  # let the worker take its guards and settle
            idle = held(admin_url, database)
            token = _bootstrap_token(url)
            peak = _under_load(base, token, admin_url, database, clients, seconds)
        finally:
            for process in (serve, worker):
                process.terminate()
                process.wait(timeout=20)
    return {
        "serve idle": idle.get("bench-serve", 0),
        "worker idle": idle.get("bench-worker", 0),
        "serve under load": peak.get("bench-serve", 0),
        "worker under load": peak.get("bench-worker", 0),
    }


def _bootstrap_token(url: str) -> str:
    """A tenant API key, made through the store directly (as `huoke apikey create` does)."""
    out = subprocess.run(
        [sys.executable, "-c", _BOOTSTRAP],
        env={
            **os.environ,
            "HUOKE_DATABASE_URL": url,
            "HUOKE_CIPHER_KEY": CIPHER_KEY,
            "HUOKE_FAST_HASHING": "y",
            "PGAPPNAME": "bench-setup",
            "PYTHONPATH": f"{Path(__file__).resolve().parent.parent}/src",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


_BOOTSTRAP = """
from application.shared.context import RequestContext, acting
from application.tenancy.commands import IssueApiKey, RegisterTenant
from entrypoints.container import Runtime
from entrypoints.settings import Settings
runtime = Runtime(Settings.from_environment()).start()
with acting(RequestContext(request_id="bench")):
    tenant = runtime.container.tenancy().register_tenant(
        RegisterTenant(name="Bench", owner_name="Li", owner_contact="li@bench.cn"))
    key = runtime.container.tenancy().issue_api_key(
        tenant.id, IssueApiKey(name="bench", roles=["tenant_admin"]))
runtime.close()
print(key.token)
"""


def _under_load(
    base: str, token: str, admin_url: str, database: str, clients: int, seconds: float
) -> dict[str, int]:
    stop = threading.Event()
    peak: dict[str, int] = {}
    done = [0]

    def client(n: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, timeout=30) as http:
            i = 0
            while not stop.is_set():
                i += 1
                http.post("/api/v1/departments", json={"name": f"部门{n}-{i}"}, headers=headers)
                http.get("/api/v1/departments", headers=headers)
                done[0] += 2

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, count in held(admin_url, database).items():
            peak[name] = max(peak.get(name, 0), count)
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join()
    print(f"    ({done[0]} requests in {seconds:.0f} s from {clients} clients)")
    return peak


def _until_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("huoke serve did not come up")


class _tmpdir:
    def __enter__(self) -> str:
        import tempfile

        self._dir = tempfile.TemporaryDirectory()
        return self._dir.name

    def __exit__(self, *exc: object) -> None:
        self._dir.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--role")
    parser.add_argument("--database-url")
    parser.add_argument("--var-dir")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--extra", type=int, default=0)
    args = parser.parse_args()
    if args.role:
        run_process(args.role, args.database_url, args.var_dir, args.port, args.extra)
        return
    server = server_url()
    from entrypoints.registry import CONTEXTS

    today = len(CONTEXTS)
    results = {}
    for label, extra in ((f"today ({today} contexts)", 0), ("simulated twelve", 12 - today)):
        print(f"measuring {label} ...")
        results[label] = measure(server, extra, args.clients, args.seconds)
    print(f"\nPostgreSQL connections held (server allows {STOCK_MAX_CONNECTIONS}):")
    names = list(next(iter(results.values())))
    print(f"{'':28}" + "".join(f"{name:>20}" for name in names))
    for label, counts in results.items():
        print(f"{label:28}" + "".join(f"{counts[name]:>20}" for name in names))
    worst = max(r["serve under load"] + r["worker under load"] for r in results.values())
    print(
        f"\nserve + worker at most {worst} of {STOCK_MAX_CONNECTIONS} "
        f"({worst / STOCK_MAX_CONNECTIONS:.0%}); room for "
        f"{(STOCK_MAX_CONNECTIONS - worst) // max(1, worst)} more such pairs"
    )


if __name__ == "__main__":
    main()
