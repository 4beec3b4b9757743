"""Marketing automation flows (issue 19, FLOW-2/5): a trigger's first effect, 100,000
waits due at once, and a group of 100,000 leads entering a flow.

One throwaway store (a PostgreSQL database created next to HUOKE_BENCH_DATABASE_URL /
HUOKE_TEST_DATABASE_URL and dropped at the end, or SQLite with `--backend sqlite`),
built by `Runtime(Settings(...))` with the followers in-process as `huoke serve` runs
them. Three parts, each beside a raw baseline measured in the same run:

1. Trigger → first effect: a tenant with `--flows` enabled flows (all but one start on
   other tags); one flow starts on tag "bench" and its first node adds tag "done".
   `--n` leads are tagged "bench" through the leads application (the command returned:
   the trigger's acknowledgement), then the clock runs until the lead has tag "done".
   Baselines: the same tag command's own time, and a raw INSERT + COMMIT + SELECT.
2. A group of `--group` leads entering a flow at once: the members join a static group
   by the groups application's batched join (what adding members or a smart group's
   evaluation commits, 100 memberships a commit), the enrolling policy admits each
   `Membership.Joined` into the flow and walks it to its first node, a wait until an
   instant T. Timed until the policy has processed the last join. Baselines: the same
   number of rows by raw COPY, by raw executemany in one transaction, and (for the
   policy's shape, a commit per lead) raw single-row INSERT + COMMIT.
3. Those `--group` waits, all due at T: the flow worker's round (`Waking.run_once`, as
   the worker thread loops it) runs from T on a clock that is the real clock shifted so
   that the first round starts at T; each round's woken runs count as fired when the
   round returns (lateness = that moment − T). Baseline: a plain table of as many rows
   with a due column, fired by `UPDATE … WHERE id IN (SELECT … LIMIT 500)` + COMMIT.

The group's enrolments are the waits, so `--group` (alias `--waits`) sizes parts 2 and 3.

    .venv/bin/python bench/flows.py                   # 100 flows, 200 probes, 100,000 (~17 min)
    .venv/bin/python bench/flows.py --quick           # 10,000 and 50 probes (~2 min)
    .venv/bin/python bench/flows.py --waits 5000 --profile   # where the time goes
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import os
import pstats
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import psycopg  # noqa: E402
from bench.throwaway import server_url, throwaway_database  # noqa: E402

from application.flows.commands import DraftFlow  # noqa: E402
from application.flows.enrolling import Enrolling  # noqa: E402
from application.flows.stepping import Stepping  # noqa: E402
from application.flows.waking import Waking  # noqa: E402
from application.leads.commands import CreateLead  # noqa: E402
from application.leads.scope import LeadScope  # noqa: E402
from application.segments.group_commands import FormGroup  # noqa: E402
from application.shared.context import RequestContext, acting  # noqa: E402
from entrypoints.container import Runtime  # noqa: E402
from entrypoints.settings import Settings  # noqa: E402

WAKE_BATCH = 500  # the worker's batch (Waking's default) and the raw baseline's
IDLE_SECONDS = 0.2  # what the flow worker sleeps after a round that woke nothing
GIVE_UP_SECONDS = 900.0


@dataclass
class Row:
    """One line of the printed table."""

    what: str
    ours: str
    raw: str = ""
    ratio: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, what: str, ours: str, raw: str = "", ratio: str = "") -> None:
        self.rows.append(Row(what, ours, raw, ratio))
        print(
            f"  {what}: {ours}"
            + (f" | raw {raw}" if raw else "")
            + (f" | {ratio}" if ratio else "")
        )

    def print(self, title: str) -> None:
        print(f"\n{title}\n")
        print("| measure | huoke | raw baseline | ratio |")
        print("|---|---:|---:|---:|")
        for row in self.rows:
            print(f"| {row.what} | {row.ours} | {row.raw} | {row.ratio} |")
        for note in self.notes:
            print(f"\n{note}")


class ShiftedClock:
    """The real clock moved by `offset` (so a bench can start at an instant in the
    future and still see real time pass)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--flows", type=int, default=100, help="enabled flows in the tenant")
    parser.add_argument("--n", type=int, default=200, help="trigger → effect probes")
    parser.add_argument(
        "--group",
        "--waits",
        dest="group",
        type=int,
        default=100_000,
        help="leads entering a flow at once (and waits)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a try: --group 10000 --n 50 (about 2 minutes)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile enrolling (2,000 leads) and the rounds"
    )
    args = parser.parse_args()
    if args.quick:
        args.group, args.n = min(args.group, 10_000), min(args.n, 50)
    began = time.perf_counter()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "postgres":
            with throwaway_database(server_url()) as url:
                measure(url, Path(tmp), args)
        else:
            measure(None, Path(tmp), args)
    after = os.getloadavg()
    print(
        f"\nwhole run {time.perf_counter() - began:.0f} s; load average (1 min) "
        f"{load[0]:.1f} before, {after[0]:.1f} after"
    )


def measure(url: str | None, tmp: Path, args: argparse.Namespace) -> None:
    settings = Settings(
        database_url=url,
        var_dir=tmp / "var",
        fast_hashing=True,
        auto_migrate=True,
        in_process_projections=True,
        pool_size=8,
        cipher_key=base64.b64encode(os.urandom(32)).decode(),
    )
    raw = Raw(url, tmp / "raw.sqlite3")
    runtime = Runtime(settings).start()
    report = Report()
    try:
        with acting(RequestContext(request_id="bench-flows")):
            tenant_id = uuid.uuid4()
            print(
                f"{args.backend}: {args.flows} enabled flows, {args.n} probes, {args.group:,}",
                flush=True,
            )
            trigger_to_effect(runtime, raw, tenant_id, args, report)
            flow_id, due_at = group_enters(runtime, raw, tenant_id, args, report)
            waits_fire(runtime, raw, tenant_id, flow_id, due_at, args, report)
    finally:
        runtime.close()
        raw.close()
    report.print(
        f"{args.backend}, {args.flows} enabled flows, {args.n} probes, "
        f"{args.group:,} leads / waits, {datetime.now(UTC):%Y-%m-%d}"
    )


# --- 1. trigger → first effect ------------------------------------------------------------


def trigger_to_effect(
    runtime: Runtime, raw: Raw, tenant_id: uuid.UUID, args: argparse.Namespace, report: Report
) -> None:
    print("1. trigger → first effect", flush=True)
    container = runtime.container
    scope = LeadScope.whole_company(tenant_id)
    leads = container.leads()
    for k in range(args.flows - 1):  # the others: other tags, so the policy weighs them all
        enable(
            runtime,
            tenant_id,
            f"无关 {k}",
            {"kind": "tag_added", "tag": f"other-{k}"},
            [
                {"id": "t", "kind": "add_tag", "tag": f"x-{k}", "next": "end"},
                {"id": "end", "kind": "end"},
            ],
        )
    enable(
        runtime,
        tenant_id,
        "bench",
        {"kind": "tag_added", "tag": "bench"},
        [
            {"id": "t", "kind": "add_tag", "tag": "done", "next": "end"},
            {"id": "end", "kind": "end"},
        ],
    )
    probes = [
        leads.create_lead(scope, CreateLead(mobile=f"136{n:08d}")).lead.id for n in range(args.n)
    ]
    settle(runtime)
    # A few probes first: the first walk of a flow reads and parses it.
    warm = [leads.create_lead(scope, CreateLead(mobile=f"135{n:08d}")).lead.id for n in range(3)]
    for lead_id in warm:
        leads.tag(scope, lead_id, ["bench"], add=True)
        wait_for_tag(leads, scope, lead_id, "done")
    settle(runtime)
    commands, latencies = [], []
    for lead_id in probes:
        started = time.perf_counter()
        leads.tag(scope, lead_id, ["bench"], add=True)
        acknowledged = time.perf_counter()
        wait_for_tag(leads, scope, lead_id, "done")
        latencies.append(time.perf_counter() - acknowledged)
        commands.append(acknowledged - started)
        settle(runtime)  # one probe at a time: each sees an idle system
    rounds = raw.round_trips(args.n)
    p50, p95, top = percentile(latencies, 50), percentile(latencies, 95), max(latencies)
    report.add(
        "1. tag acknowledged → tag 'done' on the lead, p50 / p95 / max",
        f"{ms(p50)} / {ms(p95)} / {ms(top)}",
    )
    report.add(
        "1. the tag command itself (the baseline), p50 / p95",
        f"{ms(percentile(commands, 50))} / {ms(percentile(commands, 95))}",
        f"{ms(percentile(rounds, 50))} / {ms(percentile(rounds, 95))} INSERT+COMMIT+SELECT",
    )
    report.add(
        "1. trigger → effect p95 against the tag command's p95 / raw round trip's",
        f"{p95 / percentile(commands, 95):.1f}× / {p95 / percentile(rounds, 95):.0f}×",
        ratio="aim p95 ≤ 1 s: " + ("met" if p95 <= 1.0 else "not met"),
    )


def wait_for_tag(leads: Any, scope: LeadScope, lead_id: uuid.UUID, tag: str) -> None:
    deadline = time.perf_counter() + 30
    while tag not in leads.lead(scope, lead_id).tags:
        if time.perf_counter() > deadline:
            raise SystemExit(f"lead {lead_id}: no tag {tag!r} after 30 s")
        time.sleep(0.002)


# --- 2. a group of leads entering a flow at once -----------------------------------------


def group_enters(
    runtime: Runtime, raw: Raw, tenant_id: uuid.UUID, args: argparse.Namespace, report: Report
) -> tuple[uuid.UUID, datetime]:
    print(f"2. {args.group:,} leads of a group entering a flow", flush=True)
    container = runtime.container
    groups = container.segment_groups()
    group = groups.form(tenant_id, FormGroup(name="一起进入的客户", kind="static"))
    # Far enough ahead that no wait falls due while the group enters (the worker of the
    # runtime runs on the real clock); part 3 shifts its own clock to it.
    due_at = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    flow_id = enable(
        runtime,
        tenant_id,
        "进群后等待",
        {"kind": "joined_group", "group_id": str(group.id)},
        [
            {"id": "wait", "kind": "wait", "until": due_at.isoformat(), "next": "end"},
            {"id": "end", "kind": "end"},
        ],
    )
    settle(runtime)
    # The leads are ids only: neither the join nor the enrolment reads the lead (adding
    # members by id checks they are live leads first; that check is not timed here).
    members = [uuid.uuid4() for _ in range(args.group)]
    segments = container.segments()
    infrastructure = container.infrastructure()
    enrolling = infrastructure.query_view(runtime.follower(Enrolling.name))
    started = time.perf_counter()
    changed, _ = groups._change(tenant_id, group.id, members, join=True, reason="added")
    joined = time.perf_counter()
    head = segments.recorder.max_notification_id() or 0
    while (enrolling.max_tracking_id("segments") or 0) < head:
        if time.perf_counter() - joined > GIVE_UP_SECONDS:
            raise SystemExit("the enrolling policy did not catch up")
        time.sleep(0.05)
    enrolled = time.perf_counter()
    settle(runtime, timeout=GIVE_UP_SECONDS)
    listed = time.perf_counter()
    counts = container.flow_queries().status_counts(tenant_id, flow_id)
    assert changed == args.group and counts.get("waiting") == args.group, (changed, counts)
    took = enrolled - started
    copy, many, single = raw.enrolment_rows(args.group, tenant_id, flow_id)
    rate = args.group / took
    report.add(
        f"2. {args.group:,} joins committed (100 a commit)",
        per_second(args.group, joined - started),
    )
    report.add(
        f"2. {args.group:,} enrolled and walked to their wait (join start → policy done)",
        f"{took:.0f} s = {rate:,.0f}/s",
        f"{'COPY' if raw.postgres else 'batch'} {copy:,.0f} rows/s; "
        f"executemany {many:,.0f}/s; row + COMMIT {single:,.0f}/s",
        f"{rate / copy:.1%} / {rate / many:.1%} / {rate / single:.0%}",
    )
    report.add(
        "2. … until the flows' read model lists them all waiting",
        f"{listed - started:.0f} s after the join started",
    )
    if args.profile:
        report.notes.append(profile_enrol(runtime, tenant_id, due_at))
    return flow_id, due_at


def profile_enrol(runtime: Runtime, tenant_id: uuid.UUID, due_at: datetime) -> str:
    """cProfile of what the policy does for each `Membership.Joined`: find the tenant's
    joined_group flows, then `Enrolments.enrol` (load or open, walk, commit), in this
    thread for 2,000 leads of a flow of its own (its group is never joined)."""
    container = runtime.container
    group_id = uuid.uuid4()
    later = due_at + timedelta(days=365)
    flow_id = enable(
        runtime,
        tenant_id,
        "剖析",
        {"kind": "joined_group", "group_id": str(group_id)},
        [  # due long after part 3, which fires every due wait
            {"id": "wait", "kind": "wait", "until": later.isoformat(), "next": "end"},
            {"id": "end", "kind": "end"},
        ],
    )
    settle(runtime)
    enrolments = container.flow_enrolments()
    view = container.infrastructure().query_view(runtime.follower(Enrolling.name))
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for k in range(2000):
        view.rows(
            "SELECT flow_id, trigger, flow_version FROM flows_enrolling_flows "
            "WHERE tenant_id = ? AND trigger_kind = ? ORDER BY flow_id",
            (str(tenant_id), "joined_group"),
        )
        enrolments.enrol(tenant_id, flow_id, uuid.uuid4(), cause=f"bench:{k}", at=datetime.now(UTC))
    profile.disable()
    took = time.perf_counter() - started
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(25)
    return f"profile: 2,000 enrolments in {took:.1f} s = {2000 / took:,.0f}/s\n{out.getvalue()}"


# --- 3. waits due in the same minute ------------------------------------------------------


def waits_fire(
    runtime: Runtime,
    raw: Raw,
    tenant_id: uuid.UUID,
    flow_id: uuid.UUID,
    due_at: datetime,
    args: argparse.Namespace,
    report: Report,
) -> None:
    total = args.group
    print(f"3. {total:,} waits due at the same instant", flush=True)
    c = runtime.container
    clock = ShiftedClock()
    stepping = Stepping(c.flow_effects(), c.profile_queries(), c.tenancy(), clock)
    waking = Waking(c.flows(), c.flow_enrolments(), stepping, c.flow_queries(), clock)
    fired_at: list[tuple[int, float]] = []  # (woken, seconds after due) per round
    idle_rounds = 0
    clock.offset = due_at - datetime.now(UTC)
    profile = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    woken = 0
    while woken < total:
        if profile is not None:
            profile.enable()
        done = waking.run_once()
        if profile is not None:
            profile.disable()
        late = (clock.now() - due_at).total_seconds()
        if done.woken:
            fired_at.append((done.woken, late))
            woken += done.woken
        else:
            idle_rounds += 1
            time.sleep(IDLE_SECONDS)  # as the worker thread does when a round found nothing
        if late > GIVE_UP_SECONDS:
            report.notes.append(f"part 3 gave up after {late:.0f} s with {woken:,} fired")
            break
    took = time.perf_counter() - started
    settle(runtime, timeout=GIVE_UP_SECONDS)
    listed = time.perf_counter() - started
    ended = c.flow_queries().status_counts(tenant_id, flow_id)
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
        report.notes.append(f"profile of the rounds (sleeps left out):\n{out.getvalue()}")
    lateness = [late for count, late in fired_at for _ in range(count)]
    raw_took = raw.fire_waits(total)
    within = sum(1 for late in lateness if late <= 60.0)
    report.add(
        f"3. {total:,} waits due at T fired by the worker's rounds",
        f"{took:.1f} s = {total / took:,.0f} waits/s",
        f"{raw_took:.1f} s = {total / raw_took:,.0f} rows/s",
        f"{(total / took) / (total / raw_took):.1%}",
    )
    report.add(
        "3. lateness (fired − due) p50 / p99 / max",
        f"{percentile(lateness, 50):.1f} s / {percentile(lateness, 99):.1f} s / "
        f"{max(lateness):.1f} s",
    )
    report.add(
        "3. fired within 60 s of due",
        f"{within:,} of {total:,} ({within / total:.0%}); {len(fired_at)} rounds woke runs, "
        f"{idle_rounds} found none fresh ({idle_rounds * IDLE_SECONDS:.1f} s asleep); "
        f"the read model shows them ended {listed:.0f} s after T",
        ratio="aim all within 60 s: " + ("met" if within == total else "not met"),
    )
    assert ended.get("ended") == woken, ended


# --- raw baselines ------------------------------------------------------------------------


class Raw:
    """The baselines: plain tables in the same database (or a SQLite file beside)."""

    def __init__(self, url: str | None, sqlite_path: Path) -> None:
        self.postgres = url is not None
        self.connection: Any = (
            psycopg.connect(url) if url is not None else sqlite3.connect(sqlite_path)
        )
        self.mark = "%s" if self.postgres else "?"

    def close(self) -> None:
        self.connection.close()

    def round_trips(self, n: int) -> list[float]:
        """INSERT + COMMIT, then SELECT it back: a write acknowledged and read."""
        db, m = self.connection, self.mark
        db.execute("CREATE TABLE raw_tags (id INTEGER PRIMARY KEY, lead TEXT, tag TEXT)")
        db.commit()
        took = []
        for k in range(n):
            started = time.perf_counter()
            db.execute(f"INSERT INTO raw_tags VALUES ({m}, {m}, {m})", (k, str(uuid.uuid4()), "b"))
            db.commit()
            db.execute(f"SELECT tag FROM raw_tags WHERE id = {m}", (k,)).fetchone()
            db.commit()
            took.append(time.perf_counter() - started)
        return took

    def enrolment_rows(
        self, n: int, tenant_id: uuid.UUID, flow_id: uuid.UUID
    ) -> tuple[float, float, float]:
        """Rows per second: COPY (executemany on SQLite), executemany in one
        transaction, and one row per commit (on at most 2,000 rows)."""
        db, m = self.connection, self.mark
        shape = (
            "(id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, flow_id TEXT NOT NULL, "
            "lead_id TEXT NOT NULL, status TEXT NOT NULL, wake_at TEXT)"
        )
        rows = [
            (str(uuid.uuid4()), str(tenant_id), str(flow_id), str(uuid.uuid4()), "waiting", "T")
            for _ in range(n)
        ]
        insert = "INSERT INTO {} VALUES (" + ", ".join([m] * 6) + ")"
        rates = []
        for name in ("raw_copy", "raw_many", "raw_single"):
            db.execute(f"CREATE TABLE {name} {shape}")
            db.execute(f"CREATE INDEX {name}_due ON {name} (status, wake_at)")
            db.commit()
        started = time.perf_counter()
        if self.postgres:
            with db.cursor() as cursor, cursor.copy("COPY raw_copy FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            db.executemany(insert.format("raw_copy"), rows)
        db.commit()
        rates.append(n / (time.perf_counter() - started))
        started = time.perf_counter()
        cursor = db.cursor()
        cursor.executemany(insert.format("raw_many"), rows)
        db.commit()
        rates.append(n / (time.perf_counter() - started))
        sample = rows[:2000]
        started = time.perf_counter()
        for row in sample:
            db.execute(insert.format("raw_single"), row)
            db.commit()
        rates.append(len(sample) / (time.perf_counter() - started))
        return rates[0], rates[1], rates[2]

    def fire_waits(self, n: int) -> float:
        """Seconds to fire `n` rows all due now, 500 an UPDATE + COMMIT."""
        db, m = self.connection, self.mark
        db.execute(
            "CREATE TABLE raw_waits (id INTEGER PRIMARY KEY, due TEXT NOT NULL, "
            "fired BOOLEAN NOT NULL DEFAULT FALSE)"
        )
        db.execute("CREATE INDEX raw_waits_due ON raw_waits (fired, due)")
        due = datetime.now(UTC).isoformat()
        cursor = db.cursor()
        cursor.executemany(
            f"INSERT INTO raw_waits (id, due) VALUES ({m}, {m})", [(k, due) for k in range(n)]
        )
        db.commit()
        now = datetime.now(UTC).isoformat()
        started = time.perf_counter()
        while True:
            fired = db.execute(
                "UPDATE raw_waits SET fired = TRUE WHERE id IN (SELECT id FROM raw_waits "
                f"WHERE NOT fired AND due <= {m} ORDER BY due LIMIT {WAKE_BATCH})",
                (now,),
            ).rowcount
            db.commit()
            if not fired:
                break
        return time.perf_counter() - started


# --- helpers ------------------------------------------------------------------------------


def enable(
    runtime: Runtime,
    tenant_id: uuid.UUID,
    name: str,
    trigger: dict[str, Any],
    nodes: list[dict[str, Any]],
) -> uuid.UUID:
    flows = runtime.container.flows()
    graph = {"start": nodes[0]["id"], "nodes": nodes}
    draft = flows.draft(tenant_id, DraftFlow(name=name, trigger=trigger, graph=graph))
    assert not draft.problems, draft.problems
    flows.enable(tenant_id, draft.flow_id, expected_version=draft.version)
    return draft.flow_id


def settle(runtime: Runtime, timeout: float = 60.0) -> None:
    """Every follower has processed every upstream's head, again after what the
    policies committed meanwhile (as tests/settling.py)."""
    infrastructure = runtime.container.infrastructure()
    upstreams = [*runtime.applications, runtime.container.behaviours()]
    heads: dict[str, int] = {}
    for _ in range(5):
        now = {u.name: u.recorder.max_notification_id() or 0 for u in upstreams}
        if now == heads:
            return
        heads = now
        for name, head in heads.items():
            if head and not infrastructure.wait_for_followers(name, head, timeout):
                raise SystemExit(f"the followers of {name} are still behind")
    raise SystemExit("the followers never settled")


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def per_second(n: int, seconds: float) -> str:
    return f"{seconds:.0f} s = {n / seconds:,.0f}/s"


if __name__ == "__main__":
    main()
