"""Bulk actions on chosen leads and the XLSX export (LEAD-10), inside data scopes (ORG-2)."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from openpyxl import load_workbook

from application.leads import bulk
from tests.conftest import Api

WRITE = {"Prefer": "read-your-writes"}


def _lead(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    answer = api.client.post("/api/v1/leads", json=fields, headers={**api.key(token), **WRITE})
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["lead"])


def _bulk(api: Api, token: str, **body: Any) -> Any:
    return api.client.post("/api/v1/leads/bulk", json=body, headers={**api.key(token), **WRITE})


def _get(api: Api, token: str, lead_id: str) -> dict[str, Any]:
    answer = api.client.get(f"/api/v1/leads/{lead_id}", headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _results(answer: Any) -> dict[str, str]:
    assert answer.status_code == 200, answer.text
    return {item["lead_id"]: item["result"] for item in answer.json()["results"]}


def test_tags_go_on_every_own_lead_and_other_tenants_ids_are_not_found(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    _, other = api.tenant_with_key("tenant_admin")
    mine = [_lead(api, token, email=f"m{n}@bulk.cn")["id"] for n in range(3)]
    theirs = _lead(api, other, email="t@bulk.cn")["id"]
    missing = str(uuid.uuid4())

    answer = _bulk(
        api, token, action="add_tags", lead_ids=[*mine, theirs, missing],
        arguments={"tags": ["vip", " 展会 "]},
    )  # fmt: skip

    assert _results(answer) == {
        **dict.fromkeys(mine, "ok"), theirs: "not_found", missing: "not_found"
    }  # fmt: skip
    assert (answer.json()["ok"], answer.json()["not_found"]) == (3, 2)
    assert all(_get(api, token, lead_id)["tags"] == ["vip", "展会"] for lead_id in mine)
    assert _get(api, other, theirs)["tags"] == []  # the other tenant's lead is untouched
    listed = api.client.get("/api/v1/leads", params={"tag": "展会"}, headers=api.key(token))
    assert sorted(item["id"] for item in listed.json()["items"]) == sorted(mine)
    settings = api.client.get("/api/v1/lead-settings", headers=api.key(token)).json()
    known = {tag["name"] for group in settings["tag_groups"] for tag in group["tags"]}
    assert {"vip", "展会"} <= known  # new tags join the tenant's tags (SEG-4), once

    removed = _bulk(
        api, token, action="remove_tags", lead_ids=mine[:2], arguments={"tags": ["vip"]}
    )
    assert set(_results(removed).values()) == {"ok"}
    assert [_get(api, token, lead_id)["tags"] for lead_id in mine] == [
        ["展会"], ["展会"], ["vip", "展会"],
    ]  # fmt: skip


def test_a_refused_lead_is_reported_and_the_others_still_change(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    kept, gone = (_lead(api, token, email=f"{n}@refuse.cn")["id"] for n in ("kept", "gone"))
    deleted = _bulk(api, token, action="delete", lead_ids=[gone], arguments={"reason": "spam"})
    assert _results(deleted) == {gone: "ok"}

    answer = _bulk(
        api, token, action="change_status", lead_ids=[kept, gone],
        arguments={"status": "qualified"},
    )  # fmt: skip

    outcomes = {item["lead_id"]: item for item in answer.json()["results"]}
    assert outcomes[kept]["result"] == "ok" and outcomes[gone]["result"] == "refused"
    assert "deleted" in outcomes[gone]["reason"]
    assert _get(api, token, kept)["status"] == "qualified"
    assert _get(api, token, gone)["status"] == "new"


def test_deleting_in_bulk_frees_the_identities(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    lead = _lead(api, token, mobile="13800138111", name="旧")
    answer = _bulk(api, token, action="delete", lead_ids=[lead["id"]], arguments={"reason": "x"})
    assert _results(answer) == {lead["id"]: "ok"}
    assert _get(api, token, lead["id"])["deleted"] is True
    again = _lead(api, token, mobile="13800138111", name="新")
    assert again["id"] != lead["id"]


def test_source_changes_and_group_listing_are_idempotent(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    lead_id = _lead(api, token, email="src@bulk.cn", source={"level1": "form"})["id"]
    answer = _bulk(
        api, token, action="change_source", lead_ids=[lead_id],
        arguments={"source": {"level1": "expo", "level2": "booth 7"}},
    )  # fmt: skip
    assert _results(answer) == {lead_id: "ok"}
    listed = api.client.get(
        "/api/v1/leads", params={"source_level2": "booth 7"}, headers=api.key(token)
    )
    assert [item["id"] for item in listed.json()["items"]] == [lead_id]

    unknown = _bulk(
        api, token, action="add_to_group", lead_ids=[lead_id],
        arguments={"group_id": str(uuid.uuid4())},
    )  # fmt: skip
    assert unknown.status_code == 422 and unknown.json()["field"] == "arguments.group_id"
    formed = api.client.post("/api/v1/groups", json={"name": "展会"}, headers=api.key(token))
    group = {"group_id": formed.json()["id"]}
    before = api.event_positions()
    first = _bulk(api, token, action="add_to_group", lead_ids=[lead_id], arguments=group)
    middle = api.event_positions()
    second = _bulk(api, token, action="add_to_group", lead_ids=[lead_id], arguments=group)
    assert _results(first) == _results(second) == {lead_id: "ok"}
    assert middle["segments"] == before["segments"] + 2  # one membership opened and joined
    assert api.event_positions() == middle


def test_a_filter_selects_the_leads_and_a_cursor_continues(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "MAX_BULK", 2)
    _, token = api.tenant_with_key("tenant_admin")
    cold = [_lead(api, token, email=f"c{n}@f.cn", status="contacted")["id"] for n in range(3)]
    warm = _lead(api, token, email="w@f.cn", status="unqualified")["id"]
    body = {"action": "add_tags", "filter": {"status": "contacted"}, "arguments": {"tags": ["x"]}}

    first = _bulk(api, token, **body)
    rest = _bulk(api, token, **body, cursor=first.json()["next_cursor"])

    assert list(_results(first)) == [cold[2], cold[1]]  # newest first, as listed
    assert list(_results(rest)) == [cold[0]] and rest.json()["next_cursor"] is None
    assert _get(api, token, warm)["tags"] == []


def test_bad_requests_name_the_field_and_change_nothing(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    lead_id = _lead(api, token, email="bad@bulk.cn")["id"]
    before = api.event_positions()
    for body, field in [
        ({"action": "add_tags", "lead_ids": [lead_id]}, "arguments.tags"),
        ({"action": "delete", "lead_ids": [lead_id], "arguments": {}}, "arguments.reason"),
        ({"action": "add_tags", "arguments": {"tags": ["a"]}}, "lead_ids"),
        ({"action": "add_tags", "lead_ids": [lead_id], "arguments": {"tags": ["a,b"]}},
         "arguments.tags"),
        ({"action": "change_source", "lead_ids": [lead_id],
          "arguments": {"source": {"planet": "mars"}}}, "arguments.source.planet"),
        ({"action": "add_tags", "lead_ids": [lead_id] * 501, "arguments": {"tags": ["a"]}},
         "lead_ids"),
        ({"action": "promote", "lead_ids": [lead_id]}, "action"),
        ({"action": "change_status", "lead_ids": [lead_id],
          "arguments": {"status": "martian"}}, "arguments.status"),  # not the tenant's
    ]:  # fmt: skip
        answer = _bulk(api, token, **body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["field"] == field, (body, answer.json())
    assert api.event_positions() == before


def test_sales_keys_act_only_on_their_own_leads_and_may_not_delete(api: Api) -> None:
    tenant_id, admin = api.tenant_with_key("tenant_admin")
    employee = api.client.post(
        "/api/v1/employees", json={"name": "销售", "roles": ["sales"]},
        headers={**api.key(admin), **WRITE},
    ).json()  # fmt: skip
    sales = api.new_key(tenant_id, "sales", employee_id=employee["id"])
    own = _lead(api, admin, email="own@s.cn", owner_id=employee["id"])["id"]
    pool = _lead(api, admin, email="pool@s.cn")["id"]
    catalogued = api.client.post(  # sales tag with the tenant's tags (SEG-4)
        "/api/v1/lead-settings/tags", json={"name": "t"}, headers={**api.key(admin), **WRITE}
    )
    assert catalogued.status_code == 201, catalogued.text

    answer = _bulk(api, sales, action="add_tags", lead_ids=[own, pool], arguments={"tags": ["t"]})
    refused = _bulk(api, sales, action="delete", lead_ids=[own], arguments={"reason": "x"})

    assert _results(answer) == {own: "ok", pool: "not_found"}
    assert _get(api, admin, pool)["tags"] == []
    assert refused.status_code == 403


def _sheet(answer: Any) -> list[list[Any]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in answer.headers["content-disposition"]
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_the_export_escapes_formulas_and_keeps_plain_values(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    _lead(
        api,
        token,
        mobile="13800138222",
        name='=HYPERLINK("http://evil.test","点我")',
        company=" +cmd|' /C calc'!A0",
        city="\t=1+1",
        title="@SUM(A1)",
        email="x@export.cn",
    )
    _lead(api, token, email="plain@export.cn", name="-", company="Acme-2 (上海)")  # fmt: skip

    rows = _sheet(api.client.get("/api/v1/leads/export", headers=api.key(token)))

    header, plain, evil = rows[0], dict(zip(rows[0], rows[1], strict=True)), rows[2]
    cells = dict(zip(header, evil, strict=True))
    assert cells["name"] == '\'=HYPERLINK("http://evil.test","点我")'
    assert cells["company"] == "'+cmd|' /C calc'!A0"  # trimmed by intake, still escaped
    assert cells["city"] == "'=1+1"  # intake trims the tab; the formula stays inert
    assert cells["title"] == "'@SUM(A1)"
    assert cells["mobile"] == "+8613800138222"  # a number computes nothing: left readable
    assert (plain["name"], plain["company"]) == ("'-", "Acme-2 (上海)")
    live = [k for k, v in cells.items() if isinstance(v, str) and v.startswith(("=", "+", "@"))]
    assert live == ["mobile"]


def test_the_export_holds_only_the_leads_in_scope_and_sales_may_not_export(api: Api) -> None:
    tenant_id, admin = api.tenant_with_key("tenant_admin")
    headers = {**api.key(admin), **WRITE}
    team = api.client.post("/api/v1/departments", json={"name": "华东"}, headers=headers).json()
    people = {
        who: api.client.post(
            "/api/v1/employees", headers=headers,
            json={"name": who, "roles": [role], **({"department_id": team["id"]} if dept else {})},
        ).json()
        for who, role, dept in [("经理", "sales_manager", True), ("组员", "sales", True),
                                ("外人", "sales", False)]
    }  # fmt: skip
    for who, person in people.items():
        _lead(api, admin, name=who, email=f"{person['id']}@scope.cn", owner_id=person["id"])
    _lead(api, admin, name="公海", email="pool@scope.cn", status="unqualified")
    manager = api.new_key(tenant_id, "sales_manager", employee_id=people["经理"]["id"])
    seller = api.new_key(tenant_id, "sales", employee_id=people["组员"]["id"])

    def names(token: str, **params: str) -> list[str]:
        answer = api.client.get("/api/v1/leads/export", params=params, headers=api.key(token))
        return sorted(row[1] for row in _sheet(answer)[1:])

    assert names(manager) == ["组员", "经理"]
    assert names(admin) == ["公海", "外人", "组员", "经理"]
    assert names(admin, status="unqualified") == ["公海"]
    refused = api.client.get("/api/v1/leads/export", headers=api.key(seller))
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
