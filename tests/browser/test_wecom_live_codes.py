"""A marketer in Chromium (WECOM-1): opens 渠道活码, makes a code for two employees (one
with a daily cap of one), a backup, a corp tag and a welcome message, and sees its QR
code; a customer adds the capped employee through it (WeCom's callback, signed and
encrypted, posted to the live server); the customer was tagged and welcomed (the
embedded WeCom's recorded calls), the code's page counts them today against the cap and
the capped employee no longer takes customers; a department welcome message is set on
欢迎语. Screenshots at 1440 and 390 px and axe-core on every page; at 390 px no page is
wider than the screen."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.e2e.wecom_support import RYW, added_xml, bind_corp, ensure_scrm, post_callback
from tests.settling import settle

pytestmark = pytest.mark.browser
WELCOME = "您好，我是李娜，您的专属顾问"


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


def test_a_marketer_makes_a_live_code_and_a_customer_is_welcomed_and_tagged(
    page: Any, live_console: LiveConsole
) -> None:
    api = live_console.api
    _tenant, _admin, token = live_console.tenant_admin("活码科技")
    ensure_scrm(api, token)
    corp = bind_corp(api, token)
    synced = api.client.post(
        f"/api/v1/wecom/corps/{corp['id']}/contacts/sync", headers={**api.key(token), **RYW}
    )
    assert synced.status_code == 200, synced.text
    settle(live_console.runtime)
    marketer = f"market-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小周", marketer, ["marketer"])
    sign_in(page, marketer)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="渠道活码").click()
    expect(page.get_by_role("heading", name="渠道活码")).to_be_visible()
    expect(page.get_by_text("还没有渠道活码")).to_be_visible()
    _look(page, "wecom-live-codes-empty")
    page.get_by_role("link", name="新建活码").click()
    expect(page.get_by_role("heading", name="新建渠道活码")).to_be_visible()
    page.get_by_label("名称", exact=True).fill("门店海报")
    page.get_by_label("员工 1").select_option("LiNa")
    page.get_by_label("每日上限").first.fill("1")
    page.get_by_label("员工 2").select_option("ZhangWei")
    page.get_by_label("备用员工").select_option("WangFang")
    page.get_by_label("来源 · 展会").check()
    page.get_by_label("使用活码自己的欢迎语").check()
    page.get_by_label("活码欢迎语").fill(WELCOME)
    _look(page, "wecom-live-code-form")
    page.get_by_role("button", name="生成活码").click()

    expect(page.locator("#flash")).to_contain_text("活码已生成")
    expect(page.get_by_role("heading", name="门店海报")).to_be_visible()
    qr = page.locator("#live-code-qr")
    expect(qr).to_be_visible()
    assert page.evaluate("document.getElementById('live-code-qr').naturalWidth") > 0
    state = page.locator("#code-state-param").inner_text()
    assert state.startswith("lc") and len(state) <= 30
    expect(page.locator("#serving")).to_have_text("李娜、张伟")
    expect(page.locator("#tags")).to_have_text("来源 · 展会")
    _look(page, "wecom-live-code")

    # A customer scans the code and adds 李娜: WeCom calls the corp's callback URL.
    external = "wm" + secrets.token_hex(15)
    welcome_code = "WELCOME" + secrets.token_hex(8)
    xml = added_xml(corp["corpid"], external, userid="LiNa", state=state,
                    welcome_code=welcome_code)  # fmt: skip
    answered = post_callback(api, corp, xml)
    assert answered.status_code == 200, answered.text
    settle(live_console.runtime)

    outbox = live_console.runtime.container.wecom_connector().api(corp["corpid"])
    [welcome] = outbox.sent("externalcontact/send_welcome_msg")
    assert (welcome["welcome_code"], welcome["text"]) == (welcome_code, WELCOME)
    [tagged] = outbox.sent("externalcontact/mark_tag")
    assert (tagged["external_userid"], tagged["add_tag"]) == (external, ["etSourceExpo"])

    page.reload()
    expect(page.locator("#stat-today")).to_have_text("1")
    expect(page.locator("#stat-welcomed")).to_have_text("1")
    expect(page.locator("#serving")).to_have_text("张伟")  # 李娜 reached her cap
    expect(page.locator("#employee-LiNa")).to_contain_text("已满额")
    _look(page, "wecom-live-code-stats")

    page.get_by_role("link", name="返回活码列表").click()
    expect(page.get_by_role("link", name="门店海报")).to_be_visible()
    _look(page, "wecom-live-codes")
    page.get_by_role("link", name="部门欢迎语").click()
    expect(page.get_by_role("heading", name="欢迎语")).to_be_visible()
    department = page.locator("#d-2")
    department.get_by_label("欢迎语").fill("您好，欢迎咨询销售部")
    department.get_by_role("button", name="保存欢迎语").click()
    expect(page.locator("#flash")).to_contain_text("欢迎语已保存")
    expect(page.locator("#welcome-2")).to_have_text("您好，欢迎咨询销售部")
    _look(page, "wecom-welcome-messages")
