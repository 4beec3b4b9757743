"""A tenant admin builds the organisation in Chromium and gives an employee a login; the
employee signs in with it and works with their own (sales) navigation."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot

pytestmark = pytest.mark.browser

INITIAL_PASSWORD = "Sales-start-2026"


def _look(page: Any, name: str) -> None:
    """Keep the page's screenshots and check it with axe-core."""
    snapshot(page, name)
    assert_accessible(page)


def test_admin_hires_a_seller_into_a_new_department_and_gives_them_a_login(
    page: Any, live_console: LiveConsole
) -> None:
    _tenant, admin_email, token = live_console.tenant_admin()
    seller_email = f"li-{uuid.uuid4().hex[:8]}@acme.cn"
    sign_in(page, admin_email)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="部门").click()
    expect(page.get_by_text("还没有部门")).to_be_visible()
    _look(page, "org-departments-empty")
    page.get_by_role("link", name="新建部门").first.click()
    _look(page, "org-department-new")
    page.get_by_label("部门名称").fill("华东销售部")
    page.get_by_role("button", name="建立部门").click()
    assert page.locator("#flash").inner_text() == "部门已建立"
    expect(page.get_by_role("heading", name="华东销售部")).to_be_visible()
    _look(page, "org-department")
    department_url = page.url
    page.get_by_role("link", name="更名或调整").click()
    _look(page, "org-department-edit")
    page.goto(department_url + "/dissolve")
    _look(page, "org-department-dissolve")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="员工").click()
    _look(page, "org-employees")
    page.get_by_role("link", name="新增员工").first.click()
    _look(page, "org-employee-new")
    page.get_by_label("姓名").fill("李雷")
    page.get_by_label("邮箱").fill(seller_email)
    page.get_by_label("部门").select_option(label="华东销售部")
    page.get_by_label("销售", exact=True).check()
    page.get_by_role("button", name="添加员工").click()
    assert page.locator("#flash").inner_text() == "员工已添加"
    expect(page.get_by_role("heading", name=re.compile("李雷"))).to_be_visible()
    expect(page.get_by_text("该员工还没有控制台登录。")).to_be_visible()
    _look(page, "org-employee")
    employee_url = page.url
    page.get_by_role("link", name="编辑资料、调岗或变更角色").click()
    assert page.get_by_label("销售", exact=True).is_checked()
    _look(page, "org-employee-edit")
    page.goto(employee_url + "/leave")
    _look(page, "org-employee-leave")

    page.goto(employee_url)
    page.get_by_role("link", name="开通登录").click()
    identifier = page.get_by_label("登录账号（邮箱或手机号）")
    assert identifier.input_value() == seller_email  # prefilled with the e-mail
    _look(page, "org-login-grant")
    page.get_by_label("初始密码", exact=True).fill(INITIAL_PASSWORD)
    page.get_by_label("再次输入初始密码").fill(INITIAL_PASSWORD)
    page.get_by_role("button", name="开通登录").click()
    assert page.locator("#flash").inner_text() == "已开通登录"
    expect(page.get_by_role("link", name="撤销登录")).to_be_visible()
    page.get_by_role("link", name="撤销登录").click()
    _look(page, "org-login-revoke")
    page.get_by_role("link", name="取消").click()

    # The list with the department filter swapped in place, and the login column.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="员工").click()
    page.get_by_label("部门").select_option(label="华东销售部")
    page.wait_for_url(re.compile(r"department_id="))
    rows = page.locator("#employees tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1 and "李雷" in rows.first.inner_text()
    assert "已开通" in rows.first.inner_text()
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="部门").click()
    expect(page.get_by_text("1 名成员")).to_be_visible()
    _look(page, "org-departments")
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/console/sign-in"))

    # Two leads: one the admin assigns to the new seller, one to a colleague.
    seller_id = employee_url.rstrip("/").rsplit("/", 1)[-1]
    colleague_id = live_console.employee_login(
        token, "韩梅梅", f"han-{uuid.uuid4().hex[:8]}@acme.cn", ["sales"]
    )
    mine = _lead_for(live_console, token, "张三（李雷的客户）", "13911110001", seller_id)
    theirs = _lead_for(live_console, token, "王五（韩梅梅的客户）", "13911110002", colleague_id)

    sign_in(page, seller_email, INITIAL_PASSWORD)
    assert page.url.endswith("/console")
    navigation = page.get_by_role("navigation", name="主导航")
    expect(navigation.get_by_role("link", name="员工")).to_be_visible()  # sales read the org
    expect(navigation.get_by_role("link", name="线索列表")).to_be_visible()
    expect(page.get_by_text("李雷").first).to_be_visible()  # the layout names them
    _look(page, "org-seller-home")
    navigation.get_by_role("link", name="线索列表").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="张三（李雷的客户）")).to_be_visible()  # their own lead
    assert page.get_by_text("王五（韩梅梅的客户）").count() == 0  # not a colleague's
    snapshot(page, "org-seller-leads")
    answer = page.goto(f"/console/leads/{theirs}")
    assert answer is not None and answer.status == 404  # ORG-2: as if it did not exist
    answer = page.goto(f"/console/leads/{mine}")
    assert answer is not None and answer.status == 200
    page.goto("/console/employees/new")
    expect(page.get_by_role("heading", name="无权访问")).to_be_visible()  # sales may not hire


def _lead_for(live: LiveConsole, token: str, name: str, mobile: str, owner_id: str) -> str:
    """A lead created through the API and assigned to `owner_id`; answers its id."""
    headers = {**live.api.key(token), "Prefer": "read-your-writes"}
    created = live.api.client.post(
        "/api/v1/leads", json={"name": name, "mobile": mobile}, headers=headers
    )
    assert created.status_code == 201, created.text
    lead_id = str(created.json()["lead"]["id"])
    assigned = live.api.client.post(
        f"/api/v1/leads/{lead_id}/assign", json={"owner_id": owner_id}, headers=headers
    )
    assert assigned.status_code == 200, assigned.text
    return lead_id
