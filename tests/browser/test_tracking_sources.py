"""A marketer creates a tracking source in Chromium, sees its write key once with the
install code, opens the install page, rotates the key and revokes the source."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot

pytestmark = pytest.mark.browser


def _look(page: Any, name: str) -> None:
    """Keep the page's screenshots and check it with axe-core."""
    snapshot(page, name)
    assert_accessible(page)


def test_a_marketer_creates_a_source_installs_it_and_revokes_it(
    page: Any, live_console: LiveConsole
) -> None:
    _tenant, _admin, token = live_console.tenant_admin("追踪来源科技")
    email = f"market-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小王", email, ["marketer"])
    keys = live_console.runtime.container.write_keys()
    sign_in(page, email)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="追踪来源").click()
    expect(page.get_by_text("还没有追踪来源")).to_be_visible()
    _look(page, "tracking-sources-empty")
    page.get_by_role("link", name="新建追踪来源").first.click()
    _look(page, "tracking-source-new")
    page.get_by_role("button", name="创建并生成写入密钥").click()
    expect(page.locator("#e-name")).to_be_visible()  # the name is required
    page.get_by_label("名称").fill("官网")
    page.get_by_label("网站").check()
    page.get_by_label(re.compile("遵守浏览器的 Do-Not-Track")).check()
    page.get_by_role("button", name="创建并生成写入密钥").click()

    expect(page.get_by_role("heading", name="追踪来源已创建")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="只显示这一次")).to_be_visible()
    key = page.get_by_label("写入密钥", exact=True).input_value()
    assert key.startswith("hk_") and keys.source_for_key(key) is not None
    snippet = page.locator("[data-snippet]").inner_text()
    assert f'data-key="{key}" data-honour-dnt></script>' in snippet
    _look(page, "tracking-source-key")
    page.get_by_role("link", name="我已保存，查看来源").click()

    expect(page.get_by_role("heading", name=re.compile("官网"))).to_be_visible()
    assert key not in page.content()  # never shown again
    expect(page.get_by_text("尚未收到")).to_be_visible()
    _look(page, "tracking-source")
    source_url = page.url
    page.get_by_role("link", name="安装代码").click()
    assert 'data-key="YOUR_WRITE_KEY"' in page.locator("[data-snippet]").inner_text()
    assert key not in page.content()
    _look(page, "tracking-source-install")

    page.goto(source_url)
    page.get_by_role("link", name="更名或设置").click()
    _look(page, "tracking-source-edit")
    page.get_by_label("名称").fill("官网 2026")
    page.get_by_role("button", name="保存").click()
    assert page.locator("#flash").inner_text() == "已保存"

    page.get_by_role("link", name="更换写入密钥").click()
    _look(page, "tracking-source-rotate")
    page.get_by_label("原因").fill("例行更换")
    page.get_by_role("button", name="确认更换密钥").click()
    rotated = page.get_by_label("写入密钥", exact=True).input_value()
    assert rotated != key and keys.source_for_key(key) is None
    assert keys.source_for_key(rotated) is not None
    page.get_by_role("link", name="我已保存，查看来源").click()

    page.get_by_role("link", name="停用来源").click()
    _look(page, "tracking-source-revoke")
    reason = page.get_by_label("原因")
    assert reason.get_attribute("required") is not None  # a revocation says why
    reason.fill("官网改版，换新来源")
    page.get_by_role("button", name="确认停用").click()
    assert page.locator("#flash").inner_text() == "追踪来源已停用"
    assert keys.source_for_key(rotated) is None
    history = page.locator("#history")
    expect(history.get_by_text("官网改版，换新来源")).to_be_visible()
    expect(history.get_by_text("例行更换")).to_be_visible()
    assert page.get_by_role("link", name="停用来源").count() == 0
    _look(page, "tracking-source-revoked")

    page.get_by_role("link", name="返回追踪来源列表").click()
    expect(page.get_by_role("cell", name="已停用")).to_be_visible()
    _look(page, "tracking-sources")
