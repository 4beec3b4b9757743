"""Console pages of WeCom mass sends, follow-ups and sidebar materials on both stores
(WECOM-2, WECOM-5): an all-staff send planned in a corp whose visible range lost a
member names that member and the reason; submitted after the confirmation step, each
employee's part shows, and an employee's confirmation shows as sent once results are
asked for; a form's mistakes are named next to their fields; a follow-up assigned to an
employee is marked done from the list; a salesperson sees only their own to-dos and no
mass-send form; a sidebar material is added and switched off."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import pytest

from adapters.wecom.sandbox import SandboxConnector
from application.logins.commands import GrantEmployeeLogin
from application.shared.callers import TenantCaller
from application.shared.context import RequestContext, acting
from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session
from tests.e2e.wecom_support import RYW, bind_corp
from tests.settling import settle
from tests.wecom_world import leave_range, scrm_tenant

SENDS = "/console/wecom/mass-sends"
FOLLOW_UPS = "/console/wecom/follow-ups"
MATERIALS = "/console/wecom/sidebar-materials"
PASSWORD = "huoke-Console-2026"


def _login(api: Api, token: str, email: str, name: str, roles: list[str]) -> ConsoleSession:
    hired = api.client.post(
        "/api/v1/employees",
        json={"name": name, "email": email, "roles": roles},
        headers={**api.key(token), **RYW},
    )
    assert hired.status_code == 201, hired.text
    caller = api.runtime.container.tenancy().authenticate(token)
    assert isinstance(caller, TenantCaller)
    with acting(RequestContext(actor=caller.actor, request_id="console-setup")):
        api.runtime.container.logins().grant_employee_login(
            caller,
            GrantEmployeeLogin(employee_id=hired.json()["id"], identifier=email, password=PASSWORD),
        )
    return open_session(api, email, PASSWORD)


@pytest.fixture
def corp(api: Api) -> dict[str, Any]:
    """A tenant with SCRM and 5 interface accounts, the sandbox corp bound and synced,
    and WangFang out of the app's visible range since."""
    tenant_id, token = scrm_tenant(api)
    made = bind_corp(api, token)
    synced = api.client.post(
        f"/api/v1/wecom/corps/{made['id']}/contacts/sync", headers={**api.key(token), **RYW}
    )
    assert synced.status_code == 200, synced.text
    leave_range(api.runtime, UUID(tenant_id), "WangFang")
    settle(api.runtime)
    return {"tenant_id": tenant_id, "token": token, "corpid": made["corpid"]}


def test_an_all_staff_send_names_who_is_left_out_and_shows_each_employees_result(
    api: Api, corp: dict[str, Any]
) -> None:
    _, email = employee_login(api, corp["token"], "marketer", name="市场部小王")
    session = open_session(api, email)
    try:
        assert 'id="draft"' in session.client.get(SENDS).text
        refused = session.post(f"{SENDS}/new", {"name": "", "target": "customers"})
        assert refused.status_code == 422 and 'id="e-name"' in refused.text
        too_long = session.post(
            f"{SENDS}/new", {"name": "长文", "target": "customers", "text": "好" * 1400}
        )
        assert too_long.status_code == 422 and 'id="e-text"' in too_long.text

        made = session.post(
            f"{SENDS}/new",
            {"name": "双十一预热", "target": "customers", "text": "新品上市",
             "link_title": "双十一", "link_url": "https://acme.cn/1111", "scope": "all_staff"},
        )  # fmt: skip
        assert made.status_code == 303, made.text
        task = made.headers["location"]
        shown = session.client.get(task)
        assert shown.status_code == 200
        left_out = re.search(r'<ul id="left-out">(.*?)</ul>', shown.text, re.S)
        assert left_out and "王芳" in left_out.group(1)
        assert "不在应用的可见范围内" in left_out.group(1)
        assert "4 位员工" in shown.text and 'id="accounts">5<' in shown.text

        confirm = session.client.get(f"{task}/submit")
        version = re.search(r'name="version" value="(\d+)"', confirm.text)
        assert version
        submitted = session.post(f"{task}/submit", {"version": version.group(1)})
        assert submitted.status_code == 303, submitted.text
        waiting = session.client.get(task)
        assert 'id="count-waiting">4<' in waiting.text
        assert waiting.text.count("待员工发送") >= 4

        sandbox = SandboxConnector(api.runtime.settings.var_dir / "outbox").api(corp["corpid"])
        (call,) = [
            c for c in sandbox.sent("externalcontact/add_msg_template")
            if c["sender"] == "ZhangWei"
        ]  # fmt: skip
        sandbox.confirm_mass_send(call["msgid"], "ZhangWei")
        collected = session.post(f"{task}/collect")
        assert collected.status_code == 303, collected.text
        after = session.client.get(task)
        assert 'id="count-sent">1<' in after.text and 'id="count-waiting">3<' in after.text
        assert "已送达：3" in after.text
        listed = session.client.get(SENDS)
        assert "双十一预热" in listed.text
    finally:
        session.close()


def test_a_follow_up_is_done_from_the_list_and_a_salesperson_sees_their_own(
    api: Api, corp: dict[str, Any]
) -> None:
    token = corp["token"]
    _, email = employee_login(api, token, "tenant_admin", name="总部")
    admin = open_session(api, email)
    sales = _login(api, token, "zhangwei@huoke-demo.cn", "张伟", ["sales"])
    settle(api.runtime)  # the member directory links 张伟 to ZhangWei by e-mail
    try:
        refused = admin.post(f"{FOLLOW_UPS}/", {"title": "回访"})
        assert refused.status_code == 422 and 'id="e-assignees"' in refused.text
        made = admin.post(
            f"{FOLLOW_UPS}/",
            {"title": "回访双十一意向客户", "assignees[]": ["ZhangWei", "LiuYang"],
             "about_kind": "customer", "about_id": "wmCustomer1",
             "due_at": "2030-11-05T18:00", "remind_before_minutes": "60"},
        )  # fmt: skip
        assert made.status_code == 303, made.text
        task = made.headers["location"]
        assert "2030-11-05 18:00" in admin.client.get(task).text  # the tenant's zone

        mine = sales.client.get(FOLLOW_UPS)
        assert "回访双十一意向客户" in mine.text and "LiuYang" not in mine.text
        assert 'id="draft"' not in sales.client.get(SENDS).text  # may read, not draft
        done = sales.post(f"{task}/done", {"userid": "ZhangWei", "next": FOLLOW_UPS})
        assert done.status_code == 303 and done.headers["location"] == FOLLOW_UPS
        assert sales.post(f"{task}/done", {"userid": "LiuYang"}).status_code == 409
        page = admin.client.get(task)
        results = re.search(r'<table id="assignee-results">(.*?)</table>', page.text, re.S)
        assert results and results.group(1).count("已完成") == 1
        assert "进行中" in page.text
    finally:
        admin.close()
        sales.close()


def test_a_sidebar_material_is_added_and_switched_off(api: Api, corp: dict[str, Any]) -> None:
    _, email = employee_login(api, corp["token"], "marketer", name="市场部")
    session = open_session(api, email)
    try:
        refused = session.post(f"{MATERIALS}/", {"title": "官网", "kind": "link"})
        assert refused.status_code == 422 and 'id="e-url"' in refused.text
        added = session.post(
            f"{MATERIALS}/",
            {"title": "开场白", "kind": "script", "folder": "话术/开场", "text": "您好"},
        )
        assert added.status_code == 303, added.text
        listed = session.client.get(MATERIALS)
        assert "开场白" in listed.text and "话术/开场" in listed.text
        material = re.search(r"sidebar-materials/([0-9a-f-]{36})/switch", listed.text)
        assert material
        switched = session.post(f"{MATERIALS}/{material.group(1)}/switch", {"enabled": "0"})
        assert switched.status_code == 303
        assert "已停用" in session.client.get(MATERIALS).text
        sidebar = api.client.get("/api/v1/wecom/sidebar", headers=api.key(corp["token"]))
        assert sidebar.status_code == 200 and sidebar.json()["materials"] == []
    finally:
        session.close()
