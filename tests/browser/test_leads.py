"""Leads in Chromium: a marketer creates a lead, finds it by search and assigns it to a
sales employee, who signs in and sees it (and only their own leads)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot

pytestmark = pytest.mark.browser


def _seen(page: Any, name: str) -> None:
    snapshot(page, name)
    assert_accessible(page)


def test_a_marketer_assigns_a_new_lead_and_the_sales_employee_sees_only_theirs(
    page: Any, live_console: LiveConsole
) -> None:
    api = live_console.api
    _tenant_id, _admin, token = live_console.tenant_admin("线索浏览器科技")
    marketer = f"m-{uuid.uuid4().hex[:8]}@acme.cn"
    sales = f"s-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小王", marketer, ["marketer"])
    live_console.employee_login(token, "销售小李", sales, ["sales"])
    colleague = api.client.post(
        "/api/v1/employees",
        json={"name": "销售小赵", "roles": ["sales"]},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    ).json()["id"]
    theirs = api.client.post(
        "/api/v1/leads",
        json={"name": "同事的客户", "mobile": "13900139009", "owner_id": colleague},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert theirs.status_code == 201, theirs.text

    sign_in(page, marketer)
    page.get_by_role("link", name="线索列表").click()
    page.wait_for_load_state()
    expect(page.get_by_role("table")).to_be_visible()
    _seen(page, "leads-list")

    page.get_by_role("link", name="新建线索").first.click()
    page.wait_for_load_state()
    page.get_by_label("姓名").fill("浏览器客户")
    page.get_by_label("手机号").fill("12ab")
    page.get_by_role("button", name="创建线索").click()
    page.wait_for_load_state()
    expect(page.locator("#e-mobile")).to_be_visible()  # the error next to the field
    _seen(page, "leads-new-error")
    page.get_by_label("手机号").fill("13700137007")
    page.get_by_label("公司").fill("浏览器 科技")
    page.get_by_role("button", name="创建线索").click()
    page.wait_for_load_state()
    assert page.locator("#flash").inner_text() == "已创建线索"
    lead_url = page.url
    _seen(page, "leads-lead")

    page.goto("/console/leads")
    page.get_by_role("searchbox", name="搜索").fill("浏览器")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**q=*")
    rows = page.locator("#leads tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    _seen(page, "leads-list-search")
    page.get_by_role("link", name="浏览器客户").click()
    page.wait_for_load_state()

    page.get_by_role("link", name="分配负责人").click()
    page.wait_for_load_state()
    _seen(page, "leads-assign")
    page.get_by_label("负责人").select_option(label="销售小李")
    page.get_by_role("button", name="分配").click()
    page.wait_for_load_state()
    assert page.locator("#flash").inner_text() == "已分配负责人"
    assert "销售小李" in page.locator("main").inner_text()

    for path, name in (
        ("/edit", "leads-edit"),
        ("/tags", "leads-tags"),
        ("/release", "leads-release"),
        ("/close", "leads-close"),
    ):
        page.goto(lead_url + path)
        _seen(page, name)

    page.goto("/console/leads")
    page.get_by_role("checkbox", name="全选本页").check()
    page.get_by_role("button", name="添加标签").click()
    page.wait_for_load_state()
    assert "2 条线索" in page.locator("main").inner_text()
    _seen(page, "leads-bulk-tags")
    page.get_by_label("标签（多个用逗号分隔）").fill("浏览器")
    page.get_by_role("button", name="添加标签").click()
    page.wait_for_load_state()
    assert "成功 2 条" in page.locator("#flash").inner_text()

    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()
    sign_in(page, sales)
    page.goto("/console/leads")
    names = page.locator("#leads tbody tr td:nth-child(2)").all_inner_texts()
    assert names == ["浏览器客户"]  # theirs only; not the colleague's customer
    _seen(page, "leads-list-sales")
    page.get_by_role("link", name="浏览器客户").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="记录跟进").click()
    page.wait_for_load_state()
    _seen(page, "leads-follow-up")
    page.get_by_label("跟进内容").fill("已电话联系，下周拜访")
    page.get_by_role("button", name="保存跟进").click()
    page.wait_for_load_state()
    assert "已电话联系，下周拜访" in page.locator("main").inner_text()
    snapshot(page, "leads-lead-sales")
    assert page.goto(f"/console/leads/{theirs.json()['lead']['id']}").status == 404
