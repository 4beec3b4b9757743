"""Archive ingestion on PostgreSQL (ARCH-1, ADR 0020): generated archived messages pulled
through the product's `ArchiveIngestion` — RSA-unwrapping each message's key, AES
decryption, the sensitive-word and behaviour screen, one behaviour-log append of the
messages and their alerts per batch, the cursor — next to a raw `COPY` of the same rows
into a plain table in the same run, RSA alone, and the search index follower catching
up over what was stored.

1. A database of its own (`huoke_bench_archive_ingestion` beside the server's URL,
   created afresh each run) holds a tenant with the SCRM 10-seat edition, an RSA-2048
   key pair (version 1), a word list of `--words` words and its archive switched on.
2. `--messages` chats are generated once into a JSON-lines file of GetChatData's
   entries (Chinese one-to-one and group chats; numbers, e-mails, links, red packets,
   files, words of the list), sealed as the finance SDK seals them. To keep generation
   cheap one random key is wrapped for every 100 messages; ingestion still unwraps every
   message's key (no cache), so the RSA cost measured is that of distinct keys.
3. RSA alone: 4,000 distinct wrapped keys unwrapped on one thread, then through the
   product's cipher (its threads).
4. Raw `COPY`: the same behaviour rows (built and encrypted beforehand, untimed) copied
   into a plain unindexed table.
5. Ingestion: `ArchiveIngestion.pull` from a file-backed source (a gateway's answers
   read back), batches of `--batch`; where the time goes (opening, screening, storing).
6. The search follower (`archive_search_index`) rebuilt over the behaviour log.

URL: HUOKE_BENCH_DATABASE_URL, else HUOKE_TEST_DATABASE_URL.

    .venv/bin/python bench/archive_ingestion.py                       # 1,000,000 messages
    .venv/bin/python bench/archive_ingestion.py --messages 50000      # quick
    .venv/bin/python bench/archive_ingestion.py --messages 50000 --no-follower
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from adapters.archive.decryption import (
    RsaChatCipher,
    RsaKeyMaker,
    _aes,
    random_key,
    unwrap_key,
)
from application.archive.chat_documents import message_of_chat
from application.archive.ingestion import ArchiveIngestion
from application.archive.messages import ArchivedMessage, behaviour_of
from application.archive.ports import EncryptedChat, SourceAccount
from application.archive.screening_commands import MakeWordList
from application.archive.search_index import SearchIndex
from application.archive.setup_commands import ChangeSettings, ImportKey
from application.shared.context import RequestContext, acting
from application.tenancy.billing_commands import PlaceOrder
from application.tenancy.commands import RegisterTenant
from entrypoints.container import Runtime
from entrypoints.settings import Settings

DATABASE = "huoke_bench_archive_ingestion"
CIPHER_KEY = base64.b64encode(b"huoke-bench-archive-ingest-key!!").decode()
START = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
KEY_EVERY = 100  # messages sharing one wrapped random key in the generated file
console = Console(width=110)
T = TypeVar("T")

EMPLOYEES = [f"emp{n:03d}" for n in range(60)]
CUSTOMERS = [f"wmBench{n:06d}Customer" for n in range(20_000)]
ROOMS = [f"wrBenchRoom{n:05d}AAAA" for n in range(300)]
GREETINGS = ["你好", "您好", "在吗", "早上好", "王总好", "李经理", "打扰了", "亲"]
THINGS = ["产品价格", "报价单", "合同", "发票", "优惠活动", "会员卡", "套餐", "物流信息",
          "退款流程", "售后服务", "安装时间", "样品", "付款方式", "账期", "库存"]  # fmt: skip
TAILS = ["吗", "呢", "可以吗", "谢谢", "好的", "麻烦尽快回复", "明天下午开会再说", "收到"]


def sentence(rng: random.Random, words: Sequence[str]) -> str:
    text = f"{rng.choice(GREETINGS)}，{rng.choice(THINGS)}{rng.choice(TAILS)}"
    roll = rng.random()
    if roll < 0.03:
        text += f"，我电话 13{rng.randrange(10**9):09d}"
    elif roll < 0.05:
        text += f"，邮箱 user{rng.randrange(10**5)}@example.com"
    elif roll < 0.06:
        text += f"，卡号 6222 {rng.randrange(10**4):04d} {rng.randrange(10**4):04d} 1234"
    elif roll < 0.09:
        text += f"，{rng.choice(words)}"
    return text


def chats(count: int, words: Sequence[str], seed: int = 20) -> Iterator[dict[str, Any]]:
    """The SDK's chat JSON of `count` messages, a few seconds apart over ~60 days."""
    rng = random.Random(seed)
    moment = START
    step = timedelta(days=60) / max(count, 1)
    for number in range(count):
        moment += step
        employee = rng.choice(EMPLOYEES)
        room = rng.choice(ROOMS) if rng.random() < 0.3 else ""
        customer = rng.choice(CUSTOMERS)
        sender, to = (customer, [employee]) if rng.random() < 0.5 else (employee, [customer])
        kind = rng.choices(["text", "image", "file", "link", "redpacket"], [88, 6, 3, 2, 1])[0]
        content: dict[str, Any]
        if kind == "text":
            content = {"content": sentence(rng, words)}
        elif kind == "image":
            content = {"md5sum": f"{number:032x}", "filesize": 20480, "sdkfileid": f"F{number}"}
        elif kind == "file":
            content = {"md5sum": f"{number:032x}", "filename": "报价单.pdf", "fileext": "pdf",
                       "filesize": 88000, "sdkfileid": f"F{number}"}  # fmt: skip
        elif kind == "link":
            content = {"title": "新品发布", "description": "点击查看",
                       "link_url": f"https://example.cn/p/{number}"}  # fmt: skip
        else:
            content = {"type": 1, "wish": "恭喜发财", "totalcnt": 1, "totalamount": 888}
        yield {"msgid": f"bench{number:08d}", "action": "send", "from": sender, "tolist": to,
               "roomid": room, "msgtime": int(moment.timestamp() * 1000), "msgtype": kind,
               kind: content}  # fmt: skip


def generate(path: Path, count: int, public_pem: str, words: Sequence[str]) -> None:
    """GetChatData's entries for `count` messages, one JSON object a line."""
    public = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    started = time.perf_counter()
    with path.open("w", encoding="utf-8") as out:
        key, wrapped = b"", ""
        for number, chat in enumerate(chats(count, words)):
            if number % KEY_EVERY == 0:
                key = random_key()
                wrapped = base64.b64encode(public.encrypt(key, padding.PKCS1v15())).decode()
            plain = json.dumps(chat, ensure_ascii=False, separators=(",", ":")).encode()
            pad = 16 - len(plain) % 16
            encryptor = _aes(key).encryptor()
            sealed = encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()
            entry = {"seq": number + 1, "msgid": chat["msgid"], "publickey_ver": 1,
                     "encrypt_random_key": wrapped,
                     "encrypt_chat_msg": base64.b64encode(sealed).decode()}  # fmt: skip
            out.write(json.dumps(entry, separators=(",", ":")) + "\n")
    console.print(f"generated {count:,} sealed messages in {time.perf_counter() - started:.0f} s")


class FileSource:
    """An `ArchiveSource` answering what a gateway answered, read back from the file."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open(encoding="utf-8")
        self.last = 0

    def chat_data(self, account: SourceAccount, seq: int, limit: int) -> list[EncryptedChat]:
        assert seq == self.last, (seq, self.last)  # pulls follow the cursor
        answer = []
        for line in self.handle:
            entry = json.loads(line)
            answer.append(EncryptedChat(**entry))
            if len(answer) == limit:
                break
        if answer:
            self.last = answer[-1].seq
        return answer


class Timed:
    """Wraps a collaborator's method to add up the seconds spent in it."""

    def __init__(self, inner: Any, method: str) -> None:
        self.inner = inner
        self.method = method
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if name != self.method:
            return target

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return target(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


def timed(function: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def rsa_alone(private_pem: str, public_pem: str, count: int = 4000) -> tuple[float, float]:
    """Unwraps/s of distinct wrapped keys: on one thread, and through the cipher."""
    public = serialization.load_pem_public_key(public_pem.encode())
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(public, rsa.RSAPublicKey) and isinstance(private, rsa.RSAPrivateKey)
    keys = [random_key() for _ in range(count)]
    wrapped = [base64.b64encode(public.encrypt(k, padding.PKCS1v15())).decode() for k in keys]
    _, single = timed(lambda: [unwrap_key(private, w) for w in wrapped])
    sealed = base64.b64encode(b"\0" * 16).decode()  # one block: the AES part is negligible
    batch = [EncryptedChat(n, f"r{n}", 1, w, sealed) for n, w in enumerate(wrapped)]
    cipher = RsaChatCipher()
    _, threaded = timed(lambda: cipher.open(batch, {1: private_pem}))
    cipher.close()
    return count / single, count / threaded


def raw_copy(url: str, tenant: UUID, runtime: Runtime, count: int, words: Sequence[str]) -> float:
    """COPY of the messages' rows (the same chats regenerated from the seed, built and
    encrypted beforehand) into a plain table; answers rows/s over the COPY time alone."""
    log = runtime.container.behaviours()
    received = datetime.now(UTC)
    copied, seconds = 0, 0.0
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE bench_copy (tenant_id uuid, received_at timestamptz, "
            "occurred_at timestamptz, kind text, channel text, name text, message_id text, "
            "anonymous_id text, user_id text, lead_id uuid, source_id text, request_id text, "
            "payload bytea)"
        )
        chunk: list[ArchivedMessage] = []
        for number, chat in enumerate(chats(count, words), start=1):
            sealed = EncryptedChat(number, str(chat["msgid"]), 1, "", "")
            message = message_of_chat(sealed, chat)
            assert message is not None
            chunk.append(message)
            if len(chunk) == 5000:
                copied, seconds = _copy(connection, log, tenant, chunk, received, copied, seconds)
                chunk = []
        if chunk:
            copied, seconds = _copy(connection, log, tenant, chunk, received, copied, seconds)
    return copied / seconds


def _copy(
    connection: Any, log: Any, tenant: UUID, chunk: Sequence[ArchivedMessage],
    received: datetime, copied: int, seconds: float,
) -> tuple[int, float]:  # fmt: skip
    rows = log.encode([behaviour_of(tenant, m, received_at=received) for m in chunk])
    started = time.perf_counter()
    with connection.cursor() as cursor, cursor.copy("COPY bench_copy FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return copied + len(rows), seconds + time.perf_counter() - started


def follow_up(
    runtime: Runtime, stored: int, ingesting: float, results: list[tuple[str, int, float]]
) -> None:
    """The search index rebuilt over the log (what its follower does to catch up)."""
    started = time.perf_counter()
    try:
        runtime.rebuild(SearchIndex.name)
    except Exception as failure:  # e.g. psycopg's pipeline fault (bench/README.md)
        view = runtime.container.infrastructure().query_view(SearchIndex)
        reached = view.max_tracking_id("behaviours") or 0
        console.print(
            f"[red]search index rebuild failed after {time.perf_counter() - started:.0f} s "
            f"at position {reached:,}: {type(failure).__name__}: {failure}"
        )
        return
    follow = time.perf_counter() - started
    console.print(f"search index caught up in {follow:.1f} s")
    results.append(("search index follower catching up", stored, follow))
    results.append(("ingestion + search index", stored, ingesting + follow))


def set_up(runtime: Runtime, private_pem: str, words: Sequence[str]) -> UUID:
    c = runtime.container
    with acting(RequestContext(request_id="bench-archive-ingestion")):
        tenant = c.tenancy().register_tenant(
            RegisterTenant(name="存档压测", owner_name="王", owner_contact="bench@acme.cn")
        )
        order = c.billing().place_order(tenant.id, PlaceOrder(kind="new", edition="scrm_ten_seats"))
        c.billing().confirm_sandbox_payment(order.id)
        c.archive_setup().import_key(
            tenant.id, ImportKey(publickey_ver=1, private_key_pem=private_pem)
        )
        c.archive_setup().change(
            tenant.id,
            ChangeSettings(corpid="ww0123456789abcdef", sdk_secret="b" * 43, enabled=True),
        )
        c.archive_word_lists().make(
            tenant.id, MakeWordList(name="压测词库", category="违规", words=list(words))
        )
    runtime.rebuild("archive_word_list_directory")  # the screen reads the lists from it
    return tenant.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--words", type=int, default=1000)
    parser.add_argument("--no-follower", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    options = parser.parse_args()
    server = os.environ.get("HUOKE_BENCH_DATABASE_URL") or os.environ["HUOKE_TEST_DATABASE_URL"]
    parts = urlsplit(server)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    url = urlunsplit(parts._replace(path=f"/{DATABASE}"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    rng = random.Random(7)
    words = sorted({"".join(rng.choice("违规承诺保本返现私聊加微信稳赚") for _ in range(3))
                    for _ in range(options.words * 3)})[: options.words]  # fmt: skip
    words = ["稳赚不赔", "加微信", *words][: options.words]
    pair = RsaKeyMaker().generate()
    work = Path(tempfile.mkdtemp(prefix="huoke-bench-archive-"))
    settings = Settings(
        database_url=url, var_dir=work, cipher_key=CIPHER_KEY, fast_hashing=True,
        auto_migrate=True, in_process_projections=False, pool_size=4,
    )  # fmt: skip
    runtime = Runtime(settings).start()
    results: list[tuple[str, int, float]] = []
    try:
        tenant = set_up(runtime, pair.private_key_pem, words)
        source_file = work / "chatdata.jsonl"
        generate(source_file, options.messages, pair.public_key_pem, words)

        single, threaded = rsa_alone(pair.private_key_pem, pair.public_key_pem)
        console.print(f"RSA-2048 unwrap alone: {single:,.0f}/s on one thread, "
                      f"{threaded:,.0f}/s through the cipher's threads")  # fmt: skip

        copy_rate = raw_copy(url, tenant, runtime, options.messages, words)
        results.append(("raw COPY of the same rows (plain table)", options.messages,
                        options.messages / copy_rate))  # fmt: skip
        console.print(f"raw COPY: {copy_rate:,.0f} rows/s")

        c = runtime.container
        cipher = Timed(c.archive_cipher(), "open")
        screen = Timed(c.archive_screen(), "alerts")
        log = Timed(c.behaviours(), "append")
        ingestion = ArchiveIngestion(
            c.archive_setup(), FileSource(source_file), cipher, screen, log,
            c.archive_ledger(), c.billing().quotas, c.clock(), batch_size=options.batch,
        )  # fmt: skip
        shown = [0]

        def progress(done: Any) -> None:
            if done.fetched - shown[0] >= 100_000:
                shown[0] = done.fetched
                console.print(f"  … {done.fetched:,} pulled, {done.alerts:,} alerts")

        with acting(RequestContext(request_id="bench-archive-pull")):
            report, seconds = timed(lambda: ingestion.pull(tenant, progress=progress))
        assert report.stored == options.messages, report
        results.append(("ingestion (open + screen + append + cursor)", report.stored, seconds))
        console.print(
            f"ingestion: {report.stored:,} messages, {report.alerts:,} alerts in "
            f"{report.batches:,} batches; opening {cipher.seconds:.1f} s, screening "
            f"{screen.seconds:.1f} s, appending {log.seconds:.1f} s, the rest "
            f"{seconds - cipher.seconds - screen.seconds - log.seconds:.1f} s"
        )
        if not options.no_follower:
            follow_up(runtime, report.stored, seconds, results)
    finally:
        runtime.close()
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)  # the generated file: ~1 GB at 1M
            with psycopg.connect(admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    table = Table(title=f"archive ingestion, {options.messages:,} messages, PostgreSQL")
    for column in ("what", "messages", "seconds", "messages/s", "of raw COPY"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for what, count, seconds in results:
        rate = count / seconds
        table.add_row(what, f"{count:,}", f"{seconds:.1f}", f"{rate:,.0f}",
                      f"{rate / copy_rate:.0%}")  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    main()
