"""E-mail sending: our pipeline against a bare aiosmtplib loop, into the same local SMTP
sink (aiosmtpd in its own process), in one run (issue 17).

1. bare aiosmtplib - the same number of pre-rendered messages (one rendered, signed
                     message copied per recipient), sent over --connections connections
                     with `sendmail`, nothing recorded.
2. huoke pipeline  - a task to --messages recipients through `Dispatch.run_once`: claims
                     from the send queue, consent asked per batch, each message rendered
                     for its recipient (personalised subject and HTML, tracked links, the
                     open pixel, the text part), composed with List-Unsubscribe, DKIM-signed
                     (rsa-sha256, 2048-bit), handed over with the commit before the final
                     dot over --connections connections, `email_sent`/`email_delivered`
                     behaviours appended, rows settled.
The recipients' profiles and consent come from in-memory adapters of the People port
(the read models are measured by bench/segments.py); everything else is the real code
on the chosen database. Ratio: ours / bare, from this run.

Run:  .venv/bin/python bench/email_send.py [--messages 100000] [--connections 20]
      [--batch 500] [--postgres]
URL (with --postgres): HUOKE_BENCH_DATABASE_URL, else HUOKE_TEST_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Collection, Mapping
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiosmtplib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from bench.throwaway import server_url, throwaway_database

from adapters.messaging.dkim import RsaDkimSigner, generate_key_pair
from adapters.messaging.send_queue import postgres_send_queue, sqlite_send_queue
from adapters.messaging.smtp import RelayAddress, SmtpTransport
from adapters.shared.clock import SystemClock
from application.messaging.dispatch import Dispatch, PipelineLimits
from application.messaging.email_sending import EmailSending
from application.messaging.ports import Person
from application.messaging.sending_domain_commands import SigningIdentity
from application.messaging.task_calendar import CalendarQueries
from domain.messaging.email_task import EmailTask
from entrypoints.container import Runtime
from entrypoints.settings import Settings

HTML = (
    "<html><body><h1>{{ name }}，您好</h1><p>{{ company }} 专属的双十一优惠已经准备好。</p>"
    + "".join(f'<p><a href="https://www.acme.cn/offer/{n}">优惠 {n}</a></p>' for n in range(8))
    + "<p>感谢您一直以来的支持。</p></body></html>"
)
SINK = """
import asyncio, sys
from aiosmtpd.controller import Controller
class H:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        H.count += 1
        return "250 OK"
c = Controller(H(), hostname="127.0.0.1", port=int(sys.argv[1]), data_size_limit=0)
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
print(H.count, flush=True)
"""


class Everyone:
    """The People port for the bench: every recipient is known and contactable."""

    def __init__(self, people: Mapping[uuid.UUID, Person]) -> None:
        self._people = people

    def people(self, tenant_id: uuid.UUID, lead_ids: Collection[uuid.UUID]) -> dict[Any, Person]:
        return {lead_id: self._people[lead_id] for lead_id in lead_ids}

    def contactable(
        self, tenant_id: uuid.UUID, lead_ids: Collection[uuid.UUID], channel: str
    ) -> set[Any]:
        return set(lead_ids)

    def members(self, tenant_id: uuid.UUID, audience: Mapping[str, Any]) -> list[Any]:
        return list(self._people)

    def unsubscribe(self, *args: Any) -> None: ...

    def suppress(self, *args: Any) -> None: ...


class Fixed:
    """The template, signing identity and tracking URLs the bench's task uses."""

    def __init__(self, private_pem: str) -> None:
        self.identity = SigningIdentity(
            domain="mail.acme.cn", selector="hk1", private_key_pem=private_pem,
            return_path_domain="mail.acme.cn",
        )  # fmt: skip

    def content(self, tenant_id: Any, template_id: Any) -> tuple[str, dict[str, str]]:
        return HTML, {"name": "客户"}

    def signing_identity(self, tenant_id: Any, address: str) -> SigningIdentity:
        return self.identity

    def open_pixel_url(self, *, tenant_id: Any, lead_id: Any, message_id: str) -> str:
        return f"https://t.acme.cn/o/{message_id}.gif"

    def click_url(self, *, tenant_id: Any, lead_id: Any, message_id: str, url: str) -> str:
        return f"https://t.acme.cn/c/{message_id}"

    def short_link(self, **kwargs: Any) -> str:
        return "https://t.acme.cn/s/x"

    def url_for(self, tenant_id: Any, lead_id: Any, message_id: str, channel: str) -> str:
        return f"https://t.acme.cn/u/{message_id}"


def bare(port: int, messages: list[tuple[str, bytes]], connections: int) -> float:
    async def one(share: list[tuple[str, bytes]]) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        for to, data in share:
            await client.sendmail("b-bench@mail.acme.cn", [to], data)
        await client.quit()

    started = time.perf_counter()

    async def run() -> None:
        await asyncio.gather(*(one(messages[i::connections]) for i in range(connections)))

    asyncio.run(run())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    port = 20000 + uuid.uuid4().int % 20000
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
    private, _ = generate_key_pair()
    fixed = Fixed(private)
    tenant_id = uuid.uuid4()
    people = {
        uuid.uuid4(): Person(lead_id=uuid.uuid4(), name=f"客户{n}", email=f"p{n}@example.cn",
                             company="星河科技")
        for n in range(args.messages)
    }  # fmt: skip
    people = {lead_id: replace(person, lead_id=lead_id) for lead_id, person in people.items()}
    with ExitStack() as stack:
        var = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(throwaway_database(server_url())) if args.postgres else None
        settings = Settings(
            database_url=url, var_dir=var, fast_hashing=True, in_process_projections=False,
            cipher_key=base64.b64encode(b"bench-key-0123456789abcdef-bench").decode(),
        )  # fmt: skip
        runtime = Runtime(settings).start()
        stack.callback(runtime.close)
        infrastructure = runtime.container.infrastructure()
        queue = (
            postgres_send_queue(infrastructure.datastore, create_tables=True)
            if url
            else sqlite_send_queue(var)
        )
        transport = SmtpTransport(RelayAddress("127.0.0.1", port), connections=args.connections)
        sending = EmailSending(
            templates=fixed, identities=fixed, signer=RsaDkimSigner(), transport=transport,
            tokens=fixed, unsubscribe=fixed, return_path=lambda m, d: f"b-{m}@{d}",
        )  # fmt: skip
        everyone = Everyone(people)
        messaging = runtime.container.messaging()
        dispatch = Dispatch(
            messaging, queue, CalendarQueries(runtime.container.messaging_calendar_view()),
            everyone, everyone, everyone, runtime.container.behaviours(), {"email": sending},
            SystemClock(), PipelineLimits(batch=args.batch),
        )  # fmt: skip
        task = EmailTask.draft(
            task_id=uuid.uuid4(), tenant_id=tenant_id,
            details={"name": "双十一", "subject": "{{ name }}，双十一专属优惠",
                     "sender_name": "获客科技", "sender_address": "news@mail.acme.cn",
                     "reply_to": None, "template_id": str(uuid.uuid4()),
                     "audience": {"kind": "group", "group_id": str(uuid.uuid4())}},
        )  # fmt: skip
        now = SystemClock().now()
        task.schedule(now, now=now)
        messaging.save(task)

        # 1. bare: one rendered, signed message per recipient address
        sample = sending.message(
            task, _recipient(task, next(iter(people.values()))), "x@example.cn"
        )
        pre = [(p.email or "", sample.data.replace(b"x@example.cn", (p.email or "").encode()))
               for p in people.values()]  # fmt: skip
        bare_seconds = bare(port, pre, args.connections)
        bare_rate = args.messages / bare_seconds

        # 2. ours
        started = time.perf_counter()
        dispatch.start(tenant_id, task.id, "email")
        fixed_at = time.perf_counter()
        sent = 0
        while True:
            done = dispatch.send_batch()
            sent += done.sent
            if not done.busy:
                break
        ours_seconds = time.perf_counter() - started
        transport.close()
    sink.stdin.close()  # type: ignore[union-attr]
    received = int(sink.stdout.read().strip() or 0)
    ours_rate = sent / ours_seconds
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"e-mail send, {args.messages:,} recipients, {args.connections} connections, {backend}")
    print(f"  bare aiosmtplib (pre-rendered)   {bare_rate:10,.0f} msg/s")
    share = ours_rate / bare_rate
    print(f"  huoke pipeline (personalised,    {ours_rate:10,.0f} msg/s   ({share:.0%} of bare)")
    fixing = fixed_at - started
    print(f"    DKIM, queue, behaviours)        fixing the recipients took {fixing:.1f} s")
    expected = 2 * args.messages
    print(f"  the sink received {received:,} messages ({expected:,} expected); ours sent {sent:,}")


def _recipient(task: EmailTask, person: Person) -> Any:
    from application.messaging.sending import Recipient

    return Recipient(str(uuid.uuid4()), task.tenant_id, task.id, person)


if __name__ == "__main__":
    main()
