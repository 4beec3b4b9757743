"""Console pages of customer inheritance on both stores (WECOM-4 with ORG-3): when an
employee with WeCom customers leaves and their leads are handed over, 客户继承 lists the
transfer (employee, takeover, 离职继承, progress) and its page shows each customer 等待接替
and then 成功 once WeCom's results say so; the start form names its mistakes next to
their fields; a salesperson may not open the pages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Api
from tests.e2e.console_support import employee_login, open_session
from tests.e2e.wecom_support import RYW, bind_corp, scrm_tenant
from tests.e2e.wecom_transfer_support import (
    SteppedClock,
    employee_of_member,
    sandbox_customers_as_leads,
    work_rounds,
)
from tests.settling import settle

BASE = "/console/wecom/transfers"


@pytest.fixture
def corp(api: Api) -> dict[str, Any]:
    """A tenant with SCRM, the sandbox corp bound and synced, 张伟 (ZhangWei, with his
    sandbox customers as leads) and 李娜 (LiNa) as employees matched to the members."""
    tenant_id, token = scrm_tenant(api)
    made = bind_corp(api, token)
    synced = api.client.post(
        f"/api/v1/wecom/corps/{made['id']}/contacts/sync", headers={**api.key(token), **RYW}
    )
    assert synced.status_code == 200, synced.text
    zhangwei = employee_of_member(api, token, "ZhangWei", "张伟")
    lina = employee_of_member(api, token, "LiNa", "李娜")
    settle(api.runtime)
    customers = sandbox_customers_as_leads(api, tenant_id, made["corpid"], "ZhangWei")
    return {"tenant_id": tenant_id, "token": token, "zhangwei": zhangwei, "lina": lina,
            "customers": customers}  # fmt: skip


def _leave_and_hand_over(api: Api, corp: dict[str, Any]) -> None:
    headers = {**api.key(corp["token"]), **RYW}
    employee = api.client.get(f"/api/v1/employees/{corp['zhangwei']}", headers=headers)
    left = api.client.delete(
        f"/api/v1/employees/{corp['zhangwei']}",
        headers={**headers, "If-Match": employee.headers["ETag"]},
    )
    assert left.status_code == 200, left.text
    handed = api.client.post(
        f"/api/v1/employees/{corp['zhangwei']}/lead-handover",
        json={"to_employee_id": corp["lina"], "reason": "离职交接"},
        headers=headers,
    )
    assert handed.status_code == 200 and handed.json()["handed_over"] == 3, handed.text
    settle(api.runtime)


def test_a_departed_employees_customers_show_waiting_then_taken_over(
    api: Api, corp: dict[str, Any]
) -> None:
    _, email = employee_login(api, corp["token"], "tenant_admin", name="人事")
    session = open_session(api, email)
    try:
        _leave_and_hand_over(api, corp)
        clock = SteppedClock()
        clock.advance(seconds=10)
        work_rounds(api.runtime, clock)  # one call of three customers (by either worker)
        listed = session.client.get(BASE)
        assert listed.status_code == 200
        row = re.search(r'href="(/console/wecom/transfers/[0-9a-f-]{36})"', listed.text)
        assert row, listed.text
        assert "张伟" in listed.text and "李娜" in listed.text and "离职继承" in listed.text
        detail = session.client.get(row.group(1))
        assert detail.status_code == 200
        assert 'id="count-waiting">3<' in detail.text
        assert detail.text.count("等待接替") >= 3
        for external in corp["customers"]:
            assert re.search(f"[\u4e00-\u9fff]+（{external}）", detail.text)  # named

        clock.advance(hours=24, minutes=10)  # the sandbox's customers took the transfer
        work_rounds(api.runtime, clock)
        settle(api.runtime)
        after = session.client.get(row.group(1))
        assert 'id="count-succeeded">3<' in after.text and 'id="count-failed">0<' in after.text
        assert "已完成" in after.text
        filtered = session.client.get(f"{row.group(1)}?state=failed")
        assert "没有符合条件的客户" in filtered.text
        by_employee = session.client.get(f"{BASE}?employee_id={corp['zhangwei']}")
        assert row.group(1) in by_employee.text
    finally:
        session.close()


def test_the_start_form_names_its_mistakes(api: Api, corp: dict[str, Any]) -> None:
    _, email = employee_login(api, corp["token"], "tenant_admin", name="人事")
    session = open_session(api, email)
    try:
        form = session.client.get(f"{BASE}/new?employee_id={corp['zhangwei']}")
        assert form.status_code == 200
        assert f'<option value="{corp["zhangwei"]}" selected' in form.text
        missing = session.post(f"{BASE}/", {"employee_id": corp["zhangwei"], "reason": "交接"})
        assert missing.status_code == 422 and 'id="e-to_employee_id"' in missing.text
        nothing = session.post(
            f"{BASE}/",
            {"employee_id": corp["lina"], "to_employee_id": corp["zhangwei"], "reason": "调岗"},
        )
        assert nothing.status_code == 422 and 'id="e-employee_id"' in nothing.text
        started = session.post(
            f"{BASE}/",
            {"employee_id": corp["zhangwei"], "to_employee_id": corp["lina"], "reason": "调岗",
             "include_groups": "1"},
        )  # fmt: skip
        assert started.status_code == 303, started.text
        shown = session.client.get(started.headers["location"])
        assert "在职继承" in shown.text and 'id="count-queued">3<' in shown.text
        assert "手动发起" in shown.text
    finally:
        session.close()


def test_a_salesperson_may_not_open_the_transfers(api: Api, corp: dict[str, Any]) -> None:
    _, email = employee_login(api, corp["token"], "sales", name="销售")
    session = open_session(api, email)
    try:
        assert session.client.get(BASE).status_code == 403
        assert "客户继承" not in session.client.get("/console").text
    finally:
        session.close()
