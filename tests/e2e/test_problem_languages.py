"""Problems speak the caller's language (Accept-Language): zh-CN titles and details from the
catalogue, English by default; the stable code, field and the rest never change."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


def _problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    return dict(answer.json())


def test_another_tenants_record_is_not_found_in_chinese(api: Api) -> None:
    _, owner = api.tenant_with_key("tenant_admin")
    department = api.client.post(
        "/api/v1/departments",
        json={"name": "销售部"},
        headers={**api.key(owner), "Prefer": "read-your-writes"},
    ).json()["id"]
    _, intruder = api.tenant_with_key("tenant_admin")
    url = f"/api/v1/departments/{department}"

    chinese = api.client.get(url, headers={**api.key(intruder), **CHINESE})
    english = api.client.get(url, headers=api.key(intruder))

    zh, en = _problem(chinese, 404), _problem(english, 404)
    assert chinese.headers["content-language"] == "zh-CN"
    assert zh["title"] == "未找到" and zh["detail"] == f"未找到部门 {department}"
    assert en["title"] == "Not found" and en["detail"] == f"no Department {department}"
    assert english.headers["content-language"] == "en"
    unchanged = {"type", "status", "code", "instance"}
    assert {key: zh[key] for key in unchanged} == {key: en[key] for key in unchanged}
    assert set(zh) == set(en)


def test_no_key_is_unauthenticated_in_chinese(api: Api) -> None:
    answer = api.client.get("/api/v1/departments", headers={"Accept-Language": "zh"})

    problem = _problem(answer, 401)
    assert problem["code"] == "unauthenticated"
    assert problem["title"] == "未认证"
    assert problem["detail"] == "请以 'Authorization: Bearer <key>' 的形式提供 API 密钥"
    assert answer.headers["content-language"] == "zh-CN"
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_validation_problem_names_the_field_and_explains_in_chinese(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    body = {"name": "x" * 500}

    chinese = api.client.post(
        "/api/v1/departments", json=body, headers={**api.key(token), "Accept-Language": "zh-Hans"}
    )
    english = api.client.post("/api/v1/departments", json=body, headers=api.key(token))

    zh, en = _problem(chinese, 422), _problem(english, 422)
    assert zh["code"] == en["code"] == "invalid_input"
    assert zh["field"] == en["field"] == "name"
    assert zh["title"] == "输入无效"
    assert zh["detail"].startswith("name：") and "字符" in zh["detail"]
    assert en["detail"].startswith("name: ") and "characters" in en["detail"]
    assert [error["field"] for error in zh["errors"]] == [error["field"] for error in en["errors"]]
    assert zh["errors"][0]["message"] == zh["detail"].removeprefix("name：")


def test_a_missing_field_is_named_in_chinese(api: Api) -> None:
    answer = api.client.post(
        "/api/v1/admin/tenants", json={"name": "x"}, headers={**api.staff(), **CHINESE}
    )

    problem = _problem(answer, 422)
    assert problem["field"] == "owner_name"
    assert problem["detail"] == "owner_name：必填字段"


def test_q_values_decide_and_english_wins_when_preferred(api: Api) -> None:
    answer = api.client.get("/api/v1/departments", headers={"Accept-Language": "zh;q=0.5, en;q=1"})

    problem = _problem(answer, 401)
    assert problem["title"] == "Unauthenticated"
    assert problem["detail"] == "send an API key as 'Authorization: Bearer <key>'"
    assert answer.headers["content-language"] == "en"


def test_english_by_default_is_unchanged(api: Api) -> None:
    _, sales = api.tenant_with_key("sales")

    answer = api.client.post(
        "/api/v1/api-keys", json={"name": "x", "roles": ["tenant_admin"]}, headers=api.key(sales)
    )

    problem = _problem(answer, 403)
    assert answer.headers["content-language"] == "en"
    assert problem["title"] == "Permission denied"
    assert problem["detail"] == "roles sales may not create access"


def test_a_permission_problem_in_chinese_keeps_roles_and_resource(api: Api) -> None:
    _, sales = api.tenant_with_key("sales")

    answer = api.client.post(
        "/api/v1/api-keys",
        json={"name": "x", "roles": ["tenant_admin"]},
        headers={**api.key(sales), **CHINESE},
    )

    problem = _problem(answer, 403)
    assert problem["code"] == "permission_denied"
    assert problem["title"] == "无权操作"
    assert problem["detail"] == "角色 sales 无权创建访问权限"
