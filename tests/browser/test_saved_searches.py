"""A marketer saves a search (SEG-2) in Chromium: a bad tree is refused on its field, a
good one is kept, and its "see the leads" link lists exactly the leads it selects."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot

pytestmark = pytest.mark.browser


def _look(page: Any, name: str) -> None:
    snapshot(page, name)
    assert_accessible(page)


def test_a_marketer_saves_a_search_and_lists_its_leads(
    page: Any, live_console: LiveConsole
) -> None:
    _tenant, _admin, token = live_console.tenant_admin("常用搜索科技")
    api = live_console.api
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    leads = (("北京客户甲", "北京"), ("上海客户乙", "上海"), ("北京客户丙", "北京"))
    for number, (name, city) in enumerate(leads):
        body = {"name": name, "city": city, "mobile": f"1390013900{number}"}
        answer = api.client.post("/api/v1/leads", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
    email = f"market-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小李", email, ["marketer"])
    sign_in(page, email)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="常用搜索").click()
    expect(page.get_by_text("还没有常用搜索")).to_be_visible()
    _look(page, "saved-searches-empty")
    page.get_by_role("link", name="新建常用搜索").first.click()
    _look(page, "saved-search-new")
    page.get_by_label("名称").fill("北京客户")
    page.get_by_label("筛选条件（JSON）").fill('{"field": "city", "op": "near", "value": "北京"}')
    page.get_by_role("button", name="保存").click()
    error = page.locator("#e-filter")
    expect(error).to_be_visible()
    assert "filter" in error.inner_text()  # the bad node's path
    tree = {"field": "city", "op": "equals", "value": "北京"}
    page.get_by_label("筛选条件（JSON）").fill(json.dumps(tree, ensure_ascii=False))
    page.get_by_role("button", name="保存").click()

    assert page.locator("#flash").inner_text() == "已保存"
    assert json.loads(page.locator("#search-tree").inner_text()) == tree
    _look(page, "saved-search")
    page.locator("#search-leads").click()
    # The address changes before the new page is parsed: wait for its load.
    page.wait_for_url(re.compile(r"/console/leads\?saved_search_id="))
    expect(page.locator("#saved-search-notice")).to_be_visible()
    rows = page.locator("table tbody tr")
    names = sorted(rows.nth(i).get_by_role("link").first.inner_text() for i in range(rows.count()))
    assert names == ["北京客户丙", "北京客户甲"]
    _look(page, "saved-search-leads")
