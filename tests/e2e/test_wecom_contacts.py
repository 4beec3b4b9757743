"""The corp's contacts on both stores (WECOM-4, WECOM-5, ORG-3): a sync through
wechatpy's WeCom client against a local server speaking WeCom's JSON records the
departments and each member once (one in two departments included), a second sync of
an unchanged corp records nothing, a changed name is recorded and a member WeCom no
longer lists leaves the visible range; members are matched to employees by mobile,
a link by hand wins and can be undone, a linked employee's leaving marks the member
departed; an SCRM plan is needed to call WeCom; a sales key reads its own customers."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from adapters.wecom.client import ProcessTokens
from adapters.wecom.connector import WecomClientConnector
from application.wecom.contacts import ContactsSync
from application.wecom.corps import WecomCorps
from tests.conftest import Api
from tests.e2e.wecom_support import (
    RYW,
    a_customer_added,
    bind_corp,
    scrm_tenant,
)
from tests.integration.wecom_server import WecomServer, serving
from tests.settling import settle

SECRET = "contacts-secret-of-the-corp"


@pytest.fixture
def corp_server() -> Iterator[WecomServer]:
    corp = WecomServer(corp_id="ww" + secrets.token_hex(8), secret=SECRET)
    corp.departments = [
        {"id": 1, "name": "广州总部", "parentid": 0, "order": 100},
        {"id": 2, "name": "销售部", "parentid": 1, "order": 10},
    ]
    corp.employees = [
        {"userid": "zhangsan", "name": "张三", "department": [1, 2], "status": 1,
         "mobile": "+86 13900001111"},
        {"userid": "lisi", "name": "李四", "department": [2], "status": 1,
         "email": "LiSi@acme.cn"},
        {"userid": "wangwu", "name": "王五", "department": [2], "status": 4},
    ]  # fmt: skip
    with serving(corp) as server:
        yield server


def _sync(api: Api, server: WecomServer) -> ContactsSync:
    """The contacts sync of the running huoke, its corps reaching `server` instead of the
    sandbox (the same events table, read models and plan gate)."""
    container = api.runtime.container
    corps = WecomCorps(
        container.wecom(),
        WecomClientConnector(ProcessTokens(), base_url=server.url),
        container.billing().quotas,
    )
    return ContactsSync(container.wecom(), corps, container.wecom_members())


def _member(api: Api, token: str, userid: str) -> dict[str, Any]:
    answer = api.client.get(f"/api/v1/wecom/members/{userid}", headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_sync_records_changes_only_and_members_wecom_no_longer_lists_leave_the_range(
    api: Api, corp_server: WecomServer
) -> None:
    tenant_id, token = scrm_tenant(api)
    corp = bind_corp(api, token, corpid=corp_server.corp_id, app_secret=SECRET)
    sync = _sync(api, corp_server)
    wecom = api.runtime.container.wecom()
    seen: list[tuple[int, int]] = []

    first = sync.sync(UUID(tenant_id), progress=lambda done, total: seen.append((done, total)))
    settle(api.runtime)
    head = wecom.recorder.max_notification_id()
    again = sync.sync(UUID(tenant_id))

    assert (first.departments, first.members, first.changed, first.left_range) == (2, 3, 3, 0)
    assert seen[-1] == (3, 3)
    assert (again.changed, again.left_range) == (0, 0)
    assert wecom.recorder.max_notification_id() == head  # nothing recorded the second time
    shown = api.client.get(f"/api/v1/wecom/corps/{corp['id']}", headers=api.key(token)).json()
    assert [d["name"] for d in shown["departments"]] == ["广州总部", "销售部"]
    zhang = _member(api, token, "zhangsan")
    assert zhang["department_ids"] == [1, 2] and zhang["mobile"] == "13900001111"
    in_sales = api.client.get(
        "/api/v1/wecom/members", params={"department_id": 2}, headers=api.key(token)
    ).json()["items"]
    assert [m["userid"] for m in in_sales] == ["lisi", "wangwu", "zhangsan"]

    corp_server.employees[0]["name"] = "张三丰"
    del corp_server.employees[2]
    changed = sync.sync(UUID(tenant_id))
    settle(api.runtime)

    assert (changed.members, changed.changed, changed.left_range) == (2, 1, 1)
    assert _member(api, token, "zhangsan")["name"] == "张三丰"
    gone = _member(api, token, "wangwu")
    assert gone["in_visible_range"] is False
    out = api.client.get(
        "/api/v1/wecom/members", params={"in_visible_range": False}, headers=api.key(token)
    ).json()["items"]
    assert [m["userid"] for m in out] == ["wangwu"]


def test_members_match_employees_a_link_by_hand_wins_and_leaving_marks_departed(
    api: Api, corp_server: WecomServer
) -> None:
    tenant_id, token = scrm_tenant(api)
    headers = {**api.key(token), **RYW}
    hire = lambda body: api.client.post("/api/v1/employees", json=body, headers=headers).json()  # noqa: E731
    zhang = hire({"name": "张三", "roles": ["sales"], "mobile": "13900001111"})
    li = hire({"name": "李四", "roles": ["sales"], "email": "lisi@acme.cn"})
    other = hire({"name": "赵六", "roles": ["sales"]})
    bind_corp(api, token, corpid=corp_server.corp_id, app_secret=SECRET)
    _sync(api, corp_server).sync(UUID(tenant_id))
    settle(api.runtime)

    assert _member(api, token, "zhangsan")["employee_id"] == zhang["id"]  # by mobile
    assert _member(api, token, "lisi")["employee_id"] == li["id"]  # by e-mail
    assert _member(api, token, "wangwu")["employee_id"] is None
    unlinked = api.client.get(
        "/api/v1/wecom/members", params={"linked": False}, headers=api.key(token)
    ).json()["items"]
    assert [m["userid"] for m in unlinked] == ["wangwu"]

    by_hand = api.client.post(
        "/api/v1/wecom/members/zhangsan/link", json={"employee_id": other["id"]}, headers=headers
    )
    assert by_hand.status_code == 200, by_hand.text
    assert by_hand.json()["employee_id"] == other["id"] and by_hand.json()["linked_by_hand"]
    stranger = api.client.post(
        "/api/v1/wecom/members/lisi/link",
        json={"employee_id": "00000000-0000-4000-8000-000000000000"},
        headers=headers,
    )
    assert stranger.status_code == 422 and stranger.json()["field"] == "employee_id"
    nobody = api.client.post(
        "/api/v1/wecom/members/zhangsan/link", json={"employee_id": None}, headers=headers
    )
    assert nobody.json()["employee_id"] is None  # unlinked, whatever would match

    left = api.client.post(
        f"/api/v1/employees/{li['id']}/leave",
        headers={**headers, "If-Match": f'"{li["version"]}"'},
    )
    assert left.status_code == 200, left.text
    settle(api.runtime)
    lisi = _member(api, token, "lisi")
    assert lisi["employee_id"] == li["id"] and lisi["departed"] is True


def test_a_sales_key_reads_the_customers_of_its_own_wecom_account(
    api: Api, corp_server: WecomServer
) -> None:
    tenant_id, admin = scrm_tenant(api)
    headers = {**api.key(admin), **RYW}
    zhang = api.client.post(
        "/api/v1/employees",
        json={"name": "张三", "roles": ["sales"], "mobile": "13900001111"},
        headers=headers,
    ).json()
    corp = bind_corp(api, admin, corpid=corp_server.corp_id, app_secret=SECRET)
    _sync(api, corp_server).sync(UUID(tenant_id))
    mine = a_customer_added(api, tenant_id, corp["corpid"], "zhangsan")
    theirs = a_customer_added(api, tenant_id, corp["corpid"], "lisi")
    settle(api.runtime)
    sales = api.new_key(tenant_id, "sales", employee_id=zhang["id"])

    listed = api.client.get("/api/v1/wecom/customers", headers=api.key(sales))
    everyone = api.client.get("/api/v1/wecom/customers", headers=api.key(admin))

    assert [r["external_userid"] for r in listed.json()["items"]] == [mine]
    assert {r["external_userid"] for r in everyone.json()["items"]} == {mine, theirs}
    hidden = api.client.get(f"/api/v1/wecom/customers/{theirs}", headers=api.key(sales))
    assert hidden.status_code == 404
    marketer = api.new_key(tenant_id, "marketer")
    refused = api.client.post(
        f"/api/v1/wecom/corps/{corp['id']}/contacts/sync", headers=api.key(marketer)
    )
    assert refused.status_code == 403  # marketers read the corp; admins sync it
