"""The send ledger keeps WeChat's monthly cap exact (WX-4, ADR 0016), on both stores:
whatever the interleaving of sends fixed, failed and delivered — and sends fixed at the
same moment from many threads — no service-account fan is ever given a fifth mass
message in a month; fixing a send again (a crash and a rerun) changes nothing."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.wechat.send_ledger import (
    RECIPIENTS,
    SqlSendLedger,
    postgres_send_ledger,
    sqlite_send_ledger,
)
from application.wechat.send_ledger import (
    QUEUED,
    SKIPPED,
    Allowances,
    FixPlan,
    Planned,
    Settled,
)
from domain.wechat.mass_send import MONTHLY_CAP_RULE, allot
from domain.wechat.windows import MASS_SENDS_PER_MONTH
from entrypoints.container import Runtime
from entrypoints.settings import Settings

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
FANS = ["oA", "oB", "oC"]


@pytest.fixture
def ledger(fresh_settings: Settings, tmp_path: Path) -> Iterator[SqlSendLedger]:
    if fresh_settings.database_url is None:
        made = sqlite_send_ledger(tmp_path)
        yield made
        made.close()
        return
    runtime = Runtime(replace(fresh_settings, in_process_projections=False)).start()
    yield postgres_send_ledger(runtime.container.infrastructure().datastore, create_tables=True)
    runtime.close()


def plan(tenant_id: uuid.UUID, account_id: uuid.UUID, send_id: uuid.UUID) -> FixPlan:
    return FixPlan(tenant_id, account_id, send_id, "normal", "2026-12", "2026-12-02", NOW, 2)


def capped(fans: Sequence[str]):  # type: ignore[no-untyped-def]
    """The pipeline's decision for a normal send of a service account."""

    def decide(allowances: Allowances) -> list[Planned]:
        granted, over = allot(allowances.received, fans)
        return [Planned(o, QUEUED, counted=True) for o in granted] + [
            Planned(o, SKIPPED, f"monthly_cap: {MONTHLY_CAP_RULE}") for o in over
        ]

    return decide


def in_flight_or_sent(ledger: SqlSendLedger, tenant_id: uuid.UUID) -> dict[str, int]:
    with ledger._transaction() as cursor:
        cursor.execute(
            ledger._sql(
                f"SELECT openid, COUNT(*) FROM {RECIPIENTS} WHERE tenant_id = ? AND counted = 1 "
                "AND state IN ('queued', 'sent') GROUP BY openid"
            ),
            (str(tenant_id),),
        )
        return {str(o): int(n) for o, n in cursor.fetchall()}


def settle_send(ledger: SqlSendLedger, tenant_id: uuid.UUID, send_id: uuid.UUID, *, ok: bool):  # type: ignore[no-untyped-def]
    """Claim and settle every batch of one send (others' batches are put back)."""
    put_back = []
    while (batch := ledger.claim(NOW, NOW + timedelta(minutes=2))) is not None:
        if batch.tenant_id == tenant_id and batch.send_id == send_id:
            outcome = (
                Settled(sent=batch.openids, msg_id=f"m-{batch.batch}")
                if ok
                else Settled(failed=[(o, "WeChat refused: 45028") for o in batch.openids])
            )
            ledger.settle(batch, outcome, NOW)
        else:
            put_back.append(batch)
    with ledger._transaction() as cursor:  # release the other sends' leases
        for batch in put_back:
            cursor.execute(
                ledger._sql(
                    "UPDATE wechat_send_batches SET lease_until = NULL WHERE tenant_id = ? "
                    "AND send_id = ? AND batch = ?"
                ),
                (str(batch.tenant_id), str(batch.send_id), batch.batch),
            )


def test_fixing_a_send_again_changes_nothing(ledger: SqlSendLedger) -> None:
    tenant_id, account_id, send_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first = ledger.fix(plan(tenant_id, account_id, send_id), capped(FANS))

    def never(allowances: Allowances) -> list[Planned]:
        raise AssertionError("a fixed send is not decided again")

    again = ledger.fix(plan(tenant_id, account_id, send_id), never)

    assert (first.queued, first.skipped) == (again.queued, again.skipped) == (3, 0)
    assert ledger.counts(tenant_id, send_id) == {QUEUED: 3}
    assert ledger.open_batches(tenant_id, send_id) == 2  # 2 fans a batch here


def test_sends_fixed_at_the_same_moment_give_no_fan_a_fifth(ledger: SqlSendLedger) -> None:
    tenant_id, account_id = uuid.uuid4(), uuid.uuid4()
    sends = [uuid.uuid4() for _ in range(8)]
    start = threading.Barrier(len(sends))
    errors: list[BaseException] = []

    def fix(send_id: uuid.UUID) -> None:
        try:
            start.wait()
            ledger.fix(plan(tenant_id, account_id, send_id), capped(FANS))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=fix, args=(s,)) for s in sends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert in_flight_or_sent(ledger, tenant_id) == {o: MASS_SENDS_PER_MONTH for o in FANS}
    skipped = sum(ledger.counts(tenant_id, s).get(SKIPPED, 0) for s in sends)
    assert skipped == len(FANS) * (len(sends) - MASS_SENDS_PER_MONTH)


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["fix", "deliver", "fail"]),
        st.integers(0, 7),
        st.sets(st.sampled_from(FANS), min_size=1),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_the_cap_is_never_exceeded_whatever_the_interleaving(
    ledger: SqlSendLedger, operations: list[tuple[str, int, set[str]]]
) -> None:
    tenant_id, account_id = uuid.uuid4(), uuid.uuid4()
    sends = [uuid.uuid4() for _ in range(8)]
    delivered: dict[str, int] = {}
    for operation, n, fans in operations:
        send_id = sends[n]
        if operation == "fix":
            ledger.fix(plan(tenant_id, account_id, send_id), capped(sorted(fans)))
        else:
            settle_send(ledger, tenant_id, send_id, ok=operation == "deliver")
        counts = in_flight_or_sent(ledger, tenant_id)
        assert all(count <= MASS_SENDS_PER_MONTH for count in counts.values()), counts
    for send_id in sends:
        for row in ledger.recipients(tenant_id, send_id, state="sent", after="", limit=100):
            delivered[row.openid] = delivered.get(row.openid, 0) + 1
    assert all(count <= MASS_SENDS_PER_MONTH for count in delivered.values()), delivered
