"""WeChat mass sends: recipients queued per second for --fans fans on PostgreSQL, against
a raw baseline of the same rows in the same run (issue 18).

1. raw executemany - the same --fans recipient rows (same table shape, same key and
                     indexes) written with psycopg `executemany` in one transaction.
2. raw COPY        - the same rows with `COPY` (the fastest way in).
3. huoke, first    - `WechatDispatch.fix` of a normal mass send to every follower: the
                     audience read from the fan directory's table, the per-account lock,
                     each fan's mass messages this month counted (in flight included),
                     the cap decided per fan, every row and batch written, the start
                     recorded, and the aggregate's `RecipientsFixed` committed.
4. huoke, second   - the same again for a second send, now counting against the
                     --fans rows the first send holds in flight.
Ratios: ours / raw executemany and ours / COPY, from this run.

Run:  .venv/bin/python bench/wechat_mass_send.py [--fans 100000]
URL: HUOKE_BENCH_DATABASE_URL, else HUOKE_TEST_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import base64
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from bench.throwaway import server_url, throwaway_database

from adapters.wechat.send_ledger import RECIPIENTS, TABLES
from application.shared.views import iso
from domain.wechat.mass_send import MassSend


def _seed_fans(url: str, tenant_id: uuid.UUID, account_id: uuid.UUID, fans: int) -> None:
    now = iso(datetime.now(UTC))
    with (
        psycopg.connect(url) as connection,
        connection.cursor() as cursor,
        cursor.copy(
            "COPY wechat_fans (tenant_id, account_id, openid, subscribed, subscribed_at, "
            "first_seen_at, tag_ids, province) FROM STDIN"
        ) as copy,
    ):
        for n in range(fans):
            copy.write_row(
                (
                    str(tenant_id),
                    str(account_id),
                    f"oBench{n:07d}",
                    1,
                    now,
                    now,
                    "[101]",
                    "上海",
                )
            )


def _raw_rows(fans: int) -> list[tuple[Any, ...]]:
    tenant, send, account, stamp = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()), "x"
    return [
        (tenant, send, f"oBench{n:07d}", account, "normal", "2026-12", "2026-12-02", 1,
         n // 10_000, "queued", "", stamp)
        for n in range(fans)
    ]  # fmt: skip


def _raw(url: str, fans: int) -> tuple[float, float]:
    """Seconds to write the rows with executemany, then with COPY (into a raw_ copy)."""
    tables = [t.replace(RECIPIENTS, "raw_recipients") for t in TABLES if RECIPIENTS in t]
    tables = [t.replace("wechat_send_recipients_", "raw_recipients_") for t in tables]
    with psycopg.connect(url) as connection:
        for statement in tables:
            connection.execute(statement)
        connection.commit()
        rows = _raw_rows(fans)
        insert = (
            "INSERT INTO raw_recipients (tenant_id, send_id, openid, account_id, kind, month, "
            "day, counted, batch, state, detail, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 1000):
                cursor.executemany(insert, rows[start : start + 1000])
        connection.commit()
        executemany = time.perf_counter() - started
        rows = _raw_rows(fans)
        started = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY raw_recipients (tenant_id, send_id, openid, account_id, kind, month, day, "
                "counted, batch, state, detail, updated_at) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        connection.commit()
        return executemany, time.perf_counter() - started


def _fix(runtime: Any, tenant_id: uuid.UUID, account_id: uuid.UUID) -> tuple[float, int]:
    wechat = runtime.container.wechat()
    dispatch = runtime.container.wechat_dispatch()
    send = MassSend.draft(
        id=uuid.uuid4(), tenant_id=tenant_id, account_id=account_id, account_kind="service",
        name="压测", mode="normal", audience={"include": {"tag_ids": [101]}},
        message={"kind": "text", "text": "会员日全场五折"},
    )  # fmt: skip
    wechat.commit(send)
    started = time.perf_counter()
    send.request_send(datetime.now(UTC))
    wechat.commit(send)
    fixed = dispatch.fix(send)
    return time.perf_counter() - started, fixed.queued


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fans", type=int, default=100_000)
    args = parser.parse_args()
    from entrypoints.container import Runtime
    from entrypoints.settings import Settings

    tenant_id, account_id = uuid.uuid4(), uuid.uuid4()
    with ExitStack() as stack:
        var = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(throwaway_database(server_url()))
        settings = Settings(
            database_url=url, var_dir=var, fast_hashing=True, in_process_projections=False,
            auto_migrate=True,
            cipher_key=base64.b64encode(b"bench-key-0123456789abcdef-bench").decode(),
        )  # fmt: skip
        runtime = Runtime(settings).start()
        stack.callback(runtime.close)
        runtime.container.wechat_send_ledger()  # creates its tables
        _seed_fans(url, tenant_id, account_id, args.fans)
        executemany, copy = _raw(url, args.fans)
        first, queued = _fix(runtime, tenant_id, account_id)
        second, queued_again = _fix(runtime, tenant_id, account_id)
    rate = args.fans / executemany
    print(f"fans: {args.fans:,} (PostgreSQL)")
    print(f"raw executemany:     {rate:10,.0f} rows/s  ({executemany:.2f} s)")
    print(f"raw COPY:            {args.fans / copy:10,.0f} rows/s  ({copy:.2f} s)")
    for label, took, count in (("first", first, queued), ("second", second, queued_again)):
        ours = args.fans / took
        print(
            f"huoke fix ({label}):  {ours:10,.0f} recipients/s ({took:.2f} s, {count:,} queued) "
            f"= {ours / rate:.0%} of executemany, {ours / (args.fans / copy):.0%} of COPY"
        )


if __name__ == "__main__":
    main()
