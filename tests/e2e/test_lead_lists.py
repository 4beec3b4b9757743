"""The lead list (LEAD-10): every filter, both sorts, cursor paging, and the data scopes
of ORG-2 (own, department subtree, company) on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

WRITE = {"Prefer": "read-your-writes"}


def _post(api: Api, token: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.client.post(url, json=body, headers={**api.key(token), **WRITE})
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def _lead(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    return dict(_post(api, token, "/api/v1/leads", fields)["lead"])


def _names(api: Api, token: str, **params: Any) -> list[str]:
    answer = api.client.get("/api/v1/leads", params=params, headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return [item["name"] for item in answer.json()["items"]]


@pytest.fixture
def catalogue(api: Api) -> dict[str, Any]:
    """A tenant with four leads that differ in every listed field (oldest first)."""
    tenant_id, token = api.tenant_with_key("tenant_admin")
    owner = _post(api, token, "/api/v1/employees", {"name": "王芳", "roles": ["sales"]})
    _post(api, token, "/api/v1/lead-settings/user-types", {"key": "supplier", "name": "供应商"})
    leads = [
        _lead(
            api, token, name="张伟", mobile="13800138001", email="zhang@alpha.cn",
            company="Alpha 科技", source={"level1": "wechat", "level2": "menu"},
        ),
        _lead(
            api, token, name="李娜", mobile="13900139002", email="Li.Na@Beta.com",
            company="Beta 贸易", status="contacted", owner_id=owner["id"],
            source={"level1": "form", "level2": "landing"},
        ),
        _lead(
            api, token, name="王强", email="wang@gamma.cn", company="Gamma_100%",
            user_type="supplier", source={"level1": "form", "level2": "expo"},
        ),
        _lead(api, token, name="赵敏", mobile="13700137004", company="Alpha 物流"),
    ]  # fmt: skip
    headers = {**api.key(token), **WRITE}
    for lead, tags in zip(leads, [["vip", "b2b"], ["vip"], ["b2b_x"], []], strict=True):
        if tags:
            api.client.post(
                f"/api/v1/leads/{lead['id']}/tags", json={"tags": tags}, headers=headers
            )
    return {"token": token, "tenant_id": tenant_id, "leads": leads, "owner": owner}


def test_each_filter_selects_exactly_its_leads(api: Api, catalogue: dict[str, Any]) -> None:
    token, owner_id = catalogue["token"], catalogue["owner"]["id"]
    expectations: list[tuple[dict[str, Any], list[str]]] = [
        ({}, ["赵敏", "王强", "李娜", "张伟"]),
        ({"q": "alpha"}, ["赵敏", "张伟"]),  # part of the company, any case
        ({"q": "娜"}, ["李娜"]),  # part of the name
        ({"q": "1380013900"}, []),  # not a fragment of any one mobile
        ({"q": "1390013"}, ["李娜"]),  # a fragment of the mobile
        ({"q": "li.na@"}, ["李娜"]),  # an e-mail prefix
        ({"q": "100%"}, ["王强"]),  # LIKE wildcards are searched for, not obeyed
        ({"q": "a_1"}, ["王强"]),
        ({"mobile": "13800138001"}, ["张伟"]),  # as typed finds the stored +86…
        ({"mobile": "+8613700137004"}, ["赵敏"]),
        ({"email": "LI.NA@beta.com"}, ["李娜"]),
        ({"tag": "vip"}, ["李娜", "张伟"]),
        ({"tag": "b2b"}, ["张伟"]),  # a whole tag, not a prefix of "b2b_x"
        ({"owner_id": owner_id}, ["李娜"]),
        ({"status": "contacted"}, ["李娜"]),
        ({"status": "new"}, ["赵敏", "王强", "张伟"]),
        ({"pool_state": "assigned"}, ["李娜"]),
        ({"pool_state": "pool"}, ["赵敏", "王强", "张伟"]),
        ({"source_level1": "form"}, ["王强", "李娜"]),
        ({"source_level1": "form", "source_level2": "expo"}, ["王强"]),
        ({"user_type": "supplier"}, ["王强"]),
        ({"tag": "vip", "status": "new"}, ["张伟"]),
    ]
    for params, names in expectations:
        assert _names(api, token, **params) == names, params


def test_created_between_selects_by_registration_time(api: Api, catalogue: dict[str, Any]) -> None:
    token, leads = catalogue["token"], catalogue["leads"]
    second, fourth = leads[1]["created_at"], leads[3]["created_at"]
    assert _names(api, token, created_from=second, created_to=fourth) == ["王强", "李娜"]
    assert _names(api, token, created_from=fourth) == ["赵敏"]


def test_a_bad_mobile_filter_names_the_field(api: Api, catalogue: dict[str, Any]) -> None:
    answer = api.client.get(
        "/api/v1/leads", params={"mobile": "12"}, headers=api.key(catalogue["token"])
    )
    assert answer.status_code == 422 and answer.json()["field"] == "mobile"


def test_sorting_by_last_change_puts_the_changed_lead_first(
    api: Api, catalogue: dict[str, Any]
) -> None:
    token, oldest = catalogue["token"], catalogue["leads"][0]
    changed = api.client.post(
        f"/api/v1/leads/{oldest['id']}/status",
        json={"status": "qualified"},
        headers={**api.key(token), **WRITE},
    )
    assert changed.status_code == 200, changed.text
    assert _names(api, token, sort="updated_at")[0] == "张伟"
    assert _names(api, token, sort="created_at")[0] == "赵敏"


def test_pages_walk_every_lead_once_in_order(api: Api, catalogue: dict[str, Any]) -> None:
    token = catalogue["token"]
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/api/v1/leads", params=params, headers=api.key(token)).json()
        seen += [item["name"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["赵敏", "王强", "李娜", "张伟"]
    bad = api.client.get("/api/v1/leads", params={"cursor": "nonsense"}, headers=api.key(token))
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"


def test_the_first_page_holds_twenty(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    for n in range(21):
        _lead(api, token, email=f"p{n}@page.cn", name=f"p{n}")
    page = api.client.get("/api/v1/leads", headers=api.key(token)).json()
    assert len(page["items"]) == 20 and page["next_cursor"]
    rest = api.client.get(
        "/api/v1/leads", params={"cursor": page["next_cursor"]}, headers=api.key(token)
    ).json()
    assert [item["name"] for item in rest["items"]] == ["p0"] and rest["next_cursor"] is None


@pytest.fixture
def sales_floor(api: Api) -> dict[str, Any]:
    """Departments 销售部 ⊃ 华东组, and 华南部 beside them; one lead per employee plus
    one in the pool; keys bound to a seller, the 销售部 manager and a marketer."""
    tenant_id, token = api.tenant_with_key("tenant_admin")
    sales = _post(api, token, "/api/v1/departments", {"name": "销售部"})
    east = _post(api, token, "/api/v1/departments", {"name": "华东组", "parent_id": sales["id"]})
    south = _post(api, token, "/api/v1/departments", {"name": "华南部"})
    people = {
        "manager": (sales, ["sales_manager"]),
        "seller": (east, ["sales"]),
        "colleague": (sales, ["sales"]),
        "stranger": (south, ["sales"]),
    }
    employees = {
        who: _post(
            api, token, "/api/v1/employees",
            {"name": who, "roles": roles, "department_id": department["id"]},
        )
        for who, (department, roles) in people.items()
    }  # fmt: skip
    leads = {
        who: _lead(api, token, name=who, email=f"{who}@floor.cn", owner_id=employee["id"])
        for who, employee in employees.items()
    }
    leads["pool"] = _lead(api, token, name="pool", email="pool@floor.cn")
    keys = {
        "seller": api.new_key(tenant_id, "sales", employee_id=employees["seller"]["id"]),
        "manager": api.new_key(tenant_id, "sales_manager", employee_id=employees["manager"]["id"]),
        "marketer": api.new_key(tenant_id, "marketer"),
        "unbound_sales": api.new_key(tenant_id, "sales"),
    }
    return {"keys": keys, "leads": leads, "employees": employees}


def test_each_key_lists_only_the_leads_in_its_data_scope(
    api: Api, sales_floor: dict[str, Any]
) -> None:
    keys = sales_floor["keys"]
    assert _names(api, keys["seller"]) == ["seller"]
    assert sorted(_names(api, keys["manager"])) == ["colleague", "manager", "seller"]
    assert sorted(_names(api, keys["marketer"])) == [
        "colleague", "manager", "pool", "seller", "stranger",
    ]  # fmt: skip
    assert _names(api, keys["unbound_sales"]) == []
    # A filter never widens the scope.
    stranger_id = sales_floor["employees"]["stranger"]["id"]
    assert _names(api, keys["manager"], owner_id=stranger_id) == []


def test_a_lead_outside_the_scope_is_not_found(api: Api, sales_floor: dict[str, Any]) -> None:
    keys, leads = sales_floor["keys"], sales_floor["leads"]
    for key, lead, status in [
        ("seller", "seller", 200),
        ("seller", "colleague", 404),
        ("seller", "pool", 404),
        ("manager", "seller", 200),
        ("manager", "stranger", 404),
        ("marketer", "stranger", 200),
    ]:
        answer = api.client.get(f"/api/v1/leads/{leads[lead]['id']}", headers=api.key(keys[key]))
        assert answer.status_code == status, (key, lead, answer.text)
