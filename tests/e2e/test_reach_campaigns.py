"""Scheduled reach campaigns over HTTP on both stores (FLOW-7): a bad period or too many
branches is 422 naming the field and stores nothing; content still to choose keeps the
campaign from being scheduled (422 naming the branch's field); once scheduled, the
running worker selects the audience at once, sends the branch due now through the SMS
pipeline and keeps the later one pending; counts and deliveries show it; cancelling
leaves the pending one unsent; another tenant's campaign is 404."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Api

REACH = "/api/v1/reach-campaigns"


def _campaign(signature_id: str | None, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "name": "会员日触达",
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
        "audience": {"field": "tags", "op": "equals", "value": "会员"},
        "branches": [
            {
                "name": "VIP",
                "filter": {"field": "tags", "op": "equals", "value": "VIP"},
                "send": {"rule": "immediately"},
                "content": {"kind": "send_sms", "signature_id": signature_id,
                            "text": "VIP会员日，全场五折，回T退订"},
            },
            {
                "name": "其他会员",
                "send": {"rule": "after", "amount": 1, "unit": "days"},
                "content": {"kind": "send_sms", "signature_id": signature_id,
                            "text": "会员日明天开始，回T退订"},
            },
        ],
    }  # fmt: skip
    body.update(overrides)
    return body


def _counts(api: Api, headers: dict[str, str], campaign_id: str, want: str, n: int) -> Any:
    """The campaign's counts once `want` reaches `n` (the worker runs on its own)."""
    deadline = time.monotonic() + 20
    while True:
        counts = api.client.get(f"{REACH}/{campaign_id}/counts", headers=headers).json()
        if counts[want] >= n or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)


def test_a_campaign_is_planned_scheduled_sent_by_branch_and_cancelled(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    post = api.client.post

    def refused(body: dict[str, Any]) -> str:
        answer = post(REACH, json=body, headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        return str(answer.json()["field"])

    now = datetime.now(UTC)
    assert refused(_campaign(None, ends_at=(now - timedelta(days=1)).isoformat())) == "ends_at"
    six = [_campaign(None)["branches"][1]] * 6
    assert refused(_campaign(None, branches=six)) == "branches"
    listed = api.client.get(REACH, headers=headers).json()
    assert listed["items"] == []  # nothing stored

    unfinished = post(REACH, json=_campaign(None), headers=headers)
    assert unfinished.status_code == 201, unfinished.text
    match = {**headers, "If-Match": unfinished.headers["etag"]}
    not_yet = post(f"{REACH}/{unfinished.json()['campaign_id']}/schedule", headers=match)
    assert not_yet.status_code == 422
    assert not_yet.json()["field"] == "branches[0].content.signature_id"

    signature = post("/api/v1/sms/signatures", json={"text": "获客科技"}, headers=headers)
    approve = {**headers, "If-Match": signature.headers["etag"]}
    approved = post(f"/api/v1/sms/signatures/{signature.json()['id']}/approve", headers=approve)
    assert approved.status_code == 200, approved.text
    leads = {}
    for name, mobile, tags in [("vip", "13800139701", ["会员", "VIP"]),
                               ("member", "13800139702", ["会员"]),
                               ("outsider", "13800139703", ["访客"])]:  # fmt: skip
        lead = post("/api/v1/leads", json={"mobile": mobile}, headers=headers).json()["lead"]
        tagged = post(f"/api/v1/leads/{lead['id']}/tags", json={"tags": tags}, headers=headers)
        assert tagged.status_code == 200, tagged.text
        leads[name] = lead["id"]

    made = post(REACH, json=_campaign(signature.json()["id"]), headers=headers)
    assert made.status_code == 201, made.text
    campaign_id = made.json()["campaign_id"]
    scheduled = post(
        f"{REACH}/{campaign_id}/schedule", headers={**headers, "If-Match": made.headers["etag"]}
    )
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["status"] == "scheduled"

    counts = _counts(api, headers, campaign_id, "sent", 1)
    assert (counts["selected"], counts["sent"], counts["pending"]) == (2, 1, 1), counts
    deliveries = api.client.get(f"{REACH}/{campaign_id}/deliveries", headers=headers).json()
    by_lead = {d["lead_id"]: d for d in deliveries["items"]}
    assert set(by_lead) == {leads["vip"], leads["member"]}
    assert (by_lead[leads["vip"]]["branch_name"], by_lead[leads["vip"]]["status"]) == (
        "VIP",
        "sent",
    )
    assert by_lead[leads["member"]]["status"] == "pending"

    cancelled = post(
        f"{REACH}/{campaign_id}/cancel",
        json={"reason": "会员日取消"},
        headers={**headers, "If-Match": scheduled.headers["etag"]},
    )
    assert cancelled.status_code == 200, cancelled.text
    counts = _counts(api, headers, campaign_id, "cancelled", 1)
    assert (counts["sent"], counts["pending"], counts["cancelled"]) == (1, 0, 1), counts
    listed = api.client.get(REACH, headers=headers).json()["items"]
    assert [(c["name"], c["status"]) for c in listed[:1]] == [("会员日触达", "cancelled")]

    _other, stranger = api.tenant_with_key("tenant_admin")
    for url in (f"{REACH}/{campaign_id}", f"{REACH}/{campaign_id}/deliveries"):
        assert api.client.get(url, headers=api.key(stranger)).status_code == 404
