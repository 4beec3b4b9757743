"""Lead import throughput (LEAD-3): our application layer against a raw psycopg COPY.

What is measured, in one run, on one throwaway PostgreSQL database:

1. ours - `LeadImports.start` on a generated CSV of N rows (mobile, e-mail, name, company,
          source level 1; every row a new person), through the production path:
          `Runtime(Settings(...))`, CSV decoding, phonenumbers / email-validator
          normalisation, `IntakeBatch` (a `Lead` and two `LeadIdentity` claims per row),
          the stamping mapper with the AES cipher, one `insert_events` transaction per
          batch of 500 rows together with the import's `BatchApplied` event. Projection
          runners are off (they would compete for the same CPUs; the read model is what
          lags, never what decides).
2. raw  - the same N rows parsed from the same CSV and sent with psycopg `COPY … FROM
          STDIN` into a plain five-column table, one transaction.

Then where the time of (1) went: perf_counter accumulators around its parts (reading and
normalising rows, matching them into aggregates, mapping events: stamp + JSON +
encrypt, the database call, the read-model look-up), with --profile a
cProfile listing. The target is 5,000 leads/s for (1); the ratio ours/raw is printed.

Run:  .venv/bin/python bench/lead_import.py [--rows 100000] [--batch 500] [--profile]
URL:  HUOKE_BENCH_DATABASE_URL, else HUOKE_TEST_DATABASE_URL (a database is created on
      that server and dropped at the end).
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import csv
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from rich.console import Console
from rich.table import Table
from throwaway import server_url, throwaway_database

import application.leads.imports as imports_module
from application.leads.imports import ImportOptions, LeadImports
from application.leads.intake import IntakeBatch
from application.shared.context import Actor, ActorKind, RequestContext, acting
from entrypoints.container import Runtime
from entrypoints.settings import Settings

console = Console(width=max(Console().width, 110))
TARGET_ROWS_PER_SECOND = 5_000
MAPPING = {
    "手机": "mobile",
    "邮箱": "email",
    "姓名": "name",
    "公司": "company",
    "来源": "source.level1",
}


@dataclass
class Timers:
    """Named perf_counter accumulators; `wrap` times every call of a function."""

    totals: dict[str, float] = field(default_factory=dict)

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.totals[name] = self.totals.get(name, 0.0) + time.perf_counter() - started

        return timed


def server_facts(url: str) -> str:
    with psycopg.connect(url) as connection:
        version = connection.execute("SHOW server_version").fetchone()
        fsync = connection.execute("SHOW fsync").fetchone()
    assert version and fsync
    one, five, _ = os.getloadavg()
    return (
        f"PostgreSQL {version[0]}, fsync={fsync[0]}, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}, load average {one:.2f} (1 min) {five:.2f} (5 min)"
    )


def generated_csv(rows: int) -> bytes:
    """N different people, as a spreadsheet export would hold them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(MAPPING))
    for n in range(rows):
        writer.writerow(
            [f"139{n:08d}", f"kehu{n}@qiye{n % 997}.cn", f"客户{n}", f"公司{n % 1000}", "展会"]
        )
    return out.getvalue().encode()


def raw_copy(url: str, content: bytes) -> float:
    """Seconds to parse the CSV and COPY its rows into a plain table, one transaction."""
    with psycopg.connect(url) as connection:
        connection.execute(
            "CREATE TABLE raw_leads (mobile text, email text, name text, company text, level1 text)"
        )
        connection.commit()
        started = time.perf_counter()
        reader = csv.reader(io.StringIO(content.decode()))
        next(reader)
        with (
            connection.cursor() as cursor,
            cursor.copy("COPY raw_leads (mobile, email, name, company, level1) FROM STDIN") as copy,
        ):
            for row in reader:
                copy.write_row(row)
        connection.commit()
        seconds = time.perf_counter() - started
        count = connection.execute("SELECT count(*) FROM raw_leads").fetchone()
    assert count and count[0] == content.count(b"\n") - 1
    return seconds


def open_runtime(url: str, var_dir: Path) -> Runtime:
    settings = Settings(
        database_url=url,
        var_dir=var_dir,
        cipher_key=base64.b64encode(os.urandom(32)).decode(),  # a throwaway store's key
        in_process_projections=False,
        fast_hashing=True,
        auto_migrate=True,
    )
    return Runtime(settings).start()


def instrument(imports: LeadImports, timers: Timers) -> None:
    """Time the parts of an import by wrapping the functions it calls."""
    leads = imports.leads
    imports_module.row_offer = timers.wrap("read + normalise rows", imports_module.row_offer)  # type: ignore[assignment]
    IntakeBatch.offer = timers.wrap("match into aggregates", IntakeBatch.offer)  # type: ignore[method-assign]
    leads.mapper.to_stored_event = timers.wrap(  # type: ignore[method-assign]
        "map events (stamp, JSON, AES-GCM)", leads.mapper.to_stored_event
    )
    leads.writer.write = timers.wrap("database (insert_events)", leads.writer.write)  # type: ignore[method-assign]
    imports.claims.claimed = timers.wrap("read-model look-up", imports.claims.claimed)  # type: ignore[method-assign]


def database_call(runtime: Runtime, url: str, events: int) -> dict[str, float]:
    """Events/s of one batch's insert: the library's `insert_events` (LOCK, NOTIFY and an
    executemany of single-row INSERT … RETURNING, pipelined) against one INSERT … SELECT
    FROM unnest(…) with the same lock and notify, into the same events table."""
    leads = runtime.container.leads()
    sample = leads.recorder.select_notifications(1, 50)

    def stored() -> list[StoredEvent]:
        return [
            StoredEvent(
                uuid.uuid4(), 1, sample[i % len(sample)].topic, sample[i % len(sample)].state
            )
            for i in range(events)
        ]

    def library() -> float:
        batch = stored()
        started = time.perf_counter()
        leads.recorder.insert_events(batch)
        return time.perf_counter() - started

    def one_statement() -> float:
        batch = stored()
        with psycopg.connect(url) as connection:
            started = time.perf_counter()
            with connection.transaction():
                connection.execute("LOCK TABLE leads_events IN EXCLUSIVE MODE")
                connection.execute("NOTIFY leads_events")
                connection.execute(
                    "INSERT INTO leads_events (originator_id, originator_version, topic, state) "
                    "SELECT * FROM unnest(%s::uuid[], %s::int[], %s::text[], %s::bytea[]) "
                    "RETURNING notification_id",
                    (
                        [e.originator_id for e in batch],
                        [e.originator_version for e in batch],
                        [e.topic for e in batch],
                        [e.state for e in batch],
                    ),
                ).fetchall()
            return time.perf_counter() - started

    rates = {}
    for name, call in (("library executemany", library), ("one unnest INSERT", one_statement)):
        rates[name] = events / statistics.median(call() for _ in range(5))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=imports_module.BATCH_ROWS)
    parser.add_argument("--profile", action="store_true", help="add a cProfile listing")
    args = parser.parse_args()

    url = server_url()
    content = generated_csv(args.rows)
    console.print(f"{server_facts(url)}\n{args.rows:,} rows, {len(content) / 1e6:.1f} MB CSV")
    with throwaway_database(url) as database, tempfile.TemporaryDirectory() as var_dir:
        runtime = open_runtime(database, Path(var_dir))
        try:
            imports = LeadImports(
                runtime.container.leads(),
                runtime.container.lead_queries(),
                batch_rows=args.batch,
                max_file_bytes=len(content),  # the bench file is larger than an upload may be
            )
            timers = Timers()
            instrument(imports, timers)
            profile = cProfile.Profile() if args.profile else None
            actor = Actor(ActorKind.SYSTEM, "bench")
            with acting(RequestContext(actor=actor, request_id="bench-lead-import")):
                if profile:
                    profile.enable()
                started, cpu = time.perf_counter(), time.process_time()
                details = imports.start(
                    uuid.uuid4(),
                    "bench.csv",
                    content,
                    ImportOptions(mapping=MAPPING),
                )
                ours = time.perf_counter() - started
                ours_cpu = time.process_time() - cpu
                if profile:
                    profile.disable()
            assert details.status == "completed", details
            assert details.counts["created"] == args.rows, details.counts
            events = runtime.container.leads().recorder.max_notification_id() or 0
            insert_rates = database_call(runtime, database, args.batch * 3)
        finally:
            runtime.close()
        raw = raw_copy(database, content)

    ours_rate, raw_rate = args.rows / ours, args.rows / raw
    table = Table(title="lead import, rows/s")
    for column in ("case", "seconds", "rows/s", "µs/row"):
        table.add_column(column, justify="right" if column != "case" else "left")
    table.add_row(
        "ours: LeadImports.start", f"{ours:.1f}", f"{ours_rate:,.0f}", f"{1e6 / ours_rate:.0f}"
    )
    table.add_row(
        "ours, per CPU-second of this process",
        f"{ours_cpu:.1f} cpu",
        f"{args.rows / ours_cpu:,.0f}",
        f"{ours_cpu / args.rows * 1e6:.0f}",
    )
    table.add_row("raw: psycopg COPY", f"{raw:.2f}", f"{raw_rate:,.0f}", f"{1e6 / raw_rate:.1f}")
    console.print(table)
    console.print(
        f"ours/raw = {ours_rate / raw_rate:.3f} ({raw_rate / ours_rate:.0f}x slower); "
        f"target {TARGET_ROWS_PER_SECOND:,} leads/s: "
        + ("[green]met[/]" if ours_rate >= TARGET_ROWS_PER_SECOND else "[red]not met[/]")
        + f"; {events:,} events stored ({events / args.rows:.2f} per row)"
    )

    parts = Table(title="where the import's time went (wall, one thread)")
    for column in ("part", "seconds", "µs/row", "share"):
        parts.add_column(column, justify="right" if column != "part" else "left")
    accounted = 0.0
    for name, seconds in timers.totals.items():
        accounted += seconds
        parts.add_row(
            name, f"{seconds:.1f}", f"{seconds / args.rows * 1e6:.0f}", f"{seconds / ours:.0%}"
        )
    rest = ours - accounted
    parts.add_row(
        "rest (CSV parsing, batching, BatchApplied)",
        f"{rest:.1f}",
        f"{rest / args.rows * 1e6:.0f}",
        f"{rest / ours:.0%}",
    )
    console.print(parts)
    console.print(
        f"the database call for one batch ({args.batch * 3:,} events, median of 5): "
        + "; ".join(f"{name} {rate:,.0f} events/s" for name, rate in insert_rates.items())
    )
    if profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(25)
        console.print(out.getvalue())


if __name__ == "__main__":
    main()
