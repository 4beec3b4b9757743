"""Behaviour ingestion: our write path against raw `COPY` of the same rows, in one run.

What is measured, on one throwaway PostgreSQL database:

1. raw COPY          - psycopg `COPY` of the same rows (same columns, payload already
                       encrypted) into a plain table, in batches of --batch rows, from
                       --clients threads with a connection each.
2. log, in process   - `Ingestion.take` of `Behaviour` rows in batches of --batch from
                       --clients threads: encryption, the group-commit writer, the
                       advisory lock, COPY into staging, the message-id de-duplication and
                       the move into the month partition, NOTIFY.
3. HTTP /v1/batch    - a `huoke serve`-like uvicorn server on the same database and
                       --procs client processes posting Segment batches of --batch events
                       (Basic auth with a write key) as fast as they are answered:
                       accepted events/s and p50/p99 acknowledgement latency.
4. visible           - while (3) runs, a probe identifies a lead and posts one page view
                       every 100 ms; the time from acknowledgement until the page view is
                       on the lead's timeline (GET /api/v1/leads/{id}/timeline): p50/p95.
5. /s/{code}         - while (3) runs, a client follows a promotion short link: p50/p95.

Cases 3-5 need the tracking API, the timeline and short links (issue 15); --only-log
skips them. Ratios are ours/raw from this run; absolute rates depend on the machine.

Run:  .venv/bin/python bench/ingestion.py [--events 200000] [--batch 100] [--clients 4]
      [--procs 4] [--seconds 20] [--only-log]
URL:  HUOKE_BENCH_DATABASE_URL, else HUOKE_TEST_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from bench.throwaway import server_url, throwaway_database

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.tracking.ingestion import Ingestion
from entrypoints.container import Runtime
from entrypoints.settings import Settings

CIPHER_KEY = base64.b64encode(b"huoke-bench-key-0123456789abcdef").decode()
RAW_TABLE = """
CREATE TABLE raw_behaviours (
    tenant_id uuid, position bigserial, received_at timestamptz, occurred_at timestamptz,
    kind text, channel text, name text, message_id text, anonymous_id text, user_id text,
    lead_id uuid, source_id text, request_id text, payload bytea
)
"""
RAW_COLUMNS = (
    "tenant_id, received_at, occurred_at, kind, channel, name, message_id, anonymous_id, "
    "user_id, lead_id, source_id, request_id, payload"
)


def behaviours(count: int, tenants: Sequence[uuid.UUID]) -> list[Behaviour]:
    """`count` tracked events shaped like a shop's: a name, a few properties, a context."""
    now = datetime.now(UTC)
    return [
        Behaviour(
            tenant_id=tenants[i % len(tenants)],
            kind=BehaviourKind.TRACK if i % 3 else BehaviourKind.PAGE,
            channel=Channel.WEB,
            occurred_at=now,
            received_at=now,
            message_id=f"{uuid.uuid4()}",
            name="Product Viewed" if i % 3 else "",
            properties={"sku": f"SKU-{i % 977}", "price_fen": 12800, "category": "茶叶"},
            context={"ip": "203.0.113.7", "userAgent": "Mozilla/5.0 (iPhone) MicroMessenger"},
            anonymous_id=f"anon-{i % 50_000}",
            source_id="bench",
            request_id=f"r{i // 100}",
        )
        for i in range(count)
    ]


def batches(rows: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def in_threads(clients: int, work: list[Sequence[Any]], each: Callable[[Any], None]) -> float:
    """Run `each(batch)` over `work` from `clients` threads; answers the elapsed seconds."""
    lock = threading.Lock()
    queue = list(reversed(work))

    def run() -> None:
        while True:
            with lock:
                if not queue:
                    return
                batch = queue.pop()
            each(batch)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def raw_copy(url: str, rows: list[Behaviour], args: argparse.Namespace, codec: Any) -> float:
    """Rows/s of plain COPY of the same rows (payload encrypted beforehand, so the
    baseline pays only the database's part)."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS raw_behaviours")
        connection.execute(RAW_TABLE)
    prepared = [
        (b.tenant_id, b.received_at, b.occurred_at, b.kind, b.channel, b.name, b.message_id,
         b.anonymous_id, b.user_id, b.lead_id, b.source_id, b.request_id, codec.payload(b))
        for b in rows
    ]  # fmt: skip
    local = threading.local()

    def copy(batch: Sequence[tuple[Any, ...]]) -> None:
        if not hasattr(local, "connection"):
            local.connection = psycopg.connect(url)
        connection = local.connection
        copy = f"COPY raw_behaviours ({RAW_COLUMNS}) FROM STDIN"
        with connection.transaction(), connection.cursor() as cursor, cursor.copy(copy) as stream:
            for row in batch:
                stream.write_row(row)

    elapsed = in_threads(args.clients, batches(prepared, args.batch), copy)
    return len(rows) / elapsed


def ours(ingestion: Ingestion, rows: list[Behaviour], args: argparse.Namespace) -> float:
    elapsed = in_threads(args.clients, batches(rows, args.batch), ingestion.take)
    return len(rows) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--procs", type=int, default=4, help="HTTP client processes")
    parser.add_argument("--threads", type=int, default=4, help="connections per process")
    parser.add_argument("--seconds", type=float, default=20.0, help="HTTP load duration")
    parser.add_argument("--only-log", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; {args.events:,} events per case, "
          f"batches of {args.batch}, {args.clients} clients")  # fmt: skip
    with throwaway_database(server_url()) as url, tempfile.TemporaryDirectory() as var:
        settings = Settings(
            database_url=url,
            var_dir=Path(var),
            cipher_key=CIPHER_KEY,
            auto_migrate=True,
            in_process_projections=False,
            pool_size=args.clients + 2,
        )
        runtime = Runtime(settings).start()
        try:
            log = runtime.container.behaviours()
            ingestion = runtime.container.ingestion()
            tenants = [uuid.uuid4() for _ in range(20)]
            raw_rates, our_rates, ratios = [], [], []
            for round_number in range(1, args.rounds + 1):
                rows = behaviours(args.events, tenants)
                raw = raw_copy(url, rows, args, log.codec)
                mine = ours(ingestion, rows, args)
                raw_rates.append(raw)
                our_rates.append(mine)
                ratios.append(mine / raw)
                print(f"round {round_number}: raw COPY {raw:,.0f} rows/s · "
                      f"log {mine:,.0f} rows/s · {mine / raw:.0%}")  # fmt: skip
            stored = log.max_notification_id() or 0
            print(
                f"\nlog append vs raw COPY (median of {args.rounds}): "
                f"raw {statistics.median(raw_rates):,.0f} rows/s, "
                f"ours {statistics.median(our_rates):,.0f} rows/s = "
                f"{statistics.median(ratios):.0%}; {ingestion.batches_committed:,} commits "
                f"for {args.events * args.rounds:,} rows ({stored:,} positions)"
            )
            if not args.only_log:
                from bench.ingestion_http import run_http_cases

                run_http_cases(runtime, settings, args)
        finally:
            runtime.close()


if __name__ == "__main__":
    main()
