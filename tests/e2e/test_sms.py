"""SMS signatures and tasks over HTTP (SMS-1…3), on SQLite and PostgreSQL: the signature
rules and the fourth signature (422 naming the rule), the tenant admin's review, a text
without 退订 refused, review before the first send and none for unchanged approved
content, length and segments shown, another tenant's ids 404."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api

WRITE = {"Prefer": "read-your-writes"}
TEXT = "{{name}}您好，会员日全场5折 https://www.acme.cn/promotions/2026/double-eleven 回T退订"
AUDIENCE = {"kind": "leads", "lead_ids": [str(uuid.uuid4())]}


class Tenant:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.tenant_id, self.admin = api.tenant_with_key("tenant_admin")
        self.marketer = api.new_key(self.tenant_id, "marketer")

    def call(
        self,
        method: str,
        url: str,
        body: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        version: int | None = None,
    ) -> Any:
        headers = {**self.api.key(key or self.admin), **WRITE}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        return self.api.client.request(method, url, json=body, headers=headers)

    def ok(self, method: str, url: str, body: dict[str, Any] | None = None, **kw: Any) -> Any:
        answer = self.call(method, url, body, **kw)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    def signature(self, text: str = "获客科技", *, approve: bool = True) -> dict[str, Any]:
        made = self.ok("POST", "/api/v1/sms/signatures", {"text": text, "purpose": "公司简称"})
        if approve:
            url = f"/api/v1/sms/signatures/{made['id']}/approve"
            made = self.ok("POST", url, version=made["version"])
        return dict(made)

    def task(self, signature_id: str, text: str = TEXT, **kw: Any) -> dict[str, Any]:
        body = {"name": "双十一短信", "signature_id": signature_id, "text": text}
        body["audience"] = AUDIENCE
        return dict(self.ok("POST", "/api/v1/sms/tasks", body, **kw))


@pytest.fixture
def tenant(api: Api) -> Tenant:
    return Tenant(api)


def _problem(answer: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    problem = dict(answer.json())
    if field is not None:
        assert problem["field"] == field, problem
    return problem


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("【获客科技】", "brackets"),
        ("获客(科技)", "brackets"),
        ("获客-科技", "special symbols"),
        ("获客.科技", "special symbols"),
        ("获客测试", "banned word"),
        ("获", "2 to 30"),
    ],
)
def test_a_signature_breaking_a_rule_is_refused_naming_it(
    tenant: Tenant, text: str, rule: str
) -> None:
    answer = tenant.call("POST", "/api/v1/sms/signatures", {"text": text})
    assert rule in _problem(answer, 422, "text")["detail"]


def test_a_fourth_signature_is_refused_until_one_is_removed(tenant: Tenant) -> None:
    made = [tenant.signature(f"获客{n}号", approve=n == 0) for n in range(3)]
    answer = tenant.call("POST", "/api/v1/sms/signatures", {"text": "获客三号"})
    assert "at most 3 SMS signatures" in _problem(answer, 422, "text")["detail"]
    listed = tenant.ok("GET", "/api/v1/sms/signatures")
    assert {s["text"] for s in listed["items"]} == {"获客0号", "获客1号", "获客2号"}
    duplicate = tenant.call("POST", "/api/v1/sms/signatures", {"text": "获客1号"})
    _problem(duplicate, 409, "text")
    # a rejected one frees its place, and so does a removed one
    rejected = tenant.ok(
        "POST",
        f"/api/v1/sms/signatures/{made[1]['id']}/reject",
        {"reason": "与企业名称不符"},
        version=made[1]["version"],
    )
    assert (rejected["state"], rejected["reason"]) == ("rejected", "与企业名称不符")
    assert tenant.signature("获客三号", approve=False)["state"] == "pending"
    _problem(tenant.call("POST", "/api/v1/sms/signatures", {"text": "获客四号"}), 422, "text")
    removed = tenant.ok(
        "DELETE", f"/api/v1/sms/signatures/{made[2]['id']}", version=made[2]["version"]
    )
    assert removed["id"] == made[2]["id"]
    _problem(tenant.call("GET", f"/api/v1/sms/signatures/{made[2]['id']}"), 404)
    assert tenant.signature("获客四号")["state"] == "approved"


def test_only_a_tenant_admin_reviews(tenant: Tenant) -> None:
    made = tenant.ok("POST", "/api/v1/sms/signatures", {"text": "获客科技"}, key=tenant.marketer)
    url = f"/api/v1/sms/signatures/{made['id']}/approve"
    _problem(tenant.call("POST", url, key=tenant.marketer, version=made["version"]), 403)
    assert tenant.ok("POST", url, version=made["version"])["state"] == "approved"
    _problem(tenant.call("POST", url, version=2), 409, "state")  # approved already


def test_a_task_is_reviewed_before_its_first_send_and_not_again_unchanged(
    tenant: Tenant,
) -> None:
    signature = tenant.signature()
    pending = tenant.signature("火客科技", approve=False)
    body = {"name": "x", "signature_id": pending["id"], "text": TEXT, "audience": AUDIENCE}
    _problem(tenant.call("POST", "/api/v1/sms/tasks", body), 422, "signature_id")
    no_keyword = {**body, "signature_id": signature["id"], "text": "会员日全场5折"}
    problem = _problem(tenant.call("POST", "/api/v1/sms/tasks", no_keyword), 422, "text")
    assert "退订" in problem["detail"]
    broken = {**no_keyword, "text": "{{ ''.__class__ }}回T退订"}
    _problem(tenant.call("POST", "/api/v1/sms/tasks", broken), 422, "text")

    task = tenant.task(signature["id"], key=tenant.marketer)
    assert (task["state"], task["approved"], task["signature"]) == ("draft", False, "获客科技")
    assert task["personalised"] and task["short_links"] == [
        "https://www.acme.cn/promotions/2026/double-eleven"
    ]
    assert task["length"] == len("【获客科技】{{name}}您好，会员日全场5折 ") + 25 + len(" 回T退订")
    assert task["segments"] == 1
    url = f"/api/v1/sms/tasks/{task['id']}"

    # scheduling unapproved content sends it to review, with the time kept
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    send_at = later.astimezone(timezone(timedelta(hours=8))).isoformat()
    task = tenant.ok(
        "POST", f"{url}/schedule", {"send_at": send_at}, key=tenant.marketer, version=1
    )
    assert (task["state"], task["send_at"]) == ("pending_review", None)
    _problem(tenant.call("PATCH", url, {"name": "改"}, version=task["version"]), 409, "state")
    _problem(
        tenant.call("POST", f"{url}/approve", key=tenant.marketer, version=task["version"]), 403
    )
    task = tenant.ok("POST", f"{url}/approve", version=task["version"])
    assert task["state"] == "scheduled" and task["approved"]
    assert datetime.fromisoformat(task["send_at"]) == later

    # unchanged approved content: back to draft and scheduled again without review
    task = tenant.ok("POST", f"{url}/unschedule", version=task["version"])
    task = tenant.ok("PATCH", url, {"name": "双十一短信（二）"}, version=task["version"])
    task = tenant.ok("POST", f"{url}/schedule", {"send_at": send_at}, version=task["version"])
    assert task["state"] == "scheduled"

    # edited content needs a new review: a scheduled task goes back to draft
    longer = "会员日全场5折，" * 10 + "回T退订"
    task = tenant.ok("PATCH", url, {"text": longer}, version=task["version"])
    assert (task["state"], task["approved"], task["segments"]) == ("draft", False, 2)
    task = tenant.ok("POST", f"{url}/submit", {"send_at": None}, version=task["version"])
    assert task["state"] == "pending_review"
    task = tenant.ok("POST", f"{url}/reject", {"reason": "内容过长"}, version=task["version"])
    assert (task["state"], task["rejection"]) == ("rejected", "内容过长")
    scheduled = tenant.api.client.get(
        "/api/v1/sms/tasks", params={"state": "rejected"}, headers=tenant.api.key(tenant.admin)
    ).json()
    assert [item["id"] for item in scheduled["items"]] == [task["id"]]
    assert scheduled["items"][0]["segments"] == 2

    # a copy of approved content is approved too; delete and cancel follow the states
    task = tenant.ok("PATCH", url, {"text": TEXT}, version=task["version"])
    assert task["approved"] and task["state"] == "draft"
    copy = tenant.ok("POST", f"{url}/copy")
    assert copy["approved"] and copy["name"].endswith("（副本）") and copy["id"] != task["id"]
    copy_url = f"/api/v1/sms/tasks/{copy['id']}"
    # later, not now: the send worker would start a task due now
    copy = tenant.ok("POST", f"{copy_url}/schedule", {"send_at": send_at}, version=copy["version"])
    assert copy["state"] == "scheduled"
    _problem(tenant.call("DELETE", copy_url, version=copy["version"]), 409, "state")
    copy = tenant.ok("POST", f"{copy_url}/cancel", version=copy["version"])
    assert copy["state"] == "cancelled"
    tenant.ok("DELETE", copy_url, version=copy["version"])
    _problem(tenant.call("GET", copy_url), 404)


def test_a_removed_signature_cannot_be_scheduled_with(tenant: Tenant) -> None:
    signature = tenant.signature()
    task = tenant.task(signature["id"])
    tenant.ok("DELETE", f"/api/v1/sms/signatures/{signature['id']}", version=signature["version"])
    answer = tenant.call(
        "POST", f"/api/v1/sms/tasks/{task['id']}/schedule", {"send_at": None}, version=1
    )
    _problem(answer, 422, "signature_id")


def test_another_tenants_signatures_and_tasks_are_not_found(api: Api, tenant: Tenant) -> None:
    signature = tenant.signature()
    task = tenant.task(signature["id"])
    other = Tenant(api)
    for method, url, body in [
        ("GET", f"/api/v1/sms/signatures/{signature['id']}", None),
        ("POST", f"/api/v1/sms/signatures/{signature['id']}/reject", {"reason": "x"}),
        ("DELETE", f"/api/v1/sms/signatures/{signature['id']}", None),
        ("GET", f"/api/v1/sms/tasks/{task['id']}", None),
        ("PATCH", f"/api/v1/sms/tasks/{task['id']}", {"name": "偷看"}),
        ("POST", f"/api/v1/sms/tasks/{task['id']}/schedule", {"send_at": None}),
        ("POST", f"/api/v1/sms/tasks/{task['id']}/copy", None),
        ("POST", f"/api/v1/sms/tasks/{task['id']}/approve", None),
    ]:
        _problem(other.call(method, url, body, version=1), 404)
    body = {"name": "x", "signature_id": signature["id"], "text": TEXT, "audience": AUDIENCE}
    _problem(other.call("POST", "/api/v1/sms/tasks", body), 422, "signature_id")
    assert other.ok("GET", "/api/v1/sms/tasks")["items"] == []
    assert other.ok("GET", "/api/v1/sms/signatures")["items"] == []


def test_a_scheduled_task_is_sent_by_the_worker_into_the_sandbox_outbox(
    api: Api, tenant: Tenant
) -> None:
    """The running huoke's send worker takes an approved task due now: each lead gets
    one text in `var/sms-outbox`, and the task ends `sent` with its progress."""
    mobiles = [f"+86139{uuid.uuid4().int % 10**8:08d}" for _ in range(2)]
    lead_ids = [
        tenant.ok("POST", "/api/v1/leads", {"name": name, "mobile": mobile})["lead"]["id"]
        for name, mobile in zip(["赵六", "钱七"], mobiles, strict=True)
    ]
    signature = tenant.signature()
    body = {
        "name": "即时发送",
        "signature_id": signature["id"],
        "text": "{{name}}您好，会员日全场5折，回T退订",
        "audience": {"kind": "leads", "lead_ids": lead_ids},
    }
    task = tenant.ok("POST", "/api/v1/sms/tasks", body)
    url = f"/api/v1/sms/tasks/{task['id']}"
    task = tenant.ok("POST", f"{url}/submit", {"send_at": None}, version=task["version"])
    task = tenant.ok("POST", f"{url}/approve", version=task["version"])
    task = tenant.ok("POST", f"{url}/schedule", {"send_at": None}, version=task["version"])
    deadline = time.monotonic() + 20
    while task["state"] != "sent" and time.monotonic() < deadline:
        time.sleep(0.2)
        task = tenant.ok("GET", url)
    assert task["state"] == "sent", task
    assert task["progress"]["sent"] == 2 and task["progress"]["percent"] == 100
    outbox = Path(api.runtime.settings.var_dir) / "sms-outbox"
    lines = [json.loads(line) for path in outbox.glob("*.jsonl") for line in path.open()]
    texts = {line["mobile"]: line["text"] for line in lines if line["mobile"] in mobiles}
    assert texts == {
        mobiles[0]: "【获客科技】赵六您好，会员日全场5折，回T退订",
        mobiles[1]: "【获客科技】钱七您好，会员日全场5折，回T退订",
    }
    assert sum(line["mobile"] in mobiles for line in lines) == 2  # once each
