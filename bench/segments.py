"""A smart group evaluated in full at size (issue 16): the SQL `compile_filter` makes of a
5-condition filter against a hand-written query for the same set, in the same run.

PostgreSQL only. A throwaway database gets the segment profile tables
(`application.segments.profile_tables`), filled server-side with `generate_series`:
`--leads` leads (status, city, score, an `industry` custom field, 0–3 tags) and
`--behaviours` behaviour rows over the last 60 days (page views, custom events, clicks,
opens), then the indexes and ANALYZE. Both queries return every matching lead id; each
runs `--runs` times after one warm-up, and the medians are compared.

    .venv/bin/python bench/segments.py                      # 1,000,000 leads, 10,000,000 rows
    .venv/bin/python bench/segments.py --leads 100000 --behaviours 1000000 --explain
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.throwaway import server_url, throwaway_database

from application.segments.filter_sql import compile_filter
from application.segments.profile_tables import INDEXES, TABLES
from domain.shared.filters import Filter

console = Console()
NOW = datetime.now(UTC).replace(microsecond=0)
ISO = """to_char(({moment}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""

# 2 attributes, 2 behaviours in the last 30 days, 1 score range.
FIVE = {
    "all": [
        {"field": "status", "op": "equals", "value": "contacted"},
        {"field": "city", "op": "in", "value": ["上海", "杭州"]},
        {"behaviour": {"kind": "page", "name": "/pricing", "within_days": 30}, "did": True},
        {
            "behaviour": {"kind": "track", "name": "download", "at_least": 2, "within_days": 30},
            "did": True,
        },
        {"field": "score", "op": "range", "value": {"from": 40, "to": 80}},
    ]
}
HAND_WRITTEN = """
SELECT l.lead_id FROM segments_leads l
WHERE l.tenant_id = %(tenant)s AND l.live = 1 AND l.status = 'contacted'
  AND l.city IN ('上海', '杭州') AND l.score BETWEEN 40 AND 80
  AND EXISTS (SELECT 1 FROM segments_behaviours b WHERE b.tenant_id = l.tenant_id
              AND b.lead_id = l.lead_id AND b.kind = 'page' AND b.name = '/pricing'
              AND b.at >= %(since)s)
  AND (SELECT COUNT(*) FROM segments_behaviours b WHERE b.tenant_id = l.tenant_id
       AND b.lead_id = l.lead_id AND b.kind = 'track' AND b.name = 'download'
       AND b.at >= %(since)s) >= 2
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--behaviours", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print both plans")
    options = parser.parse_args()
    tenant = str(uuid.uuid4())
    with (
        throwaway_database(server_url()) as url,
        psycopg.connect(url, autocommit=True) as connection,
    ):
        started = time.perf_counter()
        _fill(connection, tenant, options.leads, options.behaviours)
        console.print(
            f"filled {options.leads:,} leads and {options.behaviours:,} behaviours "
            f"in {time.perf_counter() - started:.0f} s"
        )
        where, params = compile_filter(
            Filter.parse(FIVE), tenant_id=uuid.UUID(tenant), now=NOW, dialect="postgres"
        )
        compiled = f"SELECT l.lead_id FROM segments_leads l WHERE {where}".replace("%", "%%")
        compiled = compiled.replace("?", "%s")
        since = (NOW - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        hand = {"tenant": tenant, "since": since}
        ours = set(row[0] for row in connection.execute(compiled, params).fetchall())
        theirs = set(row[0] for row in connection.execute(HAND_WRITTEN, hand).fetchall())
        assert ours == theirs, (len(ours), len(theirs))
        compiled_times = _timings(lambda: connection.execute(compiled, params).fetchall(), options)
        hand_times = _timings(lambda: connection.execute(HAND_WRITTEN, hand).fetchall(), options)
        if options.explain:
            for name, sql, values in (
                ("compiled", compiled, params),
                ("hand-written", HAND_WRITTEN, hand),
            ):
                plan = connection.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, values).fetchall()
                console.print(f"[bold]{name}[/]\n" + "\n".join(line for (line,) in plan))
    table = Table(title=f"5-condition smart group, full evaluation, {len(ours):,} members")
    for column in ("query", "median ms", "min ms"):
        table.add_column(column, justify="left" if column == "query" else "right")
    table.add_row("compile_filter", *_ms(compiled_times))
    table.add_row("hand-written SQL", *_ms(hand_times))
    console.print(table)
    ratio = statistics.median(compiled_times) / statistics.median(hand_times)
    console.print(f"compiled / hand-written: [bold]{ratio:.2f}×[/] (aim ≤ 1.5×)")


def _fill(connection: psycopg.Connection[Any], tenant: str, leads: int, behaviours: int) -> None:
    for table, columns in TABLES.items():
        connection.execute(f"CREATE TABLE {table} ({columns})")
    lead_id = "md5('lead' || i)::uuid::text"
    connection.execute(
        f"""INSERT INTO segments_leads (tenant_id, lead_id, live, user_type, status, pool_state,
            city, score, created_at, name)
        SELECT %s, {lead_id}, 1, 'person',
            (ARRAY['new', 'contacted', 'qualified', 'unqualified'])[1 + mod(i, 4)], 'pool',
            (ARRAY['北京', '上海', '广州', '深圳', '杭州', '成都', '武汉', '南京'])[1 + mod(i, 8)],
            mod(i::bigint * 7919, 101),
            {ISO.format(moment="%s::timestamptz - mod(i, 365) * interval '1 day'")},
            '客户' || i
        FROM generate_series(1, %s) AS i""",
        (tenant, NOW, leads),
    )
    connection.execute(
        f"""INSERT INTO segments_fields (tenant_id, lead_id, key, text_value, number_value)
        SELECT %s, {lead_id}, 'industry',
            (ARRAY['制造业', '零售', '教育', '医疗', '金融'])[1 + mod(i, 5)], NULL
        FROM generate_series(1, %s) AS i""",
        (tenant, leads),
    )
    connection.execute(
        f"""INSERT INTO segments_tags (tenant_id, lead_id, tag)
        SELECT %s, {lead_id}, t.tag FROM generate_series(1, %s) AS i
        JOIN (VALUES (1, 'vip'), (2, 'vip'), (2, 'b2b'), (3, 'b2b'), (3, '展会'),
                     (3, '高意向')) AS t(k, tag) ON t.k = mod(i, 4)""",
        (tenant, leads),
    )
    # Behaviours: lead, kind, name and time each drawn from a different part of one hash
    # of the row number, so they are independent of each other and of the lead's fields.
    connection.execute(
        f"""INSERT INTO segments_behaviours (tenant_id, position, at, lead_id, linked_by,
            kind, name, channel, properties)
        SELECT %s, i,
            {ISO.format(moment="%s::timestamptz - mod(h.b, 5184000) * interval '1 s'")},
            md5('lead' || (1 + mod(h.a, %s)))::uuid::text, 'lead',
            (ARRAY['page', 'page', 'page', 'track', 'click', 'open'])[1 + mod(h.c, 6)],
            (ARRAY['/pricing', 'download', '/docs'])[1 + mod(h.c / 6, 3)],
            'web', NULL
        FROM generate_series(1, %s) AS i,
            LATERAL (SELECT ('x' || substr(md5(i::text), 1, 8))::bit(32)::bigint AS a,
                            ('x' || substr(md5(i::text), 9, 8))::bit(32)::bigint AS b,
                            ('x' || substr(md5(i::text), 17, 8))::bit(32)::bigint AS c) AS h""",
        (tenant, NOW, leads, behaviours),
    )
    for name, target in INDEXES.items():
        connection.execute(f"CREATE INDEX {name} ON {target}")
    connection.execute("ANALYZE")


def _timings(call: Any, options: Any) -> list[float]:
    call()  # warm the caches
    times = []
    for _ in range(options.runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def _ms(times: list[float]) -> tuple[str, str]:
    return f"{statistics.median(times) * 1000:.1f}", f"{min(times) * 1000:.1f}"


if __name__ == "__main__":
    main()
