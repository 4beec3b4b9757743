"""A marketer sends e-mail in Chromium (MAIL-1…5): verifies a sending domain whose DNS
records the page lists (published in the test DNS server), starts a template from a
frame, drafts a task from it, sends a test to an address, sends the task now, follows
its progress to 100 % and reads its report; every message is in the sandbox outbox."""

from __future__ import annotations

import email
import email.policy
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.integration.dns_server import LocalDns

pytestmark = pytest.mark.browser
RYW = {"Prefer": "read-your-writes"}


def _look(page: Any, name: str) -> None:
    snapshot(page, name)
    assert_accessible(page)


def _group_of_leads(live_console: LiveConsole, token: str, people: list[tuple[str, str]]) -> None:
    api = live_console.api
    headers = {**api.key(token), **RYW}
    ids = []
    for address, name in people:
        answer = api.client.post(
            "/api/v1/leads", json={"email": address, "name": name}, headers=headers
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["lead"]["id"])
    group = api.client.post("/api/v1/groups", json={"name": "春季会员"}, headers=headers)
    assert group.status_code == 201, group.text
    added = api.client.post(
        f"/api/v1/groups/{group.json()['id']}/members", json={"lead_ids": ids}, headers=headers
    )
    assert added.status_code == 200, added.text


def _publish_shown_records(page: Any, dns: LocalDns) -> None:
    """Publish the records exactly as the page lists them (what a tenant copies)."""
    rows = page.locator("#dns-records tbody tr")
    for index in range(rows.count()):
        row = rows.nth(index)
        kind = row.locator("td").nth(0).inner_text().strip()
        host = row.locator("input[id^='host-']").input_value()
        value = row.locator("input[id^='value-']").input_value()
        if kind == "TXT":
            dns.add_txt(host, value)
        elif kind == "MX":
            dns.add_mx(host, value)
        else:
            dns.add_cname(host, value)


def _outbox(live_console: LiveConsole, to: str) -> list[Any]:
    folder = Path(live_console.runtime.settings.var_dir) / "outbox"
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if str(message["X-Envelope-To"]) == to:
            found.append(message)
    return found


def test_a_marketer_drafts_tests_sends_and_reads_the_report(
    page: Any, live_console: LiveConsole, public_dns: LocalDns
) -> None:
    _tenant, _admin, token = live_console.tenant_admin("邮件测试科技")
    marketer = f"market-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小李", marketer, ["marketer"])
    tag = uuid.uuid4().hex[:6]
    people = [(f"zhang.{tag}@qq.com", "张三"), (f"li.{tag}@163.com", "李四")]
    _group_of_leads(live_console, token, people)
    domain = f"mail{tag}.acme.cn"
    sign_in(page, marketer)
    nav = page.get_by_role("navigation", name="主导航")

    # 发信域名: add, see the records, verify before and after publishing them.
    nav.get_by_role("link", name="发信域名").click()
    _look(page, "sending-domains-empty")
    page.get_by_label("二级域名").fill(domain)
    page.get_by_role("button", name="添加").click()
    assert page.locator("#domain-state").get_attribute("data-state") == "pending"
    assert page.locator("#propagation-note").inner_text() == "记录约一小时生效。"
    _look(page, "sending-domain-records")
    page.get_by_role("button", name="验证记录").click()
    assert "还有记录未生效" in page.locator("#flash").inner_text()
    assert page.locator("[data-check='missing']").count() == 4
    _publish_shown_records(page, public_dns)
    page.get_by_role("button", name="验证记录").click()
    assert page.locator("#domain-state").get_attribute("data-state") == "verified"
    assert page.locator("[data-check='ok']").count() == 4
    _look(page, "sending-domain-verified")

    # 邮件模板: from a frame, then a preview of its HTML in a sandboxed frame.
    nav.get_by_role("link", name="邮件模板").click()
    _look(page, "email-templates-empty")
    page.get_by_role("link", name="从框架模板开始：活动邀请（大图 + 按钮）").click()
    page.get_by_label("模板名称").fill("春季发布会邀请")
    page.get_by_label("场景（可选）").fill("活动邀请")
    _look(page, "email-template-new")
    page.get_by_role("button", name="保存").click()
    assert page.locator("#flash").inner_text() == "已保存"
    frame = page.locator("#preview-frame")
    assert frame.get_attribute("sandbox") == ""
    expect(page.frame_locator("#preview-frame").get_by_text("立即报名")).to_be_visible()
    page.get_by_label("选择线索预览（姓名、公司、手机号或邮箱）").fill("张三")
    page.get_by_role("button", name="查找线索").click()
    page.locator("#preview-leads").get_by_role("link").first.click()
    assert page.locator("#preview-subject").inner_text() == "张三，诚邀您参加我们的活动"
    _look(page, "email-template-preview")

    # 邮件任务: drafted from the template, a test, then sent now.
    page.get_by_role("link", name="用此模板新建邮件任务").click()
    assert page.get_by_label("任务名称").input_value() == "春季发布会邀请"
    page.get_by_label("任务名称").fill("春季发布会邀请函")
    page.get_by_label("发件人名称").fill("获客科技")
    page.get_by_label("@ 前的名称").fill("news")
    page.get_by_label("发信域名").select_option(domain)
    # Only the chosen kind of audience shows its field.
    page.get_by_label("指定线索", exact=True).check()
    expect(page.locator("#f-lead_ids")).to_be_visible()
    expect(page.locator("#f-group_id")).to_be_hidden()
    page.get_by_label("用户组", exact=True).first.check()
    page.get_by_role("combobox", name="用户组").select_option(label="春季会员")
    _look(page, "email-task-new")
    page.get_by_role("button", name="保存草稿").click()
    assert page.locator("#flash").inner_text() == "已保存草稿"
    assert page.locator("#task-state").get_attribute("data-state") == "draft"
    _look(page, "email-task-draft")

    test_to = f"me.{tag}@acme.cn"
    page.get_by_label("测试收件地址").fill(test_to)
    page.get_by_role("button", name="发送测试邮件").click()
    assert page.locator("#flash").inner_text() == f"测试邮件已发送至 {test_to}"
    tests = _outbox(live_console, test_to)
    assert len(tests) == 1 and str(tests[0]["Subject"]) == "客户，诚邀您参加我们的活动"

    page.get_by_role("link", name="发送", exact=True).click()
    _look(page, "email-task-schedule")
    page.get_by_label("立即发送").check()
    page.get_by_role("button", name="确认发送").click()
    assert page.locator("#flash").inner_text() == "已开始发送"
    # The page follows the send and is read again as its state changes (messaging.js).
    page.locator("#task-state[data-state='sent']").wait_for(timeout=60_000)
    page.wait_for_load_state()
    assert page.get_by_role("link", name="取消任务").count() == 0  # nothing left to cancel
    assert page.locator("[data-percent]").inner_text() == "100"
    for address, name in people:
        received = _outbox(live_console, address)
        assert len(received) == 1 and str(received[0]["Subject"]).startswith(name)
        assert received[0]["DKIM-Signature"] is not None
        assert "List-Unsubscribe" in received[0]
    # The report follows the behaviour log: reload until it counts both messages.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        page.reload()
        sent = page.locator("[data-metric='sent']")
        if sent.count() and sent.inner_text() == "2":
            break
        time.sleep(0.5)
    assert page.locator("[data-metric='sent']").inner_text() == "2"
    domains = page.locator("#report-domains").inner_text()
    assert "qq.com" in domains and "163.com" in domains
    _look(page, "email-task-report")
    page.goto("/console/messaging/email-tasks")
    row = page.locator("table tbody tr", has_text="春季发布会邀请函")
    assert re.search("已发送", row.inner_text())
    expect(row.get_by_role("link", name="查看报表")).to_be_visible()
    _look(page, "email-tasks")
