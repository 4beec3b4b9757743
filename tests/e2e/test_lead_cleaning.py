"""Data cleaning over HTTP (LEAD-4): the duplicate queue, its scan, merges with a
field-by-field choice, dismissals, deletions, and automatic merge rules."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from typer.testing import CliRunner

from application.leads.commands import CreateLead
from application.leads.intake import offer_from
from application.leads.scope import LeadScope
from application.shared.context import RequestContext, acting
from application.tenancy.commands import RegisterTenant
from entrypoints.cli import app
from entrypoints.container import Runtime
from entrypoints.settings import Settings
from tests.conftest import Api

SAME_PERSON = {"name": "王 五", "company": "上海火客科技有限公司"}


def _headers(api: Api, token: str) -> dict[str, str]:
    return {**api.key(token), "Prefer": "read-your-writes"}


def _lead(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    answer = api.client.post("/api/v1/leads", json=fields, headers=_headers(api, token))
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["lead"])


def _scan(api: Api, token: str) -> dict[str, Any]:
    answer = api.client.post("/api/v1/lead-duplicates/scan", headers=_headers(api, token))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _queue(api: Api, token: str, status: str = "open") -> list[dict[str, Any]]:
    answer = api.client.get(
        f"/api/v1/lead-duplicates?status={status}", headers=_headers(api, token)
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def _report(api: Api, tenant_id: str, **fields: Any) -> list[UUID]:
    """What an import does with a row that matched a lead while "update existing" is off."""
    offer = offer_from(CreateLead(**fields))
    with acting(RequestContext(request_id="import-1", read_your_writes=True)):
        cases = api.runtime.container.lead_cleaning().duplicate_found(UUID(tenant_id), offer)
    return list(cases)


def test_a_scan_queues_one_person_at_one_company_once_despite_spelling(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    first = _lead(api, token, mobile="13800138001", **SAME_PERSON)
    second = _lead(api, token, mobile="13800138002", name="王五", company="上海火客")
    _lead(api, token, mobile="13800138003", name="王五", company="北京另一家公司")
    _lead(api, token, mobile="13800138004", name="赵六", company="上海火客科技有限公司")

    found = _scan(api, token)

    assert (found["examined"], found["opened"], found["already_queued"]) == (4, 1, 0)
    [case] = _queue(api, token)
    assert case["reason"] == "similar_name_company"
    assert set(case["lead_ids"]) == {first["id"], second["id"]}
    again = _scan(api, token)
    assert (again["opened"], again["already_queued"]) == (0, 1)
    assert len(_queue(api, token)) == 1


def test_merging_a_case_keeps_the_chosen_values_and_points_the_duplicate_at_the_survivor(
    api: Api,
) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    headers = _headers(api, token)
    older = _lead(api, token, mobile="13800138011", city="上海", **SAME_PERSON)
    newer = _lead(
        api, token, mobile="13800138012", email="wu@acme.cn", city="杭州", name="王五",
        company="上海火客",
    )  # fmt: skip
    api.client.post(f"/api/v1/leads/{newer['id']}/tags", json={"tags": ["vip"]}, headers=headers)
    _scan(api, token)
    [case] = _queue(api, token)

    merged = api.client.post(
        f"/api/v1/lead-duplicates/{case['id']}/merge",
        json={"survivor_id": older["id"], "chosen": {"city": "杭州"}},
        headers=headers,
    )

    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged" and merged.json()["survivor_id"] == older["id"]
    survivor = api.client.get(f"/api/v1/leads/{older['id']}", headers=headers).json()
    assert survivor["profile"]["city"] == "杭州"
    assert survivor["profile"]["name"] == "王 五"  # not chosen: the survivor's own
    assert {i["value"] for i in survivor["identities"]} == {
        "+8613800138011", "+8613800138012", "wu@acme.cn",
    }  # fmt: skip
    assert survivor["tags"] == ["vip"]
    gone = api.client.get(f"/api/v1/leads/{newer['id']}", headers=headers).json()
    assert gone["merged_into"] == older["id"]
    assert _queue(api, token) == []
    assert [c["id"] for c in _queue(api, token, "merged")] == [case["id"]]
    again = api.client.post(
        f"/api/v1/lead-duplicates/{case['id']}/dismiss", json={"reason": "x"}, headers=headers
    )
    assert again.status_code == 409
    # the merged-away mobile now finds the survivor
    matched = api.client.post("/api/v1/leads", json={"mobile": "13800138012"}, headers=headers)
    assert matched.json()["outcome"] == "matched"
    assert matched.json()["lead"]["id"] == older["id"]


def test_a_merge_must_name_one_of_the_case_leads(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    headers = _headers(api, token)
    _lead(api, token, mobile="13800138021", **SAME_PERSON)
    _lead(api, token, mobile="13800138022", **SAME_PERSON)
    outsider = _lead(api, token, mobile="13800138023", name="someone else")
    _scan(api, token)
    [case] = _queue(api, token)

    answer = api.client.post(
        f"/api/v1/lead-duplicates/{case['id']}/merge",
        json={"survivor_id": outsider["id"]},
        headers=headers,
    )

    assert answer.status_code == 422 and answer.json()["field"] == "survivor_id"
    assert len(_queue(api, token)) == 1


def test_a_dismissed_pair_is_never_queued_again(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    headers = _headers(api, token)
    _lead(api, token, mobile="13800138031", **SAME_PERSON)
    _lead(api, token, mobile="13800138032", **SAME_PERSON)
    _scan(api, token)
    [case] = _queue(api, token)

    dismissed = api.client.post(
        f"/api/v1/lead-duplicates/{case['id']}/dismiss",
        json={"reason": "namesakes"},
        headers=headers,
    )

    assert dismissed.status_code == 200 and dismissed.json()["note"] == "namesakes"
    assert _scan(api, token)["opened"] == 0
    assert _queue(api, token) == []


def test_deleting_one_lead_resolves_the_case_and_frees_its_mobile(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    headers = _headers(api, token)
    keep = _lead(api, token, mobile="13800138041", **SAME_PERSON)
    junk = _lead(api, token, mobile="13800138042", **SAME_PERSON)
    _scan(api, token)
    [case] = _queue(api, token)

    answer = api.client.post(
        f"/api/v1/lead-duplicates/{case['id']}/delete",
        json={"lead_id": junk["id"], "reason": "test entry"},
        headers=headers,
    )

    assert answer.status_code == 200 and answer.json()["status"] == "deleted"
    leads = {lead["id"]: lead for lead in answer.json()["leads"]}
    assert leads[junk["id"]]["deleted"] and not leads[keep["id"]]["deleted"]
    reborn = api.client.post("/api/v1/leads", json={"mobile": "13800138042"}, headers=headers)
    assert reborn.status_code == 201


def test_an_import_duplicate_opens_one_case_that_a_merge_folds_into_the_lead(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    headers = _headers(api, token)
    lead = _lead(api, token, mobile="13800138051", name="李雷")
    row = {"mobile": "138 0013 8051", "email": "lei@acme.cn", "name": "李 雷", "city": "成都"}

    first = _report(api, tenant_id, **row)
    assert _report(api, tenant_id, **row) == first  # the same row again: the same case

    [queued] = _queue(api, token)
    assert queued["reason"] == "same_mobile" and queued["from_import"] is True
    case = api.client.get(f"/api/v1/lead-duplicates/{queued['id']}", headers=headers).json()
    assert case["record"]["profile"]["city"] == "成都"
    merged = api.client.post(
        f"/api/v1/lead-duplicates/{queued['id']}/merge",
        json={"survivor_id": lead["id"], "chosen": {"city": "成都"}},
        headers=headers,
    )
    assert merged.status_code == 200, merged.text
    after = api.client.get(f"/api/v1/leads/{lead['id']}", headers=headers).json()
    assert after["profile"] == {"name": "李雷", "city": "成都"}
    assert {"kind": "email", "value": "lei@acme.cn"} in after["identities"]


def test_a_merge_rule_merges_a_matching_import_duplicate_without_asking(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    headers = _headers(api, token)
    rules = {"rules": [{"match": ["mobile", "name"], "survivor": "oldest"}]}
    put = api.client.put("/api/v1/lead-merge-rules", json=rules, headers=headers)
    assert put.status_code == 200 and put.headers["etag"] == '"1"', put.text
    lead = _lead(api, token, mobile="13800138061", name="韩梅梅", city="上海")
    other = _lead(api, token, mobile="13800138062", name="韩梅梅")

    _report(api, tenant_id, mobile="13800138061", name="韩梅梅", city="北京", title="经理")
    _report(api, tenant_id, mobile="13800138062", name="Han Meimei", city="北京")

    [merged] = _queue(api, token, "merged")
    assert merged["rule"] == "rules.0" and merged["lead_ids"] == [lead["id"]]
    after = api.client.get(f"/api/v1/leads/{lead['id']}", headers=headers).json()
    assert after["profile"] == {"name": "韩梅梅", "city": "上海", "title": "经理"}
    [left] = _queue(api, token)  # another name: a person decides
    assert left["lead_ids"] == [other["id"]]


def test_a_merge_rule_on_name_and_company_merges_scanned_pairs_into_the_oldest(
    api: Api,
) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    headers = _headers(api, token)
    rules = {"rules": [{"match": ["name", "company"], "fields": "prefer_newest"}]}
    assert api.client.put("/api/v1/lead-merge-rules", json=rules, headers=headers).is_success
    oldest = _lead(api, token, mobile="13800138071", city="上海", **SAME_PERSON)
    middle = _lead(api, token, mobile="13800138072", city="苏州", **SAME_PERSON)
    newest = _lead(api, token, mobile="13800138073", title="CTO", **SAME_PERSON)

    found = _scan(api, token)

    assert (found["opened"], found["merged_automatically"]) == (0, 2)
    survivor = api.client.get(f"/api/v1/leads/{oldest['id']}", headers=headers).json()
    assert survivor["profile"]["city"] == "苏州" and survivor["profile"]["title"] == "CTO"
    assert len(survivor["identities"]) == 3
    for gone in (middle, newest):
        answer = api.client.get(f"/api/v1/leads/{gone['id']}", headers=headers).json()
        assert answer["merged_into"] == oldest["id"]


def test_merge_rules_are_checked_and_guarded_by_if_match(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    headers = _headers(api, token)
    empty = api.client.get("/api/v1/lead-merge-rules", headers=headers)
    assert empty.json() == {"rules": [], "version": 0}

    company_only = api.client.put(
        "/api/v1/lead-merge-rules", json={"rules": [{"match": ["company"]}]}, headers=headers
    )
    assert company_only.status_code == 422
    assert company_only.json()["field"] == "rules.0.match"
    rules = {"rules": [{"match": ["email"]}]}
    assert api.client.put("/api/v1/lead-merge-rules", json=rules, headers=headers).is_success
    stale = api.client.put(
        "/api/v1/lead-merge-rules",
        json={"rules": []},
        headers={**headers, "If-Match": '"7"'},
    )
    assert stale.status_code == 409
    shown = api.client.get("/api/v1/lead-merge-rules", headers=headers).json()
    assert shown["rules"] == [
        {"match": ["email"], "survivor": "oldest", "fields": "keep_non_empty"}
    ]


def test_cleaning_is_company_wide_work(api: Api) -> None:
    tenant_id, admin = api.tenant_with_key("tenant_admin")
    _lead(api, admin, mobile="13800138081", **SAME_PERSON)
    _lead(api, admin, mobile="13800138082", **SAME_PERSON)
    _scan(api, admin)
    [case] = _queue(api, admin)
    sales = api.new_key(tenant_id, "sales")

    assert _queue(api, sales) == []
    hidden = api.client.get(f"/api/v1/lead-duplicates/{case['id']}", headers=api.key(sales))
    assert hidden.status_code == 404
    refused = api.client.post("/api/v1/lead-duplicates/scan", headers=api.key(sales))
    assert refused.status_code == 403


def test_an_operator_scans_a_tenant_from_the_command_line(
    fresh_settings: Settings, operator_shell: Settings
) -> None:
    runtime = Runtime(fresh_settings).start()  # the views run here, so the scan sees leads
    try:
        with acting(RequestContext(request_id="setup", read_your_writes=True)):
            acme = RegisterTenant(name="Acme", owner_name="李雷", owner_contact="li@acme.cn")
            # the command refuses a tenant id that no tenant has
            tenant_id = runtime.container.tenancy().register_tenant(acme).id
            for mobile in ("13800138091", "13800138092"):
                runtime.container.leads().create_lead(
                    LeadScope.whole_company(tenant_id),
                    CreateLead.model_validate({"mobile": mobile, **SAME_PERSON}),
                )
    finally:
        runtime.close()

    scanned = CliRunner().invoke(app, ["leads", "scan-duplicates", "--tenant", str(tenant_id)])

    assert scanned.exit_code == 0, scanned.output
    assert "2 leads examined: 1 cases opened, 0 merged by rule" in scanned.output
