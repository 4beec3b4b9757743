"""A marketer in Chromium (FLOW-1…6): opens 营销流程, copies the welcome series from the
scenario library and sees the draft name what is still to choose; an edit with a bad node
is refused naming the node on the graph field; the completed flow is enabled, a lead
tagged on the lead's tag page goes through it, the flow's stats count the enrolment and
the lead's path shows its steps; stopping it ends the lead's run. Screenshots at 1440 and
390 px and axe-core on every page; at 390 px no page is wider than the screen."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveConsole, assert_accessible, sign_in, snapshot
from tests.settling import settle

pytestmark = pytest.mark.browser
TRIGGER = {"kind": "tag_added", "tag": "新注册"}
GRAPH = {
    "start": "welcome",
    "nodes": [
        {"id": "welcome", "kind": "add_tag", "tag": "已激活", "next": "wait"},
        {"id": "wait", "kind": "wait", "amount": 2, "unit": "days", "next": "end"},
        {"id": "end", "kind": "end"},
    ],
}


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


def _edit(page: Any, graph: dict[str, Any], trigger: dict[str, Any] | None = None) -> None:
    """The flow's edit form, filled with `graph` (and `trigger`) and saved."""
    page.get_by_role("link", name="编辑", exact=True).click()
    if trigger is not None:
        page.get_by_label("开始条件（JSON）").fill(json.dumps(trigger, ensure_ascii=False))
    page.get_by_label("流程图（JSON）").fill(json.dumps(graph, ensure_ascii=False, indent=2))
    page.get_by_role("button", name="保存").click()


def test_a_marketer_copies_a_scenario_enables_it_and_follows_a_lead(
    page: Any, live_console: LiveConsole
) -> None:
    api = live_console.api
    _tenant, _admin, token = live_console.tenant_admin("营销流程科技")
    marketer = f"market-{uuid.uuid4().hex[:8]}@acme.cn"
    live_console.employee_login(token, "市场小林", marketer, ["marketer"])
    lead = api.client.post(
        "/api/v1/leads",
        json={"mobile": "13800139401", "name": "流程线索"},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["lead"]["id"]
    sign_in(page, marketer)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="营销流程").click()
    expect(page.get_by_role("heading", name="营销流程")).to_be_visible()
    expect(page.get_by_text("还没有营销流程")).to_be_visible()
    _look(page, "flows-empty")
    page.get_by_role("link", name="场景库").first.click()
    expect(page.get_by_role("heading", name="场景库")).to_be_visible()
    _look(page, "flows-scenarios")
    welcome = page.locator("#scenario-welcome_series")
    expect(welcome.get_by_role("heading", name="注册欢迎系列")).to_be_visible()
    welcome.get_by_role("button", name="复制为草稿").click()

    expect(page.locator("#flash")).to_contain_text("已复制为草稿")
    expect(page.get_by_role("heading", name="注册欢迎系列")).to_be_visible()
    expect(page.locator("#flow-state")).to_contain_text("未启用")
    problems = page.locator("#flow-problems")
    expect(problems).to_contain_text("welcome")  # the e-mail's template is still to choose
    expect(problems).to_contain_text("remind")  # and the SMS's signature
    _look(page, "flows-copied-draft")

    # A wait of no time is refused, the node named on the graph field, and nothing stored.
    bad = json.loads(json.dumps(GRAPH))
    bad["nodes"][1]["amount"] = 0
    _edit(page, bad, TRIGGER)
    error = page.locator("#e-graph")
    expect(error).to_contain_text("graph.nodes[1].amount")
    expect(page.get_by_label("流程图（JSON）")).to_have_attribute("aria-invalid", "true")
    _look(page, "flows-edit-refused")
    page.get_by_label("流程图（JSON）").fill(json.dumps(GRAPH, ensure_ascii=False, indent=2))
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#flash")).to_contain_text("已保存")
    expect(page.locator("#flow-problems")).to_have_count(0)
    page.get_by_role("button", name="启用").click()
    expect(page.locator("#flash")).to_contain_text("流程已启用")
    expect(page.locator("#flow-state")).to_contain_text("已启用")
    _look(page, "flows-enabled")
    flow_url = page.url

    # The lead is tagged on its tag page: the start condition's tag enrols it.
    page.goto(f"/console/leads/{lead_id}")
    page.get_by_role("link", name="管理标签").click()
    page.get_by_label("标签（多个用逗号分隔）").fill("新注册")
    page.get_by_role("button", name="添加", exact=True).click()
    page.wait_for_load_state()
    settle(live_console.runtime)

    page.goto(flow_url)
    expect(page.locator("#stat-enrolled")).to_have_text("1")
    expect(page.locator("#node-welcome")).to_contain_text("add_tag")
    _look(page, "flows-flow-stats")
    page.locator("#flow-enrolments").get_by_role("link", name=lead_id).click()
    expect(page.get_by_role("heading", name=re.compile("线索路径"))).to_be_visible()
    steps = page.locator("#enrolment-steps tbody tr")
    # The tag was added once; the lead now waits at the wait node.
    expect(steps.locator("td:nth-child(3)")).to_have_text(["welcome"])
    expect(page.locator("#enrolment-state")).to_contain_text("@ wait")
    _look(page, "flows-enrolment")

    page.get_by_role("link", name="注册欢迎系列").click()
    page.get_by_label("停用方式").select_option("stop")
    page.get_by_role("button", name="停用").click()
    expect(page.locator("#flash")).to_contain_text("流程已停用，进行中的线索已终止")
    expect(page.locator("#flow-state")).to_contain_text("未启用")
    settle(live_console.runtime)
    page.goto("/console/flows")
    expect(page.get_by_role("row").filter(has_text="注册欢迎系列")).to_contain_text("未启用")
    _look(page, "flows-list")
