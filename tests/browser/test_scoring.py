"""A marketer in Chromium makes a behaviour rule and an attribute rule, sees a lead's
points place it in the matrix and the stage funnel, and the conversion listed."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from playwright.sync_api import expect

from application.shared.behaviours import Behaviour
from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.settling import settle

pytestmark = pytest.mark.browser


def _look(page: Any, name: str) -> None:
    snapshot(page, name)
    assert_accessible(page)


def test_a_marketer_scores_leads_and_reads_the_matrix(page: Any, live_console: LiveConsole) -> None:
    tenant_id, _admin, token = live_console.tenant_admin("打分矩阵科技")
    email = f"market-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小周", email, ["marketer"])
    sign_in(page, email)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="打分规则").click()
    expect(page.get_by_text("还没有打分规则")).to_be_visible()
    _look(page, "score-rules-empty")
    page.get_by_role("link", name="新建打分规则").first.click()
    page.get_by_label("规则名称").fill("下载白皮书")
    page.get_by_label("类别").select_option("content")
    page.get_by_label("分值（可为负数）").fill("30")
    page.get_by_label("行为", exact=True).select_option("track")
    page.get_by_label("事件或页面名称（可选）").fill("download")
    page.get_by_label("频率").select_option("per_day")
    page.get_by_label("有效期（天，留空为长期）").fill("90")
    _look(page, "score-rule-new")
    page.get_by_role("button", name="保存规则").click()
    expect(page.get_by_text("已新建打分规则「下载白皮书」")).to_be_visible()

    page.get_by_role("link", name="新建打分规则").first.click()
    page.get_by_label("规则名称").fill("总监")
    page.get_by_label("属性（静态评分）").check()
    page.get_by_label("类别").select_option("profile")
    page.get_by_label("分值（可为负数）").fill("30")
    page.get_by_label("字段", exact=True).select_option("title")
    page.get_by_label("比较").nth(1).select_option("contains")
    page.get_by_label("值", exact=True).fill("总监")
    page.get_by_role("button", name="保存规则").click()
    expect(page.get_by_role("cell", name="职位 包含 总监")).to_be_visible()
    _look(page, "score-rules")

    api = live_console.api
    lead = api.client.post(
        "/api/v1/leads",
        json={"mobile": "13800138777", "title": "市场总监"},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert lead.status_code == 201, lead.text
    live_console.runtime.container.ingestion().take(
        [
            Behaviour(
                tenant_id=UUID(tenant_id),
                kind="track",
                channel="web",
                name="download",
                occurred_at=datetime.now(UTC),
                received_at=datetime.now(UTC),
                message_id=str(uuid.uuid4()),
                lead_id=UUID(lead.json()["lead"]["id"]),
                source_id="browser-test",
            )
        ]
    )
    settle(live_console.runtime)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="评分矩阵").click()
    assert page.locator('[data-cell="B2"] [data-count]').inner_text() == "1"
    expect(
        page.locator("#recent-conversions").get_by_text(re.compile("初始线索（A1）→ 孵化中"))
    ).to_be_visible()
    funnel = page.locator("#stage-funnel")
    assert (
        funnel.get_by_role("row", name="孵化中").locator("[data-stage-count]").inner_text() == "1"
    )
    _look(page, "score-matrix")
