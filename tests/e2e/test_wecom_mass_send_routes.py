"""The WeCom mass-send, follow-up and sidebar routes on both stores (WECOM-2, WECOM-5)
with the roles: a marketer drafts, plans and submits an all-staff send (ETags follow
the task; a stale If-Match is 409; the plan names who is left out), reads each
employee's part; a salesperson may read mass sends but not draft one (403), may not add
to the material library (403) but reads the chat sidebar, and assigns to-dos only to
their own WeCom member (403 naming another); a task another tenant owns is 404."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from tests.conftest import Api
from tests.e2e.wecom_support import RYW, bind_corp
from tests.settling import settle
from tests.wecom_world import leave_range, scrm_tenant

SENDS = "/api/v1/wecom/mass-sends"
FOLLOW_UPS = "/api/v1/wecom/follow-ups"


@pytest.fixture
def world(api: Api) -> dict[str, Any]:
    tenant_id, admin = scrm_tenant(api)
    headers = {**api.key(admin), **RYW}
    corp = bind_corp(api, admin)
    synced = api.client.post(f"/api/v1/wecom/corps/{corp['id']}/contacts/sync", headers=headers)
    assert synced.status_code == 200, synced.text
    hired = api.client.post(
        "/api/v1/employees", json={"name": "张伟", "roles": ["sales"]}, headers=headers
    ).json()
    linked = api.client.post(
        "/api/v1/wecom/members/ZhangWei/link", json={"employee_id": hired["id"]}, headers=headers
    )
    assert linked.status_code == 200, linked.text
    leave_range(api.runtime, UUID(tenant_id), "ChenJing")
    settle(api.runtime)
    return {
        "tenant_id": tenant_id,
        "marketer": {**api.key(api.new_key(tenant_id, "marketer")), **RYW},
        "sales": {**api.key(api.new_key(tenant_id, "sales", employee_id=hired["id"])), **RYW},
    }


def test_a_marketer_plans_and_submits_an_all_staff_send(api: Api, world: dict[str, Any]) -> None:
    marketer = world["marketer"]
    body = {
        "name": "双十一预热",
        "content": {"text": "新品上市"},
        "audience": {"scope": "all_staff"},
    }
    made = api.client.post(SENDS, json=body, headers=marketer)
    assert made.status_code == 201, made.text
    task = f"{SENDS}/{made.json()['id']}"
    planned = api.client.post(f"{task}/plan", headers=marketer)
    assert planned.status_code == 200 and planned.headers["etag"] == '"2"'
    plan = planned.json()["plan"]
    assert plan["left_out"] == [
        {"userid": "ChenJing", "name": "陈静", "reason": "outside_visible_range"}
    ]
    stale = api.client.post(f"{task}/submit", headers={**marketer, "If-Match": '"1"'})
    assert stale.status_code == 409
    submitted = api.client.post(f"{task}/submit", headers={**marketer, "If-Match": '"2"'})
    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["state"] == "submitted"
    assert submitted.json()["parts"]["waiting"] == 4
    parts = api.client.get(f"{task}/parts", params={"state": "left_out"}, headers=marketer)
    assert [p["userid"] for p in parts.json()["items"]] == ["ChenJing"]
    cancelled = api.client.post(f"{task}/cancel", json={}, headers=marketer)
    assert cancelled.status_code == 409 and cancelled.json()["field"] == "state"
    listed = api.client.get(SENDS, params={"state": "submitted"}, headers=marketer)
    assert [t["id"] for t in listed.json()["items"]] == [made.json()["id"]]

    other = {**api.key(api.tenant_with_key("marketer")[1]), **RYW}
    assert api.client.get(task, headers=other).status_code == 404


def test_a_salesperson_reads_sends_and_the_sidebar_and_works_their_own_to_dos(
    api: Api, world: dict[str, Any]
) -> None:
    sales, marketer = world["sales"], world["marketer"]
    body = {"name": "M", "content": {"text": "你好"}, "audience": {"scope": "all_staff"}}
    assert api.client.post(SENDS, json=body, headers=sales).status_code == 403
    assert api.client.get(SENDS, headers=sales).status_code == 200
    material = {"title": "开场白", "fields": {"text": "您好"}}
    assert api.client.post("/api/v1/wecom/sidebar-materials", json=material,
                           headers=sales).status_code == 403  # fmt: skip
    added = api.client.post("/api/v1/wecom/sidebar-materials", json=material, headers=marketer)
    assert added.status_code == 201, added.text
    sidebar = api.client.get("/api/v1/wecom/sidebar", headers=sales)
    assert [m["title"] for m in sidebar.json()["materials"]] == ["开场白"]

    theirs = api.client.post(
        FOLLOW_UPS, json={"title": "回访", "assignees": ["LiuYang"]}, headers=sales
    )
    assert theirs.status_code == 403
    own = api.client.post(FOLLOW_UPS, json={"title": "回访", "assignees": ["ZhangWei"]},
                          headers=sales)  # fmt: skip
    assert own.status_code == 201, own.text
    done = api.client.post(f"{FOLLOW_UPS}/{own.json()['id']}/done", json={}, headers=sales)
    assert done.status_code == 200 and done.json()["state"] == "done"
    to_dos = api.client.get(f"{FOLLOW_UPS}/to-dos", params={"status": "done"}, headers=sales)
    assert [t["userid"] for t in to_dos.json()["items"]] == ["ZhangWei"]
