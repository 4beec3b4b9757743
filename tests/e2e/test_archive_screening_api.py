"""The screening and reply-timeout routes on both stores (ARCH-3, ARCH-4): word lists made,
filled from text lines, searched, emptied and archived with If-Match; the watched
behaviours, allow-list and reply rules replaced with If-Match and refused naming the
field; alerts, their counts, reply timeouts and per-employee stats read after messages
are ingested; settings are the tenant admin's, reports also the sales manager's, and
neither is a marketer's or a data analyst's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Api
from tests.e2e.archive_screening_support import ingest, said, shanghai

LISTS = "/api/v1/archive/word-lists"
RYW = {"Prefer": "read-your-writes"}


def _call(api: Api, token: str, method: str, url: str, **kwargs: Any) -> Any:
    headers = {**api.key(token), **RYW, **kwargs.pop("headers", {})}
    return api.client.request(method, url, headers=headers, **kwargs)


def test_word_lists_are_made_filled_searched_emptied_and_archived(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    made = _call(api, token, "POST", LISTS, json={"name": "承诺", "category": "违规承诺",
                                                   "words": ["保本", "ＡＢＣ", "abc"]})  # fmt: skip
    assert made.status_code == 201, made.text
    word_list = made.json()
    assert (word_list["words"], made.headers["etag"]) == (2, '"1"')
    url = f"{LISTS}/{word_list['id']}"

    added = _call(api, token, "POST", f"{url}/words", json={"lines": "稳赚不赔\n\n保本\n加微信"})
    assert added.status_code == 200, added.text
    assert (added.json()["changed"], added.json()["words"]) == (["稳赚不赔", "加微信"], 4)
    found = _call(api, token, "GET", f"{url}/words", params={"q": "微"}).json()
    assert [w["word"] for w in found["items"]] == ["加微信"]
    first = _call(api, token, "GET", f"{url}/words", params={"limit": 3}).json()
    rest = _call(api, token, "GET", f"{url}/words", params={"cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 3 and len(rest["items"]) == 1

    version = added.headers["etag"]
    assert (
        _call(api, token, "POST", f"{url}/words/remove", json={"words": ["保本"]}).status_code
        == 428
    )
    removed = _call(api, token, "POST", f"{url}/words/remove", json={"words": ["保本", "无"]},
                    headers={"If-Match": version})  # fmt: skip
    assert removed.status_code == 200 and removed.json()["changed"] == ["保本"], removed.text
    stale = _call(api, token, "PATCH", url, json={"name": "旧"}, headers={"If-Match": version})
    assert stale.status_code == 409, stale.text
    renamed = _call(api, token, "PATCH", url, json={"category": "竞品"},
                    headers={"If-Match": removed.headers["etag"]})  # fmt: skip
    assert renamed.json()["category"] == "竞品", renamed.text
    too_long = _call(api, token, "POST", f"{url}/words", json={"words": ["好", "长" * 51]})
    assert too_long.status_code == 422 and too_long.json()["field"] == "words", too_long.text

    archived = _call(
        api, token, "POST", f"{url}/archive", headers={"If-Match": renamed.headers["etag"]}
    )
    assert archived.status_code == 200 and archived.json()["archived"] is True, archived.text
    assert _call(api, token, "POST", f"{url}/words", json={"words": ["新"]}).status_code == 409
    assert not _call(api, token, "GET", LISTS).json()["items"]
    assert (
        len(_call(api, token, "GET", LISTS, params={"include_archived": "true"}).json()["items"])
        == 1
    )


def test_screening_and_reply_rules_are_replaced_with_if_match(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    rules = _call(api, token, "GET", "/api/v1/archive/screening-rules")
    assert rules.json()["behaviours"] == [
        "mobile",
        "email",
        "bank_card",
        "red_packet",
        "file",
        "link",
    ]
    body = {"behaviours": ["file"], "allowed_employees": ["zhangsan", "li.si"]}
    assert _call(api, token, "PUT", "/api/v1/archive/screening-rules", json=body).status_code == 428
    changed = _call(api, token, "PUT", "/api/v1/archive/screening-rules", json=body,
                    headers={"If-Match": rules.headers["etag"]})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"behaviours": ["file"], "allowed_employees": ["li.si", "zhangsan"],
                              "version": 2}  # fmt: skip
    bad = _call(api, token, "PUT", "/api/v1/archive/screening-rules",
                json={"behaviours": [], "allowed_employees": ["张三"]},
                headers={"If-Match": '"2"'})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["field"] == "allowed_employees", bad.text

    replies = _call(api, token, "GET", "/api/v1/archive/reply-rules")
    assert replies.json()["timezone"] == "Asia/Shanghai"
    assert (replies.json()["threshold_minutes"], len(replies.json()["working_hours"])) == (30, 5)
    overlapping = {
        "threshold_minutes": 20,
        "working_hours": [{"weekday": 1, "start": "09:00", "end": "12:00"},
                          {"weekday": 1, "start": "11:00", "end": "18:00"}],
    }  # fmt: skip
    refused = _call(api, token, "PUT", "/api/v1/archive/reply-rules", json=overlapping,
                    headers={"If-Match": replies.headers["etag"]})  # fmt: skip
    assert refused.status_code == 422 and refused.json()["field"] == "working_hours", refused.text
    too_much = {"threshold_minutes": 1441, "working_hours": []}
    refused = _call(api, token, "PUT", "/api/v1/archive/reply-rules", json=too_much,
                    headers={"If-Match": replies.headers["etag"]})  # fmt: skip
    assert refused.status_code == 422, refused.text
    ok = {"threshold_minutes": 20, "working_hours": overlapping["working_hours"][:1]}
    changed = _call(api, token, "PUT", "/api/v1/archive/reply-rules", json=ok,
                    headers={"If-Match": replies.headers["etag"]})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert (changed.json()["threshold_minutes"], changed.json()["version"]) == (20, 2)


def test_reports_after_ingestion_and_who_may_read_them(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    made = _call(
        api, token, "POST", LISTS, json={"name": "辱骂", "category": "辱骂", "words": ["滚"]}
    )
    assert made.status_code == 201, made.text
    monday = shanghai("2026-11-02T10:00")
    month_ago = datetime.now(UTC) - timedelta(days=30)
    ingest(
        api.runtime,
        tenant_id,
        [
            said("wmRude", "alice", "滚", at=monday),
            said(
                "alice", "wmRude", "您先别急，电话 13812345678", at=monday + timedelta(minutes=45)
            ),
            said("wmForgotten", "bob", "在吗", at=month_ago),
        ],
    )
    alerts = _call(api, token, "GET", "/api/v1/archive/alerts").json()["items"]
    assert sorted((a["rule"], a["match"], a["employee"], a["sender"]) for a in alerts) == [
        ("mobile", "138****5678", "alice", "alice"),
        ("word", "滚", "alice", "wmRude"),
    ]
    by_word = _call(api, token, "GET", "/api/v1/archive/alert-counts", params={"by": "word"}).json()
    assert (by_word["items"], by_word["total"]) == ([{"key": "滚", "rule": "word", "hits": 1}], 1)
    on_day = _call(api, token, "GET", "/api/v1/archive/alerts",
                   params={"day_from": "2026-11-03", "day_to": "2026-11-03"}).json()  # fmt: skip
    assert not on_day["items"]
    reversed_days = _call(api, token, "GET", "/api/v1/archive/alert-counts",
                          params={"day_from": "2026-11-03", "day_to": "2026-11-02"})  # fmt: skip
    assert reversed_days.status_code == 422 and reversed_days.json()["field"] == "day_to"

    timeouts = _call(api, token, "GET", "/api/v1/archive/reply-timeouts").json()["items"]
    assert [(t["customer"], t["employee"], t["answered"]) for t in timeouts] == [
        ("wmForgotten", "bob", False),  # nobody answered in a month
        ("wmRude", "alice", True),  # 45 working minutes
    ]
    assert timeouts[1]["waited_minutes"] == 45.0
    answered = _call(
        api, token, "GET", "/api/v1/archive/reply-timeouts", params={"state": "answered"}
    )
    assert [t["customer"] for t in answered.json()["items"]] == ["wmRude"]
    stats = _call(api, token, "GET", "/api/v1/archive/reply-stats").json()["items"]
    assert [(s["employee"], s["timeouts"], s["average_reply_minutes"]) for s in stats] == [
        ("alice", 1, 45.0),
        ("bob", 1, None),
    ]

    manager = api.new_key(tenant_id, "sales_manager")
    assert _call(api, manager, "GET", "/api/v1/archive/alerts").status_code == 200
    assert _call(api, manager, "GET", "/api/v1/archive/reply-stats").status_code == 200
    assert _call(api, manager, "GET", LISTS).status_code == 403
    for role in ("marketer", "data_analyst"):
        key = api.new_key(tenant_id, role)
        assert _call(api, key, "GET", "/api/v1/archive/alerts").status_code == 403
        assert _call(api, key, "GET", "/api/v1/archive/reply-rules").status_code == 403
        assert (
            _call(api, key, "POST", LISTS, json={"name": "x", "category": "y"}).status_code == 403
        )
