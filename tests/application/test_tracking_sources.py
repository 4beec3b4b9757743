"""TRK-1 use cases: sources created with a key shown once, found by that key in one
read, refused at once when rotated away or revoked; per-source ingestion stats from
the behaviour log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from application.shared.behaviours import BEHAVIOURS, Behaviour
from application.shared.context import RequestContext, acting, current_context
from application.shared.errors import NotFound, VersionConflict
from application.tracking.commands import CreateTrackingSource, ReviseTrackingSource
from application.tracking.source_stats import SourceStats
from application.tracking.sources import TrackingSources
from domain.shared.errors import StateConflict
from entrypoints.container import Runtime


@pytest.fixture
def system(runtime: Runtime) -> Iterator[Runtime]:
    with acting(RequestContext(request_id="test-tracking-sources")):
        yield runtime


def sources(runtime: Runtime) -> TrackingSources:
    return runtime.container.tracking_sources()


def new_source(runtime: Runtime, tenant_id: UUID, kind: str = "website") -> tuple[UUID, str]:
    issued = sources(runtime).create(tenant_id, CreateTrackingSource(name="官网", kind=kind))
    assert issued.write_key is not None
    return issued.id, issued.write_key


def test_the_key_of_a_new_source_finds_it_without_waiting(system: Runtime) -> None:
    tenant_id = uuid4()

    source_id, key = new_source(system, tenant_id, kind="app")

    # Creation waits for the key lookup like every change of a source.
    found = system.container.write_keys().source_for_key(key)
    assert found is not None
    assert (found.tenant_id, found.source_id, found.kind) == (tenant_id, source_id, "app")
    assert found.honour_do_not_track is False
    assert sources(system).source(tenant_id, source_id).key_prefix in key


def test_a_rotated_key_and_a_revoked_source_are_refused_by_the_next_lookup(
    system: Runtime,
) -> None:
    tenant_id = uuid4()
    source_id, first = new_source(system, tenant_id)
    keys = system.container.write_keys()

    rotated = sources(system).rotate_key(tenant_id, source_id)

    assert rotated.write_key and rotated.write_key != first and rotated.version == 2
    assert keys.source_for_key(first) is None
    assert keys.source_for_key(rotated.write_key) is not None
    sources(system).revoke(tenant_id, source_id, expected_version=2)
    assert keys.source_for_key(rotated.write_key) is None
    with pytest.raises(StateConflict):
        sources(system).rotate_key(tenant_id, source_id)


def test_another_tenant_can_neither_read_nor_change_a_source(system: Runtime) -> None:
    tenant_id, other = uuid4(), uuid4()
    source_id, key = new_source(system, tenant_id)
    use_cases = sources(system)

    for attempt in (
        lambda: use_cases.source(other, source_id),
        lambda: use_cases.rotate_key(other, source_id),
        lambda: use_cases.revoke(other, source_id),
        lambda: use_cases.revise(
            other, source_id, ReviseTrackingSource(name="x"), expected_version=1
        ),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert use_cases.sources(other, cursor=None, limit=10).items == []
    assert system.container.write_keys().source_for_key(key) is not None


def test_a_stale_version_is_refused(system: Runtime) -> None:
    tenant_id = uuid4()
    source_id, _ = new_source(system, tenant_id)
    use_cases = sources(system)
    use_cases.revise(tenant_id, source_id, ReviseTrackingSource(name="新"), expected_version=1)

    with pytest.raises(VersionConflict):
        use_cases.revise(
            tenant_id,
            source_id,
            ReviseTrackingSource(honour_do_not_track=False),
            expected_version=1,
        )


def test_the_same_idempotency_key_makes_one_source_and_shows_its_key_once(
    system: Runtime,
) -> None:
    tenant_id = uuid4()
    command = CreateTrackingSource(name="服务端", kind="server")
    with acting(replace(current_context(), idempotency_key="once-only")):
        first = sources(system).create(tenant_id, command)
        again = sources(system).create(tenant_id, command)

    assert first.id == again.id and first.write_key and again.write_key is None
    assert [s.id for s in sources(system).sources(tenant_id, cursor=None, limit=10).items] == [
        first.id
    ]


def test_stats_count_behaviours_by_source_day_and_kind(system: Runtime) -> None:
    tenant_id = uuid4()
    source_id, _ = new_source(system, tenant_id)
    quiet_id, _ = new_source(system, tenant_id)
    now = system.container.clock().now()
    yesterday = now - timedelta(days=1)

    def behaviour(kind: str, received: datetime, source: UUID = source_id) -> Behaviour:
        return Behaviour(
            tenant_id=tenant_id,
            kind=kind,
            channel="web",
            occurred_at=received,
            received_at=received,
            message_id=str(uuid4()),
            source_id=str(source),
        )

    rows = [
        behaviour("page", now),
        behaviour("page", now),
        behaviour("track", now),
        behaviour("page", yesterday),
        behaviour("page", now, source=uuid4()),  # another source of the tenant
    ]
    elsewhere = replace(behaviour("page", now), tenant_id=uuid4())
    position = max(system.container.behaviours().append([*rows, elsewhere, rows[0]]))
    stats_view = system.container.infrastructure().query_view(SourceStats)
    stats_view.wait(BEHAVIOURS, position, timeout=10)

    stats = system.container.source_stats().of_source(tenant_id, source_id, days=7)

    assert stats.total_events == 4  # the repeated message id was not stored twice
    assert [(d.day, d.events, d.by_kind) for d in stats.days] == [
        (now.astimezone(UTC).date(), 3, {"page": 2, "track": 1}),
        (yesterday.astimezone(UTC).date(), 1, {"page": 1}),
    ]
    assert stats.last_received_at is not None
    assert abs(stats.last_received_at - now) < timedelta(milliseconds=1)
    today_only = system.container.source_stats().of_source(tenant_id, source_id, days=1)
    assert today_only.total_events == 3 and today_only.last_received_at == stats.last_received_at
    empty = system.container.source_stats().of_source(tenant_id, quiet_id)
    assert empty.total_events == 0 and empty.days == [] and empty.last_received_at is None
