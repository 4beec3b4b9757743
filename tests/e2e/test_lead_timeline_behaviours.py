"""Behaviours on the lead timeline through HTTP (LEAD-8, issue 15 items 5, 6, 9): a lead's
page views and events, anonymous ones included once the visitor is identified, appear
next to the lead's own events newest first, paged by cursor; another tenant's lead is
404 on the timeline and on the activity counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from application.shared.behaviours import Behaviour
from tests.conftest import Api
from tests.settling import settle

LATER = datetime.now(UTC) + timedelta(days=1)  # after the lead's own events


def behaviour(tenant_id: str, kind: str, minute: int, **fields: Any) -> Behaviour:
    return Behaviour(
        tenant_id=UUID(tenant_id),
        kind=kind,
        channel=fields.pop("channel", "web"),
        occurred_at=LATER + timedelta(minutes=minute),
        received_at=datetime.now(UTC),
        message_id=str(uuid4()),
        source_id="test",
        **fields,
    )


def test_behaviours_appear_on_the_lead_timeline_in_order_and_page_by_cursor(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    headers = {**api.key(token), "Prefer": "read-your-writes"}
    created = api.client.post(
        "/api/v1/leads", json={"mobile": "13800138000", "name": "张三"}, headers=headers
    )
    lead_id = created.json()["lead"]["id"]
    api.runtime.container.ingestion().take(
        [
            behaviour(tenant_id, "page", 0, anonymous_id="v-1", name="首页",
                      properties={"url": "https://acme.cn/?utm_source=wechat", "dwell_ms": 9500}),
            behaviour(tenant_id, "page", 1, anonymous_id="v-1", name="价格",
                      properties={"url": "https://acme.cn/pricing"}),
            behaviour(tenant_id, "identify", 2, anonymous_id="v-1",
                      properties={"mobile": "+86 138 0013 8000"}),
            behaviour(tenant_id, "track", 3, anonymous_id="v-1", name="预约演示",
                      channel="server", properties={"plan": "pro", "seats": 5}),
            behaviour(tenant_id, "page", 4, anonymous_id="v-someone-else"),
        ]
    )  # fmt: skip
    settle(api.runtime)
    url = f"/api/v1/leads/{lead_id}/timeline"

    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.client.get(url, params=params, headers=api.key(token))
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) <= 2
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break

    kinds = [entry["kind"] for entry in seen]
    assert kinds == [
        "tracking.EventTracked",
        "tracking.Identified",
        "tracking.PageViewed",
        "tracking.PageViewed",
        "lead.Registered",
    ]
    times = [entry["at"] for entry in seen]
    assert times == sorted(times, reverse=True)
    assert seen[0]["details"] == {
        "channel": "server",
        "name": "预约演示",
        "properties": {"plan": "pro", "seats": 5},
    }
    assert seen[0]["actor"] == {"kind": "visitor"}
    assert seen[3]["details"] == {
        "channel": "web",
        "name": "首页",
        "url": "https://acme.cn/",
        "utm": {"utm_source": "wechat"},
        "dwell_seconds": 10,
    }
    assert "138" not in str(seen[:4])  # the identify shows which traits, not the mobile

    activity = api.client.get(f"/api/v1/leads/{lead_id}/activity", headers=api.key(token))
    assert activity.status_code == 200, activity.text
    counted = {
        (a["kind"], a["name"], a["channel"]): a["count"] for a in activity.json()["activity"]
    }
    assert counted == {
        ("page", "首页", "web"): 1,
        ("page", "价格", "web"): 1,
        ("identify", "", "web"): 1,
        ("track", "预约演示", "server"): 1,
    }
    assert activity.json()["last_seen"] == seen[0]["at"]


def test_another_tenants_lead_is_not_found_on_the_timeline_or_the_activity(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    lead_id = api.client.post(
        "/api/v1/leads",
        json={"mobile": "13900139000"},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    ).json()["lead"]["id"]
    api.runtime.container.ingestion().take(
        [
            behaviour(tenant_id, "identify", 0, anonymous_id="w-1",
                      properties={"mobile": "13900139000"}),
            behaviour(tenant_id, "page", 1, anonymous_id="w-1"),
        ]
    )  # fmt: skip
    settle(api.runtime)
    _, intruder = api.tenant_with_key("tenant_admin")

    for path, shown in (("timeline", "tracking.PageViewed"), ("activity", '"kind":"page"')):
        answer = api.client.get(f"/api/v1/leads/{lead_id}/{path}", headers=api.key(intruder))
        assert answer.status_code == 404, (path, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        owned = api.client.get(f"/api/v1/leads/{lead_id}/{path}", headers=api.key(token))
        assert owned.status_code == 200 and shown in owned.text, owned.text
