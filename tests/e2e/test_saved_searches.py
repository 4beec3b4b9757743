"""Saved searches and filter trees in the lead list (SEG-2, issue 16 item 1): custom
fields, OR and ranges through `GET /api/v1/leads`, a saved search by id, errors that
name the bad node, and the data scope kept — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Api

WRITE = {"Prefer": "read-your-writes"}


def _post(api: Api, token: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.client.post(url, json=body, headers={**api.key(token), **WRITE})
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def _names(api: Api, token: str, **params: Any) -> list[str]:
    answer = api.client.get("/api/v1/leads", params=params, headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return [item["name"] for item in answer.json()["items"]]


def _tree(api: Api, token: str, tree: dict[str, Any], **params: Any) -> list[str]:
    return _names(api, token, filter=json.dumps(tree, ensure_ascii=False), **params)


@pytest.fixture
def tenant(api: Api) -> dict[str, Any]:
    """Four leads with custom fields (text and number), tags and an owner."""
    _, token = api.tenant_with_key("tenant_admin")
    fields = "/api/v1/lead-settings/custom-fields"
    _post(api, token, fields, {"key": "industry", "name": "行业", "type": "text"})
    _post(api, token, fields, {"key": "staff", "name": "员工数", "type": "number"})
    owner = _post(api, token, "/api/v1/employees", {"name": "王芳", "roles": ["sales"]})
    rows = [
        ("张伟", "13800138001", {"industry": "制造业", "staff": 120}, None),
        ("李娜", "13900139002", {"industry": "零售", "staff": 15}, owner["id"]),
        ("王强", "13700137003", {"industry": "制造业", "staff": 8}, owner["id"]),
        ("赵敏", "13600136004", {}, None),
    ]
    for name, mobile, custom, owner_id in rows:
        body: dict[str, Any] = {"name": name, "mobile": mobile, "custom": custom}
        if owner_id:
            body["owner_id"] = owner_id
        _post(api, token, "/api/v1/leads", body)
    return {"token": token, "owner": owner}


def test_a_tree_filters_on_custom_fields_with_or_and_ranges(
    api: Api, tenant: dict[str, Any]
) -> None:
    token = tenant["token"]
    manufacturing = {"field": "custom.industry", "op": "equals", "value": "制造业"}
    assert _tree(api, token, manufacturing) == ["王强", "张伟"]
    big = {"field": "custom.staff", "op": "range", "value": {"from": 100}}
    small = {"field": "custom.staff", "op": "range", "value": {"to": 10}}
    assert _tree(api, token, {"any": [big, small]}) == ["王强", "张伟"]
    retail_or_big = {"any": [{"field": "custom.industry", "op": "equals", "value": "零售"}, big]}
    assert _tree(api, token, retail_or_big) == ["李娜", "张伟"]
    no_industry = {"field": "custom.industry", "op": "empty", "value": True}
    assert _tree(api, token, no_industry) == ["赵敏"]
    owned = {"field": "owner_id", "op": "equals", "value": tenant["owner"]["id"]}
    assert _tree(api, token, {"all": [manufacturing, owned]}) == ["王强"]
    # paging by cursor walks the same order
    first = api.client.get(
        "/api/v1/leads",
        params={"filter": json.dumps({"all": []}), "limit": 3},
        headers=api.key(token),
    ).json()
    rest = _names(api, token, filter=json.dumps({"all": []}), cursor=first["next_cursor"])
    assert [item["name"] for item in first["items"]] + rest == ["赵敏", "王强", "李娜", "张伟"]


def test_a_saved_search_lists_what_its_tree_selects_and_follows_revisions(
    api: Api, tenant: dict[str, Any]
) -> None:
    token = tenant["token"]
    tree = {"field": "custom.industry", "op": "equals", "value": "制造业"}
    saved = _post(api, token, "/api/v1/saved-searches", {"name": "制造业客户", "filter": tree})
    assert saved["filter"] == tree
    assert _names(api, token, saved_search_id=saved["id"]) == ["王强", "张伟"]
    listed = api.client.get("/api/v1/saved-searches", headers=api.key(token)).json()
    assert [item["name"] for item in listed["items"]] == ["制造业客户"]
    revised = api.client.patch(
        f"/api/v1/saved-searches/{saved['id']}",
        json={"filter": {"field": "custom.industry", "op": "equals", "value": "零售"}},
        headers={**api.key(token), "If-Match": f'"{saved["version"]}"', **WRITE},
    )
    assert revised.status_code == 200, revised.text
    assert _names(api, token, saved_search_id=saved["id"]) == ["李娜"]
    twin = api.client.post(
        "/api/v1/saved-searches",
        json={"name": "制造业客户", "filter": tree},
        headers={**api.key(token), **WRITE},
    )
    assert twin.status_code == 409, twin.text
    gone = api.client.delete(
        f"/api/v1/saved-searches/{saved['id']}",
        headers={**api.key(token), "If-Match": f'"{revised.json()["version"]}"', **WRITE},
    )
    assert gone.status_code == 200, gone.text
    answer = api.client.get(
        "/api/v1/leads", params={"saved_search_id": saved["id"]}, headers=api.key(token)
    )
    assert (answer.status_code, answer.json()["field"]) == (422, "saved_search_id")


def test_a_bad_tree_answers_422_naming_the_path_and_saves_nothing(
    api: Api, tenant: dict[str, Any]
) -> None:
    token = tenant["token"]
    good = {"field": "city", "op": "equals", "value": "北京"}
    for tree, path in [
        ({"all": [good, {"field": "city", "op": "explode", "value": 1}]}, "filter.all[1]"),
        ({"any": [good, {"field": "custom.Bad-Key", "op": "equals", "value": 1}]}, "filter.any[1]"),
        (
            {"all": [{"field": "name; DROP TABLE leads", "op": "equals", "value": 1}]},
            "filter.all[0]",
        ),
        ({"behaviour": {"kind": "teleport"}, "did": True}, "filter.behaviour"),
    ]:
        answer = api.client.get(
            "/api/v1/leads", params={"filter": json.dumps(tree)}, headers=api.key(token)
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"].startswith(path), answer.json()
        saved = api.client.post(
            "/api/v1/saved-searches",
            json={"name": "坏的", "filter": tree},
            headers={**api.key(token), **WRITE},
        )
        assert saved.status_code == 422, saved.text
        assert saved.json()["field"].startswith(path), saved.json()
    listed = api.client.get("/api/v1/saved-searches", headers=api.key(token)).json()
    assert listed["items"] == []
    not_json = api.client.get("/api/v1/leads", params={"filter": "{"}, headers=api.key(token))
    assert (not_json.status_code, not_json.json()["field"]) == (422, "filter")
    mixed = api.client.get(
        "/api/v1/leads",
        params={"filter": json.dumps(good), "status": "new"},
        headers=api.key(token),
    )
    assert (mixed.status_code, mixed.json()["field"]) == (422, "status")
    # a value is only ever a parameter: a quote in it finds nothing and breaks nothing
    inert = {"field": "name", "op": "equals", "value": "张伟' OR '1'='1"}
    assert _tree(api, token, inert) == []


def test_a_tree_never_widens_a_sales_keys_scope(api: Api, tenant: dict[str, Any]) -> None:
    token = tenant["token"]
    answer = api.client.post(
        "/api/v1/api-keys",
        json={"name": "销售", "roles": ["sales"], "employee_id": tenant["owner"]["id"]},
        headers={**api.key(token), **WRITE},
    )
    assert answer.status_code == 201, answer.text
    sales = answer.json()["token"]
    assert _tree(api, sales, {"all": []}) == ["王强", "李娜"]
    assert _tree(api, sales, {"field": "custom.staff", "op": "range", "value": {"from": 100}}) == []
