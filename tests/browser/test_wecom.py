"""A tenant admin binds the company's WeCom corp in Chromium (WECOM-8): the bind form
names what is missing, then shows the callback URL to paste into WeCom's admin console
and never the keys; the contacts are synced from the sandbox corp and 张伟 is matched to
the employee by mobile. WeCom — this test, with wechatpy's own crypto — posts an
encrypted customer-added callback to the live server's URL: the customer appears in 企微
客户 with the name WeCom's profile gives, and with a lead owned by 张伟 (deliverable 2).
A del_follow_user callback follows: the customer is in 流失客户 and 流失提醒 (WECOM-3)."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.e2e.wecom_support import (
    AES_KEY,
    TOKEN,
    added_xml,
    contact_xml,
    post_callback,
    subscribe_scrm,
)
from tests.settling import settle

pytestmark = pytest.mark.browser


def _look(page: Any, name: str) -> None:
    snapshot(page, name)
    assert_accessible(page)


def test_bind_a_corp_receive_a_customer_as_a_lead_and_see_churn(
    page: Any, live_console: LiveConsole
) -> None:
    api = live_console.api
    _tenant, admin, token = live_console.tenant_admin("企微测试科技")
    subscribe_scrm(api, token)
    hired = api.client.post(
        "/api/v1/employees",
        json={"name": "张伟", "roles": ["sales"], "mobile": "13800138003"},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert hired.status_code == 201, hired.text
    corpid = "ww" + secrets.token_hex(8)
    app_secret = secrets.token_urlsafe(32)[:43]
    customer = "wm" + uuid.uuid4().hex[:30]
    sign_in(page, admin)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="企业微信").click()
    expect(page.get_by_role("heading", name="绑定企业微信")).to_be_visible()
    _look(page, "wecom-corp-empty")
    page.get_by_role("button", name="绑定", exact=True).click()
    expect(page.locator("#e-corpid")).to_be_visible()  # the form names what is missing
    expect(page.locator("#e-app_secret")).to_be_visible()
    _look(page, "wecom-bind-errors")
    page.get_by_label("名称").fill("企微测试科技")
    page.get_by_label("企业ID（corpid）").fill(corpid)
    page.get_by_label("应用 AgentId").fill("1000002")
    page.get_by_label("应用 Secret").fill(app_secret)
    page.get_by_label("Token", exact=True).fill(TOKEN)
    page.get_by_label("EncodingAESKey", exact=True).fill(AES_KEY)
    page.get_by_role("button", name="绑定", exact=True).click()

    expect(page.locator("#flash")).to_contain_text("企业微信已绑定")
    callback_url = page.get_by_label("URL", exact=True).input_value()
    found = re.search(r"/callbacks/wecom/([A-Za-z0-9_-]{16,64})$", callback_url)
    assert found and callback_url.startswith("http"), callback_url
    corp = {"corpid": corpid, "callback_path": f"/callbacks/wecom/{found.group(1)}"}
    assert app_secret not in page.content() and AES_KEY not in page.content()
    _look(page, "wecom-corp")

    page.get_by_role("link", name="通讯录", exact=True).click()
    page.get_by_role("button", name="从企业微信同步通讯录").click()
    expect(page.locator("#flash")).to_contain_text("已同步：5 位成员")
    zhang = page.get_by_role("row").filter(has_text="ZhangWei")
    expect(zhang.get_by_text("张伟", exact=True).first).to_be_visible()
    settle(live_console.runtime)
    page.reload()
    expect(page.get_by_role("row").filter(has_text="ZhangWei")).to_contain_text("张伟")
    _look(page, "wecom-members")

    # WeCom posts the customer added by 张伟 through a "contact me" code.
    added = post_callback(api, corp, added_xml(corpid, customer, state="expo2026"))
    assert (added.status_code, added.text) == (200, "success")
    settle(live_console.runtime)
    listed = api.client.get("/api/v1/wecom/customers", headers=api.key(token)).json()["items"]
    [relation] = [r for r in listed if r["external_userid"] == customer]
    name = relation["name"]
    assert name  # WeCom's (the sandbox corp's) profile of the customer

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="企微客户").click()
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("张伟")
    expect(row).to_contain_text("expo2026")
    expect(row.get_by_text("正常", exact=True)).to_be_visible()
    _look(page, "wecom-customers")
    row.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    _look(page, "wecom-customer")
    page.get_by_role("link", name="查看线索").click()
    expect(page.get_by_role("heading", name=re.compile(name))).to_be_visible()
    lead_id = page.url.rstrip("/").rsplit("/", 1)[1]
    lead = api.client.get(f"/api/v1/leads/{lead_id}", headers=api.key(token)).json()
    assert lead["owner_id"] == hired.json()["id"]
    assert {"kind": "wecom_external_userid", "value": customer} in [
        {"kind": i["kind"], "value": i["value"]} for i in lead["identities"]
    ]

    # The customer deletes 张伟.
    lost = post_callback(
        api, corp, contact_xml(corpid, "del_follow_user", customer, at=int(time.time()) + 2)
    )
    assert lost.status_code == 200, lost.text
    settle(live_console.runtime)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="企微客户").click()
    page.get_by_role("link", name="流失客户").click()
    expect(page.get_by_role("row").filter(has_text=name)).to_contain_text("张伟")
    _look(page, "wecom-churn")
    page.get_by_role("link", name="流失提醒").click()
    alert = page.get_by_role("row").filter(has_text=name)
    expect(alert.get_by_text("已通知员工")).to_be_visible()
    _look(page, "wecom-churn-alerts")
