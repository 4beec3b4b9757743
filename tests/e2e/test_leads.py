"""The core lead routes end to end (LEAD-1, LEAD-4, LEAD-6…8): one marketing user per
person, identities, the pool workflow, status, tags, merges, deletes, timeline, history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Api


@dataclass
class Tenant:
    api: Api
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {**self.api.key(self.token), "Prefer": "read-your-writes"}

    def post(self, url: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.api.client.post(url, json=body, headers={**self.headers, **headers})

    def get(self, url: str, **params: Any) -> Any:
        return self.api.client.get(url, params=params, headers=self.headers)

    def create(self, **person: Any) -> dict[str, Any]:
        answer = self.post("/api/v1/leads", person)
        assert answer.status_code == 201, answer.text
        return dict(answer.json()["lead"])

    def lead(self, lead_id: str) -> dict[str, Any]:
        answer = self.get(f"/api/v1/leads/{lead_id}")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def act(self, lead_id: str, action: str, body: dict[str, Any], **headers: str) -> Any:
        return self.post(f"/api/v1/leads/{lead_id}/{action}", body, **headers)

    def listed(self, **params: Any) -> list[str]:
        answer = self.get("/api/v1/leads", limit=100, **params)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    def hire(self, name: str = "销售小王") -> str:
        answer = self.post("/api/v1/employees", {"name": name, "roles": ["sales"]})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])


@pytest.fixture
def tenant(api: Api) -> Tenant:
    _, token = api.tenant_with_key("tenant_admin")
    return Tenant(api, token)


def identities(lead: dict[str, Any]) -> set[tuple[str, str]]:
    return {(i["kind"], i["value"]) for i in lead["identities"]}


# One marketing user per person (LEAD-1)


def test_a_new_person_is_created_with_the_mobile_in_e164(tenant: Tenant) -> None:
    answer = tenant.post("/api/v1/leads", {"mobile": "138 0013 8000", "name": " 张三 "})

    assert answer.status_code == 201, answer.text
    assert answer.json()["outcome"] == "created"
    lead = answer.json()["lead"]
    assert identities(lead) == {("mobile", "+8613800138000")}
    assert lead["profile"]["name"] == "张三"
    assert (lead["pool_state"], lead["owner_id"], lead["status"]) == ("pool", None, "new")
    assert answer.headers["etag"] == f'"{lead["version"]}"'


def test_the_same_mobile_with_a_new_email_is_the_same_person(tenant: Tenant) -> None:
    first = tenant.create(mobile="13800138000", name="张三")

    again = tenant.post(
        "/api/v1/leads", {"mobile": "+86 138-0013-8000", "email": "Zhang.San@Example.CN"}
    )

    assert again.status_code == 200, again.text
    assert again.json()["outcome"] == "matched"
    lead = again.json()["lead"]
    assert lead["id"] == first["id"]
    assert identities(lead) == {("mobile", "+8613800138000"), ("email", "zhang.san@example.cn")}
    assert lead["profile"]["name"] == "张三"
    assert tenant.listed(mobile="+8613800138000") == [first["id"]]
    assert tenant.listed(email="zhang.san@example.cn") == [first["id"]]
    assert tenant.listed() == [first["id"]]


def test_an_invalid_mobile_is_refused_naming_the_field(tenant: Tenant) -> None:
    before = tenant.api.event_positions()

    for mobile in ("12345", "not a number", "1380013800099"):
        answer = tenant.post("/api/v1/leads", {"mobile": mobile})
        assert answer.status_code == 422, (mobile, answer.text)
        assert answer.json()["field"] == "mobile"
    nobody = tenant.post("/api/v1/leads", {"name": "只有名字"})
    assert nobody.status_code == 422 and nobody.json()["field"] == "mobile"

    assert tenant.api.event_positions() == before
    assert tenant.listed() == []


def test_an_identity_of_another_lead_cannot_be_attached(tenant: Tenant) -> None:
    owner = tenant.create(mobile="13800138000", email="taken@example.cn")
    other = tenant.create(mobile="13900139000")

    answer = tenant.act(other["id"], "identities", {"kind": "email", "value": "TAKEN@example.cn"})

    assert answer.status_code == 409, answer.text
    assert answer.json()["field"] == "email"
    assert identities(tenant.lead(other["id"])) == {("mobile", "+8613900139000")}
    assert ("email", "taken@example.cn") in identities(tenant.lead(owner["id"]))
    fresh = tenant.act(other["id"], "identities", {"kind": "email", "value": "free@example.cn"})
    assert fresh.status_code == 200
    assert ("email", "free@example.cn") in identities(fresh.json())


# The pool, status and tags (LEAD-6, LEAD-7)


def test_a_lead_is_assigned_followed_up_and_won(tenant: Tenant) -> None:
    seller = tenant.hire()
    lead = tenant.create(mobile="13800138000")

    assigned = tenant.act(lead["id"], "assign", {"owner_id": seller, "reason": "华东区"})
    followed = tenant.act(lead["id"], "follow-ups", {"note": "电话沟通，有意向"})
    won = tenant.act(lead["id"], "close", {"outcome": "won", "reason": "签约"})

    assert (assigned.json()["owner_id"], assigned.json()["pool_state"]) == (seller, "assigned")
    assert followed.json()["pool_state"] == "following"
    assert won.status_code == 200 and won.json()["pool_state"] == "won"
    assert tenant.listed(pool_state="won") == [lead["id"]]
    assert tenant.listed(owner_id=seller) == [lead["id"]]
    # A closed lead leaves the working pool: no more follow-ups or re-assignment.
    assert tenant.act(lead["id"], "follow-ups", {"note": "again"}).status_code == 409
    assert tenant.act(lead["id"], "assign", {"owner_id": tenant.hire()}).status_code == 409
    assert tenant.act(lead["id"], "close", {"outcome": "lost", "reason": "x"}).status_code == 409


def test_a_released_lead_is_back_in_the_pool_for_someone_else(tenant: Tenant) -> None:
    first, second = tenant.hire("甲"), tenant.hire("乙")
    lead = tenant.create(mobile="13800138000", owner_id=first)

    released = tenant.act(lead["id"], "release", {"reason": "联系不上"})
    twice = tenant.act(lead["id"], "release", {"reason": "again"})
    reassigned = tenant.act(lead["id"], "assign", {"owner_id": second})

    assert (released.json()["owner_id"], released.json()["pool_state"]) == (None, "pool")
    assert twice.status_code == 409
    assert reassigned.json()["owner_id"] == second
    assert tenant.listed(owner_id=first) == []


def test_only_a_current_employee_of_the_tenant_gets_a_lead(tenant: Tenant, api: Api) -> None:
    lead = tenant.create(mobile="13800138000")
    _, other_token = api.tenant_with_key("tenant_admin")
    stranger = Tenant(api, other_token).hire()

    answer = tenant.act(lead["id"], "assign", {"owner_id": stranger})

    assert answer.status_code == 422 and answer.json()["field"] == "owner_id"
    assert tenant.lead(lead["id"])["owner_id"] is None


def test_a_status_change_is_recorded_and_listed(tenant: Tenant) -> None:
    lead = tenant.create(mobile="13800138000")

    changed = tenant.act(lead["id"], "status", {"status": "contacted"})

    assert changed.status_code == 200 and changed.json()["status"] == "contacted"
    assert tenant.listed(status="contacted") == [lead["id"]]
    assert tenant.listed(status="new") == []
    kinds = [e["kind"] for e in tenant.get(f"/api/v1/leads/{lead['id']}/timeline").json()["items"]]
    assert kinds[0] == "lead.StatusChanged"


def test_tags_are_added_and_removed(tenant: Tenant) -> None:
    lead = tenant.create(mobile="13800138000")
    other = tenant.create(mobile="13900139000")

    tagged = tenant.act(lead["id"], "tags", {"tags": ["vip", "展会"]})
    tenant.act(other["id"], "tags", {"tags": ["vip_plus"]})

    assert tagged.json()["tags"] == ["vip", "展会"]
    assert tenant.listed(tag="vip") == [lead["id"]]  # exact tag, not a prefix
    untagged = tenant.act(lead["id"], "tags/remove", {"tags": ["vip"]})
    assert untagged.json()["tags"] == ["展会"]
    assert tenant.listed(tag="vip") == []
    assert tenant.listed(tag="展会") == [lead["id"]]


def test_consent_is_recorded_per_channel(tenant: Tenant) -> None:
    lead = tenant.create(mobile="13800138000", email="a@example.cn")

    answer = tenant.act(
        lead["id"], "consent", {"channel": "sms", "state": "unsubscribed", "source": "回复TD"}
    )

    assert answer.status_code == 200
    assert answer.json()["consent"]["sms"]["state"] == "unsubscribed"
    consent = tenant.get(f"/api/v1/leads/{lead['id']}/consent").json()["channels"]
    assert consent["sms"]["may_contact"] is False
    assert consent["email"] == {"state": None, "source": None, "at": None, "may_contact": True}


# Cleaning: merge and delete (LEAD-4)


def test_a_merged_lead_points_to_the_survivor_which_now_owns_its_identities(
    tenant: Tenant,
) -> None:
    survivor = tenant.create(mobile="13800138000", name="张三")
    duplicate = tenant.create(mobile="13900139000", email="zs@example.cn", company="火客")
    tenant.act(duplicate["id"], "tags", {"tags": ["展会"]})

    merged = tenant.act(survivor["id"], "merge", {"merged_id": duplicate["id"]})

    assert merged.status_code == 200, merged.text
    assert identities(merged.json()) == {
        ("mobile", "+8613800138000"),
        ("mobile", "+8613900139000"),
        ("email", "zs@example.cn"),
    }
    assert merged.json()["profile"] == {"name": "张三", "company": "火客"}
    assert merged.json()["tags"] == ["展会"]
    pointer = tenant.lead(duplicate["id"])
    assert pointer["merged_into"] == survivor["id"]
    assert tenant.listed() == [survivor["id"]]
    # The duplicate's identities now find the survivor.
    again = tenant.post("/api/v1/leads", {"email": "ZS@example.cn"})
    assert again.status_code == 200 and again.json()["lead"]["id"] == survivor["id"]
    assert tenant.act(duplicate["id"], "tags", {"tags": ["x"]}).status_code == 409


def test_deleting_a_lead_frees_its_identities(tenant: Tenant) -> None:
    lead = tenant.create(mobile="13800138000", email="gone@example.cn")

    deleted = tenant.act(lead["id"], "delete", {"reason": "用户要求删除"})
    fresh = tenant.post("/api/v1/leads", {"mobile": "13800138000"})

    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert fresh.status_code == 201, fresh.text
    assert fresh.json()["outcome"] == "created" and fresh.json()["lead"]["id"] != lead["id"]
    assert tenant.listed() == [fresh.json()["lead"]["id"]]
    other = tenant.create(mobile="13900139000")
    reused = tenant.act(other["id"], "identities", {"kind": "email", "value": "gone@example.cn"})
    assert reused.status_code == 200


# Timeline and history (LEAD-8, AUD-1)


def test_the_timeline_pages_newest_first(tenant: Tenant) -> None:
    lead = tenant.create(mobile="13800138000")
    for status in ("contacted", "qualified", "unqualified"):
        tenant.act(lead["id"], "status", {"status": status})
    tenant.act(lead["id"], "tags", {"tags": ["vip"]})
    url = f"/api/v1/leads/{lead['id']}/timeline"

    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = tenant.get(url, **params).json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert [entry["kind"] for entry in seen] == [
        "lead.Tagged",
        "lead.StatusChanged",
        "lead.StatusChanged",
        "lead.StatusChanged",
        "lead.Registered",
    ]
    statuses = [entry["details"].get("status") for entry in seen[1:4]]
    assert statuses == ["unqualified", "qualified", "contacted"]
    times = [entry["at"] for entry in seen]
    assert times == sorted(times, reverse=True)
    assert seen[0]["actor"]["kind"] == "api_key"
    assert "+8613800138000" not in str(seen)  # identities stay out of the timeline
    bad = tenant.get(url, cursor="not-a-cursor")
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"


def test_the_history_shows_who_changed_a_lead_and_why(tenant: Tenant) -> None:
    lead = tenant.create(mobile="13800138000")

    tenant.act(
        lead["id"],
        "status",
        {"status": "contacted"},
        **{"X-Reason": "customer called back", "X-Request-Id": "req-lead-42"},
    )
    history = tenant.get(f"/api/v1/history/{lead['id']}").json()

    assert [entry["type"] for entry in history] == [
        "leads.Lead.Registered",
        "leads.Lead.StatusChanged",
    ]
    change = history[-1]
    assert change["reason"] == "customer called back"
    assert change["request_id"] == "req-lead-42"
    assert change["actor"]["kind"] == "api_key"
    assert change["data"] == {"status": "contacted"}
