"""A tenant admin in Chromium (WECOM-4 with ORG-3): an employee with WeCom customers
(the embedded WeCom's) is recorded as leaving on their employee page and their leads are
handed over; the employee page leads to 客户继承, where the transfer shows the employee,
the takeover, 离职继承 and its progress, and its page shows each customer 等待接替 while
the takeover's 24 hours run, then 成功; the start form takes another transfer.
Screenshots at 1440 and 390 px and axe-core on every page; at 390 px no page is wider
than the screen."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.e2e.wecom_support import RYW, bind_corp
from tests.e2e.wecom_transfer_support import (
    SteppedClock,
    employee_of_member,
    sandbox_customers_as_leads,
    work_rounds,
)
from tests.settling import settle
from tests.wecom_world import order

pytestmark = pytest.mark.browser


def _fits_a_phone(page: Any) -> None:
    """At 390 px the page scrolls down, never sideways (wide tables scroll in their box)."""
    original = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 900})
    wider = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size(original)
    assert wider <= 390, f"{page.url} is {wider} px wide at 390 px"


def _look(page: Any, name: str) -> None:
    snapshot(page, name)
    assert_accessible(page)
    _fits_a_phone(page)


def test_a_departing_employees_customers_are_inherited_and_shown_per_customer(
    page: Any, live_console: LiveConsole
) -> None:
    api = live_console.api
    tenant_id, admin, token = live_console.tenant_admin("继承科技")
    order(api, token, {"kind": "new", "edition": "scrm_advanced"})
    corp = bind_corp(api, token)
    headers = {**api.key(token), **RYW}
    synced = api.client.post(f"/api/v1/wecom/corps/{corp['id']}/contacts/sync", headers=headers)
    assert synced.status_code == 200, synced.text
    zhangwei = employee_of_member(api, token, "ZhangWei", "张伟")
    lina = employee_of_member(api, token, "LiNa", "李娜")
    settle(live_console.runtime)
    customers = sandbox_customers_as_leads(api, tenant_id, corp["corpid"], "ZhangWei")
    assert len(customers) == 3
    sign_in(page, admin)

    page.goto(f"/console/employees/{zhangwei}")
    expect(page.get_by_role("heading", name="张伟")).to_be_visible()
    page.get_by_role("link", name="记录离职").click()
    page.get_by_role("button", name="确认离职").click()
    expect(page.locator("h1")).to_contain_text("已离职")
    handed = api.client.post(
        f"/api/v1/employees/{zhangwei}/lead-handover",
        json={"to_employee_id": lina, "reason": "离职交接"},
        headers=headers,
    )
    assert handed.status_code == 200 and handed.json()["handed_over"] == 3, handed.text
    clock = SteppedClock()
    clock.advance(seconds=10)
    work_rounds(live_console.runtime, clock)  # the three customers in one call

    page.reload()
    page.get_by_role("link", name="客户继承").first.click()
    expect(page.get_by_role("heading", name="客户继承", exact=True)).to_be_visible()
    table = page.locator("#wecom-transfers")
    expect(table).to_contain_text("李娜")
    expect(table).to_contain_text("离职继承")
    expect(table).to_contain_text("进行中")
    _look(page, "wecom-transfers")
    table.get_by_role("link", name="张伟").click()
    expect(page.get_by_role("heading", name="客户继承详情")).to_be_visible()
    expect(page.locator("#transfer-kind")).to_have_text("离职继承")
    expect(page.locator("#count-waiting")).to_have_text("3")
    rows = page.locator("#wecom-transfer-customers tbody tr")
    expect(rows).to_have_count(3)
    for external in customers:
        expect(page.locator("#wecom-transfer-customers")).to_contain_text(external)
    expect(rows.first).to_contain_text("等待接替")
    _look(page, "wecom-transfer-waiting")

    clock.advance(hours=24, minutes=10)  # the embedded WeCom's customers took it
    work_rounds(live_console.runtime, clock)
    settle(live_console.runtime)
    page.reload()
    expect(page.locator("#count-succeeded")).to_have_text("3")
    expect(page.locator("#transfer-state")).to_have_text("已完成")
    expect(rows.first).to_contain_text("成功")
    _look(page, "wecom-transfer-done")

    page.get_by_role("link", name="返回客户继承").click()
    page.get_by_role("link", name="发起客户继承").click()
    expect(page.get_by_role("heading", name="发起客户继承")).to_be_visible()
    _look(page, "wecom-transfer-form")
    page.get_by_label("原跟进员工").select_option(label="李娜")
    page.get_by_label("原因").fill("调岗")
    page.get_by_role("button", name="发起客户继承").click()
    expect(page.locator("#e-to_employee_id")).to_be_visible()  # the takeover is missing
    _look(page, "wecom-transfer-form-refused")
