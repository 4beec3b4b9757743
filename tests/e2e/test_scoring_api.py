"""The scoring API on both stores (SCORE-1…5): rules with their own versions, refusals
naming the bad field (injection attempts in fields, properties and operators refused),
a lead's score, manual adjustments and history, the matrix, funnel, conversions and
value groups, and another tenant's lead answered 404."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from application.shared.behaviours import Behaviour
from tests.conftest import Api
from tests.settling import settle

RULES = "/api/v1/scoring/rules"
WRITE = {"Prefer": "read-your-writes"}


def _headers(api: Api, token: str, **more: str) -> dict[str, str]:
    return {**api.key(token), **WRITE, **more}


def _lead(api: Api, token: str, **fields: Any) -> str:
    mobile = f"139{uuid.uuid4().int % 10**8:08d}"
    answer = api.client.post(
        "/api/v1/leads", json={"mobile": mobile, **fields}, headers=_headers(api, token)
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["lead"]["id"])


def test_rules_are_made_changed_with_their_own_version_and_removed(api: Api) -> None:
    _tenant, token = api.tenant_with_key("marketer")
    body = {"title": "打开邮件", "category": "email", "points": 5, "behaviour": {"kind": "open"}}
    first = api.client.post(RULES, json=body, headers=_headers(api, token))
    second = api.client.post(RULES, json={**body, "title": "点击"}, headers=_headers(api, token))
    assert first.status_code == second.status_code == 201
    assert first.headers["etag"] == '"1"' and first.json()["frequency"] == "unlimited"
    url = f"{RULES}/{first.json()['id']}"
    changed = api.client.patch(
        url, json={"points": 8, "cap": 20}, headers=_headers(api, token, **{"If-Match": '"1"'})
    )
    assert changed.status_code == 200 and changed.json()["points"] == 8, changed.text
    stale = api.client.patch(
        url, json={"points": 9}, headers=_headers(api, token, **{"If-Match": '"1"'})
    )
    assert stale.status_code == 409
    listed = api.client.get(RULES, headers=api.key(token)).json()["items"]
    assert {r["title"] for r in listed} == {"打开邮件", "点击"}
    assert api.client.delete(url, headers=_headers(api, token)).status_code == 200
    assert api.client.get(url, headers=api.key(token)).status_code == 404
    settings = api.client.get("/api/v1/scoring/settings", headers=api.key(token))
    assert settings.headers["etag"] == '"1"'  # rules do not move the settings' version
    assert settings.json()["stages"][0] == {"name": "初始线索", "cells": ["A1"]}


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"behaviour": {"kind": "teleport"}}, "behaviour.kind"),
        ({"attribute": {"field": "title; DROP TABLE leads", "value": "x"}}, "attribute.field"),
        ({"attribute": {"field": "custom.x') OR 1=1 --", "value": "x"}}, "attribute.field"),
        ({"behaviour": {"kind": "track", "property": "a'b", "value": "1"}}, "behaviour.property"),
        ({"behaviour": {"kind": "page", "property": "path", "op": "LIKE", "value": "%"}},
         "behaviour.op"),
        ({"attribute": {"field": "title", "value": "x"}, "behaviour": {"kind": "page"}},
         "attribute"),
        ({"behaviour": {"kind": "page"}, "points": 0}, "points"),
        ({"behaviour": {"kind": "page"}, "category": "vip"}, "category"),
    ],
)  # fmt: skip
def test_a_bad_rule_is_refused_naming_the_field(api: Api, rule: dict[str, Any], field: str) -> None:
    _tenant, token = api.tenant_with_key("marketer")
    body = {"title": "坏规则", "category": "website", "points": 5, **rule}
    answer = api.client.post(RULES, json=body, headers=_headers(api, token))
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert api.client.get(RULES, headers=api.key(token)).json()["items"] == []


def test_a_leads_score_adjustments_history_and_the_board(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    rule = api.client.post(
        RULES,
        json={
            "title": "下载",
            "category": "content",
            "points": 30,
            "frequency": "once",
            "validity_days": 30,
            "behaviour": {"kind": "track", "name": "download"},
        },
        headers=_headers(api, token),
    ).json()
    lead_id = _lead(api, token)
    untouched = _lead(api, token)
    api.runtime.container.ingestion().take(
        [
            Behaviour(
                tenant_id=UUID(tenant_id),
                kind="track",
                channel="web",
                name="download",
                occurred_at=datetime.now(UTC),
                received_at=datetime.now(UTC),
                message_id=str(uuid.uuid4()),
                lead_id=UUID(lead_id),
                source_id="test",
            )
            for _ in range(3)
        ]
    )
    settle(api.runtime)
    score = api.client.get(f"/api/v1/leads/{lead_id}/score", headers=api.key(token)).json()
    assert (score["behaviour_score"], score["cell"], score["stage"]) == (30, "B1", "孵化中")
    assert [e["rule_id"] for e in score["entries"]] == [rule["id"]]
    adjusted = api.client.post(
        f"/api/v1/leads/{lead_id}/score/adjustments",
        json={"points": 80, "reason": "签约意向强", "part": "profile"},
        headers=_headers(api, token),
    )
    assert adjusted.status_code == 200, adjusted.text
    assert (adjusted.json()["score"], adjusted.json()["cell"]) == (100, "B4")
    settle(api.runtime)
    history = api.client.get(f"/api/v1/leads/{lead_id}/score/history", headers=api.key(token))
    kinds = [(h["kind"], h["rule_id"], h["reason"]) for h in history.json()]
    assert kinds[:2] == [
        ("scoring.StageChanged", None, "签约意向强"),
        ("scoring.PointsAdjusted", None, "签约意向强"),
    ]
    assert ("scoring.PointsAwarded", rule["id"], None) in kinds
    matrix = api.client.get("/api/v1/scoring/matrix", headers=api.key(token)).json()
    assert {c["cell"]: c["count"] for c in matrix["cells"] if c["count"]} == {"A1": 1, "B4": 1}
    assert matrix["temperature"] == {"hot": 1, "warm": 0, "cold": 1}
    funnel = api.client.get("/api/v1/scoring/funnel", headers=api.key(token)).json()
    assert [s["count"] for s in funnel["stages"]] == [1, 0, 0, 1]
    conversions = api.client.get("/api/v1/scoring/conversions", headers=api.key(token)).json()
    assert [(c["from_stage"], c["to_stage"]) for c in conversions["items"]] == [
        ("孵化中", "市场认可"),
        ("初始线索", "孵化中"),
    ]
    groups = api.client.get(
        "/api/v1/scoring/value-groups", params={"width": 20}, headers=api.key(token)
    ).json()
    assert [b["count"] for b in groups["bands"]] == [1, 0, 0, 0, 1]
    assert groups["bands"][-1]["filter"] == {
        "field": "score", "op": "range", "value": {"from": 80, "to": 100}
    }  # fmt: skip
    bad = api.client.get(
        "/api/v1/scoring/value-groups", params={"width": 7}, headers=api.key(token)
    )
    assert bad.status_code == 422 and bad.json()["field"] == "width"
    timeline = api.client.get(f"/api/v1/leads/{lead_id}/timeline", headers=api.key(token))
    assert "scoring.PointsAwarded" in {e["kind"] for e in timeline.json()["items"]}
    fresh = api.client.get(f"/api/v1/leads/{untouched}/score", headers=api.key(token)).json()
    assert (fresh["score"], fresh["cell"], fresh["version"]) == (0, "A1", 0)

    _other, intruder = api.tenant_with_key("tenant_admin")
    for url in (f"/api/v1/leads/{lead_id}/score", f"/api/v1/leads/{lead_id}/score/history"):
        assert api.client.get(url, headers=api.key(intruder)).status_code == 404
    refused = api.client.post(
        f"/api/v1/leads/{lead_id}/score/adjustments",
        json={"points": 5, "reason": "x"},
        headers=_headers(api, intruder),
    )
    assert refused.status_code == 404


def test_sales_read_scores_but_neither_adjust_nor_keep_rules(api: Api) -> None:
    tenant_id, admin = api.tenant_with_key("tenant_admin")
    sales = api.new_key(tenant_id, "sales")
    lead_id = _lead(api, admin)
    assert api.client.get(RULES, headers=api.key(sales)).status_code == 200
    assert api.client.get("/api/v1/scoring/matrix", headers=api.key(sales)).status_code == 200
    body = {"title": "x", "category": "website", "points": 1, "behaviour": {"kind": "page"}}
    assert api.client.post(RULES, json=body, headers=api.key(sales)).status_code == 403
    adjust = api.client.post(
        f"/api/v1/leads/{lead_id}/score/adjustments",
        json={"points": 5, "reason": "x"},
        headers=api.key(sales),
    )
    assert adjust.status_code == 403
