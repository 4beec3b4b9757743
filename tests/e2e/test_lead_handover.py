"""ORG-3: an employee's leads handed over when they leave (离职继承) or while employed
(在职继承), to another employee or the shared pool, recorded on each lead; resumable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Api


@dataclass
class Company:
    api: Api
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {**self.api.key(self.token), "Prefer": "read-your-writes"}

    def hire(self, name: str) -> str:
        answer = self.api.client.post(
            "/api/v1/employees", json={"name": name, "roles": ["sales"]}, headers=self.headers
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def leave(self, employee_id: str) -> None:
        answer = self.api.client.post(
            f"/api/v1/employees/{employee_id}/leave", headers={**self.headers, "If-Match": '"1"'}
        )
        assert answer.status_code == 200 and answer.json()["left"], answer.text

    def lead(self, mobile: str, owner_id: str | None) -> str:
        answer = self.api.client.post(
            "/api/v1/leads", json={"mobile": mobile, "owner_id": owner_id}, headers=self.headers
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["lead"]["id"])

    def get(self, lead_id: str) -> dict[str, Any]:
        answer = self.api.client.get(f"/api/v1/leads/{lead_id}", headers=self.headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def hand_over(self, employee_id: str, body: dict[str, Any], **headers: str) -> Any:
        return self.api.client.post(
            f"/api/v1/employees/{employee_id}/lead-handover",
            json=body,
            headers={**self.headers, **headers},
        )

    def owned_by(self, employee_id: str) -> set[str]:
        answer = self.api.client.get(
            "/api/v1/leads", params={"owner_id": employee_id, "limit": 100}, headers=self.headers
        )
        return {item["id"] for item in answer.json()["items"]}

    def notices_for(self, lead_id: str) -> list[dict[str, Any]]:
        path = self.api.runtime.settings.var_dir / "outbox" / "notifications.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return [n for n in map(json.loads, lines) if n["lead_id"] == lead_id]


@pytest.fixture
def company(api: Api) -> Company:
    _, token = api.tenant_with_key("tenant_admin")
    return Company(api, token)


def test_a_leavers_leads_go_to_the_heir_each_recorded_and_notified(company: Company) -> None:
    leaver, heir = company.hire("离职的张三"), company.hire("接手的李四")
    open_leads = [company.lead(f"1380013{n:04d}", leaver) for n in range(3)]
    won = company.lead("13800139999", leaver)
    company.api.client.post(
        f"/api/v1/leads/{won}/close",
        json={"outcome": "won", "reason": "signed"},
        headers=company.headers,
    )
    heirs_own = company.lead("13900139999", heir)
    company.leave(leaver)

    answer = company.hand_over(
        leaver, {"to_employee_id": heir, "reason": "离职交接"}, **{"X-Reason": "Zhang San left"}
    )

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["kind"] == "leaving"
    assert {r["lead_id"] for r in report["results"]} == {*open_leads, won}
    assert {r["outcome"] for r in report["results"]} == {"handed_over"}
    assert (report["handed_over"], report["skipped"], report["failed"], report["more"]) == (
        4,
        0,
        0,
        False,
    )
    assert company.owned_by(leaver) == set()
    assert company.owned_by(heir) == {*open_leads, won, heirs_own}
    assert company.get(open_leads[0])["pool_state"] == "assigned"
    assert company.get(won)["pool_state"] == "won"  # a customer stays a customer
    for lead_id in [*open_leads, won]:
        to_heir = [n for n in company.notices_for(lead_id) if n["to_employee_id"] == heir]
        assert len(to_heir) == 1, lead_id

    history = company.api.client.get(
        f"/api/v1/history/{open_leads[0]}", headers=company.headers
    ).json()
    handed = history[-1]
    assert handed["type"] == "leads.Lead.HandedOver"
    assert handed["data"]["from_owner_id"] == leaver and handed["data"]["to_owner_id"] == heir
    assert handed["data"]["reason"] == "离职交接" and handed["data"]["kind"] == "leaving"
    assert handed["reason"] == "Zhang San left" and handed["actor"]["kind"] == "api_key"
    timeline = company.api.client.get(
        f"/api/v1/leads/{open_leads[0]}/timeline", headers=company.headers
    ).json()["items"]
    assert timeline[0]["kind"] == "lead.HandedOver"
    assert timeline[0]["details"]["to_owner_id"] == heir


def test_releasing_a_leavers_leads_puts_them_in_the_shared_pool(company: Company) -> None:
    leaver = company.hire("王五")
    lead_id = company.lead("13700137000", leaver)
    company.leave(leaver)

    report = company.hand_over(leaver, {"to_employee_id": None, "reason": "转为共享客户"}).json()

    assert [r["outcome"] for r in report["results"]] == ["handed_over"]
    details = company.get(lead_id)
    assert (details["owner_id"], details["pool_state"]) == (None, "pool")
    pool = company.api.client.get(
        "/api/v1/leads", params={"pool_state": "pool"}, headers=company.headers
    ).json()["items"]
    assert lead_id in {item["id"] for item in pool}


def test_handing_over_while_employed_moves_only_the_chosen_leads(company: Company) -> None:
    seller, colleague = company.hire("在职的赵六"), company.hire("同事")
    moved, kept = company.lead("13600136000", seller), company.lead("13600136001", seller)

    report = company.hand_over(
        seller, {"to_employee_id": colleague, "reason": "调岗", "lead_ids": [moved]}
    ).json()

    assert report["kind"] == "in_service"
    assert [(r["lead_id"], r["outcome"]) for r in report["results"]] == [(moved, "handed_over")]
    assert company.owned_by(seller) == {kept}
    assert company.owned_by(colleague) == {moved}


def test_a_handover_that_stopped_half_way_is_run_again(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaver, heir = company.hire("孙七"), company.hire("周八")
    leads = {company.lead(f"1350013{n:04d}", leaver) for n in range(3)}
    company.leave(leaver)
    monkeypatch.setattr("application.leads.handover.MAX_HANDOVER", 2)
    body = {"to_employee_id": heir, "reason": "离职交接"}

    first = company.hand_over(leaver, body).json()
    second = company.hand_over(leaver, body).json()
    third = company.hand_over(leaver, body).json()

    assert (first["handed_over"], first["more"]) == (2, True)
    assert (second["handed_over"], second["more"]) == (1, False)
    assert (third["results"], third["more"]) == ([], False)
    assert company.owned_by(heir) == leads
    # Naming leads already moved skips them: nothing is recorded twice.
    before = company.api.event_positions()
    again = company.hand_over(leaver, {**body, "lead_ids": sorted(leads)}).json()
    assert {r["outcome"] for r in again["results"]} == {"skipped"}
    assert company.api.event_positions() == before
    for lead_id in leads:
        to_heir = [n for n in company.notices_for(lead_id) if n["to_employee_id"] == heir]
        assert len(to_heir) == 1


def test_a_lead_of_someone_else_named_in_a_handover_is_skipped(company: Company) -> None:
    leaver, other = company.hire("甲"), company.hire("乙")
    theirs = company.lead("13300133000", other)

    report = company.hand_over(
        leaver, {"to_employee_id": None, "reason": "x", "lead_ids": [theirs]}
    ).json()

    assert report["results"][0]["outcome"] == "skipped"
    assert company.get(theirs)["owner_id"] == other


def test_the_heir_must_be_a_current_employee_other_than_the_leaver(company: Company) -> None:
    leaver, gone = company.hire("甲"), company.hire("已离职")
    company.lead("13200132000", leaver)
    company.leave(gone)
    before = company.api.event_positions()

    for heir in (gone, leaver, "00000000-0000-0000-0000-000000000000"):
        answer = company.hand_over(leaver, {"to_employee_id": heir, "reason": "x"})
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "to_employee_id"
    assert company.api.event_positions() == before


def test_only_an_administrator_hands_over_and_only_their_own_employees(
    company: Company, api: Api
) -> None:
    leaver = company.hire("甲")
    company.lead("13100131000", leaver)
    tenant_id = company.api.client.get("/api/v1/tenant", headers=company.headers).json()["id"]
    manager = api.new_key(tenant_id, "sales_manager")
    _, stranger = api.tenant_with_key("tenant_admin")
    body = {"to_employee_id": None, "reason": "x"}

    refused = api.client.post(
        f"/api/v1/employees/{leaver}/lead-handover", json=body, headers=api.key(manager)
    )
    hidden = api.client.post(
        f"/api/v1/employees/{leaver}/lead-handover", json=body, headers=api.key(stranger)
    )

    assert refused.status_code == 403
    assert hidden.status_code == 404
    assert len(company.owned_by(leaver)) == 1
