"""Archive search over 1,000,000 archived messages (ARCH-2, ADR 0021): p50/p95 of a
two-character Chinese term, a phrase, a rare term and scoped searches, through the
product's query (`SearchQueries.search`: 20 hits newest first, two messages of context
each), with each full-text option PostgreSQL offers next to each other in the same run.

1. A database of its own (`huoke_bench_archive` beside the server's URL; never the test
   database) gets the search index's tables from `SearchIndex.create_statements()` and
   `--messages` generated chat messages (Chinese sales chats: greetings, products,
   prices, dates, a long tail of rarer words; one-to-one and group chats, images,
   files, links over 180 days) in rows made by the follower's own `row_of`, loaded with
   `COPY` (the follower's INSERT shape, at load speed). Reused by later runs.
2. Options, each index built in turn (build time and size printed):
   - `tsvector`: the product's GIN over `to_tsvector('simple', tokens)` (our bigrams);
   - `tsvector+tenant`: the same GIN with tenant_id leading (btree_gin);
   - `trigram`: pg_trgm's GIN over the text, searched with ILIKE '%term%'.
3. `--sqlite N`: N messages through the follower's statements into an SQLite file (FTS5),
   the same queries through `SearchQueries` (quick: 100,000 by default when given).

URL: HUOKE_BENCH_DATABASE_URL, else HUOKE_TEST_DATABASE_URL.

    .venv/bin/python bench/archive_search.py                      # 1,000,000 messages
    .venv/bin/python bench/archive_search.py --quick              # 100,000, fewer runs
    .venv/bin/python bench/archive_search.py --sqlite 200000 --runs 30
    .venv/bin/python bench/archive_search.py --drop
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import psycopg
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from application.archive.messages import ArchivedMessage, behaviour_of, message_of
from application.archive.search import SearchFilter, SearchQueries
from application.archive.search_index import (
    MESSAGES,
    WORDS_COLUMN,
    WORDS_INDEX,
    SearchIndex,
    row_of,
)
from application.archive.search_terms import Term, normalised
from application.archive.search_terms import terms_of as search_terms

DATABASE = "huoke_bench_archive"
TENANT = UUID("00000000-0000-4000-8000-00000000a3c1")
OTHER_TENANT = UUID("00000000-0000-4000-8000-00000000a3c2")  # 10 % of the rows
START = datetime(2026, 6, 1, tzinfo=UTC)
DAYS = 180
console = Console()

# --- generated chats ---------------------------------------------------------------------

GREETINGS = ["你好", "您好", "在吗", "早上好", "下午好", "亲", "王总好", "李经理", "打扰了"]
ASKING = ["我想了解一下", "请问", "麻烦问下", "想咨询一下", "上次说的", "关于", "能不能",
          "帮我看看", "我们公司想要", "客户反馈"]  # fmt: skip
THINGS = ["产品价格", "报价单", "合同", "发票", "优惠活动", "会员卡", "套餐", "物流信息",
          "退款流程", "售后服务", "安装时间", "样品", "演示视频", "付款方式", "账期", "库存",
          "新品", "配送地址", "企业版", "续费", "培训课程", "技术支持"]  # fmt: skip
TAILS = ["吗", "呢", "可以吗", "谢谢", "好的", "麻烦尽快回复", "明天下午开会再说",
         "我们再商量一下", "收到", "没问题", "辛苦了", "稍等我确认一下", "周末也可以"]  # fmt: skip
ANSWERS = ["价格是{n}元", "下周{d}可以安排", "已经发您邮箱了", "这个月有九折优惠",
           "合同今天寄出", "发票开好了", "{m}月{d2}日前发货", "我让技术同事联系您"]  # fmt: skip
COMMON = (
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会"
    "自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手"
    "十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此"
    "实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因"
    "重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太"
    "水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫"
    "死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战"
    "干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非"
    "流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城"
    "父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党"
)


def sentence(rng: random.Random, tail_words: Sequence[str]) -> str:
    parts = []
    if rng.random() < 0.3:
        parts.append(rng.choice(GREETINGS) + "，")
    if rng.random() < 0.5:
        parts.append(rng.choice(ASKING) + rng.choice(THINGS))
    else:
        answer = rng.choice(ANSWERS)
        parts.append(
            answer.format(
                n=rng.randrange(99, 99999),
                d="一二三四五"[rng.randrange(5)],
                m=rng.randrange(1, 13),
                d2=rng.randrange(1, 29),
            )
        )
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        parts.append(rng.choice(tail_words))
    if rng.random() < 0.6:
        parts.append("，" + rng.choice(TAILS))
    if rng.random() < 0.03:
        parts.append(f" 我的手机 139{rng.randrange(10**8):08d}")
    return "".join(parts)


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    """A long tail of 2–4 character words (names, products, places)."""
    return [
        "".join(rng.choice(COMMON) for _ in range(rng.choice((2, 2, 3, 4)))) for _ in range(size)
    ]


def messages(count: int, seed: int = 20) -> Iterator[tuple[UUID, ArchivedMessage]]:
    rng = random.Random(seed)
    words = vocabulary(rng)
    # Zipf-ish: a few words often, most rarely.
    weights = [1 / (rank + 1) for rank in range(len(words))]
    tail = rng.choices(words, weights, k=200_000)
    employees = [f"emp{n:04d}" for n in range(300)]
    customers = [f"wm{n:012d}" for n in range(60_000)]
    rooms = [f"wr{n:06d}" for n in range(800)]
    step = DAYS * 86400 / max(count, 1)
    for n in range(count):
        tenant = OTHER_TENANT if n % 10 == 9 else TENANT
        at = START + timedelta(seconds=n * step + rng.random() * step)
        employee, customer = rng.choice(employees), rng.choice(customers)
        room = rng.choice(rooms) if rng.random() < 0.2 else ""
        sender, to = (customer, employee) if rng.random() < 0.5 else (employee, customer)
        kind = rng.random()
        if kind < 0.86:
            msgtype, content = "text", {"content": sentence(rng, tail)}
        elif kind < 0.93:
            msgtype, content = "image", {"md5sum": f"{n:032x}", "filesize": rng.randrange(10**6),
                                         "sdkfileid": f"CtYBMzA2OTAy{n:012d}"}  # fmt: skip
        elif kind < 0.97:
            msgtype = "file"
            content = {"filename": rng.choice(THINGS) + ".pdf", "fileext": "pdf",
                       "filesize": rng.randrange(10**7), "sdkfileid": f"Fi{n:012d}"}  # fmt: skip
        else:
            msgtype = "link"
            content = {"title": rng.choice(THINGS) + "介绍", "description": sentence(rng, tail),
                       "link_url": f"https://acme.cn/p/{n}"}  # fmt: skip
        yield tenant, ArchivedMessage(
            seq=n + 1, msgid=f"m{n:09d}", action="send", sender=sender,
            tolist=(to,) if not room else (to, *rng.sample(employees, 3)), roomid=room,
            msgtime=at, msgtype=msgtype, content=content,
        )  # fmt: skip


# --- PostgreSQL ----------------------------------------------------------------------------


class RawView:
    """What SearchQueries needs of a view: its dialect and `rows` (portable `?` SQL)."""

    dialect = "postgres"

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.connection.execute(sql.replace("%", "%%").replace("?", "%s"), tuple(params))
        names = [c.name for c in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


COLUMNS = (
    "tenant_id", "msgid", "seq", "msgtime", "conversation", "sender", "employee", "customer",
    "roomid", "msgtype", "action", "text", "content", "position",
)  # fmt: skip


def tsvector_literal(tokens: str) -> str:
    """What to_tsvector('simple', tokens) makes of our tokens (letters and digits only,
    lower case already), as COPY takes a tsvector: each token with its position."""
    return " ".join(f"'{token}':{n}" for n, token in enumerate(tokens.split()[:16383], 1))


def load(url: str, count: int) -> None:
    with psycopg.connect(url) as connection:
        have = connection.execute("SELECT to_regclass(%s) IS NOT NULL", (MESSAGES,)).fetchone()
        if have and have[0]:
            stored = connection.execute(f"SELECT COUNT(*) FROM {MESSAGES}").fetchone()
            shaped = connection.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_name = %s "
                "AND column_name = 'words'",
                (MESSAGES,),
            ).fetchone()
            if stored and stored[0] == count and shaped:
                console.print(f"reusing {count:,} messages")
                return
            connection.execute(f"DROP TABLE {MESSAGES}")
        for sql in SearchIndex.create_statements():
            connection.execute(sql)
        # The product's words column, and the tokens as text for the expression option.
        connection.execute(f"ALTER TABLE {MESSAGES} ADD COLUMN {WORDS_COLUMN} tsvector")
        connection.execute(f"ALTER TABLE {MESSAGES} ADD COLUMN tokens text")
        connection.commit()
        started = time.perf_counter()
        columns = ", ".join((*COLUMNS, WORDS_COLUMN, "tokens"))
        with connection.cursor().copy(f"COPY {MESSAGES} ({columns}) FROM STDIN") as copy:
            for position, (tenant, message) in enumerate(messages(count), start=1):
                row = row_of(str(tenant), message, position)
                tokens = row["tokens"]
                copy.write_row([*(row[c] for c in COLUMNS), tsvector_literal(tokens), tokens])
                if position % 100_000 == 0:
                    console.print(f"  {position:,} rows, {time.perf_counter() - started:.0f} s")
        connection.commit()
        console.print(f"COPY {count:,} rows: {time.perf_counter() - started:.1f} s")
        connection.execute(f"ANALYZE {MESSAGES}")
        connection.commit()


EXPRESSION = "to_tsvector('simple'::regconfig, tokens)"
OPTIONS = {
    "tsvector": f"CREATE INDEX {WORDS_INDEX} ON {MESSAGES} USING gin ({WORDS_COLUMN})",
    "tsvector+tenant": f"CREATE INDEX {WORDS_INDEX} ON {MESSAGES} "
    f"USING gin (tenant_id, {WORDS_COLUMN})",
    "expression": f"CREATE INDEX {WORDS_INDEX} ON {MESSAGES} USING gin ({EXPRESSION})",
    "trigram": f"CREATE INDEX {WORDS_INDEX} ON {MESSAGES} USING gin (text gin_trgm_ops)",
}
EXTENSIONS = {"tsvector+tenant": "btree_gin", "trigram": "pg_trgm"}


class ExpressionSearch(SearchQueries):
    """The product's query with the words matched by an expression index over the tokens
    as text (no stored tsvector): the index finds candidates, phrases are checked by
    parsing each candidate's tokens again."""

    def _matching(self) -> str:
        return "to_tsvector('simple'::regconfig, m.tokens) @@ to_tsquery('simple', ?)"


class TrigramSearch(SearchQueries):
    """The product's query with the words matched by ILIKE over pg_trgm's index (the
    workload's searches have one term each)."""

    def _matching(self) -> str:
        return "m.text ILIKE ?"

    def _words_query(self, terms: list[Term]) -> str:
        term = normalised(terms[0].text)
        return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


SEARCHES = {
    "tsvector": SearchQueries,
    "tsvector+tenant": SearchQueries,
    "expression": ExpressionSearch,
    "trigram": TrigramSearch,
}


def build(connection: psycopg.Connection[Any], option: str) -> tuple[float, int]:
    connection.execute(f"DROP INDEX IF EXISTS {WORDS_INDEX}")
    if option in EXTENSIONS:
        connection.execute(f"CREATE EXTENSION IF NOT EXISTS {EXTENSIONS[option]}")
    connection.execute("SET maintenance_work_mem = '256MB'")
    started = time.perf_counter()
    connection.execute(OPTIONS[option])
    connection.execute(f"ANALYZE {MESSAGES}")
    connection.commit()
    size = connection.execute("SELECT pg_relation_size(%s)", (WORDS_INDEX,)).fetchone()
    return time.perf_counter() - started, int(size[0]) if size else 0


def queries_of(sample: list[str], common: list[str]) -> list[tuple[str, list[SearchFilter]]]:
    """What auditors type: a common 2-character term, a rarer one, phrases, a term nothing
    has, and a common term within one customer's chats or the last 30 days."""
    last_month = START + timedelta(days=DAYS - 30)
    rare_two = [w[:2] for w in sample if len(w) >= 2][:20]
    rare_phrase = [w for w in sample if len(w) >= 3][:20]
    return [
        ("2 chars, common", [SearchFilter(text=t) for t in common]),
        ("2 chars, rarer", [SearchFilter(text=t) for t in rare_two]),
        (
            "phrase (4–6 chars)",
            [
                SearchFilter(text=t)
                for t in ("退款流程", "明天下午开会", "优惠活动", "售后服务", "演示视频")
            ],
        ),
        ("phrase, rare (3–4)", [SearchFilter(text=t) for t in rare_phrase]),
        ("no such term", [SearchFilter(text=t) for t in ("量子纠缠", "区块链", "火星")]),
        (
            "2 chars + customer",
            [
                SearchFilter(scope="customer", customer=f"wm{n:012d}", text="价格")
                for n in range(0, 60_000, 3_000)
            ],
        ),
        ("2 chars, last 30 days", [SearchFilter(text=t, since=last_month) for t in common]),
    ]


def timed(run: Callable[[], Any], repeats: int) -> list[float]:
    spent = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def measure_postgres(url: str, options: argparse.Namespace) -> None:
    rng = random.Random(7)
    sample = rng.sample(vocabulary(random.Random(20)), 400)
    workload = queries_of(sample, ["价格", "合同", "发票", "下午", "优惠", "库存", "续费", "样品"])
    table = Table(title=f"archive search, PostgreSQL, {options.messages:,} messages (ms)")
    for column in ("query", *(f"{o} p50" for o in OPTIONS), *(f"{o} p95" for o in OPTIONS)):
        table.add_column(column, justify="right" if "p" in column[-3:] else "left")
    results: dict[str, dict[str, list[float]]] = {name: {} for name, _ in workload}
    builds = Table(title="index builds")
    for column in ("option", "build s", "size MB"):
        builds.add_column(column)
    with psycopg.connect(url) as connection:
        view = RawView(connection)
        for option in OPTIONS:
            seconds, size = build(connection, option)
            builds.add_row(option, f"{seconds:.1f}", f"{size / 2**20:.0f}")
            console.print(f"{option}: built in {seconds:.1f} s, {size / 2**20:.0f} MB")
            search = SEARCHES[option](view)  # type: ignore[arg-type]
            for name, filters in workload:
                spent: list[float] = []
                for _ in range(options.runs):
                    for selected in filters:
                        spent += timed(lambda s=selected, q=search: q.search(TENANT, s), 1)
                        connection.rollback()  # end the read's transaction
                results[name][option] = spent
            if options.explain:
                for text in ("价格", "退款流程"):
                    plan = view.rows(
                        f"EXPLAIN (ANALYZE, BUFFERS) SELECT m.msgid FROM {MESSAGES} m "
                        f"WHERE m.tenant_id = ? AND {search._matching()} "
                        "ORDER BY m.msgtime DESC, m.seq DESC, m.msgid DESC LIMIT 21",
                        (str(TENANT), search._words_query(search_terms(text))),
                    )
                    console.print(f"[{option}] {text}")
                    console.print("\n".join(str(next(iter(r.values()))) for r in plan))
                connection.rollback()
        connection.execute(f"DROP INDEX IF EXISTS {WORDS_INDEX}")
        connection.execute(OPTIONS["tsvector"])  # leave the product's index in place
        connection.commit()
    for name, by_option in results.items():
        table.add_row(
            name,
            *(f"{percentile(by_option[o], 0.5):.1f}" for o in OPTIONS),
            *(f"{percentile(by_option[o], 0.95):.1f}" for o in OPTIONS),
        )
    console.print(builds)
    console.print(table)


# --- SQLite --------------------------------------------------------------------------------


class SqliteView:
    """A view over one SQLite file, for the follower's statements and the queries."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode = WAL")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.connection.execute(sql, tuple(params))
        names = [c[0] for c in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def write(self, tracking: Any, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        for sql, params in statements:
            self.connection.execute(sql, tuple(params))


def measure_sqlite(count: int, options: argparse.Namespace) -> None:
    path = Path(tempfile.mkdtemp(prefix="huoke-archive-bench-")) / "search.sqlite"
    view = SqliteView(path)
    for sql in SearchIndex.create_statements():
        view.connection.execute(sql)
    index = SearchIndex(view=view)  # type: ignore[arg-type]
    started = time.perf_counter()
    view.connection.execute("BEGIN")
    for position, (tenant, message) in enumerate(messages(count), start=1):
        row = behaviour_of(tenant, message, received_at=message.msgtime)
        row = replace(row, position=position)
        index.process_event(row, None)  # type: ignore[arg-type]
        if position % 10_000 == 0:
            view.connection.execute("COMMIT")
            view.connection.execute("BEGIN")
    view.connection.execute("COMMIT")
    loaded = time.perf_counter() - started
    size = path.stat().st_size / 2**20
    console.print(
        f"SQLite: {count:,} messages through the follower's statements in "
        f"{loaded:.1f} s ({count / loaded:,.0f}/s), {size:.0f} MB"
    )
    rng = random.Random(7)
    sample = rng.sample(vocabulary(random.Random(20)), 400)
    workload = queries_of(sample, ["价格", "合同", "发票", "下午", "优惠", "库存", "续费", "样品"])
    search = SearchQueries(view)  # type: ignore[arg-type]
    table = Table(title=f"archive search, SQLite FTS5, {count:,} messages (ms)")
    for column in ("query", "p50", "p95"):
        table.add_column(column)
    for name, filters in workload:
        spent: list[float] = []
        for _ in range(options.runs):
            for selected in filters:
                spent += timed(lambda s=selected: search.search(TENANT, s), 1)
        table.add_row(name, f"{percentile(spent, 0.5):.1f}", f"{percentile(spent, 0.95):.1f}")
    console.print(table)


def measure_follower(server: str, count: int) -> None:
    """The search index's follower on PostgreSQL as the workers run it: `count` archived
    messages through `SearchIndex.process_event` in batches of 500 inside `view.batch()`
    (pipeline mode, one transaction each), against `COPY` of the same rows into a twin
    table in the same run."""
    from eventsourcing.persistence import Tracking

    from application.shared.behaviours import BEHAVIOURS
    from application.shared.context import RequestContext, acting
    from entrypoints.container import Runtime
    from entrypoints.settings import Settings

    parts = urlsplit(server)
    name = f"{DATABASE}_follower"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path=f"/{name}"))
    settings = Settings(
        database_url=url, var_dir=Path(tempfile.mkdtemp(prefix="huoke-archive-follower-")),
        cipher_key="aHVva2UtYmVuY2gta2V5LTAxMjM0NTY3ODlhYmNkZSE=", fast_hashing=True,
        auto_migrate=True, in_process_projections=False,
    )  # fmt: skip
    rows = [
        replace(behaviour_of(tenant, message, received_at=message.msgtime), position=n)
        for n, (tenant, message) in enumerate(messages(count), start=1)
    ]
    runtime = Runtime(settings).start()
    try:
        with acting(RequestContext(request_id="bench-follower")):
            view = runtime.container.infrastructure().open_view(SearchIndex, create_table=True)
            follower = SearchIndex(view=view)
            started, retried = time.perf_counter(), 0
            for first in range(0, count, 500):
                for attempt in range(3):
                    try:
                        with view.batch():
                            for row in rows[first : first + 500]:
                                follower.process_event(row, Tracking(BEHAVIOURS, row.position))
                        break
                    except Exception:  # rolled back whole; the runner would try it again
                        if attempt == 2:
                            raise
                        retried += 1
            spent = time.perf_counter() - started
    finally:
        runtime.close()
    with psycopg.connect(url) as connection:
        connection.execute(f"CREATE TABLE twin (LIKE {MESSAGES} INCLUDING ALL)")
        twin = [row_of(str(r.tenant_id), message_of(r), r.position) for r in rows]
        started = time.perf_counter()
        columns = ", ".join((*COLUMNS, WORDS_COLUMN))
        with connection.cursor().copy(f"COPY twin ({columns}) FROM STDIN") as copy:
            for row in twin:
                copy.write_row([*(row[c] for c in COLUMNS), tsvector_literal(row["tokens"])])
        connection.commit()
        floor = time.perf_counter() - started
    console.print(
        f"search index follower on PostgreSQL: {count:,} messages in {spent:.1f} s "
        f"({count / spent:,.0f}/s); COPY of the same rows {floor:.1f} s "
        f"({count / floor:,.0f}/s); follower at {floor / spent:.0%} of COPY; "
        f"{retried} batches tried again"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="rounds over each query's terms")
    parser.add_argument("--quick", action="store_true", help="100,000 messages, 2 rounds")
    parser.add_argument("--sqlite", type=int, nargs="?", const=100_000, default=0)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--follower", type=int, default=0, help="time the index follower on N messages"
    )
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--drop", action="store_true", help="drop the bench database, exit")
    options = parser.parse_args()
    if options.quick:
        options.messages, options.runs = 100_000, 2
    server = os.environ.get("HUOKE_BENCH_DATABASE_URL") or os.environ["HUOKE_TEST_DATABASE_URL"]
    parts = urlsplit(server)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    url = urlunsplit(parts._replace(path=f"/{DATABASE}"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if options.drop:
            connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            return
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{DATABASE}"')
            connection.execute(f'ALTER DATABASE "{DATABASE}" SET synchronous_commit = off')
    if not options.no_postgres:
        load(url, options.messages)
        measure_postgres(url, options)
    if options.sqlite:
        measure_sqlite(options.sqlite, options)
    if options.follower:
        measure_follower(server, options.follower)


if __name__ == "__main__":
    main()
