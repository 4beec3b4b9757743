"""Console page latency at size: p95 server time of the console's pages over a tenant with
`--leads` leads (1,000,000 by default), each beside a raw baseline measured in the same run
(the page's read-model SQL sent directly to SQLite, and the equivalent API route).

The tenant's leads are written straight into the leads read model (the rows the list
and the API read) and counted into the lead_counts read model (the dashboard's counters),
which is fast at a million; a few leads are also made
through the API so that a lead's page (which loads the lead itself) has real ones. The
app runs in-process (Litestar's TestClient), so times are the server's own plus the
client's small overhead; the raw SQL is the floor no page can beat.

    .venv/bin/python bench/console_pages.py --leads 20000 --requests 50   # while developing
    .venv/bin/python bench/console_pages.py                                # 1,000,000
"""

from __future__ import annotations

import argparse
import base64
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from litestar.testing import TestClient  # noqa: E402
from tests.conftest import Api  # noqa: E402
from tests.e2e.console_support import employee_login, open_session  # noqa: E402

from application.shared.context import RequestContext, acting  # noqa: E402
from application.shared.views import iso  # noqa: E402
from entrypoints.container import Runtime  # noqa: E402
from entrypoints.http.app import create_app  # noqa: E402
from entrypoints.settings import Settings  # noqa: E402

CIPHER_KEY = base64.b64encode(b"huoke-bench-key-0123456789abcde!").decode()
STATUSES = ("new", "contacted", "qualified", "lost")
POOL_STATES = ("pool", "pool", "assigned", "following", "won", "lost")
SOURCES = ("form", "wechat", "import", "ads", None)
COLUMNS = (
    "tenant_id, lead_id, user_type, name, mobile, email, company, city, title, status, "
    "pool_state, owner_id, source_level1, source_level2, tags, live, version, created_at, "
    "updated_at"
)
DEEP_PAGES = 40  # the deep cursor page: the 41st page of the list


def seed(database: Path, tenant_id: str, count: int) -> None:
    """`count` live leads of the tenant, straight into the leads read model."""
    started = time.perf_counter()
    rng = random.Random(7)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA synchronous = OFF")
        marks = ", ".join("?" for _ in COLUMNS.split(","))
        for start in range(0, count, 50_000):
            rows = []
            for n in range(start, min(start + 50_000, count)):
                moment = iso(base + timedelta(seconds=n * 7))
                rows.append(
                    (
                        tenant_id, str(uuid.UUID(int=rng.getrandbits(128))), "customer",
                        f"客户{n}", f"+86139{n:08d}", f"c{n}@example.com", f"公司{n % 997}",
                        "上海", None, rng.choice(STATUSES), rng.choice(POOL_STATES), None,
                        rng.choice(SOURCES), None, ",vip," if n % 10 == 0 else ",",
                        1, 1, moment, moment,
                    )
                )  # fmt: skip
            connection.executemany(f"INSERT INTO leads_leads ({COLUMNS}) VALUES ({marks})", rows)
        connection.execute("ANALYZE")
    print(f"seeded {count:,} leads in {time.perf_counter() - started:.1f} s")


def seed_counts(counts: Path, directory: Path, tenant_id: str) -> None:
    """The dashboard's counters (the lead_counts read model) as the seeded leads make
    them: each lead remembered as counted, then every counter of the tenant recounted
    from those (the leads made through the API were counted by the follower already)."""
    started = time.perf_counter()
    with sqlite3.connect(counts) as connection:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("ATTACH DATABASE ? AS directory", (str(directory),))
        connection.execute(
            "INSERT INTO lead_count_members (tenant_id, lead_id, owner_id, status, pool_state, "
            "source_level1, live) SELECT tenant_id, lead_id, COALESCE(owner_id, ''), status, "
            "pool_state, COALESCE(source_level1, ''), live FROM directory.leads_leads "
            "WHERE tenant_id = ? ON CONFLICT (tenant_id, lead_id) DO NOTHING",
            (tenant_id,),
        )
        connection.execute("DELETE FROM lead_counts WHERE tenant_id = ?", (tenant_id,))
        connection.execute(
            "INSERT INTO lead_counts (tenant_id, dimension, owner_id, value, leads) "
            "SELECT tenant_id, dimension, owner_id, value, COUNT(*) FROM ("
            + " UNION ALL ".join(
                f"SELECT tenant_id, '{dimension}' AS dimension, owner_id, {dimension} AS value "
                "FROM lead_count_members WHERE tenant_id = ? AND live = 1"
                for dimension in ("status", "pool_state", "source_level1")
            )
            + ") GROUP BY tenant_id, dimension, owner_id, value",
            (tenant_id,) * 3,
        )
        connection.commit()
        for dimension in ("status", "pool_state", "source_level1"):  # as the old GROUP BY
            summed = connection.execute(
                "SELECT value, SUM(leads) FROM lead_counts WHERE tenant_id = ? "
                "AND dimension = ? GROUP BY value",
                (tenant_id, dimension),
            ).fetchall()
            grouped = connection.execute(
                f"SELECT COALESCE({dimension}, ''), COUNT(*) FROM directory.leads_leads "
                f"WHERE tenant_id = ? AND live = 1 GROUP BY {dimension}",
                (tenant_id,),
            ).fetchall()
            assert dict(summed) == dict(grouped), (dimension, summed, grouped)
        connection.execute("DETACH DATABASE directory")
        connection.execute("ANALYZE")
    print(f"counted them in {time.perf_counter() - started:.1f} s")


def read_model_file(var_dir: Path, table: str = "leads_leads") -> Path:
    for candidate in sorted(var_dir.rglob("*")):
        if candidate.is_file() and candidate.suffix in (".db", ".sqlite", ".sqlite3"):
            with sqlite3.connect(candidate) as connection:
                found = connection.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = ?", (table,)
                ).fetchone()
            if found:
                return candidate
    raise SystemExit(f"no read model with {table} under {var_dir}")


def timed(call: Callable[[], Any], requests: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds of `requests` calls (after two warm-up calls)."""
    for _ in range(2):
        call()
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)]


def ok(response: Any) -> Any:
    assert response.status_code == 200, (response.status_code, response.text[:300])
    return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    options = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="huoke-console-bench-"))
    settings = Settings(
        var_dir=var_dir, fast_hashing=True, auto_migrate=True, in_process_projections=True,
        rate_limit_per_minute=10_000_000, sign_in_limit=100_000, cipher_key=CIPHER_KEY,
    )  # fmt: skip
    runtime = Runtime(settings).start()
    try:
        with acting(RequestContext(request_id="bench")):
            enrolled = runtime.container.tenancy().enrol_first_admin("root@huoke.bench")
        assert enrolled is not None and enrolled.token
        with TestClient(create_app(runtime, close_runtime_on_shutdown=False)) as client:
            api = Api(client, runtime, enrolled.token)
            run(api, var_dir, options.leads, options.requests)
    finally:
        runtime.close()


def run(api: Api, var_dir: Path, leads: int, requests: int) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    real = ok_created(
        api.client.post(
            "/api/v1/leads", json={"mobile": "13700000001", "name": "真"}, headers=headers
        )
    )
    for index in range(3):  # a few configuration changes for the operation log
        api.client.post(
            "/api/v1/api-keys", json={"name": f"k{index}", "roles": ["marketer"]}, headers=headers
        )
    database = read_model_file(var_dir)
    seed(database, tenant_id, leads)
    counters = read_model_file(var_dir, "lead_counts")
    seed_counts(counters, database, tenant_id)
    _employee, email = employee_login(api, token, "tenant_admin")
    session = open_session(api, email)
    key = api.key(token)
    cursor = None
    for _ in range(DEEP_PAGES):
        cursor = ok(api.client.get("/api/v1/leads", params={"cursor": cursor} if cursor else {},
                                   headers=key)).json()["next_cursor"]  # fmt: skip
    raw = sqlite3.connect(database)
    counted = sqlite3.connect(counters)
    log = sqlite3.connect(read_model_file(var_dir, "operation_log"))

    def sql(statement: str, *params: Any, on: sqlite3.Connection = raw) -> Callable[[], Any]:
        return lambda: on.execute(statement, params).fetchall()

    live = "tenant_id = ? AND live = 1"
    cases: list[tuple[str, str, Callable[[], Any], Callable[[], Any] | None]] = [
        (
            "dashboard",
            "/console",
            sql(  # the figures by state, summed from the lead_counts read model's counters
                "SELECT value, SUM(leads) FROM lead_counts WHERE tenant_id = ? "
                "AND dimension = ? GROUP BY value",
                tenant_id,
                "pool_state",
                on=counted,
            ),
            None,
        ),
        (
            "lead list, first page",
            "/console/leads",
            sql(
                f"SELECT * FROM leads_leads WHERE {live} ORDER BY created_at DESC, lead_id DESC "
                "LIMIT 51",
                tenant_id,
            ),
            lambda: ok(api.client.get("/api/v1/leads", headers=key)),
        ),
        (
            "lead list, status + tag",
            "/console/leads?status=contacted&tag=vip",
            sql(
                f"SELECT * FROM leads_leads WHERE {live} AND status = ? AND tags LIKE ? "
                "ORDER BY created_at DESC, lead_id DESC LIMIT 51",
                tenant_id,
                "contacted",
                "%,vip,%",
            ),
            lambda: ok(api.client.get("/api/v1/leads?status=contacted&tag=vip", headers=key)),
        ),
        (
            f"lead list, page {DEEP_PAGES + 1}",
            f"/console/leads?cursor={cursor}",
            sql(
                f"SELECT * FROM leads_leads WHERE {live} ORDER BY created_at DESC, lead_id DESC "
                f"LIMIT 51 OFFSET {DEEP_PAGES * 50}",
                tenant_id,
            ),
            lambda: ok(api.client.get("/api/v1/leads", params={"cursor": cursor}, headers=key)),
        ),
        (
            "a lead's page",
            f"/console/leads/{real}",
            sql("SELECT * FROM leads_leads WHERE tenant_id = ? AND lead_id = ?", tenant_id, real),
            lambda: ok(api.client.get(f"/api/v1/leads/{real}", headers=key)),
        ),
        (
            "operation log",
            "/console/operation-log",
            sql(
                "SELECT * FROM operation_log WHERE tenant_id = ? "
                "ORDER BY occurred_at DESC, entry_id DESC LIMIT 51",
                tenant_id,
                on=log,
            ),
            lambda: ok(api.client.get("/api/v1/operation-log", headers=key)),
        ),
    ]
    print(f"\n{leads:,} leads, {requests} requests each, p50 / p95 in ms (SQLite, in-process)")
    print(f"{'page':28} {'console':>17} {'raw SQL':>15} {'API':>15} {'p95 ratio':>18}")
    for name, path, raw_call, api_call in cases:
        ok(session.client.get(path))
        page_p50, page_p95 = timed(lambda p=path: ok(session.client.get(p)), requests)
        sql_p50, sql_p95 = timed(raw_call, requests)
        api_text, ratio_api = "—", ""
        if api_call is not None:
            api_p50, api_p95 = timed(api_call, requests)
            api_text = f"{api_p50:6.1f} / {api_p95:6.1f}"
            ratio_api = f", {page_p95 / api_p95:.1f}× API"
        print(
            f"{name:28} {page_p50:7.1f} / {page_p95:7.1f} {sql_p50:6.1f} / {sql_p95:6.1f} "
            f"{api_text:>15} {page_p95 / max(sql_p95, 0.01):7.1f}× SQL{ratio_api}"
        )
    session.close()


def ok_created(response: Any) -> str:
    assert response.status_code == 201, response.text
    return str(response.json()["lead"]["id"])


if __name__ == "__main__":
    main()
