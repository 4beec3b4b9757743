"""A tenant admin's company pages in Chromium: plan and usage, orders and a refund
request, the profile, and an API key issued (its secret shown once) and revoked."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot

pytestmark = pytest.mark.browser


def _delivered_order(live_console: LiveConsole, token: str) -> str:
    api = live_console.api
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    order = api.client.post(
        "/api/v1/orders", json={"kind": "new", "edition": "qs_micro_entry"}, headers=headers
    )
    assert order.status_code == 201, order.text
    paid = api.client.post(
        f"/api/v1/admin/orders/{order.json()['id']}/confirm-payment",
        headers={**api.staff(), "Prefer": "read-your-writes"},
    )
    assert paid.status_code == 200, paid.text
    return str(order.json()["id"])


def _seen(page: Any, name: str) -> None:
    snapshot(page, name)
    assert_accessible(page)


def test_tenant_admin_reads_usage_orders_and_issues_and_revokes_a_key(
    page: Any, live_console: LiveConsole
) -> None:
    _tenant_id, email, token = live_console.tenant_admin()
    order_id = _delivered_order(live_console, token)
    sign_in(page, email)

    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("link", name="套餐与用量").click()
    expect(page.get_by_role("heading", name="套餐与用量")).to_be_visible()
    expect(page.get_by_text("天翼云快销（小微入门版）").first).to_be_visible()
    seats = page.locator('tr[data-quota="card_seats"]')
    assert seats.locator("progress").get_attribute("max") == "10"
    assert "0 / 10" in seats.inner_text()
    _seen(page, "company-subscription")

    nav.get_by_role("link", name="订单").click()
    expect(page.get_by_role("table", name="订单")).to_be_visible()
    _seen(page, "company-orders")
    page.locator(f'a[href="/console/company/orders/{order_id}"]').click()
    expect(page.get_by_role("heading", name="操作记录")).to_be_visible()
    _seen(page, "company-order")
    page.get_by_role("link", name="申请退款").click()
    page.get_by_role("button", name="提交退款申请").click()
    assert page.locator("#e-reason").inner_text() == "必填"
    _seen(page, "company-refund-request")
    page.get_by_label("退款原因").fill("换用其他产品")
    page.get_by_role("button", name="提交退款申请").click()
    assert page.locator("#flash").inner_text() == "退款申请已提交，等待平台审核"
    expect(page.get_by_text("换用其他产品").first).to_be_visible()
    _seen(page, "company-refund")
    nav.get_by_role("link", name="退款").click()
    expect(page.get_by_role("table", name="退款")).to_be_visible()
    _seen(page, "company-refunds")

    nav.get_by_role("link", name="企业信息").click()
    expect(page.get_by_role("heading", name="Acme 科技")).to_be_visible()
    _seen(page, "company-profile")
    page.get_by_role("link", name="编辑企业信息").click()
    page.get_by_label("企业名称").fill("")
    page.get_by_role("button", name="保存").click()
    assert page.locator("#e-name").inner_text() == "必填"
    _seen(page, "company-profile-edit")
    page.get_by_label("企业名称").fill("浏览器企业设置（新）")
    page.get_by_role("button", name="保存").click()
    renamed = page.get_by_role("heading", name="浏览器企业设置（新）")
    renamed.wait_for()  # the save redirects: wait for the page it leads to
    expect(renamed).to_be_visible()

    nav.get_by_role("link", name="API 密钥").click()
    _seen(page, "company-api-keys")
    page.get_by_role("link", name="签发密钥").first.click()
    page.get_by_label("名称").fill("CRM 同步")
    page.get_by_label("市场人员").check()
    _seen(page, "company-api-key-new")
    page.get_by_role("button", name="签发").click()
    secret = page.get_by_label("密钥").input_value()
    assert secret.startswith("hk_")
    _seen(page, "company-api-key-issued")
    assert live_console.api.client.get(
        "/api/v1/tenant", headers=live_console.api.key(secret)
    ).is_success
    page.get_by_role("link", name="我已保存，查看密钥").click()
    assert secret not in page.content()
    _seen(page, "company-api-key")
    page.get_by_role("link", name="吊销").click()
    page.get_by_label("原因").fill("测试结束")
    _seen(page, "company-api-key-revoke")
    page.get_by_role("button", name="吊销").click()
    assert page.locator("#flash").inner_text() == "密钥已吊销"
    expect(page.get_by_text("测试结束")).to_be_visible()  # the reason, in the key's history
    snapshot(page, "company-api-key-revoked")
    answer = live_console.api.client.get("/api/v1/tenant", headers=live_console.api.key(secret))
    assert answer.status_code == 401
