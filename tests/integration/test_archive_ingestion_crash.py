"""Kill the archive ingestion mid-batch and resume (ARCH-1, issue 20 "Tests that must
exist"), on both stores: `huoke archive pull` runs as a real process against a local
archive gateway and is killed with SIGKILL soon after the gateway has handed out n more
messages (while it decrypts, screens and appends them, or moves the cursor), five
times, then run to the end. The stored set equals the source exactly: no message
twice, none missing, the cursor at the last seq; batches handed out again after a kill
show the kills landed before the cursor moved."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.archive.decryption import RsaKeyMaker
from application.archive.messages import message_of
from application.archive.setup_commands import ChangeArchiveSettings, ImportKey
from application.shared.behaviours import BehaviourKind
from application.shared.context import RequestContext, acting
from application.tenancy.billing_commands import PlaceOrder
from application.tenancy.commands import RegisterTenant
from entrypoints.container import Runtime
from entrypoints.settings import Settings
from tests.conftest import TEST_CIPHER_KEY
from tests.integration.archive_gateway import ArchiveGateway, serving

MESSAGES = 1200
BATCH = 40
KILLS = 5
CORP, SECRET = "ww0123456789abcdef", "crash-test-secret-0123456789"


def _archive_tenant(settings: Settings, private_key_pem: str) -> UUID:
    runtime = Runtime(settings).start()
    try:
        with acting(RequestContext(request_id=f"crash-setup-{uuid.uuid4().hex[:6]}")):
            c = runtime.container
            tenant = c.tenancy().register_tenant(
                RegisterTenant(name="存档断电", owner_name="王", owner_contact="kill@acme.cn")
            )
            order = c.billing().place_order(
                tenant.id, PlaceOrder(kind="new", edition="scrm_ten_seats")
            )
            c.billing().confirm_sandbox_payment(order.id)
            c.archive_setup().import_key(
                tenant.id, ImportKey(publickey_ver=1, private_key_pem=private_key_pem)
            )
            c.archive_setup().change(
                tenant.id, ChangeArchiveSettings(corpid=CORP, sdk_secret=SECRET, enabled=True)
            )
        return tenant.id
    finally:
        runtime.close()


def _stored(settings: Settings, tenant_id: UUID) -> tuple[list[str], int]:
    """The msgids of the tenant's stored messages, in log order, and its cursor."""
    runtime = Runtime(settings)
    try:
        log = runtime.container.behaviours()
        ids: list[str] = []
        after = 0
        while rows := log.behaviours_of(tenant_id, after=after, limit=1000):
            ids += [message_of(r).msgid for r in rows if r.kind == BehaviourKind.ARCHIVE_MESSAGE]
            after = rows[-1].position
        return ids, runtime.container.archive_ledger().state(tenant_id).seq
    finally:
        runtime.close()


def _puller(settings: Settings, gateway: ArchiveGateway, tenant_id: UUID, log: Path) -> Any:
    env = {
        **os.environ,
        "HUOKE_VAR_DIR": str(settings.var_dir),
        "HUOKE_CIPHER_KEY": TEST_CIPHER_KEY,
        "HUOKE_FAST_HASHING": "y",
        "HUOKE_AUTO_MIGRATE": "y",
        "HUOKE_POOL_SIZE": "3",
        "HUOKE_ARCHIVE_SOURCE": "gateway",
        "HUOKE_ARCHIVE_GATEWAY_URL": gateway.url,
        "HUOKE_ARCHIVE_BATCH": str(BATCH),
        "COLUMNS": "200",
    }
    if settings.database_url:
        env["HUOKE_DATABASE_URL"] = settings.database_url
    else:
        env.pop("HUOKE_DATABASE_URL", None)
    huoke = str(Path(sys.executable).with_name("huoke"))
    with log.open("ab") as out:
        return subprocess.Popen(
            [huoke, "archive", "pull", "--tenant", str(tenant_id)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip


def test_a_pull_killed_mid_batch_resumes_with_exactly_the_source(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    pair = RsaKeyMaker().generate()
    tenant_id = _archive_tenant(fresh_settings, pair.private_key_pem)
    gateway = ArchiveGateway(CORP, SECRET, {1: pair.public_key_pem})
    seq = 0
    for number in range(MESSAGES):
        seq += random.choice((1, 1, 1, 2, 5))  # seqs are corp-wide: gaps between a corp's
        gateway.add(seq, {
            "msgid": f"crash{number:05d}", "action": "send", "from": "zhangsan",
            "tolist": ["wmCrashCustomer01"], "roomid": "", "msgtime": 1_796_000_000_000 + number,
            "msgtype": "text", "text": {"content": f"第{number}条，报价稍后发您"},
        })  # fmt: skip
    handed: Counter[str] = Counter()
    log = tmp_path / "archive-pull.log"
    with serving(gateway):
        original = gateway.handle

        def counting(body: dict[str, Any]) -> dict[str, Any]:
            answer = original(body)
            handed.update(chat["msgid"] for chat in answer.get("chatdata", []))
            return answer

        gateway.handle = counting  # type: ignore[method-assign]
        for _ in range(KILLS):
            process = _puller(fresh_settings, gateway, tenant_id, log)
            target = gateway.served + random.randint(1, 4) * BATCH - random.randint(0, BATCH - 1)
            deadline = time.monotonic() + 60
            while gateway.served < target and process.poll() is None:
                assert time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.001)
            time.sleep(random.uniform(0, 0.05))  # somewhere in opening, screening, storing
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        process = _puller(fresh_settings, gateway, tenant_id, log)
        assert process.wait(timeout=300) == 0, log.read_text()[-3000:]

    stored, cursor = _stored(fresh_settings, tenant_id)
    source = [chat["msgid"] for _, chat, _ in gateway.messages]
    assert len(stored) == len(set(stored)), "a message was stored twice"
    assert sorted(stored) == sorted(source)  # exactly the source: nothing missing or extra
    assert cursor == gateway.messages[-1][0]
    assert any(count > 1 for count in handed.values()), "no kill landed before the cursor"
