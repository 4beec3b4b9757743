"""Groups (SEG-1, SEG-3) on both stores: static groups by hand, from a filter and from the
lead list's bulk action; smart groups kept current as leads change; merges, member
actions, deletions; and a membership follower killed mid-batch leaves every lead
counted exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import psycopg
import pytest
from dependency_injector import providers

from application.leads.bulk import BulkArguments, BulkLeadAction
from application.leads.commands import CreateLead
from application.segments.group_commands import (
    ChooseMembers,
    FormGroup,
    MemberAction,
    MergeGroups,
    ReviseGroup,
)
from application.segments.groups import Groups
from application.segments.smart_groups import refresh_time_relative
from application.shared.behaviours import Behaviour
from application.shared.callers import TenantCaller
from application.shared.context import RequestContext, acting
from application.shared.errors import InvalidInput, NotFound
from application.shared.event_sourced import EventSourcedContext
from domain.segments.membership import Membership, membership_id
from domain.shared.access import TenantRole
from domain.shared.errors import StateConflict
from entrypoints.container import Runtime, application_names
from entrypoints.contexts import segments
from entrypoints.manifest import Manifest
from entrypoints.registry import CONTEXTS
from tests.conftest import BACKENDS, make_settings
from tests.settling import settle

CONTACTED = {"field": "status", "op": "equals", "value": "contacted"}
VIP = {"field": "tags", "op": "equals", "value": "vip"}


class _ScoringEvents(EventSourcedContext):
    name = "scoring"


def _contexts() -> tuple[Manifest, ...]:
    """The registry, with the segments context (and a bare scoring store while the
    scoring context is not registered yet: the profiles follow it)."""
    if any(manifest.name == "segments" for manifest in CONTEXTS):
        return CONTEXTS
    extra: list[Manifest] = []
    if "scoring" not in application_names(CONTEXTS):
        extra.append(
            Manifest(
                name="scoring_store",
                providers=lambda c: {
                    "scoring": providers.Singleton(_ScoringEvents, c.infrastructure)
                },
                applications=("scoring",),
            )
        )
    return (*CONTEXTS, *extra, segments.MANIFEST)


@pytest.fixture(autouse=True)
def as_test() -> Iterator[None]:
    with acting(RequestContext(request_id=f"test-groups-{uuid.uuid4().hex[:6]}")):
        yield


@pytest.fixture(scope="module", params=BACKENDS)
def running(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    settings = make_settings(request.param, tmp_path_factory.mktemp("groups"), request)
    runtime = Runtime(settings, _contexts()).start()
    yield runtime
    runtime.close()


def admin(runtime: Runtime, tenant_id: UUID) -> TenantCaller:
    return TenantCaller(
        key_id=uuid.uuid4(),
        tenant_id=tenant_id,
        roles=frozenset({TenantRole.TENANT_ADMIN}),
        permissions=runtime.container.tenant_permissions(),
    )


def lead(runtime: Runtime, who: TenantCaller, n: int, **fields: Any) -> UUID:
    command = CreateLead(mobile=f"139{n:08d}", name=f"线索{n}", **fields)
    return runtime.container.leads().create_lead(who, command).lead.id


def groups_of(runtime: Runtime) -> Groups:
    return runtime.container.segment_groups()


def members(runtime: Runtime, tenant_id: UUID, group_id: UUID) -> set[UUID]:
    settle(runtime)
    return groups_of(runtime).queries.member_ids(tenant_id, group_id)


def test_a_static_group_lists_leads_once_and_pages_them(running: Runtime) -> None:
    tenant_id = uuid.uuid4()
    who = admin(running, tenant_id)
    ids = [lead(running, who, n) for n in range(3)]
    groups = groups_of(running)
    group = groups.form(tenant_id, FormGroup(name="展会名单"))
    unknown = uuid.uuid4()

    added = groups.add_members(who, group.id, ChooseMembers(lead_ids=[*ids, unknown]))
    again = groups.add_members(who, group.id, ChooseMembers(lead_ids=ids))

    assert (added.changed, added.unchanged, added.not_found_ids) == (3, 0, [unknown])
    assert (again.changed, again.unchanged) == (0, 3)
    assert members(running, tenant_id, group.id) == set(ids)
    assert groups.group(tenant_id, group.id).members == 3
    first = groups.queries.members(tenant_id, group.id, cursor=None, limit=2)
    rest = groups.queries.members(tenant_id, group.id, cursor=first.next_cursor, limit=2)
    assert rest.next_cursor is None
    assert {m.lead_id for m in first.items + rest.items} == set(ids)
    assert {m.name for m in first.items + rest.items} == {"线索0", "线索1", "线索2"}

    removed = groups.remove_members(tenant_id, group.id, ChooseMembers(lead_ids=ids[:1]))
    assert (removed.changed, removed.unchanged) == (1, 0)
    assert members(running, tenant_id, group.id) == set(ids[1:])
    counts = groups.queries.counts(tenant_id)
    assert (counts.static, counts.smart, counts.members) == (1, 0, 2)
    # another tenant's group is not found
    with pytest.raises(NotFound):
        groups.group(uuid.uuid4(), group.id)


def test_the_lead_lists_bulk_action_needs_a_static_group(running: Runtime) -> None:
    tenant_id = uuid.uuid4()
    who = admin(running, tenant_id)
    lead_id = lead(running, who, 10)
    groups = groups_of(running)
    static = groups.form(tenant_id, FormGroup(name="手动组"))
    smart = groups.form(tenant_id, FormGroup(name="智能组", kind="smart", filter=CONTACTED))
    bulk = running.container.lead_bulk()

    def add_to(group_id: UUID) -> Any:
        return bulk.apply(
            who,
            BulkLeadAction(
                action="add_to_group",
                lead_ids=[lead_id],
                arguments=BulkArguments(group_id=group_id),
            ),
        )

    for refused in (uuid.uuid4(), smart.id):
        with pytest.raises(InvalidInput) as error:
            add_to(refused)
        assert error.value.field == "arguments.group_id"
    store = running.container.segments()
    before = store.recorder.max_notification_id() or 0
    assert add_to(static.id).ok == 1
    middle = store.recorder.max_notification_id() or 0
    assert add_to(static.id).ok == 1
    assert middle == before + 2  # the membership opened and joined, once
    assert (store.recorder.max_notification_id() or 0) == middle
    assert members(running, tenant_id, static.id) == {lead_id}


def test_a_static_group_from_a_filter_result(running: Runtime) -> None:
    tenant_id = uuid.uuid4()
    who = admin(running, tenant_id)
    hot = [lead(running, who, 20 + n, status="contacted") for n in range(2)]
    lead(running, who, 29)
    settle(running)
    groups = groups_of(running)
    group = groups.form(tenant_id, FormGroup(name="筛选结果"))
    added = groups.add_members(who, group.id, ChooseMembers(filter=CONTACTED))
    assert added.changed == 2
    assert members(running, tenant_id, group.id) == set(hot)
    with pytest.raises(StateConflict):  # a static group takes no filter of its own
        groups.revise(tenant_id, group.id, ReviseGroup(filter=CONTACTED), expected_version=1)


def test_a_smart_group_follows_its_leads(running: Runtime) -> None:
    tenant_id = uuid.uuid4()
    who = admin(running, tenant_id)
    leads = running.container.leads()
    early = lead(running, who, 30)
    leads.tag(who, early, ["vip"], add=True)
    settle(running)
    groups = groups_of(running)
    group = groups.form(tenant_id, FormGroup(name="VIP", kind="smart", filter=VIP))
    assert group.members == 1  # evaluated in full when formed
    late = lead(running, who, 31)
    assert members(running, tenant_id, group.id) == {early}

    leads.tag(who, late, ["vip"], add=True)
    assert members(running, tenant_id, group.id) == {early, late}
    leads.tag(who, early, ["vip"], add=False)
    assert members(running, tenant_id, group.id) == {late}
    leads.delete(who, late, "测试")
    assert members(running, tenant_id, group.id) == set()

    # A new filter: the members are the leads it selects.
    contacted = lead(running, who, 32, status="contacted")
    settle(running)
    revised = groups.revise(
        tenant_id, group.id, ReviseGroup(filter=CONTACTED), expected_version=group.version
    )
    assert revised.filter == groups.group(tenant_id, group.id).filter
    assert members(running, tenant_id, group.id) == {contacted}
    with pytest.raises(StateConflict):
        groups.add_members(who, group.id, ChooseMembers(lead_ids=[early]))


def test_merge_act_on_members_and_delete(running: Runtime) -> None:
    tenant_id = uuid.uuid4()
    who = admin(running, tenant_id)
    a, b, c = (lead(running, who, 40 + n) for n in range(3))
    groups = groups_of(running)
    first = groups.form(tenant_id, FormGroup(name="甲"))
    second = groups.form(tenant_id, FormGroup(name="乙"))
    groups.add_members(who, first.id, ChooseMembers(lead_ids=[a, b]))
    groups.add_members(who, second.id, ChooseMembers(lead_ids=[b, c]))
    settle(running)

    merged = groups.merge(tenant_id, MergeGroups(source_ids=[second.id], target_id=first.id))
    assert merged.id == first.id
    assert members(running, tenant_id, first.id) == {a, b, c}
    with pytest.raises(NotFound):
        groups.group(tenant_id, second.id)

    tagged = groups.act_on_members(who, first.id, MemberAction(action="add_tags", tags=["展会"]))
    assert (tagged.ok, tagged.not_found, tagged.refused) == (3, 0, 0)
    leads = running.container.leads()
    assert all("展会" in leads.lead(who, x).tags for x in (a, b, c))
    with pytest.raises(InvalidInput):
        groups.act_on_members(who, first.id, MemberAction(action="change_status"))

    current = groups.group(tenant_id, first.id)
    groups.delete(who, first.id, with_members=True, expected_version=current.version)
    settle(running)
    with pytest.raises(NotFound):
        groups.group(tenant_id, first.id)
    assert all(not leads.lead_in_scope(who, gone).is_live for gone in (a, b, c))


@pytest.fixture
def own_database(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A database of this test's own (PostgreSQL), so that no other runtime's runner
    holds the followers; None on SQLite (a directory of its own is enough)."""
    if request.param == "sqlite":
        yield None
        return
    base = request.getfixturevalue("postgres_url")
    name = f"huoke_g_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(base)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("own_database", BACKENDS, indirect=True)
def test_a_follower_killed_mid_batch_counts_every_lead_once(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    own_database: str | None,
) -> None:
    settings = make_settings("sqlite", tmp_path, request, database_url=own_database)
    runtime = Runtime(settings, _contexts()).start()
    tenant_id = uuid.uuid4()
    who = admin(runtime, tenant_id)
    groups = groups_of(runtime)
    group = groups.form(tenant_id, FormGroup(name="批量", kind="smart", filter=CONTACTED))
    calls = {"n": 0}
    real = Groups.reconsider

    def crashing(self: Groups, *args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 7:  # mid-batch: the batch's tracking is not recorded
            raise RuntimeError("the follower was killed")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Groups, "reconsider", crashing)
    wanted = {lead(runtime, who, 100 + n, status="contacted") for n in range(15)}
    lead(runtime, who, 199, status="new")
    settle(runtime)
    runtime.close()

    again = Runtime(settings, _contexts()).start()
    try:
        settle(again)
        queries = groups_of(again).queries
        assert calls["n"] > 7
        assert queries.member_ids(tenant_id, group.id) == wanted
        assert queries.group_row(tenant_id, group.id).members == len(wanted)  # type: ignore[union-attr]
        store = again.container.segments()
        joined = [
            n.originator_id
            for n in store.recorder.select_notifications(start=1, limit=10_000)
            if n.topic == "segments.Membership.Joined"
        ]
        assert len(joined) == len(set(joined)) == len(wanted)  # nobody joined twice
    finally:
        again.close()


def test_the_scheduled_pass_lets_time_relative_groups_follow_the_clock(running: Runtime) -> None:
    tenant_id = uuid.uuid4()
    who = admin(running, tenant_id)
    fresh = lead(running, who, 60)
    settle(running)
    groups = groups_of(running)
    new_in_a_day = {"field": "created_at", "op": "within_days", "value": 1}
    group = groups.form(tenant_id, FormGroup(name="新线索", kind="smart", filter=new_in_a_day))
    assert members(running, tenant_id, group.id) == {fresh}

    later = running.container.clock().now() + timedelta(days=2)
    assert refresh_time_relative(groups, now=later) >= 1
    assert members(running, tenant_id, group.id) == set()
    refresh_time_relative(groups, now=later)  # again: nothing changes
    assert groups.group(tenant_id, group.id).members == 0


def test_a_smart_group_on_behaviours_follows_the_behaviour_log(running: Runtime) -> None:
    tenant_id = uuid.uuid4()
    who = admin(running, tenant_id)
    reader, other = lead(running, who, 70), lead(running, who, 71)
    settle(running)
    groups = groups_of(running)
    downloaded = {
        "behaviour": {"kind": "track", "name": "download", "within_days": 30},
        "did": True,
    }
    group = groups.form(tenant_id, FormGroup(name="下载过白皮书", kind="smart", filter=downloaded))
    active = {"behaviour": {"kind": "*", "within_days": 30}, "did": True}
    lively = groups.form(tenant_id, FormGroup(name="活跃", kind="smart", filter=active))
    assert group.members == lively.members == 0

    now = datetime.now(UTC)

    def seen(lead_id: UUID, name: str) -> Behaviour:
        return Behaviour(
            tenant_id=tenant_id, kind="track", channel="web", occurred_at=now, received_at=now,
            message_id=str(uuid.uuid4()), name=name, lead_id=lead_id, source_id="test",
        )  # fmt: skip

    running.container.ingestion().take([seen(reader, "download"), seen(other, "pricing")])
    assert members(running, tenant_id, group.id) == {reader}
    assert members(running, tenant_id, lively.id) == {reader, other}


def test_a_deleted_lead_leaves_its_static_groups(running: Runtime) -> None:
    tenant_id = uuid.uuid4()
    who = admin(running, tenant_id)
    kept, gone = lead(running, who, 80), lead(running, who, 81)
    groups = groups_of(running)
    group = groups.form(tenant_id, FormGroup(name="名单"))
    groups.add_members(who, group.id, ChooseMembers(lead_ids=[kept, gone]))
    running.container.leads().delete(who, gone, "重复")
    assert members(running, tenant_id, group.id) == {kept}
    assert groups.group(tenant_id, group.id).members == 1


def test_the_leads_interim_listings_are_adopted(running: Runtime) -> None:
    tenant_id = uuid.uuid4()
    who = admin(running, tenant_id)
    listed = lead(running, who, 90)
    group_id = uuid.uuid4()
    # What the leads' bulk action stored before groups existed, in the leads' events.
    record = Membership._create(
        Membership.Recorded,
        id=membership_id(tenant_id, group_id, listed),
        tenant_id=tenant_id,
        group_id=group_id,
        lead_id=listed,
    )
    running.container.leads().commit(record)
    assert members(running, tenant_id, group_id) == {listed}
    adopted = groups_of(running).group(tenant_id, group_id)
    assert adopted.kind == "static" and adopted.name.startswith("用户组")
