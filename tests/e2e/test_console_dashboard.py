"""The dashboard on both stores: lead counts by state and source inside the viewer's
data scope, recent imports, quota use, and the platform figures for staff."""

from __future__ import annotations

import base64
import re

from tests.conftest import Api
from tests.e2e.console_support import employee_login, open_session, staff_login


def _leads(api: Api, token: str) -> str:
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    for index, mobile in enumerate(("13811110001", "13811110002", "13811110003")):
        answer = api.client.post(
            "/api/v1/leads", json={"mobile": mobile, "name": f"客户{index}"}, headers=headers
        )
        assert answer.status_code == 201, answer.text
    started = api.client.post(
        "/api/v1/lead-imports",
        json={
            "file_name": "dashboard.csv",
            "content_base64": base64.b64encode(b"mobile\n13911110001\n").decode(),
            "mapping": {"mobile": "mobile"},
        },
        headers=headers,
    )
    assert started.status_code == 201, started.text
    trial = api.client.post(
        "/api/v1/subscription/trials", json={"edition": "qs_micro_basic"}, headers=headers
    )
    assert trial.status_code in (200, 201), trial.text
    return str(started.json()["id"])


def _figure(text: str, caption: str, label: str) -> str:
    """The count beside `label` in the table captioned `caption`."""
    table = text.split(f"<caption>{caption}</caption>", 1)[1].split("</table>", 1)[0]
    found = re.search(rf">{re.escape(label)}(?:</a>)?</td><td class=\"numeric\">([^<]+)<", table)
    assert found, (label, table)
    return found.group(1)


def test_a_tenant_admin_sees_leads_imports_and_quotas(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    import_id = _leads(api, token)
    _employee, email = employee_login(api, token, "tenant_admin")
    session = open_session(api, email)
    try:
        shown = session.client.get("/console")
        assert shown.status_code == 200, shown.text
        text = shown.text
        assert _figure(text, "按状态统计", "公海") == "4"  # three added, one imported
        assert _figure(text, "按来源统计", "未填来源") == "4"
        assert '<svg class="chart" role="img"' in text
        assert "<title id=" in text and "公海: 4" in text  # the chart's description
        assert f'href="/console/lead-imports/{import_id}"' in text
        assert "dashboard.csv" in text
        assert "<caption>当前周期的用量与上限</caption>" in text
        english = session.client.get("/console", headers={"Accept-Language": "en"})
        assert "Leads by state" in english.text
    finally:
        session.close()


def test_sales_count_only_their_own_leads_and_see_no_quotas(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    _leads(api, token)
    _employee, email = employee_login(api, token, "sales")
    session = open_session(api, email)
    try:
        text = session.client.get("/console").text
        assert "还没有线索" in text  # every lead is in the pool: none is theirs
        assert "当前周期的用量与上限" not in text  # sales may not read billing
    finally:
        session.close()


def test_staff_see_the_platform_figures(api: Api) -> None:
    api.one_of_each()  # one open refund at least
    session = open_session(api, staff_login(api, "admin"))
    try:
        text = session.client.get("/console").text
        assert "平台概况" in text
        refunds = re.search(r"待处理退款</dt>\s*<dd><a href=\"[^\"]+\">([^<]+)<", text)
        assert refunds and refunds.group(1) != "0", text
        assert "线索状态" not in text
    finally:
        session.close()
