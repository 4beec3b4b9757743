"""Snapshots on SQLite and PostgreSQL (encrypted): an aggregate past its class's interval
loads from its latest snapshot plus the events after it, into exactly the state a full
replay gives, and commands go on from there (ADR 0009)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from eventsourcing.application import Repository
from eventsourcing.domain import Aggregate

from application.leads.commands import UpdateLead
from application.leads.leads import Leads
from application.leads.scope import LeadScope
from application.shared.context import Actor, ActorKind, RequestContext, acting
from application.tenancy.billing import Billing
from domain.leads.lead import Lead
from domain.leads.lead_settings import LeadSettings
from domain.tenancy.usage import QuotaUsage
from entrypoints.container import Runtime
from entrypoints.settings import Settings

TENANT = uuid.uuid4()
OWNER = uuid.uuid4()
SALES = RequestContext(actor=Actor(ActorKind.API_KEY, "key-sales", TENANT), request_id="req-s")
PERSON = "张三丰"  # what must never be readable in a stored snapshot


@pytest.fixture
def runtime(fresh_settings: Settings) -> Iterator[Runtime]:
    running = Runtime(replace(fresh_settings, in_process_projections=False)).start()
    try:
        with acting(SALES):
            yield running
    finally:
        running.close()


def typed(value: Any) -> Any:
    """`value` with the type of every part spelt out: a snapshot that turned a tuple into
    a list, a set into a list, a date into text or 1 into True must not compare equal."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return (type(value).__name__, [typed(item) for item in items])
    return (type(value).__name__, value)


def assert_reloads_from_snapshot(application: Any, aggregate_id: uuid.UUID) -> Aggregate:
    """The repository's load (latest snapshot + tail) equals a full replay, part by part
    and type by type; returns the loaded aggregate."""
    interval = type(application).snapshotting_intervals
    assert application.repository.snapshot_store is application.snapshots
    (snapshot,) = application.snapshots.get(aggregate_id, desc=True, limit=1)
    loaded = application.repository.get(aggregate_id)
    replayed = Repository(application.events).get(aggregate_id)  # no snapshot store
    assert type(loaded) is type(replayed)
    assert 0 < snapshot.originator_version <= loaded.version
    assert loaded.version - snapshot.originator_version < interval[type(loaded)]
    # The library puts `_id` and `_version` back last: the order of attributes is no state.
    assert {k: typed(v) for k, v in vars(loaded).items()} == {
        k: typed(v) for k, v in vars(replayed).items()
    }
    return loaded


def raw_snapshot_states(settings: Settings, application: str) -> list[bytes]:
    if settings.database_url:
        with psycopg.connect(settings.database_url) as connection:
            rows = connection.execute(f"SELECT state FROM {application}_snapshots").fetchall()
    else:
        path = settings.var_dir / f"events-{application}.sqlite"
        with sqlite3.connect(path) as connection:
            rows = connection.execute("SELECT state FROM stored_snapshots").fetchall()
    return [bytes(row[0]) for row in rows]


def registered_lead(leads: Leads) -> Lead:
    lead = Lead.register(
        lead_id=uuid.uuid4(),
        tenant_id=TENANT,
        identities=[{"kind": "mobile", "value": "13800138000"}],
        profile={"name": PERSON, "city": "杭州"},
        custom={"budget": 12000, "ratio": 0.5, "vip": True, "note": "老客户"},
        source={"level1": "官网", "utm_source": "baidu"},
        status="new",
        owner_id=OWNER,
    )
    leads.commit(lead)
    return lead


def test_a_busy_lead_loads_from_a_snapshot_as_a_full_replay_does(
    runtime: Runtime, fresh_settings: Settings
) -> None:
    leads: Leads = runtime.container.leads()
    lead = registered_lead(leads)
    for i in range(120):  # past 100 versions, some commits holding several events
        lead.follow_up(f"第{i}次回访")
        if i % 10 == 0:
            lead.tag([f"标签{i}", "回访"])
            lead.record_consent(
                "sms",
                "unsubscribed" if i % 20 else "subscribed",
                source="call",
                at=f"2026-12-{i % 28 + 1:02d}",
            )
        if i % 25 == 0:
            lead.update_profile({"company": f"公司{i}"}, {"budget": i * 1.5, "vip": None})
        leads.commit(lead)

    loaded = assert_reloads_from_snapshot(leads, lead.id)

    assert loaded.version == lead.version
    versions = [s.originator_version for s in leads.snapshots.get(lead.id)]
    reached = list(range(1, lead.version // 50 + 1))
    assert len(reached) >= 2 and [version // 50 for version in versions] == reached
    states = raw_snapshot_states(fresh_settings, "leads")
    assert states and not any(PERSON.encode() in state for state in states)  # encrypted


def test_commands_go_on_from_a_snapshot(runtime: Runtime) -> None:
    leads: Leads = runtime.container.leads()
    lead = registered_lead(leads)
    for i in range(49):  # versions 2…50: the commit of version 50 takes a snapshot
        lead.follow_up(f"回访 {i}")
        leads.commit(lead)
    assert [s.originator_version for s in leads.snapshots.get(lead.id)] == [50]

    company = LeadScope.whole_company(TENANT)
    leads.update_lead(company, lead.id, UpdateLead(title="总监"), expected_version=50)
    leads.tag(company, lead.id, ["高意向"], add=True)
    details = leads.follow_up(company, lead.id, "签约前回访")

    assert details.version == 53
    loaded = assert_reloads_from_snapshot(leads, lead.id)
    assert isinstance(loaded, Lead)
    assert loaded.profile["title"] == "总监" and loaded.tags == ["高意向"]
    assert loaded.pool_state == "following" and loaded.profile["name"] == PERSON


def test_a_tenants_lead_settings_load_from_a_snapshot_as_a_full_replay_does(
    runtime: Runtime,
) -> None:
    leads: Leads = runtime.container.leads()
    settings = LeadSettings.start(TENANT)
    settings.define_field("grade", "等级", "single_select", required=False, options=["A", "B"])
    settings.define_field("signed_on", "签约日", "date", required=False, options=[])
    settings.record_use(["grade"])
    settings.add_source("展会")
    settings.add_source("展会", "广交会")
    settings.set_default_owner("展会", OWNER)
    settings.add_tag_group("industry", "行业")
    leads.commit(settings)
    for i in range(60):
        settings.add_tags([f"行业{i}"], "industry")
        if i % 6 == 0:
            settings.add_status(f"stage_{i}", f"阶段{i}")
        if i % 15 == 0:
            settings.add_user_type(f"kind_{i}", f"类型{i}")
        leads.commit(settings)

    loaded = assert_reloads_from_snapshot(leads, settings.id)

    assert isinstance(loaded, LeadSettings) and loaded.owners == {"展会": OWNER}
    assert loaded.check_custom({"signed_on": "2026-12-01"}, complete=False) == {
        "signed_on": "2026-12-01"
    }


def test_a_quota_ledger_loads_from_a_snapshot_and_keeps_counting(runtime: Runtime) -> None:
    billing: Billing = runtime.container.billing()
    usage = QuotaUsage(tenant_id=TENANT, quota="leads", period="2026-12")
    billing.commit(usage)
    for i in range(230):
        usage.consume(1, limit=None, reference=f"lead {i}")
        billing.commit(usage)

    loaded = assert_reloads_from_snapshot(billing, usage.id)
    assert isinstance(loaded, QuotaUsage) and loaded.used == 230
    loaded.consume(5, limit=240, reference="import")
    billing.commit(loaded)

    again = billing.load(usage.id, QuotaUsage, tenant_id=TENANT)
    assert again.used == 235 and again.version == 232
