"""An auditor in Chromium (ARCH-2, ARCH-5, ARCH-6): searches the chat archive for a
two-character Chinese term and sees each hit marked in its context, opens the chat at the
hit (a recalled message marked 已撤回), finds those reads in 查阅记录 and in the operation
log, and reads the statistics; a marketer has no archive entry in the navigation and is
refused the page (403). Screenshots at 1440 and 390 px and axe-core on every page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from application.archive.messages import ArchivedMessage, behaviour_of
from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.settling import settle

pytestmark = pytest.mark.browser
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)


def _fits_a_phone(page: Any) -> None:
    """At 390 px the page scrolls down, never sideways (wide tables scroll in their box)."""
    original = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 900})
    wider = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size(original)
    assert wider <= 390, f"{page.url} is {wider} px wide at 390 px"


def _look(page: Any, name: str) -> None:
    snapshot(page, name)
    assert_accessible(page)
    _fits_a_phone(page)


def _archive(live_console: LiveConsole, tenant_id: str, token: str) -> str:
    """The tenant buys the 10-seat edition (with the archive) and two chats are archived;
    answers the userid of the employee in them."""
    api = live_console.api
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    order = api.client.post(
        "/api/v1/orders", json={"kind": "new", "edition": "scrm_ten_seats"}, headers=headers
    )
    assert order.status_code == 201, order.text
    paid = api.client.post(
        f"/api/v1/admin/orders/{order.json()['id']}/confirm-payment",
        headers={**api.staff(), "Prefer": "read-your-writes"},
    )
    assert paid.status_code == 200, paid.text
    suffix = uuid.uuid4().hex[:6]
    sales, customer, other = f"zhang{suffix}", f"wmKehu{suffix}", f"wmQita{suffix}"
    hired = api.client.post(
        "/api/v1/employees",
        json={"name": "张销售", "email": f"{sales}@acme.cn", "roles": ["sales"]},
        headers=headers,
    )
    assert hired.status_code == 201, hired.text
    said = [
        (customer, sales, "text", {"content": "您好，想问一下企业版的价格"}),
        (sales, customer, "text", {"content": "企业版价格是每年 8000 元，本月九折"}),
        (sales, customer, "revoke", {"pre_msgid": f"{suffix}-1"}),
        (customer, sales, "file", {"filename": "采购清单.xlsx", "fileext": "xlsx",
                                   "filesize": 20480, "sdkfileid": "CtYBMzA2OTAyMDEw"}),
        (customer, sales, "text", {"content": "好的，我下午和老板商量"}),
        (other, sales, "text", {"content": "发票什么时候开"}),
    ]  # fmt: skip
    messages = [
        ArchivedMessage(
            seq=n,
            msgid=f"{suffix}-{n}",
            action="recall" if kind == "revoke" else "send",
            sender=sender,
            tolist=(to,),
            roomid="",
            msgtime=T0 + timedelta(minutes=n),
            msgtype=kind,
            content=content,
        )
        for n, (sender, to, kind, content) in enumerate(said)
    ]
    live_console.runtime.container.ingestion().take(
        [behaviour_of(uuid.UUID(tenant_id), m, received_at=T0) for m in messages]
    )
    settle(live_console.runtime)
    return sales


def test_an_auditor_searches_reads_a_chat_and_finds_the_read_recorded(
    page: Any, browser: Any, live_console: LiveConsole
) -> None:
    tenant_id, _admin, token = live_console.tenant_admin("会话存档科技")
    auditor = f"audit-{uuid.uuid4().hex[:8]}@acme.cn"
    marketer = f"market-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "审计小周", auditor, ["auditor"])
    live_console.employee_login(token, "市场小林", marketer, ["marketer"])
    _archive(live_console, tenant_id, token)
    sign_in(page, auditor)

    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("link", name="会话检索").click()
    expect(page.get_by_role("heading", name="会话检索", level=1)).to_be_visible()
    _look(page, "archive-search-empty")
    page.get_by_label("关键词").fill("价格")
    page.get_by_role("button", name="检索").click()
    results = page.locator("#results article")
    expect(results).to_have_count(2)
    first = results.first
    expect(first.locator("mark")).to_have_text(["价格"])
    expect(first.locator("[aria-current=true]")).to_contain_text("企业版价格是每年 8000 元")
    expect(first.locator(".message")).to_have_count(4)  # the hit, one before, two after
    expect(first).to_contain_text("张销售")  # the employee's name from the organisation
    _look(page, "archive-search-results")

    first.get_by_role("link", name="查看会话").click()
    expect(page.get_by_role("heading", name="会话详情")).to_be_visible()
    hit = page.locator(".message[aria-current=true]")
    expect(hit).to_contain_text("已撤回")  # recalled, still stored and shown
    expect(page.locator("#messages")).to_contain_text("撤回了一条消息")
    expect(page.locator("#messages")).to_contain_text("采购清单.xlsx")  # a reference only
    _look(page, "archive-conversation")

    nav.get_by_role("link", name="查阅记录").click()
    rows = page.locator("#archive-reads tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("查看会话")
    expect(rows.nth(1)).to_contain_text("关键词：价格")
    expect(rows.nth(1)).to_contain_text("员工")  # read by a signed-in employee
    _look(page, "archive-reads")

    page.goto("/console/operation-log?topic=archive.ArchiveRead")
    entries = page.locator("#operation-log tbody tr")
    expect(entries).to_have_count(2)
    expect(entries.first).to_contain_text("查阅会话存档")
    _look(page, "archive-reads-in-operation-log")

    nav.get_by_role("link", name="存档统计").click()
    expect(page.locator("#total-messages")).to_have_text("5")  # the recall notice is none
    expect(page.locator("svg.chart")).to_have_count(2)
    _look(page, "archive-stats")

    # A marketer has no archive in the navigation, and the page refuses them.
    other = browser.new_context(base_url=live_console.url, locale="zh-CN")
    refused = other.new_page()
    sign_in(refused, marketer)
    expect(refused.get_by_role("navigation", name="主导航")).not_to_contain_text("会话检索")
    answer = refused.goto("/console/archive/search?scope=global&q=价格")
    assert answer is not None and answer.status == 403
    _look(refused, "archive-search-refused")
    other.close()
