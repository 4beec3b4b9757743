"""Signing in to the console in Chromium: the frame, lockout, CSRF, language, errors."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, LiveConsole, assert_accessible, sign_in, snapshot

pytestmark = pytest.mark.browser


def test_staff_member_signs_in_and_sees_the_back_office_navigation(
    page: Any, live_console: LiveConsole
) -> None:
    email = live_console.staff_login("admin")
    page.goto("/console/password/change")
    assert "/console/sign-in" in page.url  # not signed in: to the form, then back
    snapshot(page, "sign-in")
    assert_accessible(page)
    page.get_by_label("邮箱或手机号").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert page.url.endswith("/console/password/change")
    assert page.locator("#flash").inner_text() == "已登录"
    page.goto("/console")
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    snapshot(page, "home-staff")
    assert_accessible(page)


def test_five_wrong_passwords_lock_the_login_even_against_the_right_one(
    page: Any, live_console: LiveConsole
) -> None:
    email = live_console.staff_login("support")
    for _ in range(5):
        sign_in(page, email, "not-the-password-1")
        assert page.get_by_role("alert").inner_text() == "邮箱/手机号或密码错误"
    sign_in(page, email, PASSWORD)
    assert "锁定" in page.get_by_role("alert").inner_text()
    snapshot(page, "sign-in-locked")
    assert "/console/sign-in" in page.url


def test_a_post_without_the_csrf_token_is_refused(page: Any, live_console: LiveConsole) -> None:
    email = live_console.staff_login("admin")
    sign_in(page, email)
    refused = page.request.post("/console/sign-out", form={"next": "/console"})
    assert refused.status == 403
    assert "表单已过期" in refused.text()
    page.goto("/console")
    expect(page.get_by_role("button", name="退出")).to_be_visible()  # still signed in


def test_english_switch_and_error_pages(page: Any, live_console: LiveConsole) -> None:
    email = live_console.staff_login("auditor")
    sign_in(page, email)
    with page.expect_navigation():
        page.get_by_label("语言").select_option("en")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    answer = page.goto("/console/no-such-page")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    snapshot(page, "not-found-en")
    with page.expect_navigation():
        page.get_by_label("Language").select_option("zh-CN")
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()


def test_password_reset_by_a_one_time_link_from_the_outbox(
    page: Any, live_console: LiveConsole
) -> None:
    import json

    email = live_console.staff_login("billing")
    page.goto("/console/password/forgot")
    page.get_by_label("邮箱或手机号").fill(email)
    page.get_by_role("button", name="发送重置链接").click()
    assert "重置链接已经发出" in page.get_by_role("status").last.inner_text()
    outbox = live_console.runtime.settings.var_dir / "outbox" / "messages.jsonl"
    messages = [json.loads(line) for line in outbox.read_text().splitlines()]
    link = next(m["link"] for m in reversed(messages) if m["to"] == email)
    page.goto(link.replace("http://127.0.0.1:8000", live_console.url))
    page.get_by_label("新密码", exact=True).fill("a-brand-new-pass-9")
    page.get_by_label("再次输入新密码").fill("a-brand-new-pass-9")
    page.get_by_role("button", name="设置密码并登录").click()
    assert page.locator("#flash").inner_text() == "已登录"
    used = page.goto(link.replace("http://127.0.0.1:8000", live_console.url))
    assert used is not None and used.status == 410  # one time only
    sign_in(page, email, PASSWORD)
    assert page.get_by_role("alert").inner_text() == "邮箱/手机号或密码错误"
