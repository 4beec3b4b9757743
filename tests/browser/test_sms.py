"""A marketer sends an SMS in Chromium (SMS-1…3): submits a signature the tenant admin
approves, writes a task whose length and segment count follow the text as it is typed,
submits it for review, the admin approves it, the marketer sends it now and sees every
recipient's text in the sandbox outbox, signed with 【the signature】."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot

pytestmark = pytest.mark.browser
RYW = {"Prefer": "read-your-writes"}
TEXT = "{{name}}您好，会员日全场5折 回T退订"


def _look(page: Any, name: str) -> None:
    snapshot(page, name)
    assert_accessible(page)


def _group_of_leads(live_console: LiveConsole, token: str, people: list[tuple[str, str]]) -> str:
    api = live_console.api
    headers = {**api.key(token), **RYW}
    ids = []
    for mobile, name in people:
        answer = api.client.post(
            "/api/v1/leads", json={"mobile": mobile, "name": name}, headers=headers
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["lead"]["id"])
    group = api.client.post("/api/v1/groups", json={"name": "会员短信名单"}, headers=headers)
    assert group.status_code == 201, group.text
    added = api.client.post(
        f"/api/v1/groups/{group.json()['id']}/members", json={"lead_ids": ids}, headers=headers
    )
    assert added.status_code == 200, added.text
    return str(group.json()["id"])


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/console/sign-in"))


def _outbox_texts(live_console: LiveConsole, signature: str) -> list[dict[str, Any]]:
    folder = Path(live_console.runtime.settings.var_dir) / "sms-outbox"
    found = []
    for path in sorted(folder.glob("*")) if folder.exists() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if f"【{signature}】" in json.dumps(record, ensure_ascii=False):
                found.append(record)
    return found


def test_signature_task_review_and_send(page: Any, live_console: LiveConsole) -> None:
    _tenant, admin_email, token = live_console.tenant_admin("短信测试科技")
    marketer = f"market-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小李", marketer, ["marketer"])
    _group_of_leads(live_console, token, [("13912340001", "张三"), ("13912340002", "李四")])
    signature = "短信科技" + uuid.uuid4().hex[:4]  # a text of this test's only
    sign_in(page, marketer)

    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("link", name="短信签名").click()
    expect(page.get_by_text("还没有短信签名")).to_be_visible()
    _look(page, "sms-signatures-empty")
    page.get_by_label("签名", exact=True).fill("【短信科技】")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("#e-text")).to_be_visible()  # brackets are added on send
    page.get_by_label("签名", exact=True).fill(signature)
    page.get_by_label("用途（给审核人看，可选）").fill("公司简称")
    page.get_by_role("button", name="提交审核").click()
    assert page.locator("#signature-state").get_attribute("data-state") == "pending"
    assert page.get_by_role("button", name="审核通过").count() == 0  # not a marketer's
    _look(page, "sms-signature-pending")
    _sign_out(page)

    sign_in(page, admin_email)
    page.goto("/console/messaging/sms-signatures")
    page.get_by_role("link", name=f"【{signature}】").click()
    page.get_by_role("button", name="审核通过").click()
    assert page.locator("#signature-state").get_attribute("data-state") == "approved"
    _sign_out(page)

    sign_in(page, marketer)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="短信任务").click()
    _look(page, "sms-tasks-empty")
    page.get_by_role("link", name="新建短信任务").first.click()
    page.get_by_label("任务名称").fill("会员日短信")
    page.get_by_label("短信签名").select_option(label=f"【{signature}】")
    text = page.get_by_label("短信内容")
    text.fill("会员日全场5折")
    length = page.locator("#sms-length [data-length]")
    # the server's count: 【signature】 + the text, and a warning that 退订 is missing
    expected = len(signature) + 2 + len("会员日全场5折")
    page.wait_for_function(
        "n => document.querySelector('#sms-length [data-length]').textContent == String(n)",
        arg=expected,
    )
    expect(page.locator("#sms-length").get_by_text("内容必须包含“退订”。")).to_be_visible()
    text.fill(TEXT + "。" + "详情请见会员中心" * 8)
    page.wait_for_function(
        "() => /按 2 条计费/.test(document.querySelector('#sms-length').textContent)"
    )
    text.fill(TEXT)
    page.wait_for_function(
        "() => /按 1 条计费/.test(document.querySelector('#sms-length').textContent)"
    )
    assert length.inner_text() == str(len(signature) + 2 + len(TEXT))
    page.get_by_role("combobox", name="用户组").select_option(label="会员短信名单")
    _look(page, "sms-task-new")
    page.get_by_role("button", name="保存草稿").click()

    assert page.locator("#flash").inner_text() == "已保存草稿"
    assert page.locator("#task-state").get_attribute("data-state") == "draft"
    assert f"【{signature}】" in page.locator("#task-text").inner_text()
    _look(page, "sms-task-draft")
    page.get_by_role("button", name="提交审核").click()
    assert page.locator("#task-state").get_attribute("data-state") == "pending_review"
    task_url = page.url
    _sign_out(page)

    sign_in(page, admin_email)
    page.goto(task_url)
    _look(page, "sms-task-review")
    page.get_by_role("button", name="审核通过").click()
    assert page.locator("#flash").inner_text() == "短信内容已通过审核"
    expect(page.locator("#task-review").get_by_text("内容已通过审核")).to_be_visible()
    _sign_out(page)

    sign_in(page, marketer)
    page.goto(task_url)
    page.get_by_role("link", name="发送", exact=True).click()
    _look(page, "sms-task-schedule")
    page.get_by_label("立即发送").check()
    page.get_by_role("button", name="确认发送").click()
    assert page.locator("#flash").inner_text() == "已开始发送"
    # The page follows the send and is read again as its state changes (messaging.js).
    page.locator("#task-state[data-state='sent']").wait_for(timeout=60_000)
    page.wait_for_load_state()
    assert page.get_by_role("link", name="取消任务").count() == 0  # nothing left to cancel
    assert page.locator("[data-percent]").inner_text() == "100"
    _look(page, "sms-task-sent")
    deadline = time.monotonic() + 10
    while len(_outbox_texts(live_console, signature)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    sent = _outbox_texts(live_console, signature)
    assert len(sent) == 2
    bodies = json.dumps(sent, ensure_ascii=False)
    assert "张三您好" in bodies and "李四您好" in bodies
