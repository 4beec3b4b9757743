"""A marketer works with groups in Chromium (SEG-1): forms a static group and adds leads
by id, forms a smart group from a filter tree (a bad node is named), sees its members,
and deletes the static group."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot

pytestmark = pytest.mark.browser
RYW = {"Prefer": "read-your-writes"}


def _look(page: Any, name: str) -> None:
    """Keep the page's screenshots and check it with axe-core."""
    snapshot(page, name)
    assert_accessible(page)


def _lead(live_console: LiveConsole, token: str, mobile: str, name: str, *tags: str) -> str:
    api = live_console.api
    headers = {**api.key(token), **RYW}
    answer = api.client.post(
        "/api/v1/leads", json={"mobile": mobile, "name": name}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    lead_id = str(answer.json()["lead"]["id"])
    if tags:
        tagged = api.client.post(
            f"/api/v1/leads/{lead_id}/tags", json={"tags": list(tags)}, headers=headers
        )
        assert tagged.status_code == 200, tagged.text
    return lead_id


def test_a_marketer_forms_static_and_smart_groups(page: Any, live_console: LiveConsole) -> None:
    _tenant, _admin, token = live_console.tenant_admin("用户组科技")
    email = f"market-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小李", email, ["marketer"])
    first = _lead(live_console, token, "13911110001", "张三")
    second = _lead(live_console, token, "13911110002", "李四", "展会")
    sign_in(page, email)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="用户组").click()
    expect(page.get_by_text("还没有用户组")).to_be_visible()
    _look(page, "groups-empty")
    page.get_by_role("link", name="新建用户组").first.click()
    _look(page, "group-new")
    page.get_by_label("名称").fill("展会名单")
    page.get_by_label("类型").select_option("static")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("heading", name="展会名单")).to_be_visible()
    expect(page.get_by_text("还没有成员")).to_be_visible()
    page.get_by_label("加入线索（线索 ID，每行一个，最多 500 条）").fill(f"{first}\n{second}")
    page.get_by_role("button", name="加入用户组").click()
    assert page.locator("#flash").inner_text() == "已加入 2 条线索，0 条未找到"
    members = page.locator("#members")
    expect(members.get_by_role("link", name="张三")).to_be_visible()
    expect(members.get_by_role("link", name="李四")).to_be_visible()
    _look(page, "group-static")
    static_url = page.url
    members.get_by_role("checkbox", name="选择 张三").check()
    page.get_by_role("button", name="移出用户组").click()
    assert page.locator("#flash").inner_text() == "已移出 1 条线索"
    assert page.locator("#members").get_by_role("link", name="张三").count() == 0

    page.goto(f"{live_console.url}/console/segments/groups/new")
    page.get_by_label("名称").fill("展会客户")
    page.get_by_label("类型").select_option("smart")
    wrong = {"field": "tags", "op": "bogus", "value": "展会"}
    page.get_by_label("智能组的筛选条件（JSON）").fill(json.dumps(wrong, ensure_ascii=False))
    page.get_by_role("button", name="保存").click()
    assert "filter.op" in page.locator("#e-filter").inner_text()  # the bad node, by path
    _look(page, "group-smart-refused")
    right = {"field": "tags", "op": "equals", "value": "展会"}
    page.get_by_label("智能组的筛选条件（JSON）").fill(json.dumps(right, ensure_ascii=False))
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("heading", name="展会客户")).to_be_visible()
    assert page.locator("#group-kind").inner_text() == "智能组"
    assert '"展会"' in page.locator("#group-tree").inner_text()
    members = page.locator("#members")
    expect(members.get_by_role("link", name="李四")).to_be_visible()
    assert members.get_by_role("link", name="张三").count() == 0
    _look(page, "group-smart")

    page.goto(static_url)
    page.get_by_role("link", name="删除", exact=True).click()
    _look(page, "group-delete")
    page.get_by_role("button", name="确认删除").click()
    assert page.locator("#flash").inner_text() == "用户组已删除"
    groups = page.locator("#groups")
    expect(groups.get_by_role("link", name="展会客户")).to_be_visible()
    assert groups.get_by_role("link", name="展会名单").count() == 0
    _look(page, "groups")

    groups.get_by_role("link", name="展会客户").click()
    page.get_by_role("link", name="删除用户组及其线索").click()
    expect(page.get_by_text("线索删除后不能恢复")).to_be_visible()
    _look(page, "group-delete-with-leads")
    page.get_by_role("button", name="确认删除").click()
    assert page.locator("#flash").inner_text() == "用户组已删除"
    api = live_console.api
    shown = api.client.get(f"/api/v1/leads/{second}", headers=api.key(token)).json()
    assert shown["deleted"] is True
    kept = api.client.get(f"/api/v1/leads/{first}", headers=api.key(token)).json()
    assert kept["deleted"] is False
