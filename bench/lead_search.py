"""Lead search latency on PostgreSQL at size: GET /api/v1/leads through real HTTP next to
the same SQL sent raw with psycopg, in the same run.

1. A database of its own (`huoke_bench_leads` beside the server's URL; never the test
   database) is seeded once with `huoke demo seed` (the real CLI: intake batches through
   the application, then the read model) and reused by later runs.
2. `huoke serve` runs in a subprocess (uvicorn) against it, projections off.
3. For each query, `--requests` sequential GETs on one keep-alive connection, and as
   many runs of the SQL that `LeadQueries.search` sends (same WHERE, ORDER BY, LIMIT),
   p50 / p95 of each and the ratio.

URL: HUOKE_BENCH_DATABASE_URL, else HUOKE_TEST_DATABASE_URL. The bench database sets
`synchronous_commit = off` (for itself only) so seeding does not wait on the disk at
each read-model transaction; a production server would keep it on.

    .venv/bin/python bench/lead_search.py                  # seeds 1,000,000 the first time
    .venv/bin/python bench/lead_search.py --leads 200000 --requests 300 --explain
    .venv/bin/python bench/lead_search.py --drop            # remove the bench database
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import httpx
import psycopg
from rich.console import Console
from rich.table import Table

from application.leads.queries import LeadFilter, where_clause
from application.leads.scope import LeadScope

DATABASE = "huoke_bench_leads"
CIPHER_KEY = base64.b64encode(b"huoke-bench-key-0123456789abcde!").decode()
HUOKE = str(Path(sys.executable).with_name("huoke"))
console = Console()

# name, query parameters: what a person types into the list's filters
QUERIES: list[tuple[str, dict[str, str]]] = [
    ("first page, no filter", {}),
    ("sorted by last change", {"sort": "updated_at"}),
    ("status + tag", {"status": "contacted", "tag": "vip"}),
    ("status + rare tag", {"status": "qualified", "tag": "partner"}),
    ("q: mobile prefix", {"q": "1398"}),
    ("q: name", {"q": "欣怡"}),
    ("q: company, rare", {"q": "金桥医疗"}),
    ("exact mobile", {"mobile": "13800007919"}),
    ("source + status", {"source_level1": "form", "status": "new"}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    parser.add_argument("--drop", action="store_true", help="drop the bench database, exit")
    options = parser.parse_args()
    server = os.environ.get("HUOKE_BENCH_DATABASE_URL") or os.environ["HUOKE_TEST_DATABASE_URL"]
    parts = urlsplit(server)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    url = urlunsplit(parts._replace(path=f"/{DATABASE}"))
    if options.drop:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        return
    _create_database(admin_url)
    var_dir = Path(tempfile.mkdtemp(prefix="huoke-bench-"))
    env = {
        **os.environ,
        "HUOKE_DATABASE_URL": url,
        "HUOKE_CIPHER_KEY": CIPHER_KEY,
        "HUOKE_VAR_DIR": str(var_dir),
        "HUOKE_FAST_HASHING": "y",
        "HUOKE_RATE_LIMIT_PER_MINUTE": "1000000",
    }
    subprocess.run([HUOKE, "db", "migrate"], env=env, check=True, capture_output=True)
    tenant_id, count = _biggest_tenant(url)
    if count < options.leads:
        owner = ["--owner-name", "王", "--owner-contact", "b@bench.cn"]
        tenant_id = tenant_id or _cli(env, "tenant", "create", "--name", "Bench", *owner)
        console.print(f"seeding {options.leads:,} leads for tenant {tenant_id} (have {count:,})")
        subprocess.run(
            [HUOKE, "demo", "seed", "--tenant", tenant_id, "--leads", str(options.leads)],
            env=env,
            check=True,
        )
        tenant_id, count = _biggest_tenant(url)
    assert tenant_id is not None
    console.print(f"tenant {tenant_id}: {count:,} live leads in the read model")
    _analyze(url)
    token = _cli(env, "apikey", "create", "--tenant", tenant_id, "--name", "bench",
                 "--role", "marketer", pattern=r"(hk_\S+)")  # fmt: skip
    port = _free_port()
    serve = subprocess.Popen(
        [HUOKE, "serve", "--port", str(port)],
        env={**env, "HUOKE_INPROCESS_PROJECTIONS": "n", "HUOKE_AUTO_MIGRATE": "n"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _measure(url, UUID(tenant_id), f"http://127.0.0.1:{port}", token, options)
    finally:
        serve.terminate()
        serve.wait(timeout=30)


def _measure(url: str, tenant_id: UUID, base: str, token: str, options: Any) -> None:
    table = Table(title=f"GET /api/v1/leads, {options.requests} sequential requests each")
    for column in ("query", "rows", "HTTP p50 ms", "HTTP p95 ms", "SQL p50 ms", "SQL p95 ms",
                   "HTTP/SQL p50"):  # fmt: skip
        table.add_column(column, justify="left" if column == "query" else "right")
    headers = {"Authorization": f"Bearer {token}"}
    with (
        httpx.Client(base_url=base, headers=headers, timeout=60) as client,
        psycopg.connect(url, autocommit=True) as connection,
    ):
        _wait_until_up(client)
        for name, params in QUERIES:
            filters = {k: v for k, v in params.items() if k != "sort"}
            scope = LeadScope.whole_company(UUID(str(tenant_id)))
            where, values = where_clause(scope, LeadFilter(**filters))  # type: ignore[arg-type]
            sort = params.get("sort", "created_at")
            sql = (  # what LeadQueries.search sends for the first page
                f"SELECT * FROM leads_leads WHERE {where} "
                f"ORDER BY {sort} DESC, lead_id DESC LIMIT 21"
            ).replace("?", "%s")
            answer = client.get("/api/v1/leads", params=params)
            assert answer.status_code == 200, answer.text
            rows = len(answer.json()["items"])

            def http(params: dict[str, str] = params) -> None:
                client.get("/api/v1/leads", params=params).raise_for_status()

            def raw(sql: str = sql, values: list[Any] = values) -> None:
                connection.execute(sql, values).fetchall()

            http_times = _timings(http, options.requests)
            sql_times = _timings(raw, options.requests)
            table.add_row(
                name, str(rows), *_ms(http_times), *_ms(sql_times),
                f"{statistics.median(http_times) / statistics.median(sql_times):.1f}x",
            )  # fmt: skip
            if options.explain:
                plan = connection.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, values).fetchall()
                console.print(f"[bold]{name}[/]\n" + "\n".join(line for (line,) in plan))
    console.print(table)


def _timings(call: Callable[[], None], n: int) -> list[float]:
    for _ in range(min(5, n)):  # warm caches and connections
        call()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def _ms(times: list[float]) -> tuple[str, str]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{statistics.median(ordered) * 1000:.2f}", f"{p95 * 1000:.2f}"


def _create_database(admin_url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')
            connection.execute(f'ALTER DATABASE "{DATABASE}" SET synchronous_commit = off')


def _biggest_tenant(url: str) -> tuple[str | None, int]:
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT tenant_id, COUNT(*) FROM leads_leads WHERE live = 1 "
            "GROUP BY tenant_id ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
    return (row[0], int(row[1])) if row else (None, 0)


def _analyze(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("ANALYZE leads_leads")


def _cli(env: dict[str, str], *args: str, pattern: str = r"tenant (\S+)") -> str:
    done = subprocess.run([HUOKE, *args], env=env, check=True, capture_output=True, text=True)
    match = re.search(pattern, done.stdout)
    assert match, done.stdout
    return match.group(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(client: httpx.Client) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.3)
    raise SystemExit("huoke serve did not start")


if __name__ == "__main__":
    main()
