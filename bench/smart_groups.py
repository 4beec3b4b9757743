"""From a behaviour's acknowledgement to the lead's smart-group membership (issue 16):
p50 / p95 with `--groups` smart groups defined in the tenant.

One throwaway store (a PostgreSQL database next to HUOKE_BENCH_DATABASE_URL /
HUOKE_TEST_DATABASE_URL, dropped at the end; or SQLite with `--backend sqlite`), the
followers in-process as `huoke serve` runs them. The tenant gets `--groups` smart
groups: half "did track event-k", a quarter "viewed page /p/k", a quarter "city is
city-k" (so a tracked event makes the policy weigh every group that reads tracked
events). Then `--probes` times: one lead's `track event-p` is taken by the ingestion
(acknowledged once committed, as the tracking API answers) and the clock runs until the
lead's membership of group p is stored as joined.

    .venv/bin/python bench/smart_groups.py --groups 1000 --probes 50
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import psycopg  # noqa: E402
from eventsourcing.application import AggregateNotFoundError  # noqa: E402

from application.leads.commands import CreateLead  # noqa: E402
from application.leads.scope import LeadScope  # noqa: E402
from application.segments.group_commands import FormGroup  # noqa: E402
from application.shared.behaviours import BEHAVIOURS, Behaviour  # noqa: E402
from application.shared.context import RequestContext, acting  # noqa: E402
from domain.segments.membership import membership_id  # noqa: E402
from entrypoints.container import Runtime  # noqa: E402
from entrypoints.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--probes", type=int, default=50)
    args = parser.parse_args()
    base = os.environ.get("HUOKE_BENCH_DATABASE_URL") or os.environ.get("HUOKE_TEST_DATABASE_URL")
    url, name = None, None
    if args.backend == "postgres":
        if not base:
            sys.exit("set HUOKE_BENCH_DATABASE_URL or HUOKE_TEST_DATABASE_URL")
        name = f"huoke_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                database_url=url,
                var_dir=Path(tmp),
                fast_hashing=True,
                auto_migrate=True,
                in_process_projections=True,
                pool_size=8,
                cipher_key=base64.b64encode(os.urandom(32)).decode(),
            )
            runtime = Runtime(settings).start()
            try:
                run(runtime, args)
            finally:
                runtime.close()
    finally:
        if name and base:
            with psycopg.connect(base, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _filter(k: int) -> dict[str, Any]:
    if k % 4 in (0, 1):
        return {"behaviour": {"kind": "track", "name": f"event-{k}"}, "did": True}
    if k % 4 == 2:
        return {"behaviour": {"kind": "page", "name": f"/p/{k}"}, "did": True}
    return {"field": "city", "op": "equals", "value": f"city-{k}"}


def run(runtime: Runtime, args: argparse.Namespace) -> None:
    container = runtime.container
    tenant_id = uuid.uuid4()
    segments = container.segments()
    with acting(RequestContext(request_id="bench-smart-groups")):
        scope = LeadScope.whole_company(tenant_id)
        leads = [
            container.leads().create_lead(scope, CreateLead(mobile=f"137{n:08d}")).lead.id
            for n in range(args.probes)
        ]
        started = time.perf_counter()
        groups = [
            container.segment_groups()
            .form(tenant_id, FormGroup(name=f"智能组 {k}", kind="smart", filter=_filter(k)))
            .id
            for k in range(args.groups)
        ]
    print(f"{args.groups} smart groups formed in {time.perf_counter() - started:.1f} s")
    infrastructure = container.infrastructure()
    head = segments.recorder.max_notification_id() or 0
    while not infrastructure.wait_for_followers("segments", head, 1.0):
        pass
    # Probe k uses group k of the "did track event-k" half.
    track_groups = [k for k in range(args.groups) if k % 4 in (0, 1)]
    latencies = []
    for probe, lead_id in enumerate(leads):
        k = track_groups[probe % len(track_groups)]
        member = membership_id(tenant_id, groups[k], lead_id)
        now = datetime.now(UTC)
        row = Behaviour(
            tenant_id=tenant_id,
            kind="track",
            name=f"event-{k}",
            channel="server",
            occurred_at=now,
            received_at=now,
            message_id=str(uuid.uuid4()),
            lead_id=lead_id,
            source_id="bench",
        )
        container.ingestion().take([row])
        acknowledged = time.perf_counter()
        while not _is_member(segments, member):
            if time.perf_counter() - acknowledged > 30:
                raise SystemExit(f"probe {probe}: no membership after 30 s")
            time.sleep(0.002)
        latencies.append(time.perf_counter() - acknowledged)
    last = container.behaviours().recorder.max_notification_id() or 0
    infrastructure.wait_for_followers(BEHAVIOURS, last, 10.0)
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(
        f"{args.backend}, {args.groups} smart groups, {len(latencies)} probes: ack → joined "
        f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms (aim p95 ≤ 1,000 ms)"
    )


def _is_member(segments: Any, member: uuid.UUID) -> bool:
    try:
        return bool(segments.repository.get(member).is_member)
    except AggregateNotFoundError:
        return False


if __name__ == "__main__":
    main()
