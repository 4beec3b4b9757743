"""Lead data in Chromium: a marketer imports an XLSX and watches it complete (the progress
bar polled every 2 s), sees its rejected rows and the duplicate it left for cleaning;
a tenant admin adds a tag in the lead settings."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS = 300


def _mobile(n: int, prefix: str) -> str:
    return f"13{prefix}{n:06d}"


def _workbook(prefix: str, existing: str) -> tuple[bytes, list[int]]:
    """A header and ROWS people; every 60th has no mobile and row 100 a bad one (the
    rejected rows, by spreadsheet row number), row 150 a person who is already a lead."""
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机号", "公司", "城市"])
    rejected = []
    for n in range(ROWS):
        row = n + 2  # the header is row 1
        mobile: str | None = _mobile(n, prefix)
        if n % 60 == 59:
            mobile = None
            rejected.append(row)
        elif n == 98:
            mobile = "12345"
            rejected.append(row)
        elif n == 148:
            mobile = existing
        sheet.append([f"客户{n}", mobile, "星河科技", "杭州"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), sorted(rejected)


def test_a_marketer_imports_an_xlsx_and_watches_it_complete(
    page: Any, live_console: LiveConsole
) -> None:
    _tenant, _admin_email, token = live_console.tenant_admin("导入测试科技")
    email = f"marketer-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小李", email, ["marketer"])
    prefix = f"{uuid.uuid4().int % 1000:03d}"
    existing = f"13{prefix}999999"
    made = live_console.api.client.post(
        "/api/v1/leads",
        json={"mobile": existing, "name": "老客户", "company": "星河科技"},
        headers={**live_console.api.key(token), "Prefer": "read-your-writes"},
    )
    assert made.status_code == 201, made.text
    content, rejected = _workbook(prefix, existing)

    sign_in(page, email)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="导入线索").click()
    page.wait_for_load_state()
    assert page.url.endswith("/console/lead-imports")
    snapshot(page, "leads-imports")
    assert_accessible(page)

    polls: list[int] = []
    page.on(
        "response",
        lambda response: polls.append(response.status) if "/progress" in response.url else None,
    )
    page.get_by_label("CSV 或 XLSX 文件").set_input_files(
        files=[{"name": "展会名单.xlsx", "mimeType": XLSX, "buffer": content}]
    )
    page.get_by_role("button", name="开始导入").click()
    page.wait_for_url(re.compile(r"/console/lead-imports/[0-9a-f-]{36}$"))
    assert page.locator("#flash").inner_text() == "导入已开始"
    status = page.locator("[data-import-status]").get_attribute("data-import-status")
    snapshot(page, "leads-import-started")

    done = f"导入完成：共处理 {ROWS} 行"
    page.get_by_text(done).wait_for(timeout=60_000)
    bar = page.locator("#import-bar")
    assert bar.get_attribute("value") == bar.get_attribute("max") == str(ROWS)
    if status == "running":  # it finished while we watched: through the polling
        assert polls and polls[-1] == 286 and all(code in (200, 286) for code in polls)
    table = page.get_by_role("table", name="被拒绝的行")
    shown = [int(text) for text in table.locator("tbody tr td:first-child").all_inner_texts()]
    assert shown == rejected
    assert "不是有效的电话号码" in table.inner_text()
    assert "缺少手机号或邮箱（至少需要一项）" in table.inner_text()
    counts = page.locator("dl.facts dd[data-outcome]").all_inner_texts()
    created = ROWS - len(rejected) - 1
    assert counts == [str(created), "0", "1", str(len(rejected))]
    snapshot(page, "leads-import-finished")
    assert_accessible(page)

    page.get_by_role("link", name="返回导入列表").click()
    page.wait_for_load_state()
    listed = page.get_by_role("table", name="最近的导入")
    listed.get_by_text("展会名单.xlsx").wait_for()
    snapshot(page, "leads-imports-listed")

    # The person already a lead went to the cleaning queue with the imported row.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="线索清洗").click()
    page.wait_for_load_state()
    snapshot(page, "leads-cleaning-queue")
    assert_accessible(page)
    page.get_by_role("table", name="疑似重复的线索").get_by_role("link").first.click()
    page.wait_for_load_state()
    expect(page.get_by_role("columnheader", name="导入的记录")).to_be_visible()
    snapshot(page, "leads-cleaning-case")
    assert_accessible(page)
    page.get_by_role("group", name="姓名").get_by_label("导入的记录：客户148").check()
    page.get_by_role("button", name="合并…").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="确认合并")).to_be_visible()
    snapshot(page, "leads-cleaning-merge-confirm")
    assert_accessible(page)
    page.get_by_role("button", name="确认合并").click()
    page.wait_for_load_state()
    assert page.locator("#flash").inner_text() == "已合并"

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="线索设置").click()
    page.wait_for_load_state()
    expect(
        page.get_by_text("只有企业管理员可以修改线索设置；标签由市场人员和销售经理管理。")
    ).to_be_visible()
    snapshot(page, "leads-settings-read-only")


def test_a_tenant_admin_adds_a_tag_in_the_lead_settings(
    page: Any, live_console: LiveConsole
) -> None:
    _tenant, admin_email, _token = live_console.tenant_admin("设置测试科技")
    sign_in(page, admin_email)
    page.goto("/console/lead-settings")
    snapshot(page, "leads-settings")
    assert_accessible(page)
    page.get_by_role("link", name="新增标签", exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("button", name="保存").click()  # nothing typed
    page.wait_for_load_state()
    assert page.locator("#e-name").inner_text() == "必填"
    snapshot(page, "leads-settings-tag-form")
    assert_accessible(page)
    page.get_by_label("名称").fill("展会客户")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert page.locator("#flash").inner_text() == "已新增标签"
    tags = page.get_by_role("table", name="标签")
    expect(tags.get_by_role("cell", name="展会客户", exact=True)).to_be_visible()
    tags.get_by_role("row", name=re.compile("展会客户")).get_by_role("link", name="删除").click()
    page.wait_for_load_state()
    snapshot(page, "leads-settings-remove-confirm")
    assert_accessible(page)
    page.get_by_role("button", name="确认删除").click()
    page.wait_for_load_state()
    assert page.locator("#flash").inner_text() == "已删除标签"
