"""History with actor/request id/reason; pagination; request ids; health; OpenAPI."""

from __future__ import annotations

from tests.conftest import Api


def test_history_records_actor_request_id_and_reason(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    renamed = api.client.patch(
        "/api/v1/tenant",
        json={"name": "Acme Holdings"},
        headers={
            **api.key(token),
            "If-Match": '"1"',
            "X-Request-Id": "req-rename-1",
            "X-Reason": "legal name changed",
        },
    )
    assert renamed.headers["x-request-id"] == "req-rename-1"

    history = api.client.get(f"/api/v1/history/{tenant_id}", headers=api.key(token)).json()

    assert [entry["type"] for entry in history] == [
        "tenancy.Tenant.Registered",
        "tenancy.Tenant.Renamed",
    ]
    registered, rename = history
    assert registered["actor"]["kind"] == "staff"
    assert rename["actor"]["kind"] == "api_key" and rename["actor"]["tenant_id"] == tenant_id
    assert rename["request_id"] == "req-rename-1"
    assert rename["reason"] == "legal name changed"
    assert rename["data"] == {"name": "Acme Holdings"}
    assert rename["version"] == 2


def test_history_hides_secret_hashes_and_other_tenants(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    key = api.client.post(
        "/api/v1/api-keys", json={"name": "k", "roles": ["sales"]}, headers=api.key(token)
    ).json()
    issued = api.client.get(f"/api/v1/history/{key['id']}", headers=api.key(token)).json()[0]
    assert issued["data"]["secret_hash"] == "[redacted]"

    _, other = api.tenant_with_key("auditor")
    assert api.client.get(f"/api/v1/history/{key['id']}", headers=api.key(other)).status_code == 404
    staff_view = api.client.get(f"/api/v1/admin/history/{key['id']}", headers=api.staff())
    assert staff_view.status_code == 200 and len(staff_view.json()) == 1


def test_lists_page_with_an_opaque_cursor(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    made = [
        api.client.post("/api/v1/departments", json={"name": f"部门{n}"}, headers=headers).json()[
            "id"
        ]
        for n in range(5)
    ]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/api/v1/departments", params=params, headers=api.key(token)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    bad = api.client.get(
        "/api/v1/departments", params={"cursor": "nonsense!"}, headers=api.key(token)
    )
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"
    too_many = api.client.get("/api/v1/departments", params={"limit": 1000}, headers=api.key(token))
    assert too_many.status_code == 422


def test_every_answer_carries_a_request_id(api: Api) -> None:
    answer = api.client.get("/api/v1/tenant")
    assert len(answer.headers["x-request-id"]) == 32
    assert answer.json()["request_id"] == answer.headers["x-request-id"]


def test_health_readiness_and_openapi(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200 and set(ready.json()["checks"].values()) == {"ok"}
    schema = api.client.get("/schema/openapi.json").json()
    assert "/api/v1/admin/tenants" in schema["paths"]
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert api.client.get("/schema/swagger").status_code == 200


def test_departments_form_a_tree_without_cycles(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    root = api.client.post("/api/v1/departments", json={"name": "总部"}, headers=headers).json()
    child = api.client.post(
        "/api/v1/departments", json={"name": "华东", "parent_id": root["id"]}, headers=headers
    ).json()
    cycle = api.client.patch(
        f"/api/v1/departments/{root['id']}",
        json={"move": True, "parent_id": child["id"]},
        headers={**headers, "If-Match": '"1"'},
    )
    assert cycle.status_code == 409
    busy = api.client.delete(
        f"/api/v1/departments/{root['id']}", headers={**headers, "If-Match": '"1"'}
    )
    assert busy.status_code == 409 and "1 sub-departments" in busy.json()["detail"]
    gone = api.client.delete(
        f"/api/v1/departments/{child['id']}", headers={**headers, "If-Match": '"1"'}
    )
    assert gone.status_code == 200 and gone.json()["dissolved"] is True
