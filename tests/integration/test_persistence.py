"""The event store and read models behave the same on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
import uuid
from dataclasses import replace

import psycopg
import pytest

from adapters.persistence.runners import NamedGuard
from application.org.commands import EstablishDepartment, HireEmployee, ReviseEmployee
from application.shared.context import Actor, ActorKind, RequestContext, acting
from application.shared.errors import AlreadyExists, NotFound
from application.tenancy.commands import EnrolStaff, RegisterTenant, UpdateTenant
from entrypoints.container import Runtime
from entrypoints.settings import Settings

OPERATOR = RequestContext(
    actor=Actor(ActorKind.STAFF, "ops-1"), request_id="req-42", reason="onboarding"
)


def _raw_event_states(settings: Settings, application: str) -> list[bytes]:
    if settings.database_url:
        with psycopg.connect(settings.database_url) as connection:
            rows = connection.execute(f"SELECT state FROM {application}_events").fetchall()
    else:
        path = settings.var_dir / f"events-{application}.sqlite"
        with sqlite3.connect(path) as connection:
            rows = connection.execute("SELECT state FROM stored_events").fetchall()
    return [bytes(row[0]) for row in rows]


def test_personal_data_is_encrypted_at_rest(fresh_settings: Settings) -> None:
    runtime = Runtime(replace(fresh_settings, in_process_projections=False)).start()
    try:
        with acting(OPERATOR):
            runtime.container.tenancy().register_tenant(
                RegisterTenant(
                    name="Acme", owner_name="Zhang San", owner_contact="zhangsan@acme.cn"
                )
            )
        states = _raw_event_states(fresh_settings, "tenancy")
    finally:
        runtime.close()
    assert states
    assert not any(b"zhangsan" in state or b"Zhang San" in state for state in states)


def test_every_event_is_stamped_and_reloads_identically(fresh_settings: Settings) -> None:
    runtime = Runtime(replace(fresh_settings, in_process_projections=False)).start()
    try:
        tenancy = runtime.container.tenancy()
        with acting(OPERATOR):
            tenant = tenancy.register_tenant(
                RegisterTenant(name="Acme", owner_name="Li", owner_contact="li@acme.cn")
            )
            tenancy.update_tenant(
                tenant.id, UpdateTenant(settings={"brand.color": "red"}), expected_version=1
            )
        events = tenancy.history(tenant.id)
        reloaded = tenancy.tenant(tenant.id)
    finally:
        runtime.close()
    stamp = {**OPERATOR.metadata(), "tenant_id": str(tenant.id)}  # the tenant is its own
    assert [event._meta for event in events] == [stamp] * 2
    assert reloaded.settings == {"brand.color": "red"} and reloaded.version == 2


def test_a_refused_multi_record_save_stores_nothing(fresh_settings: Settings) -> None:
    runtime = Runtime(replace(fresh_settings, in_process_projections=False)).start()
    try:
        tenancy = runtime.container.tenancy()
        with acting(OPERATOR):
            tenancy.enrol_staff(EnrolStaff(email="a@h.cn", display_name="A", roles=["support"]))
            head = tenancy.recorder.max_notification_id()
            with pytest.raises(AlreadyExists):
                tenancy.enrol_staff(EnrolStaff(email="A@h.cn", display_name="B", roles=["billing"]))
        assert tenancy.recorder.max_notification_id() == head
    finally:
        runtime.close()


def test_another_tenants_record_is_not_found(fresh_settings: Settings) -> None:
    runtime = Runtime(replace(fresh_settings, in_process_projections=False)).start()
    try:
        org = runtime.container.org()
        tenant_id = uuid.uuid4()
        with acting(OPERATOR):
            mine = org.establish_department(tenant_id, EstablishDepartment(name="x"))
        assert org.department(tenant_id, mine.id).name == "x"
        with pytest.raises(NotFound):
            org.department(uuid.uuid4(), mine.id)
        with pytest.raises(NotFound):  # right tenant, wrong kind of record
            org.employee(tenant_id, mine.id)
    finally:
        runtime.close()


def test_a_rebuilt_view_equals_the_live_one(fresh_settings: Settings) -> None:
    runtime = Runtime(fresh_settings).start()
    try:
        org, tenancy = runtime.container.org(), runtime.container.tenancy()
        with acting(replace(OPERATOR, read_your_writes=True)):
            tenant = tenancy.register_tenant(
                RegisterTenant(name="Acme", owner_name="Li", owner_contact="li@acme.cn")
            )
            tenancy.update_tenant(tenant.id, UpdateTenant(name="Acme 2"), expected_version=1)
            root = org.establish_department(tenant.id, EstablishDepartment(name="总部"))
            for n in range(12):
                hired = org.hire_employee(
                    tenant.id, HireEmployee(name=f"员工{n}", roles=["sales"], department_id=root.id)
                )
                if n % 3 == 0:
                    org.revise_employee(
                        tenant.id, hired.id, ReviseEmployee(roles=["marketer"]), expected_version=1
                    )
        live = {view.read_model.name: _dump(view) for view in runtime.views}
    finally:
        runtime.close()
    # An operator rebuilds every view, and later (another process) rebuilds them again.
    rebuilt = _rebuild_all(replace(fresh_settings, in_process_projections=False))
    rebuilt_again = _rebuild_all(replace(fresh_settings, in_process_projections=False))
    assert len(live["org_directory"]["org_employees"]) == 12
    assert rebuilt == live
    assert rebuilt_again == live


def _rebuild_all(settings: Settings) -> dict[str, dict[str, list[tuple]]]:
    runtime = Runtime(settings).start()
    try:
        for model in runtime.followers:
            runtime.rebuild(model.name)
        return {view.read_model.name: _dump(view) for view in runtime.views}
    finally:
        runtime.close()


def _dump(view) -> dict[str, list[tuple]]:
    return {
        table: sorted(tuple(row.values()) for row in view.rows(f"SELECT * FROM {table}"))
        for table in view.read_model.tables
    }


def test_only_one_runner_may_hold_a_view(fresh_settings: Settings) -> None:
    runtime = Runtime(replace(fresh_settings, in_process_projections=False)).start()
    try:
        storage = runtime.container.storage()
        first, second = (NamedGuard(storage, runtime.followers[0].name) for _ in range(2))
        assert first.acquire()
        assert not second.acquire()
        first.release()
        assert second.acquire()
        second.release()
    finally:
        runtime.close()


def test_a_view_built_by_another_version_of_its_read_model_is_rebuilt(
    fresh_settings: Settings,
) -> None:
    runtime = Runtime(fresh_settings).start()
    try:
        with acting(replace(OPERATOR, read_your_writes=True)):
            tenant = runtime.container.tenancy().register_tenant(
                RegisterTenant(name="Acme", owner_name="Li", owner_contact="li@acme.cn")
            )
        view = runtime.container.tenancy_view()
        assert view.rows("SELECT version FROM read_model_versions")[0]["version"] >= 1
    finally:
        runtime.close()
    # As if the stored view had been built by an older version with other tables.
    stale = Runtime(replace(fresh_settings, in_process_projections=False)).start()
    try:
        view = stale.container.tenancy_view()
        with view.datastore.transaction(commit=True) as cursor:
            cursor.execute("UPDATE read_model_versions SET version = 0")
            cursor.execute("DELETE FROM tenancy_tenants")
    finally:
        stale.close()

    runtime = Runtime(fresh_settings).start()
    try:
        view = runtime.container.tenancy_view()
        deadline = time.monotonic() + 20
        while not (
            view.rows("SELECT tenant_id FROM tenancy_tenants")
            and view.rows(
                "SELECT version FROM read_model_versions WHERE name = ?",
                ["tenancy_directory"],
            )[0]["version"]
            == view.read_model.version
        ):
            assert time.monotonic() < deadline, "the stale view was not rebuilt"
            time.sleep(0.05)
        rows = view.rows("SELECT tenant_id FROM tenancy_tenants")
        versions = view.rows(
            "SELECT version FROM read_model_versions WHERE name = ?",
            ["tenancy_directory"],
        )
    finally:
        runtime.close()
    assert [row["tenant_id"] for row in rows] == [str(tenant.id)]
    assert versions[0]["version"] == view.read_model.version
