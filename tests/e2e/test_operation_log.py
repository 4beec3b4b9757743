"""The operation log (AUD-4): a read model following every application that lists who
changed which configuration, for tenant admins and auditors, newest first."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api

REASON = "%E5%AE%A1%E8%AE%A1%E8%A6%81%E6%B1%82"  # 审计要求, percent-encoded UTF-8


def _configure(api: Api, token: str) -> dict[str, Any]:
    """A tenant admin changes keys, roles, fields and tags; and makes a lead (no config)."""
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    key = api.client.post(
        "/api/v1/api-keys",
        json={"name": "同步", "roles": ["marketer"]},
        headers={**headers, "X-Reason": REASON},
    )
    field = api.client.post(
        "/api/v1/lead-settings/custom-fields",
        json={"key": "budget", "name": "预算", "type": "number"},
        headers=headers,
    )
    group = api.client.post(
        "/api/v1/lead-settings/tag-groups", json={"name": "行业"}, headers=headers
    )
    employee = api.client.post(
        "/api/v1/employees", json={"name": "韩梅梅", "roles": ["sales"]}, headers=headers
    )
    roles = api.client.patch(
        f"/api/v1/employees/{employee.json()['id']}",
        json={"roles": ["sales_manager"]},
        headers={**headers, "If-Match": '"1"'},
    )
    lead = api.client.post("/api/v1/leads", json={"mobile": "13912345678"}, headers=headers)
    for answer in (key, field, group, employee, roles, lead):
        assert answer.status_code in (200, 201), answer.text
    return {"key_id": key.json()["id"], "employee_id": employee.json()["id"]}


def test_configuration_changes_are_listed_with_who_when_and_why(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    made = _configure(api, token)
    caller_key = api.client.get("/api/v1/api-keys", headers=api.key(token)).json()["items"]
    admin_key_id = next(k["id"] for k in caller_key if k["id"] != made["key_id"])

    answer = api.client.get("/api/v1/operation-log", headers=api.key(token))

    assert answer.status_code == 200, answer.text
    entries = answer.json()["items"]
    topics = [entry["topic"] for entry in entries]
    assert topics == [  # newest first; the lead made last is no configuration
        "org.Employee.RolesGranted",
        "org.Employee.Hired",
        "leads.LeadSettings.TagGroupAdded",
        "leads.LeadSettings.CustomFieldDefined",
        "tenancy.ApiKey.Issued",  # by the tenant admin
        "tenancy.ApiKey.Issued",  # the tenant admin's own key, by staff
        "tenancy.Tenant.Registered",
    ]
    issued = next(entry for entry in entries if entry["topic"] == "tenancy.ApiKey.Issued")
    assert issued["record_id"] == made["key_id"]
    assert issued["actor_kind"] == "api_key" and issued["actor_id"] == admin_key_id
    assert issued["reason"] == "审计要求"
    assert issued["summary"].startswith("API 密钥签发")
    assert "secret_hash" not in issued["changes"] and issued["changes"]["roles"] == ["marketer"]
    hired = next(entry for entry in entries if entry["topic"] == "org.Employee.Hired")
    assert hired["changes"]["name"] == "韩梅梅" and "mobile" not in hired["changes"]
    registered = entries[-1]
    assert registered["record_id"] == tenant_id and registered["actor_kind"] == "staff"


def test_the_log_filters_by_topic_record_and_pages_with_a_cursor(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    made = _configure(api, token)
    headers = api.key(token)

    settings = api.client.get(
        "/api/v1/operation-log", params={"topic": "leads.LeadSettings"}, headers=headers
    ).json()["items"]
    employee = api.client.get(
        "/api/v1/operation-log", params={"record_id": made["employee_id"]}, headers=headers
    ).json()["items"]
    first = api.client.get("/api/v1/operation-log", params={"limit": 1}, headers=headers).json()
    second = api.client.get(
        "/api/v1/operation-log",
        params={"limit": 1, "cursor": first["next_cursor"]},
        headers=headers,
    ).json()

    assert {e["topic"] for e in settings} == {
        "leads.LeadSettings.CustomFieldDefined",
        "leads.LeadSettings.TagGroupAdded",
    }
    assert [e["topic"] for e in employee] == ["org.Employee.RolesGranted", "org.Employee.Hired"]
    assert len(first["items"]) == len(second["items"]) == 1
    assert first["items"][0]["id"] != second["items"][0]["id"]


def test_auditors_read_the_log_marketers_do_not_and_tenants_see_only_their_own(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    _configure(api, token)
    auditor = api.new_key(tenant_id, "auditor")
    marketer = api.new_key(tenant_id, "marketer")
    _, stranger = api.tenant_with_key("tenant_admin")

    seen_by_auditor = api.client.get("/api/v1/operation-log", headers=api.key(auditor))
    refused = api.client.get("/api/v1/operation-log", headers=api.key(marketer))
    seen_by_stranger = api.client.get("/api/v1/operation-log", headers=api.key(stranger))
    seen_by_staff = api.client.get(
        "/api/v1/admin/operation-log", params={"tenant_id": tenant_id}, headers=api.staff()
    )

    assert seen_by_auditor.status_code == 200 and len(seen_by_auditor.json()["items"]) >= 5
    assert refused.status_code == 403
    assert [e["topic"] for e in seen_by_stranger.json()["items"]] == [
        "tenancy.ApiKey.Issued",
        "tenancy.Tenant.Registered",
    ]
    assert tenant_id not in seen_by_stranger.text
    assert seen_by_staff.json()["items"] == seen_by_auditor.json()["items"][:20]
