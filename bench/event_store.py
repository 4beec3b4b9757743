"""Event-store write throughput: our application layer against raw psycopg commits.

What is measured, in one run, on one throwaway PostgreSQL database:

1. raw, 1 client      - psycopg single-row INSERT + COMMIT into a table shaped like an
                        events table (uuid, int, text topic, ~200-byte bytea), N times.
2. ours, 1 client     - `Organisation.establish_department` for a tenant, one command
                        after another, through the production path: `Runtime(Settings(...))`,
                        AES cipher on, stamping mapper, `GroupCommitWriter` (the command's
                        own thread commits when nobody else does), `OneTripPostgresRecorder`
                        (table lock + NOTIFY + INSERT + COMMIT in one round trip).
3. raw, C clients     - C threads, one connection each, single-row INSERT + COMMIT.
4. ours, C clients    - C threads calling the same use case at once, so the writer
                        coalesces their events into one transaction per batch.
5. where the time of (2) goes - the same use case with perf_counter accumulators around
                        its parts; then the DB call taken apart by replaying its
                        statements with psycopg (plain insert, + NOTIFY, + LOCK, pipeline
                        mode, one simple query), next to the library's own recorder and
                        ours; with --profile, cProfile listings.

Cases 1-4 run --rounds times back to back (a shared machine is noisy); the table shows
medians, and for ours/raw the median of each round's ratio.

Why: every PostgreSQL save of the library locks the events table, so one transaction
per command runs far below raw commit rates and concurrent commands queue on the lock.
DESIGN.md ("Write path: group commit") sets the target for case 4: commands/s at least
100 % of case 3, measured in the same run on the same server (raw commits one row per
transaction; the writer commits a dozen commands per transaction, so raw is no ceiling).
The ratios printed at the end are ours/raw from this run; absolute rates depend on the
machine (fsync on) and on what else runs on it (the load average is printed).

Run:  .venv/bin/python bench/event_store.py [--n 2000] [--clients 16] [--rounds 3] [--profile]
URL:  HUOKE_BENCH_DATABASE_URL, else HUOKE_TEST_DATABASE_URL (a database is created on
      that server and dropped at the end).
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from rich.console import Console
from rich.table import Table
from throwaway import server_url, throwaway_database

import application.org.organisation as organisation_module
from application.org.commands import EstablishDepartment
from application.org.organisation import Organisation
from application.shared.context import Actor, ActorKind, RequestContext, acting
from domain.org import Department
from entrypoints.container import Runtime
from entrypoints.settings import Settings

console = Console(width=max(Console().width, 120))

RAW_TABLE = "raw_events"
RAW_TOPIC = "org.Department.Established"
RAW_STATE_BYTES = 200
WARMUP = 50
TARGET_RATIO = 1.00


# --- results -------------------------------------------------------------------------------


@dataclass
class Rate:
    """`ops` operations done in `seconds` of wall time."""

    label: str
    ops: int
    seconds: float
    note: str = ""

    @property
    def per_second(self) -> float:
        return self.ops / self.seconds

    @property
    def micros_per_op(self) -> float:
        return self.seconds / self.ops * 1e6


@dataclass
class Timers:
    """Named perf_counter accumulators; `wrap` times every call of a function."""

    totals: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.totals[name] = self.totals.get(name, 0.0) + seconds
        self.counts[name] = self.counts.get(name, 0) + 1

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """`function`, timing each call (wall time, plus the calling thread's CPU time
        under `name + "/cpu"`)."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - started)
                self.add(f"{name}/cpu", time.thread_time() - cpu)

        return timed

    def micros(self, name: str, per: int) -> float:
        return self.totals.get(name, 0.0) / per * 1e6


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# --- the throwaway database ----------------------------------------------------------------


def server_facts(url: str) -> str:
    with psycopg.connect(url) as connection:
        version = connection.execute("SHOW server_version").fetchone()
        fsync = connection.execute("SHOW fsync").fetchone()
        sync_commit = connection.execute("SHOW synchronous_commit").fetchone()
    assert version and fsync and sync_commit
    return (
        f"PostgreSQL {version[0]}, fsync={fsync[0]}, synchronous_commit={sync_commit[0]}, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {load_average()}"
    )


def load_average() -> str:
    """Other work on the machine (and on the server) makes these figures noisy: show it."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


# --- running clients -----------------------------------------------------------------------


def run_clients(
    clients: int, per_client: int, make_client: Callable[[], Callable[[int], None]]
) -> float:
    """Start `clients` threads; each prepares (untimed) with `make_client()`, then all call
    their operation `per_client` times at once. Returns the wall time from start to last."""
    start = threading.Barrier(clients + 1)
    errors: list[BaseException] = []

    def client() -> None:
        try:
            operation = make_client()
        except BaseException as error:
            errors.append(error)
            start.abort()
            raise
        start.wait()
        try:
            for i in range(per_client):
                operation(i)
        except BaseException as error:
            errors.append(error)
            raise

    threads = [threading.Thread(target=client, name=f"client-{i}") for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed") from errors[0]
    return elapsed


_MISSING = object()


@contextmanager
def patched(patches: list[tuple[Any, str, Any]]) -> Iterator[None]:
    """Set attributes (on objects, classes or modules) for the block, then restore them."""
    saved = [(target, name, vars(target).get(name, _MISSING)) for target, name, _ in patches]
    for target, name, replacement in patches:
        setattr(target, name, replacement)
    try:
        yield
    finally:
        for target, name, old in reversed(saved):
            if old is _MISSING:
                delattr(target, name)
            else:
                setattr(target, name, old)


# --- raw psycopg ---------------------------------------------------------------------------


def create_raw_table(url: str) -> None:
    """Shaped like the library's `<app>_events` table: same columns, key and index."""
    with psycopg.connect(url) as connection:
        connection.execute(
            f"CREATE TABLE {RAW_TABLE} ("
            " originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
            " topic text, state bytea, notification_id bigserial,"
            " PRIMARY KEY (originator_id, originator_version))"
        )
        connection.execute(
            f"CREATE UNIQUE INDEX {RAW_TABLE}_nid ON {RAW_TABLE} (notification_id ASC)"
        )


def raw_client(connection: psycopg.Connection[Any]) -> Callable[[int], None]:
    """Each call inserts one row and commits."""
    state = os.urandom(RAW_STATE_BYTES)
    statement = (
        f"INSERT INTO {RAW_TABLE} (originator_id, originator_version, topic, state)"
        " VALUES (%s, %s, %s, %s)"
    )

    def insert(_: int) -> None:
        connection.execute(statement, (uuid.uuid4(), 1, RAW_TOPIC, state))
        connection.commit()

    for i in range(WARMUP // 5):  # lets psycopg prepare the statement
        insert(i)
    return insert


def bench_raw(url: str, *, clients: int, n: int) -> Rate:
    per_client = max(1, n // clients)
    connections: list[psycopg.Connection[Any]] = []

    def make() -> Callable[[int], None]:
        connection = psycopg.connect(url)
        connections.append(connection)
        return raw_client(connection)

    try:
        seconds = run_clients(clients, per_client, make)
    finally:
        for connection in connections:
            connection.close()
    return Rate(f"raw psycopg, {plural(clients, 'client')}", per_client * clients, seconds)


# --- ours ----------------------------------------------------------------------------------


def start_runtime(url: str, var_dir: Path) -> Runtime:
    """Exactly what a PostgreSQL deployment runs (projections in a separate worker)."""
    settings = Settings(
        database_url=url,
        var_dir=var_dir,
        cipher_key=base64.b64encode(os.urandom(32)).decode(),  # a throwaway store's key
        in_process_projections=False,
        fast_hashing=True,
        auto_migrate=True,
    )
    return Runtime(settings).start()


def use_case_client(org: Organisation) -> Callable[[int], None]:
    """One tenant's API key establishing departments, one command per call."""
    tenant_id = uuid.uuid4()
    actor = Actor(ActorKind.API_KEY, f"key-{tenant_id.hex[:8]}", tenant_id)

    def establish(i: int) -> None:
        context = RequestContext(actor=actor, request_id=f"bench-{uuid.uuid4().hex}")
        with acting(context):
            org.establish_department(tenant_id, EstablishDepartment(name=f"销售部 {i}"))

    return establish


def bench_ours(org: Organisation, *, clients: int, n: int) -> Rate:
    """The use case from `clients` threads; notes the mean batch (commands per commit) and
    how busy the writer thread was inside `insert_events` (near 100 %: it is the limit)."""
    per_client = max(1, n // clients)
    timers, recorder = Timers(), org.recorder
    batches_before = org.writer.batches_committed
    with patched([(recorder, "insert_events", timers.wrap("db", recorder.insert_events))]):
        seconds = run_clients(clients, per_client, lambda: use_case_client(org))
    ops = per_client * clients
    batches = org.writer.batches_committed - batches_before
    return Rate(
        f"ours, {plural(clients, 'client')}",
        ops,
        seconds,
        note=f"{ops / batches:.1f} cmd/commit, writer in DB {timers.totals['db'] / seconds:.0%}",
    )


def warm_up(org: Organisation) -> None:
    operation = use_case_client(org)
    for i in range(WARMUP):
        operation(i)


def stored_event_size(org: Organisation) -> int:
    """Bytes of state of the last department event stored (encrypted)."""
    last = org.recorder.max_notification_id() or 0
    (notification,) = org.recorder.select_notifications(last, 1)
    return len(notification.state)


# --- where the time goes -------------------------------------------------------------------


def breakdown(org: Organisation, *, n: int) -> tuple[Timers, int]:
    """Run the 1-client use case `n` times with timers around its parts."""
    timers = Timers()
    mapper, recorder, writer = org.mapper, org.recorder, org.writer
    establish = Department.__dict__["establish"].__func__

    def timed_establish(cls: type[Department], **kwargs: Any) -> Department:
        started = time.perf_counter()
        try:
            return establish(cls, **kwargs)
        finally:
            timers.add("establish", time.perf_counter() - started)

    patches = [
        (Department, "establish", classmethod(timed_establish)),
        (mapper, "to_stored_event", timers.wrap("to_stored_event", mapper.to_stored_event)),
        (mapper.transcoder, "encode", timers.wrap("encode", mapper.transcoder.encode)),
        (mapper.cipher, "encrypt", timers.wrap("encrypt", mapper.cipher.encrypt)),
        (writer, "write", timers.wrap("write", writer.write)),
        (recorder, "insert_events", timers.wrap("insert_events", recorder.insert_events)),
        (
            organisation_module,
            "department_details",
            timers.wrap("details", organisation_module.department_details),
        ),
    ]
    tenant_id = uuid.uuid4()
    actor = Actor(ActorKind.API_KEY, "key-breakdown", tenant_id)
    with patched(patches):
        for i in range(n):
            started = time.perf_counter()
            command = EstablishDepartment(name=f"销售部 {i}")
            timers.add("command", time.perf_counter() - started)
            with acting(RequestContext(actor=actor, request_id=f"bench-{uuid.uuid4().hex}")):
                org.establish_department(tenant_id, command)
            timers.add("total", time.perf_counter() - started)
    return timers, n


def breakdown_table(timers: Timers, n: int, raw_1: Rate) -> Table:
    def us(name: str) -> float:
        return timers.micros(name, n)

    total = us("total")
    mapping_rest = us("to_stored_event") - us("encode") - us("encrypt")
    handoff = us("write") - us("insert_events")
    other = total - us("command") - us("establish") - us("to_stored_event") - us("write")
    other -= us("details")
    rows = [
        ("EstablishDepartment(...) (pydantic command)", us("command")),
        ("Department.establish (validate, event, apply)", us("establish")),
        ("mapper: stamp, topic, StoredEvent", mapping_rest),
        ("mapper: transcoder.encode (JSON)", us("encode")),
        ("mapper: cipher.encrypt (AES-GCM)", us("encrypt")),
        ("writer: gathering + hand-off (none when alone)", handoff),
        ("writer: recorder.insert_events (DB)", us("insert_events")),
        ("department_details (pydantic answer)", us("details")),
        ("rest: new_id, create/commit, context", other),
    ]
    table = Table(title=f"Where a 1-client command's time goes (mean of {n}, µs)")
    table.add_column("part")
    table.add_column("µs/command", justify="right")
    table.add_column("share", justify="right")
    for label, micros in rows:
        table.add_row(label, f"{micros:8.1f}", f"{micros / total:6.1%}")
    table.add_section()
    table.add_row("total per command (with timers)", f"{total:8.1f}", "100.0%")
    outside = total - us("insert_events")
    table.add_row("  of which outside insert_events", f"{outside:8.1f}", f"{outside / total:6.1%}")
    table.add_row("raw psycopg INSERT+COMMIT (case 1)", f"{raw_1.micros_per_op:8.1f}", "")
    extra = us("insert_events") - raw_1.micros_per_op
    table.add_row("insert_events minus raw INSERT+COMMIT", f"{extra:8.1f}", f"{extra / total:6.1%}")
    return table


def db_call_anatomy(
    url: str, recorder: ApplicationRecorder, *, n: int
) -> list[tuple[str, float, float]]:
    """What insert_events sends, replayed with psycopg on one connection, adding one
    piece at a time, then the library's recorder and ours on the application's events
    table: (label, median wall µs, median CPU µs of this thread)."""
    assert isinstance(recorder, PostgresApplicationRecorder)
    library_recorder = PostgresApplicationRecorder(
        recorder.datastore, events_table_name=recorder.events_table_name
    )
    state = os.urandom(RAW_STATE_BYTES)
    insert = (
        f"INSERT INTO {RAW_TABLE} (originator_id, originator_version, topic, state)"
        " VALUES (%s, %s, %s, %s) RETURNING notification_id"
    )
    lock = [
        "SET LOCAL lock_timeout = '5s'",
        f"LOCK TABLE {RAW_TABLE} IN EXCLUSIVE MODE",
    ]
    notify = f"NOTIFY {RAW_TABLE}"

    with psycopg.connect(url, autocommit=True) as connection:

        def params() -> tuple[Any, ...]:
            return (uuid.uuid4(), 1, RAW_TOPIC, state)

        def plain() -> None:
            with connection.transaction():
                connection.execute(insert, params()).fetchall()

        def with_notify() -> None:
            with connection.transaction():
                connection.execute(notify)
                connection.execute(insert, params()).fetchall()

        def with_lock_and_notify() -> None:
            with connection.transaction():
                for statement in [*lock, notify]:
                    connection.execute(statement)
                connection.execute(insert, params()).fetchall()

        def pipelined() -> None:  # how eventsourcing 9.5 does it
            with (
                connection.pipeline() as pipeline,
                connection.transaction(),
                connection.cursor() as cursor,
            ):
                for statement in lock:
                    cursor.execute(statement, prepare=True)
                cursor.execute(notify)
                cursor.execute(insert, params())
                pipeline.sync()
                cursor.fetchall()

        def one_round_trip_for_lock() -> None:
            with connection.transaction():
                connection.execute("; ".join([*lock, notify]))
                connection.execute(insert, params()).fetchall()

        def library() -> None:  # pool checkout, composite-array INSERT, retry decorator
            library_recorder.insert_events([StoredEvent(uuid.uuid4(), 1, RAW_TOPIC, state)])

        def ours() -> None:  # the same transaction as one simple query
            recorder.insert_events([StoredEvent(uuid.uuid4(), 1, RAW_TOPIC, state)])

        cases = [
            ("BEGIN, INSERT … RETURNING, COMMIT", plain),
            ("+ NOTIFY", with_notify),
            ("+ SET LOCAL lock_timeout + LOCK TABLE (one trip each)", with_lock_and_notify),
            ("the same in pipeline mode (as the library does)", pipelined),
            ("the same, lock+notify sent as one simple query", one_round_trip_for_lock),
            ("library PostgresApplicationRecorder.insert_events", library),
            (f"ours, {type(recorder).__name__}.insert_events", ours),
        ]
        for _, operation in cases:
            for _ in range(WARMUP):
                operation()
        walls: list[list[float]] = [[] for _ in cases]
        cpus: list[list[float]] = [[] for _ in cases]
        for _ in range(n):  # interleaved, so that a busy moment hits every case alike
            for index, (_, operation) in enumerate(cases):
                started, cpu = time.perf_counter(), time.thread_time()
                operation()
                walls[index].append(time.perf_counter() - started)
                cpus[index].append(time.thread_time() - cpu)
    return [
        (label, statistics.median(walls[i]) * 1e6, statistics.median(cpus[i]) * 1e6)
        for i, (label, _) in enumerate(cases)
    ]


def anatomy_table(rows: list[tuple[str, float, float]], timers: Timers, n: int) -> Table:
    table = Table(
        title="The DB call: insert_events vs psycopg replays (1 connection)",
        caption="replays: median of N/2 each, interleaved; insert_events: mean, from above",
    )
    table.add_column("transaction")
    table.add_column("wall µs", justify="right")
    table.add_column("client CPU µs", justify="right")
    for label, wall, cpu in rows:
        table.add_row(label, f"{wall:8.1f}", f"{cpu:8.1f}")
    table.add_section()
    table.add_row(
        "ours inside the use case (breakdown above)",
        f"{timers.micros('insert_events', n):8.1f}",
        f"{timers.micros('insert_events/cpu', n):8.1f}",
    )
    return table


def profile(org: Organisation, *, n: int, top: int = 15) -> str:
    """cProfile listings of the 1-client use case: the command's thread, and the writer
    thread inside `insert_events` (a profiler sees only the thread it runs in)."""
    operation, recorder = use_case_client(org), org.recorder
    command, writer = cProfile.Profile(), cProfile.Profile()

    def profiled_insert(*args: Any, **kwargs: Any) -> Any:
        return writer.runcall(insert_events, *args, **kwargs)

    insert_events = recorder.insert_events
    with patched([(recorder, "insert_events", profiled_insert)]):
        command.enable()
        for i in range(n):
            operation(i)
        command.disable()
    out = io.StringIO()
    for title, profiler in (("command thread", command), ("writer thread", writer)):
        out.write(f"\n--- cProfile, {title}, {n} commands, by own time ---\n")
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --- report --------------------------------------------------------------------------------


CASES = {"raw_1": None, "ours_1": "raw_1", "raw_c": None, "ours_c": "raw_c"}


def results_table(rounds: list[dict[str, Rate]], event_bytes: int) -> Table:
    """Median over rounds per case; the ratio is the median of each round's ours/raw, since
    the two ran back to back and share whatever else the machine was doing then."""
    table = Table(
        title="Event-store writes: ours vs raw psycopg (same server, same run)",
        caption_justify="left",
    )
    for column in ("case", "ops/s", "min–max", "µs/op", "ours/raw", "min–max", "note"):
        table.add_column(column, justify="left" if column in ("case", "note") else "right")
    for key, baseline in CASES.items():
        rates = sorted((r[key] for r in rounds), key=lambda rate: rate.per_second)
        median = rates[len(rates) // 2]
        ratio = spread = ""
        if baseline is not None:
            ratios = sorted(r[key].per_second / r[baseline].per_second for r in rounds)
            ratio = f"{ratios[len(ratios) // 2]:.1%}"
            spread = f"{ratios[0]:.0%}–{ratios[-1]:.0%}"
        note = median.note
        if key == "ours_c":
            met = ratios[len(ratios) // 2] >= TARGET_RATIO
            note += f"; target ≥ {TARGET_RATIO:.0%}: {'met' if met else 'NOT met'}"
        table.add_row(
            median.label,
            f"{median.per_second:.0f}",
            f"{rates[0].per_second:.0f}–{rates[-1].per_second:.0f}",
            f"{median.micros_per_op:.0f}",
            ratio,
            spread,
            note,
        )
    ops = rounds[0]["raw_1"].ops
    table.caption = (
        f"{len(rounds)} rounds of the 4 cases, {ops} operations each; median shown. ours = "
        f"Organisation.establish_department (1 event, stored as {event_bytes} bytes) via "
        f"Runtime, cipher on;\nraw rows carry {RAW_STATE_BYTES} bytes. Clients are threads. "
        f"cmd/commit = mean batch of the group-commit writer\n(note of the median round)."
    )
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="operations per case (default 2000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--rounds", type=int, default=3, help="repeat cases 1-4 (default 3)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile listing")
    args = parser.parse_args(argv)
    n, clients = args.n, args.clients

    url = server_url()
    console.print(f"[bold]event-store bench[/]: {server_facts(url)}; N={n}")
    rounds: list[dict[str, Rate]] = []
    with throwaway_database(url) as db_url, tempfile.TemporaryDirectory() as var_dir:
        create_raw_table(db_url)
        runtime = start_runtime(db_url, Path(var_dir))
        try:
            org: Organisation = runtime.container.org()
            warm_up(org)
            cases: dict[str, Callable[[], Rate]] = {
                "raw_1": lambda: bench_raw(db_url, clients=1, n=n),
                "ours_1": lambda: bench_ours(org, clients=1, n=n),
                "raw_c": lambda: bench_raw(db_url, clients=clients, n=n),
                "ours_c": lambda: bench_ours(org, clients=clients, n=n),
            }
            for round_number in range(1, args.rounds + 1):
                rates: dict[str, Rate] = {}
                for step, (key, run) in enumerate(cases.items(), start=1):
                    where = f"round {round_number}/{args.rounds}, {step}/5"
                    with console.status(f"{where} {key} ..."):
                        rates[key] = rate = run()
                    console.print(f"{where} {rate.label}: {rate.per_second:.0f}/s {rate.note}")
                rounds.append(rates)
            event_bytes = stored_event_size(org)  # before the anatomy adds other rows
            with console.status("5/5 overhead breakdown, 1 client ..."):
                timers, count = breakdown(org, n=n)
                anatomy = db_call_anatomy(db_url, org.recorder, n=max(1, n // 2))
                listing = profile(org, n=n) if args.profile else ""
            console.print("5/5 overhead breakdown done")
        finally:
            runtime.close()

    raw_1 = sorted((r["raw_1"] for r in rounds), key=lambda rate: rate.per_second)
    console.print(f"done; {load_average()}")
    console.print()
    console.print(results_table(rounds, event_bytes))
    console.print(breakdown_table(timers, count, raw_1[len(raw_1) // 2]))
    console.print(anatomy_table(anatomy, timers, count))
    if listing:
        print(listing)


if __name__ == "__main__":
    main()
