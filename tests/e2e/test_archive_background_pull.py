"""The archive's background round (ARCH-1): a running huoke pulls a tenant's archive on
its own once it is switched on — no pull asked for — and stops pulling it once it is
switched off, on both stores."""

from __future__ import annotations

import time
from dataclasses import replace
from uuid import UUID

from adapters.archive.sandbox import fixture_messages
from application.archive.setup_commands import ChangeArchiveSettings, GenerateKey
from application.shared.context import RequestContext, acting
from application.tenancy.billing_commands import PlaceOrder
from application.tenancy.commands import RegisterTenant
from entrypoints.container import Runtime
from entrypoints.settings import ArchiveSourceSettings, Settings

SOURCE = {"corpid": "ww0123456789abcdef", "sdk_secret": "s" * 43}


def _wait_for(runtime: Runtime, tenant_id: UUID, stored: int, timeout: float = 30) -> int:
    ledger = runtime.container.archive_ledger()
    deadline = time.monotonic() + timeout
    while (seen := ledger.state(tenant_id).stored) < stored and time.monotonic() < deadline:
        time.sleep(0.05)
    return seen


def test_a_running_huoke_pulls_an_enabled_archive_by_itself(fresh_settings: Settings) -> None:
    settings = replace(fresh_settings, archive=ArchiveSourceSettings(pull_interval_seconds=0.1))
    runtime = Runtime(settings).start()
    try:
        c = runtime.container
        with acting(RequestContext(request_id="test-background-pull")):
            tenant = c.tenancy().register_tenant(
                RegisterTenant(name="自动拉取", owner_name="王", owner_contact="auto@acme.cn")
            )
            order = c.billing().place_order(
                tenant.id, PlaceOrder(kind="new", edition="scrm_ten_seats")
            )
            c.billing().confirm_sandbox_payment(order.id)
            c.archive_setup().generate_key(tenant.id, GenerateKey(publickey_ver=1))
            time.sleep(0.5)  # rounds run meanwhile: the archive is off, none pulls it
            assert c.archive_ledger().state(tenant.id).pulls == 0
            c.archive_setup().change(tenant.id, ChangeArchiveSettings(**SOURCE, enabled=True))

        total = len(fixture_messages())
        assert _wait_for(runtime, tenant.id, total) == total

        with acting(RequestContext(request_id="test-background-off")):
            c.archive_setup().change(tenant.id, ChangeArchiveSettings(**SOURCE, enabled=False))
        # While on, every round (0.1 s) pulls (an empty batch counts); once the switch
        # reaches the round's read model, the count stops.
        deadline = time.monotonic() + 20
        while True:
            before = c.archive_ledger().state(tenant.id).pulls
            time.sleep(0.5)
            if c.archive_ledger().state(tenant.id).pulls == before:
                break
            assert time.monotonic() < deadline, "the round kept pulling a switched-off archive"
    finally:
        runtime.close()
