"""The send queue (ADR 0015) on both databases: a message is queued once, a claim is a
lease that another worker cannot take until it runs out (then it can: a crashed
worker's messages are not lost), concurrent claims never share a message."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.messaging.send_queue import SqlSendQueue, postgres_send_queue, sqlite_send_queue
from application.messaging.send_queue import FAILED, QUEUED, SENT, SKIPPED, Settlement
from application.messaging.sending import message_id_for
from entrypoints.container import Runtime
from entrypoints.settings import Settings

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


@pytest.fixture
def queue(fresh_settings: Settings, tmp_path: Path) -> Iterator[SqlSendQueue]:
    """A queue of its own (a claim here must never take the running suite's messages)."""
    if fresh_settings.database_url is None:
        made = sqlite_send_queue(tmp_path)
        yield made
        made.close()
        return
    runtime = Runtime(replace(fresh_settings, in_process_projections=False)).start()
    made = postgres_send_queue(runtime.container.infrastructure().datastore, create_tables=True)
    yield made
    runtime.close()


def _rows(task_id: uuid.UUID, count: int) -> list[tuple[str, uuid.UUID]]:
    leads = [uuid.uuid4() for _ in range(count)]
    return [(message_id_for(task_id, lead), lead) for lead in leads]


def _claim_all(queue: SqlSendQueue, tenant_id: uuid.UUID, at: datetime) -> list[str]:
    """This tenant's claimable messages (other tests share the table)."""
    found = queue.claim(at, limit=100_000, lease_until=at + LEASE)
    return [m.message_id for m in found if m.tenant_id == tenant_id]


def test_a_message_is_queued_once_however_often_it_is_enqueued(queue: SqlSendQueue) -> None:
    tenant_id, task_id = uuid.uuid4(), uuid.uuid4()
    rows = _rows(task_id, 5)
    assert queue.enqueue(tenant_id, task_id, "email", rows, NOW) == 5
    assert queue.enqueue(tenant_id, task_id, "email", rows + _rows(task_id, 1), NOW) == 1
    assert queue.counts(tenant_id, task_id) == {QUEUED: 6}


def test_a_claim_is_a_lease_and_a_lapsed_lease_is_claimed_again(queue: SqlSendQueue) -> None:
    tenant_id, task_id = uuid.uuid4(), uuid.uuid4()
    rows = _rows(task_id, 3)
    queue.enqueue(tenant_id, task_id, "email", rows, NOW)
    first = _claim_all(queue, tenant_id, NOW)
    assert sorted(first) == sorted(m for m, _ in rows)
    assert _claim_all(queue, tenant_id, NOW + timedelta(seconds=30)) == []  # still leased
    # The worker died: once its lease runs out another worker takes the messages.
    again = queue.claim(
        NOW + LEASE + timedelta(seconds=1), limit=100_000, lease_until=NOW + LEASE * 3
    )
    mine = [m for m in again if m.tenant_id == tenant_id]
    assert sorted(m.message_id for m in mine) == sorted(first)
    assert {m.attempts for m in mine} == {2}
    assert {m.first_attempt_at for m in mine} == {NOW}


def test_outcomes_are_settled_and_counted(queue: SqlSendQueue) -> None:
    tenant_id, task_id = uuid.uuid4(), uuid.uuid4()
    rows = _rows(task_id, 4)
    queue.enqueue(tenant_id, task_id, "email", rows, NOW)
    ids = _claim_all(queue, tenant_id, NOW)
    queue.mark_sent(ids[:2], NOW)
    retry_at = NOW + timedelta(minutes=5)
    queue.settle(
        [
            Settlement(ids[0], SENT),
            Settlement(ids[1], SENT),
            Settlement(ids[2], QUEUED, "421 try later", due_at=retry_at),
            Settlement(ids[3], FAILED, "550 no such user"),
        ],
        NOW,
    )
    assert queue.counts(tenant_id, task_id) == {SENT: 2, QUEUED: 1, FAILED: 1}
    assert _claim_all(queue, tenant_id, NOW + timedelta(minutes=1)) == []  # not due yet
    assert _claim_all(queue, tenant_id, retry_at) == [ids[2]]
    failed = queue.message(ids[3])
    assert failed is not None and failed.state == FAILED and failed.detail == "550 no such user"
    leads = [lead for _, lead in rows]
    sent = queue.sent_since(tenant_id, leads, "email", NOW - timedelta(days=1))
    assert sorted(sent.values()) == [1, 1]
    assert queue.sent_since(tenant_id, leads, "sms", NOW - timedelta(days=1)) == {}


def test_a_cancelled_task_skips_what_is_still_queued(queue: SqlSendQueue) -> None:
    tenant_id, task_id = uuid.uuid4(), uuid.uuid4()
    queue.enqueue(tenant_id, task_id, "sms", _rows(task_id, 3), NOW)
    assert queue.skip_task(tenant_id, task_id, "cancelled", NOW) == 3
    assert queue.counts(tenant_id, task_id) == {SKIPPED: 3}
    assert _claim_all(queue, tenant_id, NOW) == []


def test_concurrent_claims_never_share_a_message(queue: SqlSendQueue) -> None:
    tenant_id, task_id = uuid.uuid4(), uuid.uuid4()
    rows = _rows(task_id, 400)
    queue.enqueue(tenant_id, task_id, "email", rows, NOW)
    claimed: list[list[str]] = [[] for _ in range(4)]

    def worker(index: int) -> None:
        while True:
            found = [
                m.message_id
                for m in queue.claim(NOW, limit=25, lease_until=NOW + LEASE)
                if m.tenant_id == tenant_id
            ]
            if not found:
                return
            claimed[index].extend(found)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [message for part in claimed for message in part]
    assert sorted(everything) == sorted(m for m, _ in rows)  # each exactly once
