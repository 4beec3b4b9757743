"""Follow-up tasks and chat-sidebar materials on both stores (WECOM-2): head office
assigns a task to front-line employees, each marks their own part done, the task is done
when all are; a salesperson sees and acts on their own to-dos only (their employee is
matched to their WeCom member by e-mail), overdue ones show as overdue; the sidebar
shows enabled materials by folder, a search, and the employee's open to-dos about the
customer of the chat."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from application.shared.callers import TenantCaller
from application.shared.errors import NotFound, PermissionDenied
from application.wecom.follow_up_commands import (
    AssignFollowUp,
    CancelFollowUp,
    CompleteFollowUp,
)
from application.wecom.follow_ups import FollowUps
from application.wecom.sidebar_commands import AddMaterial
from application.wecom.sidebar_materials import SidebarMaterials
from entrypoints.container import Runtime
from tests.conftest import Api
from tests.settling import settle
from tests.wecom_world import bind, corpid, scrm_tenant

CUSTOMER = "wmCustomerOfZhangWei"


def caller_of(runtime: Runtime, token: str) -> TenantCaller:
    caller = runtime.container.tenancy().authenticate(token)
    assert isinstance(caller, TenantCaller)
    return caller


@pytest.fixture
def team(api: Api, runtime: Runtime) -> dict[str, Any]:
    """A tenant with its sandbox corp synced, its admin, and a salesperson whose
    e-mail is the sandbox member ZhangWei's (so the directory links them)."""
    tenant_id, token = scrm_tenant(api)
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    hired = api.client.post(
        "/api/v1/employees",
        json={"name": "张伟", "email": "zhangwei@huoke-demo.cn", "roles": ["sales"]},
        headers=headers,
    )
    assert hired.status_code == 201, hired.text
    sales = api.new_key(tenant_id, "sales", employee_id=hired.json()["id"])
    tenant = UUID(tenant_id)
    bind(runtime.container.wecom_corps(), tenant, corpid())
    runtime.container.wecom_contacts_sync().sync(tenant)
    settle(runtime)
    return {
        "tenant_id": tenant,
        "admin": caller_of(runtime, token),
        "sales": caller_of(runtime, sales),
    }


def assign(follow_ups: FollowUps, caller: TenantCaller, **fields: Any) -> UUID:
    command = AssignFollowUp.model_validate(
        {
            "title": "回访双十一意向客户",
            "about": {"kind": "customer", "id": CUSTOMER},
            "assignees": ["ZhangWei", "LiuYang"],
            **fields,
        }
    )
    return follow_ups.assign(caller, command).id


def test_head_office_assigns_each_employee_does_their_part(
    runtime: Runtime, team: dict[str, Any]
) -> None:
    follow_ups: FollowUps = runtime.container.wecom_follow_ups()
    now = runtime.container.clock().now()
    admin, sales = team["admin"], team["sales"]
    task_id = assign(follow_ups, admin, due_at=(now + timedelta(days=1)).isoformat(),
                     remind_before_minutes=60)  # fmt: skip
    settle(runtime)
    (mine,) = follow_ups.to_dos(sales, cursor=None, limit=10).items
    assert (mine.userid, mine.name, mine.task_id, mine.overdue) == (
        "ZhangWei", "张伟", task_id, False,
    )  # fmt: skip
    assert len(follow_ups.to_dos(admin, cursor=None, limit=10).items) == 2

    done = follow_ups.complete(sales, task_id, CompleteFollowUp(note="已电话回访"))
    assert done.state == "open"
    assert {a.userid: a.done for a in done.assignees} == {"LiuYang": False, "ZhangWei": True}
    with pytest.raises(PermissionDenied):  # not theirs to mark
        follow_ups.complete(sales, task_id, CompleteFollowUp(userid="LiuYang"))
    finished = follow_ups.complete(admin, task_id, CompleteFollowUp(userid="LiuYang"))
    assert finished.state == "done"
    settle(runtime)
    assert follow_ups.to_dos(sales, cursor=None, limit=10).items == []
    (done_row,) = follow_ups.to_dos(sales, status="done", cursor=None, limit=10).items
    assert done_row.done and done_row.state == "done"
    assert follow_ups.counts(admin) == {
        "LiuYang": {"open": 0, "overdue": 0, "done": 1},
        "ZhangWei": {"open": 0, "overdue": 0, "done": 1},
    }
    (row,) = follow_ups.tasks(admin, cursor=None, limit=10).items
    assert (row.state, row.assignees, row.done) == ("done", 2, 2)


def test_a_salesperson_works_within_their_own_to_dos(
    runtime: Runtime, team: dict[str, Any]
) -> None:
    follow_ups: FollowUps = runtime.container.wecom_follow_ups()
    admin, sales = team["admin"], team["sales"]
    with pytest.raises(PermissionDenied):
        assign(follow_ups, sales)  # LiuYang is not theirs
    own = assign(follow_ups, sales, assignees=["ZhangWei"], title="给客户发报价")
    others = assign(follow_ups, admin, assignees=["LiuYang"])
    with pytest.raises(NotFound):
        follow_ups.task(sales, others)
    with pytest.raises(PermissionDenied):  # shared with LiuYang: not theirs to cancel
        follow_ups.cancel(sales, assign(follow_ups, admin), CancelFollowUp())
    cancelled = follow_ups.cancel(sales, own, CancelFollowUp(reason="客户已成交"))
    assert cancelled.state == "cancelled"


def test_an_open_task_past_its_due_time_is_overdue(runtime: Runtime, team: dict[str, Any]) -> None:
    follow_ups: FollowUps = runtime.container.wecom_follow_ups()
    now = runtime.container.clock().now()
    late = assign(follow_ups, team["admin"], due_at=(now - timedelta(hours=1)).isoformat())
    assign(follow_ups, team["admin"], due_at=(now + timedelta(hours=1)).isoformat())
    settle(runtime)
    overdue = follow_ups.to_dos(team["sales"], status="overdue", cursor=None, limit=10).items
    assert [(t.task_id, t.overdue) for t in overdue] == [(late, True)]
    assert follow_ups.task(team["admin"], late).overdue


def test_the_sidebar_shows_enabled_materials_and_the_chats_to_dos(
    runtime: Runtime, team: dict[str, Any]
) -> None:
    materials: SidebarMaterials = runtime.container.wecom_sidebar_materials()
    follow_ups: FollowUps = runtime.container.wecom_follow_ups()
    tenant_id = team["tenant_id"]
    script = AddMaterial.model_validate(
        {"title": "开场白", "kind": "script", "folder": "话术/开场",
         "fields": {"text": "您好，我是火客科技的顾问"}}
    )  # fmt: skip
    link = AddMaterial.model_validate(
        {"title": "官网", "kind": "link", "folder": "产品",
         "fields": {"url": "https://acme.cn", "desc": "公司官网"}}
    )  # fmt: skip
    opening = materials.add(tenant_id, script)
    site = materials.add(tenant_id, link)
    materials.switch(tenant_id, site.id, False)
    assign(follow_ups, team["admin"], assignees=["ZhangWei"])
    settle(runtime)

    shown = materials.sidebar(
        team["sales"], folder="话术", external_userid=CUSTOMER, cursor=None, limit=10
    )
    assert [(f.folder, f.materials) for f in shown.folders] == [("话术/开场", 1)]
    assert [m.id for m in shown.materials] == [opening.id]
    assert [t.userid for t in shown.to_dos] == ["ZhangWei"]
    searched = materials.sidebar(team["sales"], query="顾问", cursor=None, limit=10)
    assert [m.title for m in searched.materials] == ["开场白"]
    library = materials.materials(tenant_id, cursor=None, limit=10).items
    assert {(m.title, m.enabled) for m in library} == {("开场白", True), ("官网", False)}
