"""Customer inheritance through WeCom on both stores (WECOM-4 with ORG-3), through the
wechatpy client against the local WeCom server: a transfer of 250 customers on an
employee's departure (their leads handed over) is split into calls of at most 100, and
a failed call is retried without transferring anyone twice — a call whose answer was
lost after WeCom took it is reconciled with WeCom's results and not sent again, one
dropped before WeCom acted is sent again; the customers wait out the takeover's 24
hours and end taken over, each with a row on their lead's timeline; the departed
employee's groups move too. An on-job transfer started by command uses the on-job
endpoint and shows each customer's refusal with WeCom's reason; a lead released to the
pool moves nothing; another tenant's batch is not found."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import psycopg
import pytest
from litestar.testing import TestClient

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.shared.context import RequestContext, acting
from application.shared.errors import NotFound
from application.wecom.callbacks import SOURCE, customer_key
from application.wecom.customer_directory import PROFILE
from application.wecom.customer_profiles import profile_properties
from application.wecom.ports import WecomApi, whole_customer
from entrypoints.container import Runtime
from entrypoints.http.app import create_app
from entrypoints.settings import WecomSettings
from tests.conftest import BACKENDS, Api, make_settings
from tests.e2e.wecom_transfer_support import SteppedClock, work_rounds
from tests.integration.wecom_server import EPOCH, WecomServer, serving
from tests.settling import settle
from tests.wecom_world import bind, corpid, scrm_tenant

RESIGNED = "externalcontact/resigned/transfer_customer"
ON_JOB = "externalcontact/transfer_customer"
RYW = {"Prefer": "read-your-writes"}
PEOPLE = {  # userid: (name, mobile)
    "zhangwei": ("张伟", "13900000001"),
    "lina": ("李娜", "13900000002"),
    "wangfang": ("王芳", "13900000003"),
}
DEPARTING = [f"wmZw{i:04d}" for i in range(250)]
LINAS = ["wmLn0", "wmLn1", "wmLn2"]
GROUPS = ["wrZwGroup1", "wrZwGroup2"]


def _server() -> WecomServer:
    corp = WecomServer(corp_id=corpid(), secret="s" * 32)
    corp.departments = [{"id": 1, "name": "总部", "parentid": 0, "order": 1}]
    corp.employees = [
        {"userid": u, "name": n, "department": [1], "status": 1, "mobile": m}
        for u, (n, m) in PEOPLE.items()
    ]
    owners = {**dict.fromkeys(DEPARTING, "zhangwei"), **dict.fromkeys(LINAS, "lina")}
    for n, (external, userid) in enumerate(owners.items()):
        corp.customers[external] = {
            "external_contact": {"external_userid": external, "name": f"客户{n}", "type": 1},
            "follow_user": [{"userid": userid, "remark": "", "createtime": EPOCH + n,
                             "tags": [], "add_way": 1}],
        }  # fmt: skip
    corp.group_chats = [
        {"chat_id": chat, "name": f"张伟的群{n}", "owner": "zhangwei", "status": 0,
         "member_list": [{"userid": "zhangwei", "type": 1}]}
        for n, chat in enumerate(GROUPS)
    ]  # fmt: skip
    return corp


@dataclass
class World:
    api: Api
    server: WecomServer

    @property
    def runtime(self) -> Runtime:
        return self.api.runtime


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """A huoke of its own whose WeCom is the wechatpy client against a local server (so no
    sandbox anywhere sends a transfer), on an empty store of each kind."""
    with serving(_server()) as server:
        tmp = tmp_path_factory.mktemp("transfers")
        wecom = WecomSettings(api="wecom", api_base=server.url)
        database, admin_url = None, None
        if request.param == "postgres":
            parts = urlsplit(request.getfixturevalue("postgres_url"))
            name = f"{parts.path.lstrip('/')}_tr{uuid.uuid4().hex[:6]}"
            admin_url = urlunsplit(parts._replace(path="/postgres"))
            with psycopg.connect(admin_url, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            database = urlunsplit(parts._replace(path=f"/{name}"))
        settings = make_settings(request.param, tmp, request, wecom=wecom, database_url=database)
        runtime = Runtime(settings).start()
        try:
            with acting(RequestContext(request_id="test-bootstrap")):
                enrolled = runtime.container.tenancy().enrol_first_admin("root@huoke.test")
            assert enrolled is not None and enrolled.token
            with TestClient(create_app(runtime, close_runtime_on_shutdown=False)) as client:
                yield World(Api(client, runtime, enrolled.token), server)
        finally:
            runtime.close()
            if admin_url is not None:
                with psycopg.connect(admin_url, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Tenant:
    id: UUID
    token: str
    employees: dict[str, str]  # userid → employee id

    def headers(self, api: Api) -> dict[str, str]:
        return {**api.key(self.token), **RYW}


def tenant_with_customers(world: World, *userids: str) -> Tenant:
    """A tenant with SCRM, the local corp bound, an employee per member (matched by
    mobile), the customers of `userids` synced (each a lead owned by their employee) and
    the customer groups synced."""
    api, container = world.api, world.runtime.container
    tenant_id, token = scrm_tenant(api)
    tenant = UUID(tenant_id)
    employees = {}
    for userid, (name, mobile) in PEOPLE.items():
        hired = api.client.post(
            "/api/v1/employees",
            json={"name": name, "mobile": mobile, "roles": ["sales"]},
            headers={**api.key(token), **RYW},
        )
        assert hired.status_code == 201, hired.text
        employees[userid] = hired.json()["id"]
    corps = container.wecom_corps()
    bind(corps, tenant, world.server.corp_id)
    container.wecom_contacts_sync().sync(tenant)
    settle(world.runtime)
    take_profiles(world.runtime, tenant, corps.api_of(tenant), world.server.corp_id, userids)
    container.wecom_group_sync().sync(tenant)
    settle(world.runtime)
    return Tenant(tenant, token, employees)


def take_profiles(
    runtime: Runtime, tenant_id: UUID, api: WecomApi, corp: str, userids: tuple[str, ...]
) -> None:
    """The profile rows a customer sync records for the customers of `userids`."""
    now = datetime.now(UTC)
    rows = [
        Behaviour(
            tenant_id=tenant_id,
            kind=BehaviourKind.WECOM_CUSTOMER_EDITED.value,
            channel=Channel.WECOM.value,
            occurred_at=now,
            received_at=now,
            message_id=f"wecom:test-profile:{uuid.uuid4()}",
            name=PROFILE,
            properties=profile_properties(corp, whole_customer(api, external)),
            anonymous_id=customer_key(external),
            source_id=SOURCE,
        )
        for userid in userids
        for external in api.customers_of(userid)
    ]
    runtime.container.ingestion().take(rows)


def rounds(world: World, clock: SteppedClock) -> None:
    """Worker rounds at the test's clock until nothing is due and no call is held (the
    runtime's own worker runs beside them on the real clock)."""
    work_rounds(world.runtime, clock)


def leave_and_hand_over(world: World, tenant: Tenant, who: str, to: str) -> dict[str, Any]:
    api = world.api
    employee = tenant.employees[who]
    current = api.client.get(f"/api/v1/employees/{employee}", headers=tenant.headers(api))
    left = api.client.delete(
        f"/api/v1/employees/{employee}",
        headers={**tenant.headers(api), "If-Match": current.headers["ETag"]},
    )
    assert left.status_code == 200, left.text
    handed = api.client.post(
        f"/api/v1/employees/{employee}/lead-handover",
        json={"to_employee_id": tenant.employees[to] if to else None, "reason": "离职交接"},
        headers=api.key(tenant.token),  # each lead's commit need not wait for the views
    )
    assert handed.status_code == 200, handed.text
    settle(world.runtime)
    return dict(handed.json())


def transfers(world: World, tenant: Tenant, **query: Any) -> list[dict[str, Any]]:
    answer = world.api.client.get(
        "/api/v1/wecom/transfers", params=query, headers=tenant.headers(world.api)
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def customers(world: World, tenant: Tenant, batch_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        answer = world.api.client.get(
            f"/api/v1/wecom/transfers/{batch_id}/customers",
            params={"limit": 100, **({"cursor": cursor} if cursor else {})},
            headers=tenant.headers(world.api),
        )
        assert answer.status_code == 200, answer.text
        found += answer.json()["items"]
        cursor = answer.json().get("next_cursor")
        if not cursor:
            return found


def test_250_customers_of_a_departed_employee_go_in_calls_of_100_and_a_failed_call_sends_nobody_twice(  # noqa: E501
    world: World,
) -> None:
    server = world.server
    tenant = tenant_with_customers(world, "zhangwei")
    # The second call is taken by WeCom but its answer is lost; the third is dropped
    # before WeCom acts on it.
    server.drops[RESIGNED] = ["", "after", "before"]
    report = leave_and_hand_over(world, tenant, "zhangwei", "lina")
    assert report["handed_over"] == 250 and report["kind"] == "leaving"

    (batch,) = transfers(world, tenant, employee_id=tenant.employees["zhangwei"])
    assert (batch["kind"], batch["origin"], batch["total"], batch["calls"]) == (
        "resigned",
        "handover",
        250,
        3,
    )
    assert (batch["handover_userid"], batch["takeover_userid"]) == ("zhangwei", "lina")
    assert batch["groups_total"] == 2

    clock = SteppedClock()
    clock.advance(seconds=10)  # the handover's batch stopped growing
    rounds(world, clock)
    clock.advance(minutes=1)  # the unanswered calls' delay: reconciled, then sent again
    rounds(world, clock)

    sent = server.calls_to(RESIGNED)
    assert all(len(call.body["external_userid"]) <= 100 for call in sent)
    assert [c.dropped for c in sent] == ["", "after", "before", ""]
    acted_on = [len(c.body["external_userid"]) for c in sent if c.dropped != "before"]
    assert acted_on == [100, 100, 50]  # exactly three calls WeCom took
    counted = Counter(external for _h, _t, external in server.accepted)
    assert set(counted) == set(DEPARTING) and max(counted.values()) == 1
    assert server.renamed == []  # nobody named again once WeCom had them
    assert len(server.calls_to("externalcontact/resigned/transfer_result")) >= 2
    assert sorted(server.group_transfers) == [(GROUPS[0], "lina"), (GROUPS[1], "lina")]
    settle(world.runtime)
    (waiting,) = transfers(world, tenant)
    assert (waiting["waiting"], waiting["queued"], waiting["done"]) == (250, 0, False)

    for external in DEPARTING:
        server.take_over(external)  # the 24 hours passed
    clock.advance(hours=24, minutes=5)
    rounds(world, clock)
    settle(world.runtime)
    (done,) = transfers(world, tenant)
    assert (done["succeeded"], done["failed"], done["done"]) == (250, 0, True)
    assert done["groups_succeeded"] == 2
    outcomes = customers(world, tenant, done["id"])
    assert len(outcomes) == 250 and {o["state"] for o in outcomes} == {"succeeded"}
    assert Counter(o["call"] for o in outcomes) == {1: 100, 2: 100, 3: 50}
    assert all(o["wecom_status"] == 1 for o in outcomes)

    lead_id = outcomes[0]["lead_id"]
    timeline = world.api.client.get(
        f"/api/v1/leads/{lead_id}/timeline", headers=tenant.headers(world.api)
    )
    assert timeline.status_code == 200, timeline.text
    (entry,) = [
        e for e in timeline.json()["items"] if e["kind"] == "tracking.wecom_customer_transferred"
    ]
    shown = entry["details"]["properties"]
    assert (shown["outcome"], shown["handover"], shown["employee"]) == (
        "succeeded",
        "zhangwei",
        "lina",
    )

    # Nothing is left to send: later rounds call WeCom no more.
    clock.advance(hours=1)
    rounds(world, clock)
    assert len(server.calls_to(RESIGNED)) == 4


def test_an_on_job_transfer_by_command_shows_each_customers_refusal(world: World) -> None:
    server = world.server
    tenant = tenant_with_customers(world, "lina")
    # One of LiNa's customers is no longer hers in WeCom (she deleted them meanwhile).
    follows = server.customers[LINAS[2]]["follow_user"]
    server.customers[LINAS[2]]["follow_user"] = []
    try:
        _transfer_linas_customers(world, tenant)
    finally:
        server.customers[LINAS[2]]["follow_user"] = follows


def _transfer_linas_customers(world: World, tenant: Tenant) -> None:
    server, api = world.server, world.api
    before = len(server.calls_to(ON_JOB))
    started = api.client.post(
        "/api/v1/wecom/transfers",
        json={
            "employee_id": tenant.employees["lina"],
            "to_employee_id": tenant.employees["wangfang"],
            "reason": "调岗",
        },
        headers=tenant.headers(api),
    )
    assert started.status_code == 201, started.text
    body = started.json()
    assert (body["kind"], body["total"], body["queued"], body["groups_total"]) == (
        "on_job",
        3,
        3,
        0,
    )
    again = api.client.post(
        "/api/v1/wecom/transfers",
        json={
            "employee_id": tenant.employees["lina"],
            "to_employee_id": tenant.employees["wangfang"],
            "reason": "调岗",
        },
        headers=tenant.headers(api),
    )
    assert again.status_code == 422 and again.json()["field"] == "employee_id"  # in transfer

    clock = SteppedClock()
    rounds(world, clock)
    (call,) = server.calls_to(ON_JOB)[before:]
    assert call.body["handover_userid"] == "lina" and call.body["takeover_userid"] == "wangfang"
    refused = server.transfers[("lina", "wangfang", False)]
    refused[LINAS[1]] = {"status": 3}  # the customer declined within the 24 hours
    server.take_over(LINAS[0])
    clock.advance(hours=1)
    rounds(world, clock)
    settle(world.runtime)
    outcomes = {o["external_userid"]: o for o in customers(world, tenant, body["id"])}
    assert (outcomes[LINAS[0]]["state"], outcomes[LINAS[0]]["reason"]) == ("succeeded", "")
    assert (outcomes[LINAS[1]]["state"], outcomes[LINAS[1]]["reason"]) == (
        "failed",
        "customer_refused",
    )
    assert (outcomes[LINAS[2]]["state"], outcomes[LINAS[2]]["errcode"]) == ("failed", 84061)
    detail = api.client.get(f"/api/v1/wecom/transfers/{body['id']}", headers=tenant.headers(api))
    assert detail.json()["done"] is True and detail.json()["failed"] == 2


def test_leads_released_to_the_pool_move_nothing_and_another_tenant_sees_no_batch(
    world: World,
) -> None:
    tenant = tenant_with_customers(world, "lina")
    report = leave_and_hand_over(world, tenant, "lina", "")
    assert report["handed_over"] == 3 and report["to_employee_id"] is None
    assert transfers(world, tenant) == []  # WeCom has no pool: nothing moved
    started = world.api.client.post(
        "/api/v1/wecom/transfers",
        json={
            "employee_id": tenant.employees["lina"],
            "to_employee_id": tenant.employees["wangfang"],
            "reason": "离职交接",
        },
        headers=tenant.headers(world.api),
    )
    assert started.status_code == 201, started.text
    assert started.json()["kind"] == "resigned"  # she left: 离职继承
    batch_id = started.json()["id"]
    other, token = world.api.tenant_with_key("tenant_admin")
    answer = world.api.client.get(
        f"/api/v1/wecom/transfers/{batch_id}", headers={**world.api.key(token), **RYW}
    )
    assert answer.status_code == 404
    with pytest.raises(NotFound):
        world.runtime.container.wecom_transfer_queries().batch(
            UUID(other), UUID(batch_id), userids=None
        )
