"""WeChat callbacks acknowledged (issue 18): a real `huoke serve` on a throwaway
PostgreSQL database takes safe-mode (AES) pushes of one Official Account, paced at
--rate pushes a second for --seconds, from --procs client processes; every push is a
fan's text message with its own MsgId, encrypted by wechatpy's own crypto.

Printed: pushes acknowledged per second and the acknowledgement latency (p50, p99),
and, in the same run and at the same pace, the same server's `/healthz` (an answer
with no work: the HTTP stack's own cost) as the raw baseline. Aim (issue 18): p99
≤ 500 ms at 1,000 callbacks/s. Nothing here asserts a timing.

    eval "$(scripts/postgres-for-tests)"
    .venv/bin/python bench/wechat_callbacks.py [--rate 1000] [--seconds 20] [--procs 4]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import multiprocessing
import os
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import xmltodict
from wechatpy.crypto import WeChatCrypto

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from bench.ingestion_http import _free_port, _percentile, _serve
from bench.throwaway import server_url, throwaway_database

from application.shared.context import Actor, ActorKind, RequestContext, acting
from application.tenancy.commands import RegisterTenant
from application.wechat.commands import BindAccount
from entrypoints.container import Runtime
from entrypoints.settings import Settings

BOOTSTRAP = RequestContext(actor=Actor(ActorKind.SYSTEM, "bench"), request_id="bench")
CIPHER_KEY = base64.b64encode(b"b" * 32).decode()
TOKEN = "benchToken1"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx00000000000be4c4"
THREADS = 32  # connections per client process: enough to keep the pace when acks slow


def _push(n: int) -> tuple[dict[str, str], bytes]:
    """One encrypted text push (query and body) as WeChat sends it."""
    xml = (
        f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName>"
        f"<FromUserName><![CDATA[oBench{n % 5000:05d}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[压测消息 {n}]]></Content><MsgId>{7_000_000_000 + n}</MsgId></xml>"
    )
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    encrypted = xmltodict.parse(
        WeChatCrypto(TOKEN, AES_KEY, APPID).encrypt_message(xml, nonce, timestamp)
    )["xml"]
    signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()
    body = f"<xml><Encrypt><![CDATA[{encrypted['Encrypt']}]]></Encrypt></xml>".encode()
    query = {
        "signature": signature,
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": encrypted["MsgSignature"],
    }
    return query, body


def _client(url: str, path: str, rate: float, seconds: float, first: int, out: Any) -> None:
    """One process: pushes paced at `rate`/s (open loop: a slow answer does not slow the
    pace), answered by `THREADS` connections; `path` None posts, else GETs /healthz."""
    pushes = [_push(first + i) for i in range(int(rate * seconds))] if path != "/healthz" else []
    latencies: list[float] = []
    failed = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.5
    total = int(rate * seconds)
    next_index = [0]

    def work() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while True:
                with lock:
                    index = next_index[0]
                    next_index[0] += 1
                if index >= total:
                    return
                due = start + index / rate
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                if path == "/healthz":
                    answer = client.get(path)
                else:
                    query, body = pushes[index]
                    answer = client.post(path, params=query, content=body)
                took = time.perf_counter() - due  # from when it was due: queueing counts
                with lock:
                    if answer.status_code == 200:
                        latencies.append(took)
                    else:
                        failed[0] += 1

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((latencies, failed[0], time.perf_counter() - start))


def _load(
    url: str, path: str, args: argparse.Namespace, first: int
) -> tuple[list[float], int, float]:
    results: Any = multiprocessing.Queue()
    per_process = args.rate / args.procs
    clients = [
        multiprocessing.Process(
            target=_client,
            args=(url, path, per_process, args.seconds, first + i * 10_000_000, results),
        )
        for i in range(args.procs)
    ]
    for client in clients:
        client.start()
    gathered = [results.get(timeout=args.seconds + 300) for _ in clients]
    for client in clients:
        client.join()
    latencies = [value for g in gathered for value in g[0]]
    return latencies, sum(g[1] for g in gathered), max(g[2] for g in gathered)


def _line(name: str, latencies: list[float], failed: int, elapsed: float) -> str:
    return (
        f"{name}: {len(latencies) / elapsed:,.0f}/s answered 200, {failed} not; "
        f"p50 {statistics.median(latencies or [float('nan')]) * 1000:.1f} ms, "
        f"p99 {_percentile(latencies, 0.99) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="pushes a second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    args = parser.parse_args()
    print(
        f"load average {os.getloadavg()[0]:.1f}; {args.rate:,.0f}/s for {args.seconds:.0f} s "
        f"from {args.procs} processes"
    )
    with throwaway_database(server_url()) as url, tempfile.TemporaryDirectory() as var:
        settings = Settings(
            database_url=url,
            var_dir=Path(var),
            cipher_key=CIPHER_KEY,
            auto_migrate=True,
            in_process_projections=False,
            pool_size=4,
        )
        runtime = Runtime(settings).start()
        try:
            with acting(BOOTSTRAP):
                tenant = runtime.container.tenancy().register_tenant(
                    RegisterTenant(name="压测公司", owner_name="王", owner_contact="b@acme.cn")
                )
                account = runtime.container.wechat_accounts().bind(
                    tenant.id,
                    BindAccount(
                        name="压测服务号",
                        appid=APPID,
                        app_secret="0" * 32,
                        callback_token=TOKEN,
                        encoding_aes_key=AES_KEY,
                        kind="service",
                    ),
                )
        finally:
            runtime.close()
        port = _free_port()
        server = _serve(settings, port, Path(var) / "serve.log")
        try:
            base = f"http://127.0.0.1:{port}"
            raw = _load(base, "/healthz", args, 0)
            ours = _load(base, account.callback_path, args, 1)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        stored = _stored(url, tenant.id)
    print(_line("raw: GET /healthz (no work)", *raw))
    print(_line("ours: POST an encrypted push (checked, decrypted, stored, acknowledged)", *ours))
    raw_rate, our_rate = len(raw[0]) / raw[2], len(ours[0]) / ours[2]
    print(
        f"ours/raw throughput {our_rate / raw_rate:.0%}; p99 ours/raw "
        f"{_percentile(ours[0], 0.99) / _percentile(raw[0], 0.99):.1f}x; "
        f"{stored:,} messages stored for {len(ours[0]):,} acknowledged"
    )


def _stored(url: str, tenant_id: Any) -> int:
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM behaviours WHERE tenant_id = %s AND kind = 'wechat_message'",
            (tenant_id,),
        ).fetchone()
    return int(row[0]) if row else 0


if __name__ == "__main__":
    main()
