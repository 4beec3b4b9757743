"""The behaviour log on both databases: order, de-duplication, encryption, followers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from entrypoints.container import Runtime

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def behaviour(tenant_id: uuid.UUID, message_id: str, **overrides: object) -> Behaviour:
    values: dict[str, object] = {
        "tenant_id": tenant_id,
        "kind": BehaviourKind.TRACK,
        "channel": Channel.WEB,
        "occurred_at": NOW - timedelta(seconds=3),
        "received_at": NOW,
        "message_id": message_id,
        "name": "Order Completed",
        "properties": {"total": 12800, "email": "wang@example.cn"},
        "context": {"ip": "203.0.113.7"},
        "anonymous_id": "anon-1",
        "source_id": "src-1",
        "request_id": "req-1",
    }
    values.update(overrides)
    return Behaviour(**values)  # type: ignore[arg-type]


def test_rows_come_back_in_order_with_their_properties(runtime: Runtime) -> None:
    log = runtime.container.behaviours()
    tenant = uuid.uuid4()
    head = log.max_notification_id() or 0
    positions = log.append([behaviour(tenant, f"m{i}", name=f"e{i}") for i in range(5)])
    assert positions == sorted(positions) and positions[0] > head
    rows = log.behaviours_of(tenant)
    assert [r.name for r in rows] == [f"e{i}" for i in range(5)]
    assert rows[0].properties == {"total": 12800, "email": "wang@example.cn"}
    assert rows[0].context == {"ip": "203.0.113.7"}
    assert rows[0].occurred_at == NOW - timedelta(seconds=3)
    assert [r.position for r in rows] == positions


def test_a_repeated_message_id_is_stored_once(runtime: Runtime) -> None:
    log = runtime.container.behaviours()
    tenant, other = uuid.uuid4(), uuid.uuid4()
    first = log.append([behaviour(tenant, "same"), behaviour(tenant, "same")])
    assert first[0] > 0 and first[1] == 0
    assert log.append([behaviour(tenant, "same")]) == [0]
    # Another tenant's message ids are its own.
    assert log.append([behaviour(other, "same")])[0] > 0
    assert len(log.behaviours_of(tenant)) == 1


def test_personal_data_is_not_stored_in_clear(runtime: Runtime) -> None:
    log = runtime.container.behaviours()
    tenant = uuid.uuid4()
    (position,) = log.append([behaviour(tenant, "secret")])
    (stored,) = log.select_notifications(position, 1)
    assert b"wang@example.cn" not in bytes(stored.row[-1])


def test_rows_in_another_month_go_to_that_months_partition(runtime: Runtime) -> None:
    log = runtime.container.behaviours()
    tenant = uuid.uuid4()
    later = datetime(2027, 3, 15, tzinfo=UTC)
    log.append([behaviour(tenant, "march", received_at=later, occurred_at=later)])
    assert [r.received_at for r in log.behaviours_of(tenant)] == [later]


def test_retention_forgets_only_the_tenants_old_rows(runtime: Runtime) -> None:
    log = runtime.container.behaviours()
    tenant, other = uuid.uuid4(), uuid.uuid4()
    old = NOW - timedelta(days=400)
    log.append([behaviour(tenant, "old", received_at=old), behaviour(tenant, "new")])
    log.append([behaviour(other, "old", received_at=old)])
    assert log.forget_before(tenant, NOW - timedelta(days=365)) == 1
    assert [r.message_id for r in log.behaviours_of(tenant)] == ["new"]
    assert len(log.behaviours_of(other)) == 1
