"""Snapshots: a command on a lead with 10,000 events, before and after it has a snapshot.

What is measured, in one run, on one throwaway PostgreSQL database, through the
production path (`Runtime(Settings(...))`, AES cipher on, the group-commit writer):

1. a `Lead` is registered and followed up until it has `--events` events (10,000),
   with snapshotting switched off while it is built, so no snapshot of it exists;
2. before: `Leads.follow_up` on it `--n` times, each a load (every event replayed:
   read, decrypt, decode, apply) and one new event; the versions stay below the next
   multiple of the interval, so no snapshot is taken meanwhile;
3. commands until a commit reaches that multiple: `commit()` snapshots the lead;
4. after: `Leads.follow_up` `--n` times again, each a load of the latest snapshot plus
   the events after it (fewer than the interval) and one new event;
5. for scale, raw psycopg `SELECT` of the lead's stored rows (no decoding).

It prints the median of each case (also of the load alone), and before/after: how
many times faster a command on a busy aggregate is once it has a snapshot (ADR 0009).

Run:  .venv/bin/python bench/snapshots.py [--events 10000] [--n 20]
URL:  HUOKE_BENCH_DATABASE_URL, else HUOKE_TEST_DATABASE_URL (a database is created on
      that server and dropped at the end).
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table
from throwaway import server_url, throwaway_database

from application.leads.leads import Leads
from application.shared.context import Actor, ActorKind, RequestContext, acting
from domain.leads.lead import Lead
from entrypoints.container import Runtime
from entrypoints.settings import Settings

console = Console(width=max(Console().width, 100))
TENANT = uuid.uuid4()
OWNER = uuid.uuid4()
BUILD_BATCH = 500  # events per commit while the lead is built


def start_runtime(url: str, var_dir: Path) -> Runtime:
    """What a PostgreSQL deployment runs (projections in a separate worker)."""
    settings = Settings(
        database_url=url,
        var_dir=var_dir,
        cipher_key=base64.b64encode(os.urandom(32)).decode(),  # a throwaway store's key
        in_process_projections=False,
        fast_hashing=True,
        auto_migrate=True,
    )
    return Runtime(settings).start()


@contextmanager
def snapshotting_off() -> Iterator[None]:
    saved = Leads.snapshotting_intervals
    Leads.snapshotting_intervals = {}
    try:
        yield
    finally:
        Leads.snapshotting_intervals = saved


def busy_lead(leads: Leads, events: int) -> Lead:
    """A lead with `events` events and no snapshot."""
    lead = Lead.register(
        lead_id=uuid.uuid4(),
        tenant_id=TENANT,
        identities=[{"kind": "mobile", "value": "13800138000"}],
        profile={"name": "张三", "company": "杭州某科技有限公司", "city": "杭州"},
        custom={"budget": 12000, "grade": "A"},
        source={"level1": "官网", "utm_source": "baidu"},
        status="new",
        owner_id=OWNER,
    )
    with snapshotting_off():
        for i in range(events - 1):
            lead.follow_up(f"第 {i} 次回访：客户关心价格和交付周期")
            if len(lead.pending_events) >= BUILD_BATCH:
                leads.commit(lead)
        leads.commit(lead)
    return lead


def timed(operation: Callable[[], object], n: int) -> list[float]:
    seconds = []
    for _ in range(n):
        started = time.perf_counter()
        operation()
        seconds.append(time.perf_counter() - started)
    return seconds


def raw_select(url: str, lead_id: uuid.UUID, n: int) -> list[float]:
    with psycopg.connect(url) as connection:
        query = "SELECT originator_version, topic, state FROM leads_events WHERE originator_id = %s"

        def select() -> None:
            connection.execute(query, (lead_id,)).fetchall()
            connection.commit()

        return timed(select, n)


def ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="events of the lead")
    parser.add_argument("--n", type=int, default=20, help="commands per case (default 20)")
    args = parser.parse_args(argv)
    interval = Leads.snapshotting_intervals[Lead]
    if args.n >= interval:
        sys.exit(f"--n must stay below the interval ({interval}) so 'before' takes none")

    url = server_url()
    one, five, _ = os.getloadavg()
    console.print(
        f"[bold]snapshot bench[/]: {args.events} events, Lead interval {interval}, "
        f"n={args.n}; load average {one:.2f} (1 min) {five:.2f} (5 min)"
    )
    actor = Actor(ActorKind.API_KEY, "key-bench", TENANT)
    with (
        throwaway_database(url) as db_url,
        tempfile.TemporaryDirectory() as var_dir,
        acting(RequestContext(actor=actor, request_id="bench-snapshots")),
    ):
        runtime = start_runtime(db_url, Path(var_dir))
        try:
            leads: Leads = runtime.container.leads()
            assert leads.snapshots is not None
            with console.status(f"building a lead with {args.events} events ..."):
                lead = busy_lead(leads, args.events)
            assert not list(leads.snapshots.get(lead.id))

            def command() -> None:
                leads.follow_up(TENANT, lead.id, "再次回访")

            def load() -> None:
                leads.load(lead.id, Lead, tenant_id=TENANT)

            with console.status("before: no snapshot ..."):
                load_before = timed(load, args.n)
                before = timed(command, args.n)
            assert not list(leads.snapshots.get(lead.id)), "a snapshot was taken too early"
            while not list(leads.snapshots.get(lead.id)):
                command()  # until a commit reaches a multiple of the interval
            (snapshot,) = leads.snapshots.get(lead.id, desc=True, limit=1)
            with console.status("after: from the snapshot ..."):
                load_after = timed(load, args.n)
                after = timed(command, args.n)
            version = leads.load(lead.id, Lead, tenant_id=TENANT).version
            raw = raw_select(db_url, lead.id, args.n)
            snapshot_bytes = len(
                leads.snapshots.recorder.select_events(lead.id, desc=True, limit=1)[0].state
            )
        finally:
            runtime.close()

    table = Table(title=f"A command on a lead with {args.events:,} events (median of {args.n})")
    for column in ("case", "load ms", "load + command ms", "events read"):
        table.add_column(column, justify="left" if column == "case" else "right")
    table.add_row("before: no snapshot", f"{ms(load_before):.1f}", f"{ms(before):.1f}", "10,000+")
    tail = version - snapshot.originator_version
    table.add_row(
        f"after: snapshot at v{snapshot.originator_version} ({snapshot_bytes:,} bytes) + tail",
        f"{ms(load_after):.1f}",
        f"{ms(after):.1f}",
        f"snapshot + ≤{tail}",
    )
    table.add_section()
    table.add_row("raw psycopg SELECT of the lead's rows", f"{ms(raw):.1f}", "", f"{args.events:,}")
    console.print(table)
    console.print(
        f"before/after: load + command [bold]{ms(before) / ms(after):.0f}×[/] faster with a "
        f"snapshot (after/before {ms(after) / ms(before):.1%}); load alone "
        f"{ms(load_before) / ms(load_after):.0f}×."
    )


if __name__ == "__main__":
    main()
