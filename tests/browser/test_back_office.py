"""The back office in Chromium: billing staff approve a refund (list, record, confirmation,
flash, the approval on the record's history), and every back-office page, screenshotted
at 1440/390 px and checked with axe-core."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.e2e.test_console_back_office import RYW, paid_order_with_refund

pytestmark = pytest.mark.browser


def test_staff_approve_a_refund(page: Any, live_console: LiveConsole) -> None:
    api = live_console.api
    _tenant, token = api.tenant_with_key("tenant_admin")
    records = paid_order_with_refund(api, token)  # type: ignore[arg-type]
    refund, order = records["refund"], records["order"]
    sign_in(page, live_console.staff_login("billing"))

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="退款").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="退款", exact=True)).to_be_visible()
    snapshot(page, "back-office-refunds")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_label("状态").select_option("requested")
    assert "status=requested" in page.url

    page.get_by_role("link", name=order["number"]).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/console/admin/refunds/{refund['id']}")
    facts = page.locator("dl.facts").inner_text()
    assert "用不上了" in facts and "¥" in facts
    snapshot(page, "back-office-refund")
    assert_accessible(page)

    page.get_by_role("link", name="批准退款").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="批准退款")).to_be_visible()
    assert page.get_by_label("退款金额（元）").input_value() == ""  # the proposal
    snapshot(page, "back-office-refund-approve")
    assert_accessible(page)
    page.get_by_role("button", name="确认批准").click()
    page.wait_for_load_state()

    assert page.url.endswith(f"/console/admin/refunds/{refund['id']}")
    assert "已批准退款" in page.locator("#flash").inner_text()
    approval = page.locator('tr[data-event="tenancy.Refund.Approved"]')
    expect(approval).to_be_visible()
    assert "批准退款" in approval.inner_text() and "平台员工" in approval.inner_text()
    expect(page.get_by_text("已退款", exact=True).first).to_be_visible()
    expect(page.get_by_role("link", name="批准退款")).to_be_hidden()  # decided
    snapshot(page, "back-office-refund-approved")
    answer = api.client.get(f"/api/v1/admin/refunds/{refund['id']}", headers=api.staff())
    assert answer.json()["status"] == "refunded"
    assert answer.json()["amount_fen"] == refund["proposed_fen"]


def test_every_back_office_page(page: Any, live_console: LiveConsole) -> None:
    api = live_console.api
    tenant_id, token = api.tenant_with_key("tenant_admin")
    refund = paid_order_with_refund(api, token)["refund"]  # type: ignore[arg-type]
    unpaid = api.client.post(
        "/api/v1/orders",
        json={"kind": "renew", "edition": "qs_micro_entry"},
        headers={**api.key(token), **RYW},
    ).json()
    forged = json.dumps({"order_number": unpaid["number"], "transaction_id": "T1"}).encode()
    api.client.post(
        "/callbacks/payments/sandbox",
        content=forged,
        headers={"Content-Type": "application/json", "X-Sandbox-Signature": "0" * 64, **RYW},
    )
    subscription = api.client.get(
        "/api/v1/admin/subscriptions", params={"tenant_id": tenant_id}, headers=api.staff()
    ).json()["items"][0]
    sign_in(page, live_console.staff_login("admin"))

    def visit(path: str, name: str, *, check: bool = True) -> None:
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, (path, answer and answer.status)
        snapshot(page, f"back-office-{name}")
        if check:
            assert_accessible(page)

    visit("/console/admin/tenants", "tenants")
    page.get_by_label("企业名称").fill("Acme")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    assert "q=Acme" in page.url
    visit(f"/console/admin/tenants/{tenant_id}", "tenant")
    expect(page.locator('tr[data-event="tenancy.Tenant.Registered"]')).to_be_visible()
    visit(f"/console/admin/subscriptions?tenant_id={tenant_id}", "subscriptions", check=False)
    visit(f"/console/admin/subscriptions/{subscription['id']}", "subscription")
    visit(f"/console/admin/subscriptions/{subscription['id']}/extend", "subscription-extend")
    # the browser's own checks aside, the server's errors show next to the fields
    page.locator("main form").evaluate("form => { form.noValidate = true; }")
    page.get_by_role("button", name="确认延长").click()
    page.wait_for_load_state()
    expect(page.locator("#e-days")).to_be_visible()
    expect(page.locator("#e-reason")).to_be_visible()
    snapshot(page, "back-office-subscription-extend-errors")
    assert_accessible(page)
    visit(f"/console/admin/orders?number={unpaid['number']}", "orders", check=False)
    visit(f"/console/admin/orders/{unpaid['id']}", "order")
    visit(f"/console/admin/orders/{unpaid['id']}/confirm-payment", "order-confirm-payment")
    visit(f"/console/admin/refunds/{refund['id']}/reject", "refund-reject", check=False)
    visit(f"/console/admin/refunds/{refund['id']}/approve", "refund-approve-override", check=False)
    page.get_by_label("退款金额（元）").fill("1.00")
    page.get_by_role("button", name="确认批准").click()
    page.wait_for_load_state()
    expect(page.locator("#e-override_reason")).to_be_visible()
    snapshot(page, "back-office-refund-override-error")
    assert_accessible(page)
    visit("/console/admin/security-incidents", "incidents", check=True)
    page.locator("#incidents tbody a").first.click()
    page.wait_for_load_state()
    assert "伪造的支付通知" in page.locator("h1").inner_text()
    snapshot(page, "back-office-incident")
    assert_accessible(page)
    visit("/console/admin/staff", "staff", check=True)
    visit("/console/admin/staff/new", "staff-enrol")
    page.get_by_label("姓名").fill("钱审计")
    page.get_by_label("邮箱").fill(f"audit-{uuid.uuid4().hex[:6]}@huoke.cn")
    page.get_by_label("审计员").check()
    page.get_by_role("button", name="添加").click()
    page.wait_for_load_state()
    expect(page.locator("code[data-token]")).to_be_visible()
    snapshot(page, "back-office-staff-enrolled")
    assert_accessible(page)
    page.get_by_role("link", name="开通控制台登录").click()
    page.wait_for_load_state()
    snapshot(page, "back-office-staff-login")
    assert_accessible(page)
    page.get_by_label("初始密码", exact=True).fill("huoke-Audit-2026")
    page.get_by_label("再次输入初始密码").fill("huoke-Audit-2026")
    page.get_by_role("button", name="开通登录").click()
    page.wait_for_load_state()
    assert "已开通控制台登录" in page.locator("#flash").inner_text()
    expect(page.locator('tr[data-event="logins.Login.Granted"]')).to_be_visible()
    snapshot(page, "back-office-staff-member")
    assert_accessible(page)
    page.get_by_role("link", name="停用").click()
    page.wait_for_load_state()
    snapshot(page, "back-office-staff-disable")
    assert_accessible(page)
    page.get_by_role("button", name="确认停用").click()
    page.wait_for_load_state()
    expect(page.locator('tr[data-event="tenancy.StaffAccount.Disabled"]')).to_be_visible()
