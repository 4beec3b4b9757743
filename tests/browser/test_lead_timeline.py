"""The lead timeline in Chromium (LEAD-8): a visitor's page views, carried to the lead
when they identify, show on the lead's page next to the lead's own events, and the
older entries are one click away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from playwright.sync_api import expect

from application.shared.behaviours import Behaviour
from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.settling import settle

pytestmark = pytest.mark.browser


def test_the_lead_page_shows_behaviours_and_pages_back_to_the_leads_own_events(
    page: Any, live_console: LiveConsole
) -> None:
    api = live_console.api
    tenant_id, admin, token = live_console.tenant_admin("时间线浏览器科技")
    lead_id = api.client.post(
        "/api/v1/leads",
        json={"name": "时间线客户", "mobile": "13800138077"},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    ).json()["lead"]["id"]
    later = datetime.now(UTC) + timedelta(hours=1)
    visits = [
        Behaviour(
            tenant_id=UUID(tenant_id),
            kind="page",
            channel="web",
            occurred_at=later + timedelta(minutes=n),
            received_at=datetime.now(UTC),
            message_id=str(uuid4()),
            name=f"产品页 {n}",
            properties={"url": f"https://acme.cn/p/{n}", "dwell_ms": 1000 * (n + 1)},
            anonymous_id="browser-visitor",
        )
        for n in range(21)
    ]
    identify = Behaviour(
        tenant_id=UUID(tenant_id),
        kind="identify",
        channel="web",
        occurred_at=later + timedelta(minutes=30),
        received_at=datetime.now(UTC),
        message_id=str(uuid4()),
        properties={"mobile": "13800138077"},
        anonymous_id="browser-visitor",
    )
    live_console.runtime.container.ingestion().take([*visits, identify])
    settle(live_console.runtime)

    sign_in(page, admin)
    page.goto(f"/console/leads/{lead_id}")
    page.wait_for_load_state()
    timeline = page.get_by_role("region", name="时间线")
    expect(timeline.get_by_role("cell", name="识别身份").first).to_be_visible()
    expect(
        timeline.get_by_text("网站 · 产品页 20 · https://acme.cn/p/20 · 停留 21 秒")
    ).to_be_visible()
    assert timeline.get_by_role("cell", name="创建线索").count() == 0  # on the older page
    snapshot(page, "lead-timeline-behaviours")
    assert_accessible(page)

    page.get_by_role("link", name="更早").click()
    page.wait_for_load_state()
    timeline = page.get_by_role("region", name="时间线")
    expect(timeline.get_by_role("cell", name="创建线索")).to_be_visible()
    expect(
        timeline.get_by_text("网站 · 产品页 0 · https://acme.cn/p/0 · 停留 1 秒")
    ).to_be_visible()
    snapshot(page, "lead-timeline-older")
    assert_accessible(page)
