"""A tenant admin sets up the session archive in Chromium (ARCH-1): opens 会话存档设置
from the sidebar, generates a key pair and sees the public key to paste into WeCom's
admin with its version, a corp id that is no WeCom corp refused on its field, saves the
corp and the archive's Secret with the archive switched on, pulls now and sees the
sandbox's messages counted with the cursor at its last seq. Screenshots at 1440 and
390 px and axe-core on every page; at 390 px no page is wider than the screen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from adapters.archive.sandbox import fixture_messages
from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot

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


def _paid(live_console: LiveConsole, token: str) -> None:
    api = live_console.api
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    order = api.client.post(
        "/api/v1/orders", json={"kind": "new", "edition": "scrm_ten_seats"}, headers=headers
    )
    assert order.status_code == 201, order.text
    paid = api.client.post(
        f"/api/v1/admin/orders/{order.json()['id']}/confirm-payment",
        headers={**api.staff(), "Prefer": "read-your-writes"},
    )
    assert paid.status_code == 200, paid.text


def test_an_admin_sets_up_the_archive_and_pulls_it(page: Any, live_console: LiveConsole) -> None:
    _tenant, admin, token = live_console.tenant_admin("会话存档科技")
    _paid(live_console, token)
    sign_in(page, admin)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="会话存档设置").click()
    expect(page.get_by_role("heading", name="会话存档设置")).to_be_visible()
    expect(page.locator("#no-key")).to_be_visible()
    expect(page.locator("#archive-state")).to_have_text("未开启")
    _look(page, "archive-settings-empty")

    page.get_by_label("公钥版本号").first.fill("1")
    page.get_by_role("button", name="生成密钥").click()
    expect(page.get_by_text("已生成密钥（版本 1）")).to_be_visible()
    public = page.get_by_label("公钥（版本 1，使用中）")
    expect(public).to_have_value(re.compile(r"^-----BEGIN PUBLIC KEY-----\n"))
    expect(page.get_by_text("版本号填写 1")).to_be_visible()
    _look(page, "archive-settings-key")

    page.get_by_label("企业 ID（CorpID）").fill("acme")
    page.get_by_label("会话内容存档 Secret").fill("s" * 43)
    page.get_by_label("开启会话存档（需要密钥）").check()
    page.get_by_role("button", name="保存").click()
    corp = page.get_by_label("企业 ID（CorpID）")
    expect(corp).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#e-corpid")).to_be_visible()
    _look(page, "archive-settings-refused")

    corp.fill("ww0123456789abcdef")
    page.get_by_label("会话内容存档 Secret").fill("s" * 43)
    page.get_by_label("开启会话存档（需要密钥）").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存，会话存档已开启")).to_be_visible()
    expect(page.locator("#archive-state")).to_have_text("已开启")

    page.get_by_role("button", name="立即拉取").click()
    total = len(fixture_messages())
    expect(page.get_by_text(f"已拉取 {total} 条，新存档 {total} 条")).to_be_visible()
    expect(page.locator("#stored-count")).to_have_text(str(total))
    expect(page.locator("#cursor-seq")).to_have_text(str(fixture_messages()[-1][0]))
    expect(page.locator("#last-pull")).not_to_have_text("—")
    _look(page, "archive-settings-pulled")
