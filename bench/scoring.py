"""Score rules applied per second while behaviours stream in (issue 16, SCORE-1/2).

One throwaway store (SQLite in a temporary directory, or a PostgreSQL database created
next to HUOKE_BENCH_DATABASE_URL / HUOKE_TEST_DATABASE_URL and dropped at the end):
`--leads` leads, three behaviour rules (page views unlimited with a 30-day validity,
page views once per day, downloads capped at 50), then `--n` behaviours of those leads
appended in batches of `--batch` as the tracking API would, with the followers running
in-process. Reported: the behaviours scored per second from the first append until the
keeping policy has processed the last one, and the awards (PointsAwarded events) made.

    .venv/bin/python bench/scoring.py --backend sqlite --n 5000
    .venv/bin/python bench/scoring.py --backend postgres --n 5000
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import psycopg  # noqa: E402

from application.leads.commands import CreateLead  # noqa: E402
from application.leads.scope import LeadScope  # noqa: E402
from application.scoring.commands import AddRule  # noqa: E402
from application.shared.behaviours import BEHAVIOURS, Behaviour  # noqa: E402
from application.shared.context import RequestContext, acting  # noqa: E402
from entrypoints.container import Runtime  # noqa: E402
from entrypoints.settings import Settings  # noqa: E402


def _database(base: str) -> tuple[str, str]:
    name = f"huoke_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + f"/{name}", name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    base = os.environ.get("HUOKE_BENCH_DATABASE_URL") or os.environ.get("HUOKE_TEST_DATABASE_URL")
    url, dropped = _database(base) if args.backend == "postgres" and base else (None, None)
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
        if dropped and base:
            with psycopg.connect(base, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE {dropped} WITH (FORCE)")


def run(runtime: Runtime, args: argparse.Namespace) -> None:
    tenant_id = uuid.uuid4()
    container = runtime.container
    with acting(RequestContext(request_id="bench-scoring")):
        scope = LeadScope.whole_company(tenant_id)
        leads = [
            container.leads().create_lead(scope, CreateLead(mobile=f"139{n:08d}")).lead.id
            for n in range(args.leads)
        ]
        scoring = container.scoring()
        for rule in (
            AddRule(title="浏览", category="website", points=1, validity_days=30,
                    behaviour={"kind": "page"}),  # type: ignore[arg-type]
            AddRule(title="每日访问", category="website", points=2, frequency="per_day",
                    behaviour={"kind": "page"}),  # type: ignore[arg-type]
            AddRule(title="下载", category="content", points=5, cap=50,
                    behaviour={"kind": "track", "name": "download"}),  # type: ignore[arg-type]
        ):  # fmt: skip
            scoring.add_rule(tenant_id, rule)
    infrastructure = container.infrastructure()
    head = container.behaviours().recorder.max_notification_id() or 0
    start = datetime.now(UTC) - timedelta(days=1)
    began = time.perf_counter()
    appended = 0
    while appended < args.n:
        rows = [
            Behaviour(
                tenant_id=tenant_id,
                kind="track" if (appended + i) % 4 == 0 else "page",
                name="download" if (appended + i) % 4 == 0 else "",
                channel="web",
                occurred_at=start + timedelta(seconds=appended + i),
                received_at=datetime.now(UTC),
                message_id=str(uuid.uuid4()),
                lead_id=leads[(appended + i) % len(leads)],
                source_id="bench",
            )
            for i in range(min(args.batch, args.n - appended))
        ]
        container.ingestion().take(rows)
        appended += len(rows)
    last = container.behaviours().recorder.max_notification_id() or 0
    assert last - head >= args.n * 0.99, (head, last)
    while not infrastructure.wait_for_followers(BEHAVIOURS, last, 1.0):
        pass
    elapsed = time.perf_counter() - began
    awards = sum(
        1
        for lead_id in leads
        for event in scoring.history(scoring_id(tenant_id, lead_id))
        if type(event).__name__ == "PointsAwarded"
    )
    print(
        f"{args.backend}: {args.n} behaviours of {args.leads} leads scored in {elapsed:.1f} s "
        f"= {args.n / elapsed:,.0f} behaviours/s; {awards} awards = {awards / elapsed:,.0f}/s"
    )


def scoring_id(tenant_id: uuid.UUID, lead_id: uuid.UUID) -> uuid.UUID:
    from domain.scoring.lead_score import LeadScore

    return LeadScore.create_id(tenant_id, lead_id)


if __name__ == "__main__":
    main()
