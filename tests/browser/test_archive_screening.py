"""A compliance admin in Chromium (ARCH-3, ARCH-4): opens 审计 · 敏感词, makes a word
list with a word, sees an ingested message with that word raise an alert on 告警 with
its count; turns a behaviour off on 敏感行为与白名单; sets the reply rules on 回复超时
and sees the timeout record of a customer answered late, with the employee's stats.
Screenshots at 1440 and 390 px and axe-core on every page; at 390 px no page is wider
than the screen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.e2e.archive_screening_support import ingest, said, shanghai

pytestmark = pytest.mark.browser


def _fits_a_phone(page: Any) -> None:
    original = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 900})
    wider = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size(original)
    assert wider <= 390, f"{page.url} is {wider} px wide at 390 px"


def _look(page: Any, name: str) -> None:
    snapshot(page, name)
    assert_accessible(page)
    _fits_a_phone(page)


def test_a_word_list_raises_an_alert_and_a_late_reply_is_a_timeout(
    page: Any, live_console: LiveConsole
) -> None:
    tenant_id, admin, _token = live_console.tenant_admin("合规审计科技")
    sign_in(page, admin)
    nav = page.get_by_role("navigation", name="主导航")

    nav.get_by_role("link", name="敏感词", exact=True).click()
    expect(page.get_by_role("heading", name="敏感词", exact=True)).to_be_visible()
    expect(page.get_by_text("还没有敏感词库")).to_be_visible()
    _look(page, "archive-word-lists-empty")
    page.get_by_role("button", name="创建词库").click()
    expect(page.locator("#e-name")).to_be_visible()  # the form names what is missing
    page.get_by_label("词库名称").fill("违规承诺")
    page.get_by_label("分类").fill("违规承诺")
    page.get_by_label("敏感词（每行一个，可留空以后再添加）").fill("保本\n稳赚不赔")
    page.get_by_role("button", name="创建词库").click()
    expect(page.get_by_text("敏感词库已创建，共 2 个词")).to_be_visible()
    expect(page.get_by_role("cell", name="稳赚不赔")).to_be_visible()
    _look(page, "archive-word-list")

    monday = shanghai("2026-11-02T10:00")
    ingest(
        live_console.runtime,
        tenant_id,
        [
            said("wmInvestor", "zhangwei", "这个理财安全吗", at=monday),
            said(
                "zhangwei", "wmInvestor", "放心，保本的，稳赚不赔", at=monday + timedelta(hours=2)
            ),
        ],
    )
    nav.get_by_role("link", name="告警", exact=True).click()
    expect(page.locator("#alert-total")).to_have_text("共 2 次告警")
    expect(page.locator("#by-word").get_by_role("row", name="保本 1")).to_be_visible()
    alerts = page.locator("#archive-alerts")
    expect(alerts.get_by_role("cell", name="稳赚不赔")).to_be_visible()
    expect(alerts.get_by_role("cell", name="zhangwei").first).to_be_visible()
    _look(page, "archive-alerts")
    page.get_by_label("类型").select_option("mobile")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_text("没有符合条件的告警")).to_be_visible()

    nav.get_by_role("link", name="敏感行为与白名单").click()
    expect(page.get_by_role("checkbox", name="发送文件")).to_be_checked()
    page.get_by_role("checkbox", name="发送文件").uncheck()
    page.get_by_label("员工白名单（企业微信 UserID，每行一个）").fill("boss")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("敏感行为与白名单已保存")).to_be_visible()
    expect(page.get_by_role("checkbox", name="发送文件")).not_to_be_checked()
    _look(page, "archive-screening-rules")

    nav.get_by_role("link", name="回复超时").click()
    expect(page.locator("#threshold")).to_have_text("30 分钟")
    rules = page.locator("#rules")
    rules.get_by_label("超时阈值（分钟，1–1440）").fill("60")
    rules.get_by_label("周一 时段 1 结束").fill("12:00")
    rules.get_by_label("周一 时段 2 开始").fill("13:30")
    rules.get_by_label("周一 时段 2 结束").fill("18:00")
    rules.get_by_role("button", name="保存设置").click()
    expect(page.get_by_text("回复超时设置已保存")).to_be_visible()
    expect(page.locator("#threshold")).to_have_text("60 分钟")
    records = page.locator("#archive-reply-timeouts")
    # 10:00 to 12:00 on Monday, with 12:00–13:30 off: 120 working minutes > 60
    expect(records.get_by_role("cell", name="wmInvestor")).to_be_visible()
    expect(records.get_by_role("cell", name="120 分钟")).to_be_visible()
    stats = page.locator("#reply-stats")
    expect(stats.get_by_role("row", name="zhangwei 1 1 1 1 120.0")).to_be_visible()
    _look(page, "archive-reply-timeouts")
