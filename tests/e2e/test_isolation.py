"""Tenant isolation: another tenant's ids answer 404 (or 403), never data, on every route."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Api
from tests.e2e.routes import Route, api_routes


@pytest.fixture
def first_tenant(api: Api) -> dict[str, str]:
    """Tenant A with one of each record, all at version 1."""
    records = api.one_of_each()
    return {**records, "staff_id": records["tenant_id"]}


def test_every_route_hides_another_tenants_records(api: Api, first_tenant: dict[str, str]):
    _, intruder = api.tenant_with_key("tenant_admin")  # every permission, wrong tenant
    checked = []
    for route in api_routes(api.client.app):
        if route.is_write and route.method != "POST" and not route.parameters:
            continue  # PATCH /tenant acts on the caller's own tenant: covered below
        answer = _call(api, route, first_tenant, intruder)
        checked.append(route)
        if route.parameters or route.is_admin:
            assert answer.status_code in (403, 404), (route, answer.status_code, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
        _assert_reveals_nothing(route, answer.text, first_tenant)
    assert any(route.parameters for route in checked)
    _assert_untouched(api, first_tenant)


def test_own_tenant_routes_never_show_the_other_tenant(api: Api, first_tenant: dict[str, str]):
    _, intruder = api.tenant_with_key("tenant_admin")
    for route in api_routes(api.client.app):
        if route.parameters or route.is_admin:
            continue
        answer = _call(api, route, first_tenant, intruder)
        if route.refers_to_records:  # the sample names no record of the caller's
            # 404, or 422 naming the field that refers to the record it does not have
            referring = {key for key in route.body() or {} if key.endswith("_id")}
            refused = answer.status_code == 404 or (
                answer.status_code == 422 and answer.json().get("field") in referring
            )
            assert refused, (route, answer.text)
        else:  # or refused for the intruder's plan (no edition with the feature): no data
            assert answer.status_code < 300 or _plan_refused(answer), (route, answer.text)
        _assert_reveals_nothing(route, answer.text, first_tenant)


def test_references_to_another_tenants_records_are_refused(
    api: Api, first_tenant: dict[str, str]
) -> None:
    _, intruder = api.tenant_with_key("tenant_admin")
    for url, body, field in [
        (
            "/api/v1/departments",
            {"name": "x", "parent_id": first_tenant["department_id"]},
            "parent_id",
        ),
        (
            "/api/v1/employees",
            {"name": "x", "roles": ["sales"], "department_id": first_tenant["department_id"]},
            "department_id",
        ),
        (
            "/api/v1/api-keys",
            {"name": "x", "roles": ["sales"], "employee_id": first_tenant["employee_id"]},
            "employee_id",
        ),
    ]:
        answer = api.client.post(url, json=body, headers=api.key(intruder))
        assert answer.status_code == 422, (url, answer.text)
        assert answer.json()["field"] == field


def _plan_refused(answer: Any) -> bool:
    return answer.status_code == 403 and answer.json().get("code") == "subscription_inactive"


def _assert_untouched(api: Api, ids: dict[str, str]) -> None:
    owner = api.key(ids["token"])
    for url in (
        f"/api/v1/departments/{ids['department_id']}",
        f"/api/v1/employees/{ids['employee_id']}",
        f"/api/v1/api-keys/{ids['key_id']}",
        "/api/v1/tenant",
    ):
        answer = api.client.get(url, headers=owner)
        assert answer.status_code == 200 and answer.json()["version"] == 1, (url, answer.text)


def _call(api: Api, route: Route, ids: dict[str, str], token: str):
    headers = {**api.key(token), "If-Match": '"1"'}
    body = route.body() if route.is_write else None
    return api.client.request(route.method, route.url(ids), json=body, headers=headers)


def _assert_reveals_nothing(route: Route, text: str, ids: dict[str, str]) -> None:
    for name, value in ids.items():
        if name not in ("staff_id", "token"):
            assert value not in text or _only_echoed_path(text, value), (route, name)


def _only_echoed_path(text: str, value: str) -> bool:
    """A problem may echo the requested path (`instance`), nothing else."""
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and value in body.get("instance", "")
        and value not in str({k: v for k, v in body.items() if k not in ("instance", "detail")})
    )
