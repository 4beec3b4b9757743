"""A marketer in Chromium (WECOM-2, WECOM-5): opens 客户群发 in a corp whose app has
lost one member from its visible range since the first sync, fills an all-staff send
with a text and a link, and sees who it reaches and who is left out with the reason;
submits it after the confirmation step (each employee's part waits for them); once an
employee confirms in the mass-send assistant (the embedded WeCom), asking for results
shows that employee as sent with their customers; the marketer assigns a follow-up to
that employee, who signs in, sees it among their to-dos and marks it done; the sidebar
materials page takes a script. Screenshots at 1440 and 390 px and axe-core on every
page; at 390 px no page is wider than the screen."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.e2e.wecom_support import RYW, bind_corp
from tests.settling import settle
from tests.wecom_world import leave_range, order

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


def test_an_all_staff_send_shows_who_the_visible_range_left_out_and_each_result(
    page: Any, live_console: LiveConsole
) -> None:
    api = live_console.api
    tenant_id, _admin, token = live_console.tenant_admin("群发科技")
    order(api, token, {"kind": "new", "edition": "scrm_advanced"})
    order(api, token, {"kind": "add_on", "add_on": "scrm_wecom_registration_standard"})
    corp = bind_corp(api, token)
    headers = {**api.key(token), **RYW}
    synced = api.client.post(f"/api/v1/wecom/corps/{corp['id']}/contacts/sync", headers=headers)
    assert synced.status_code == 200, synced.text
    leave_range(live_console.runtime, UUID(tenant_id), "WangFang")  # a later sync's finding
    salesperson = f"sales-{uuid.uuid4().hex[:8]}@acme.cn"
    sales_id = live_console.employee_login(token, "张伟", salesperson, ["sales"])
    linked = api.client.post(
        "/api/v1/wecom/members/ZhangWei/link", json={"employee_id": sales_id}, headers=headers
    )
    assert linked.status_code == 200, linked.text
    settle(live_console.runtime)
    marketer = f"market-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小周", marketer, ["marketer"])
    sign_in(page, marketer)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="客户群发").click()
    expect(page.get_by_role("heading", name="客户群发", exact=True)).to_be_visible()
    expect(page.get_by_text("还没有群发任务")).to_be_visible()
    page.get_by_label("名称", exact=True).fill("双十一预热")
    page.get_by_label("文字内容（最多 4000 字节，约 1300 个汉字）").fill(
        "双十一新品上市，老客户九折"
    )
    page.get_by_label("附带链接的标题（可选）").fill("双十一专场")
    page.get_by_label("附带链接的网址（可选）").fill("https://acme.cn/1111")
    page.get_by_label("全员（限可见范围与已购接口账号）").check()
    _look(page, "wecom-mass-send-form")
    page.get_by_role("button", name="保存并计算覆盖的员工").click()

    expect(page.locator("#flash")).to_contain_text("群发已保存")
    expect(page.get_by_role("heading", name="双十一预热")).to_be_visible()
    expect(page.locator("#count-reached")).to_have_text("4 位员工")
    expect(page.locator("#accounts")).to_have_text("5")
    expect(page.locator("#left-out")).to_contain_text("王芳（WangFang）：不在应用的可见范围内")
    parts = page.locator("#wecom-mass-send-parts")
    expect(parts.get_by_role("row", name="王芳")).to_contain_text("未覆盖")
    _look(page, "wecom-mass-send-planned")

    page.get_by_role("link", name="提交…").click()
    expect(page.get_by_role("heading", name="提交群发")).to_be_visible()
    expect(page.get_by_text("覆盖 4 位员工（1 位未覆盖")).to_be_visible()
    _look(page, "wecom-mass-send-confirm")
    page.get_by_role("button", name="确认提交").click()
    expect(page.locator("#flash")).to_contain_text("已提交给企业微信：4 位员工")
    expect(page.locator("#count-waiting")).to_have_text("4")
    expect(parts.get_by_role("row", name="张伟")).to_contain_text("待员工发送")
    _look(page, "wecom-mass-send-submitted")

    # 张伟 taps "send" in WeCom's mass-send assistant (the embedded corp's stand-in).
    outbox = live_console.runtime.container.wecom_connector().api(corp["corpid"])
    [call] = [c for c in outbox.sent("externalcontact/add_msg_template")
              if c["sender"] == "ZhangWei"]  # fmt: skip
    outbox.confirm_mass_send(call["msgid"], "ZhangWei")
    page.get_by_role("button", name="刷新发送结果").click()
    expect(page.locator("#flash")).to_contain_text("已从企业微信获取最新结果")
    expect(page.locator("#count-sent")).to_have_text("1")
    expect(page.locator("#count-waiting")).to_have_text("3")
    expect(page.locator("#customer-results")).to_contain_text("已送达：3")
    expect(parts.get_by_role("row", name="张伟")).to_contain_text("已发送")
    _look(page, "wecom-mass-send-results")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="跟进任务").click()
    expect(page.get_by_role("heading", name="跟进任务", exact=True)).to_be_visible()
    page.get_by_label("任务", exact=True).fill("回访双十一意向客户")
    page.get_by_label("张伟（ZhangWei）").check()
    page.get_by_label("截止时间").fill("2030-11-05T18:00")
    _look(page, "wecom-follow-ups-form")
    page.get_by_role("button", name="分配").click()
    expect(page.locator("#flash")).to_contain_text("任务已分配")
    expect(page.locator("#assignee-results")).to_contain_text("未完成")
    _look(page, "wecom-follow-up")

    page.get_by_role("button", name="退出").click()
    sign_in(page, salesperson)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="跟进任务").click()
    to_dos = page.locator("#wecom-to-dos")
    expect(to_dos.get_by_role("link", name="回访双十一意向客户")).to_be_visible()
    _look(page, "wecom-to-dos")
    page.get_by_role("button", name="完成：回访双十一意向客户（张伟）").click()
    expect(page.locator("#flash")).to_contain_text("已标记为完成")
    expect(page.get_by_text("没有待办")).to_be_visible()
    page.get_by_label("状态").select_option("done")
    expect(to_dos.get_by_role("link", name="回访双十一意向客户")).to_be_visible()
    _look(page, "wecom-to-dos-done")

    page.get_by_role("button", name="退出").click()
    sign_in(page, marketer)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="侧边栏素材").click()
    page.get_by_label("标题", exact=True).fill("开场白")
    page.get_by_role("textbox", name="分类").fill("话术/开场")
    page.get_by_label("话术内容或说明").fill("您好，我是火客科技的顾问")
    page.get_by_role("button", name="添加", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("素材已添加")
    expect(page.locator("#wecom-sidebar-materials")).to_contain_text("话术/开场")
    _look(page, "wecom-sidebar-materials")
