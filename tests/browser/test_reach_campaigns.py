"""A marketer in Chromium (FLOW-7): opens 触达活动, plans a campaign in the tenant's zone
with an SMS branch for members; a branch with an unknown send rule is refused, named on
the branches field; the planned campaign is scheduled, the running worker selects the
member at once and sends the SMS, and the detail shows the counts and the delivery;
cancelling it shows 已取消. Screenshots at 1440 and 390 px and axe-core on every page; at
390 px no page is wider than the screen."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.browser.test_flows import _fits_a_phone

pytestmark = pytest.mark.browser


def _look(page: Any, name: str) -> None:
    snapshot(page, name)
    assert_accessible(page)
    _fits_a_phone(page)


def _branches(signature_id: str, rule: str) -> str:
    branch = {
        "name": "全部会员",
        "send": {"rule": rule},
        "content": {
            "kind": "send_sms",
            "signature_id": signature_id,
            "text": "会员日快乐，回T退订",
        },
    }
    return json.dumps([branch], ensure_ascii=False, indent=2)


def test_a_marketer_plans_schedules_and_cancels_a_reach_campaign(
    page: Any, live_console: LiveConsole
) -> None:
    api = live_console.api
    _tenant, _admin, token = live_console.tenant_admin("触达活动科技")
    marketer = f"reach-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小周", marketer, ["marketer"])
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    signature = api.client.post(
        "/api/v1/sms/signatures", json={"text": "获客科技"}, headers=headers
    )
    approved = api.client.post(
        f"/api/v1/sms/signatures/{signature.json()['id']}/approve",
        headers={**headers, "If-Match": signature.headers["etag"]},
    )
    assert approved.status_code == 200, approved.text
    lead = api.client.post("/api/v1/leads", json={"mobile": "13800139801"}, headers=headers)
    lead_id = lead.json()["lead"]["id"]
    tagged = api.client.post(
        f"/api/v1/leads/{lead_id}/tags", json={"tags": ["会员"]}, headers=headers
    )
    assert tagged.status_code == 200, tagged.text
    sign_in(page, marketer)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="触达活动").click()
    expect(page.get_by_role("heading", name="触达活动")).to_be_visible()
    expect(page.get_by_text("还没有触达活动")).to_be_visible()
    _look(page, "reach-empty")
    page.get_by_role("link", name="新建触达活动").first.click()
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    page.get_by_label("名称").fill("会员日短信")
    page.get_by_label(re.compile("^开始时间")).fill(
        (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label(re.compile("^结束时间")).fill(
        (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    )
    audience = {"field": "tags", "op": "equals", "value": "会员"}
    page.get_by_label("受众条件（JSON）").fill(json.dumps(audience, ensure_ascii=False))
    page.get_by_label("分支（JSON）").fill(_branches(signature.json()["id"], "someday"))
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#e-branches")).to_contain_text("branches[0].send.rule")
    expect(page.get_by_label("分支（JSON）")).to_have_attribute("aria-invalid", "true")
    _look(page, "reach-refused")

    page.get_by_label("分支（JSON）").fill(_branches(signature.json()["id"], "immediately"))
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#flash")).to_contain_text("已保存")
    expect(page.locator("#reach-state")).to_contain_text("未启动")
    _look(page, "reach-planned")
    page.get_by_role("button", name="启动").click()
    expect(page.locator("#flash")).to_contain_text("触达活动已启动")
    expect(page.locator("#reach-state")).to_contain_text("已启动")

    # The worker selects the member at once and hands the SMS to the sandbox.
    for _ in range(50):
        page.reload()
        if page.locator("#count-sent").inner_text() == "1":
            break
        page.wait_for_timeout(200)
    expect(page.locator("#count-selected")).to_have_text("1")
    expect(page.locator("#count-sent")).to_have_text("1")
    row = page.locator("#reach-deliveries tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("全部会员")
    expect(row).to_contain_text("已发送")
    _look(page, "reach-sent")

    page.get_by_label("取消原因").fill("活动结束")
    page.get_by_role("button", name="取消活动").click()
    expect(page.locator("#flash")).to_contain_text("触达活动已取消")
    expect(page.locator("#reach-state")).to_contain_text("已取消")
    page.goto("/console/reach-campaigns")
    expect(page.get_by_role("row").filter(has_text="会员日短信")).to_contain_text("已取消")
    _look(page, "reach-list")
