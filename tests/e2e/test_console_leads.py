"""The lead pages of the console on both stores: the list and its filters (the API's
answers), the data scope of a sales employee (ORG-2), create with errors next to the
field, a lead's actions and history, bulk actions, the XLSX export, and isolation."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session

WRITE = {"Prefer": "read-your-writes"}
LEAD_LINK = re.compile(r'href="/console/leads/([0-9a-f-]{36})"')


def _post(api: Api, token: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.client.post(url, json=body, headers={**api.key(token), **WRITE})
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def _lead(api: Api, token: str, **fields: Any) -> str:
    return str(_post(api, token, "/api/v1/leads", fields)["lead"]["id"])


def _listed(session: ConsoleSession, params: dict[str, str] | None = None) -> list[str]:
    """The lead ids the list page shows, in order."""
    answer = session.client.get("/console/leads", params=params or {})
    assert answer.status_code == 200, answer.text
    return list(dict.fromkeys(LEAD_LINK.findall(answer.text)))


def _api_ids(api: Api, token: str, params: dict[str, str]) -> list[str]:
    answer = api.client.get("/api/v1/leads", params={**params, "limit": 50}, headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


@pytest.fixture
def company(api: Api) -> Any:
    """A tenant with a marketer and two sales employees (console logins) and leads."""
    tenant_id, token = api.tenant_with_key("tenant_admin")
    _marketer_id, marketer = employee_login(api, token, "marketer", name="市场小王")
    sales_id, sales = employee_login(api, token, "sales", name="销售小李")
    colleague_id, _colleague = employee_login(api, token, "sales", name="销售小赵")
    leads = {
        "zhang": _lead(api, token, name="张伟", mobile="13800138001", company="Alpha 科技",
                       owner_id=sales_id, source={"level1": "wechat"}),
        "li": _lead(api, token, name="李娜", email="li.na@beta.com", company="Beta 贸易",
                    status="contacted", owner_id=colleague_id, source={"level1": "form"}),
        "wang": _lead(api, token, name="王强", email="wang@gamma.cn", company="Alpha 物流"),
    }  # fmt: skip
    _post(api, token, f"/api/v1/leads/{leads['zhang']}/tags", {"tags": ["vip"]})
    sessions: list[ConsoleSession] = []

    def login(email: str) -> ConsoleSession:
        sessions.append(open_session(api, email))
        return sessions[-1]

    yield {
        "tenant_id": tenant_id, "token": token, "leads": leads, "login": login,
        "marketer": marketer, "sales": sales, "sales_id": sales_id,
        "colleague_id": colleague_id,
    }  # fmt: skip
    for session in sessions:
        session.close()


def test_filters_narrow_the_list_to_the_ids_the_api_answers(api: Api, company: Any) -> None:
    session = company["login"](company["marketer"])
    token, leads = company["token"], company["leads"]
    for params in (
        {},
        {"q": "alpha"},
        {"status": "contacted"},
        {"tag": "vip"},
        {"source_level1": "form"},
        {"owner_id": company["sales_id"]},
        {"pool_state": "pool"},
        {"q": "nobody-matches"},
    ):
        assert _listed(session, params) == _api_ids(api, token, params), params
    assert _listed(session, {"q": "alpha"}) == [leads["wang"], leads["zhang"]]
    assert _listed(session, {"sort": "-updated_at"})[0] == leads["zhang"]  # tagged last
    assert "没有符合条件的线索" in session.client.get("/console/leads?q=nobody").text
    bad = session.client.get("/console/leads", params={"created_from": "yesterday"})
    assert bad.status_code == 422 and "text/html" in bad.headers["content-type"]
    # A filter change swaps only the table (HTMX), with the export link of that filter.
    swapped = session.client.get(
        "/console/leads",
        params={"tag": "vip"},
        headers={"HX-Request": "true", "HX-Target": "leads"},
    )
    assert swapped.text.lstrip().startswith('<div id="leads"')
    assert 'href="/console/leads/export?tag=vip"' in swapped.text
    session.client.cookies.set("huoke_lang", "en", path="/console")
    english = session.client.get("/console/leads", params={"q": "nobody"}).text
    assert "No leads match" in english and "Export this filter (XLSX)" in english


def test_a_sales_employee_sees_only_their_own_leads(api: Api, company: Any) -> None:
    session = company["login"](company["sales"])
    leads = company["leads"]
    assert _listed(session) == [leads["zhang"]]
    assert _listed(session, {"q": "li"}) == []
    own = session.client.get(f"/console/leads/{leads['zhang']}")
    assert own.status_code == 200 and "张伟" in own.text
    for path in ("", "/edit", "/assign", "/release", "/follow-up", "/close", "/tags"):
        colleague = session.client.get(f"/console/leads/{leads['li']}{path}")
        assert colleague.status_code == 404, path
        assert "页面不存在" in colleague.text
    refused = session.post(f"/console/leads/{leads['li']}/follow-up", {"note": "打过电话"})
    assert refused.status_code == 404
    # Sales may not export (LEAD: never delete or export): the 403 page.
    assert session.client.get("/console/leads/export").status_code == 403
    # A follow-up on their own lead is recorded, and shown on its page with the note.
    done = session.post(f"/console/leads/{leads['zhang']}/follow-up", {"note": "电话沟通需求"})
    assert done.status_code == 303, done.text
    shown = session.client.get(f"/console/leads/{leads['zhang']}").text
    assert "电话沟通需求" in shown and "跟进中" in shown


def test_creating_with_a_bad_mobile_shows_the_error_and_creates_nothing(
    api: Api, company: Any
) -> None:
    session = company["login"](company["marketer"])
    before = _api_ids(api, company["token"], {})
    answer = session.post("/console/leads/new", {"name": "坏号码", "mobile": "12ab"})
    assert answer.status_code == 422
    assert 'id="e-mobile"' in answer.text and 'aria-invalid="true"' in answer.text
    assert 'value="坏号码"' in answer.text  # what was typed is kept
    assert _api_ids(api, company["token"], {}) == before
    created = session.post(
        "/console/leads/new",
        {"name": "新客户", "mobile": "13600136000", "owner_id": company["sales_id"]},
    )
    assert created.status_code == 303, created.text
    lead_id = created.headers["location"].rsplit("/", 1)[-1]
    assert _api_ids(api, company["token"], {"q": "新客户"}) == [lead_id]
    page = session.client.get(f"/console/leads/{lead_id}").text
    assert "销售小李" in page and "+8613600136000" in page


def test_edit_assign_release_and_close_with_reasons_on_the_history(api: Api, company: Any) -> None:
    session = company["login"](company["marketer"])
    lead_id = company["leads"]["wang"]
    edit = session.client.get(f"/console/leads/{lead_id}/edit")
    version = re.search(r'name="version" value="(\d+)"', edit.text)
    assert version
    saved = session.post(
        f"/console/leads/{lead_id}/edit",
        {"version": version.group(1), "name": "王强", "city": "杭州", "company": ""},
    )
    assert saved.status_code == 303, saved.text
    lead = api.client.get(f"/api/v1/leads/{lead_id}", headers=api.key(company["token"])).json()
    assert lead["profile"]["city"] == "杭州" and "company" not in lead["profile"]
    assert session.client.get(f"/console/leads/{lead_id}/assign").status_code == 200
    missing = session.post(f"/console/leads/{lead_id}/assign", {})
    assert missing.status_code == 422 and 'id="e-owner_id"' in missing.text
    assigned = session.post(
        f"/console/leads/{lead_id}/assign", {"owner_id": company["colleague_id"]}
    )
    assert assigned.status_code == 303
    no_reason = session.post(f"/console/leads/{lead_id}/release", {"reason": ""})
    assert no_reason.status_code == 422 and 'id="e-reason"' in no_reason.text
    released = session.post(f"/console/leads/{lead_id}/release", {"reason": "客户要求换人"})
    assert released.status_code == 303
    closed = session.post(
        f"/console/leads/{lead_id}/close", {"outcome": "lost", "reason": "预算取消"}
    )
    assert closed.status_code == 303
    again = session.post(f"/console/leads/{lead_id}/close", {"outcome": "won", "reason": "x"})
    assert again.status_code == 422  # already closed: the refusal on the form
    lead = api.client.get(f"/api/v1/leads/{lead_id}", headers=api.key(company["token"])).json()
    assert (lead["pool_state"], lead["owner_id"]) == ("lost", None)
    page = session.client.get(f"/console/leads/{lead_id}").text
    assert "客户要求换人" in page and "预算取消" in page and "变更历史" in page
    history = api.client.get(f"/api/v1/history/{lead_id}", headers=api.key(company["token"]))
    reasons = {e["type"]: e["reason"] for e in history.json()}
    assert reasons["leads.Lead.ReleasedToPool"] == "客户要求换人"


def test_bulk_assign_changes_owners_and_bulk_tags_tag(api: Api, company: Any) -> None:
    session = company["login"](company["marketer"])
    leads, token = company["leads"], company["token"]
    chosen = [leads["li"], leads["wang"]]
    step = session.post("/console/leads/bulk/assign", {"ids[]": chosen})
    assert step.status_code == 200 and "2 条线索" in step.text
    done = session.post(
        "/console/leads/bulk/assign",
        {"step": "confirmed", "lead_ids": ",".join(chosen), "owner_id": company["sales_id"]},
    )
    assert done.status_code == 303, done.text
    assert sorted(_api_ids(api, token, {"owner_id": company["sales_id"]})) == sorted(
        [*chosen, leads["zhang"]]
    )
    tagged = session.post(
        "/console/leads/bulk/add_tags",
        {"step": "confirmed", "lead_ids": ",".join(chosen), "tags": "展会, 2026"},
    )
    assert tagged.status_code == 303
    assert sorted(_api_ids(api, token, {"tag": "展会"})) == sorted(chosen)
    nothing = session.post("/console/leads/bulk/add_tags", {"step": "confirmed"})
    assert nothing.status_code == 303  # nothing chosen: back to the list with a notice
    no_tags = session.post(
        "/console/leads/bulk/add_tags", {"step": "confirmed", "lead_ids": chosen[0]}
    )
    assert no_tags.status_code == 422 and 'id="e-tags"' in no_tags.text
    status = session.post(
        "/console/leads/bulk/change_status",
        {"step": "confirmed", "lead_ids": leads["wang"], "status": "contacted"},
    )
    assert status.status_code == 303
    assert sorted(_api_ids(api, token, {"status": "contacted"})) == sorted(chosen)
    no_reason = session.post(
        "/console/leads/bulk/delete", {"step": "confirmed", "lead_ids": leads["wang"]}
    )
    assert no_reason.status_code == 422 and 'id="e-reason"' in no_reason.text
    deleted = session.post(
        "/console/leads/bulk/delete",
        {"step": "confirmed", "lead_ids": leads["wang"], "reason": "测试数据"},
    )
    assert deleted.status_code == 303
    assert leads["wang"] not in _api_ids(api, token, {})


def test_export_downloads_the_filtered_rows_as_xlsx(api: Api, company: Any) -> None:
    session = company["login"](company["marketer"])
    answer = session.client.get("/console/leads/export", params={"q": "alpha"})
    assert answer.status_code == 200, answer.text
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    chinese = unquote(disposition.split("filename*=UTF-8''", 1)[1])
    assert chinese.startswith("线索导出-") and chinese.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    ids = [row[0] for row in rows[1:]]
    assert ids == _api_ids(api, company["token"], {"q": "alpha"})
    assert {row[1] for row in rows[1:]} == {"张伟", "王强"}


def test_another_tenants_lead_is_the_404_page(api: Api, company: Any) -> None:
    _, other = api.tenant_with_key("tenant_admin")
    theirs = _lead(api, other, name="别家客户", email="x@other.cn")
    session = company["login"](company["marketer"])
    for path in ("", "/edit", "/assign", "/release", "/follow-up", "/close", "/tags"):
        answer = session.client.get(f"/console/leads/{theirs}{path}")
        assert answer.status_code == 404, path
    assert session.client.get(f"/console/leads/{uuid.uuid4()}").status_code == 404
    bulk = session.post(
        "/console/leads/bulk/add_tags",
        {"step": "confirmed", "lead_ids": theirs, "tags": "偷看"},
    )
    assert bulk.status_code == 303
    lead = api.client.get(f"/api/v1/leads/{theirs}", headers=api.key(other)).json()
    assert lead["tags"] == []
    assert theirs not in _listed(session)


def test_a_role_without_leads_gets_the_403_page(api: Api, company: Any) -> None:
    _, email = employee_login(api, company["token"], "auditor")
    session = company["login"](email)
    assert session.client.get("/console/leads").status_code == 200  # auditors read
    assert session.client.get("/console/leads/new").status_code == 403
    refused = session.post("/console/leads/new", {"name": "x", "mobile": "13500135000"})
    assert refused.status_code == 403
