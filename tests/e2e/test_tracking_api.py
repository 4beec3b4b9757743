"""TRK-1 over HTTP: the Segment-compatible tracking API (`/v1/*`) takes identify, track,
page, screen, alias, group and batch calls from a tracking source's write key into the
tenant's behaviour log, all or nothing, and refuses everything else with the documented
answer, storing nothing of it."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.shared.behaviours import Behaviour
from application.tracking.ingestion import Ingestion, IngestionBusy
from application.tracking.segment import MAX_BATCH_BYTES, Arrival, SegmentIntake
from entrypoints.public.snippet import CACHE_CONTROL
from entrypoints.public.tracking_api import TrackingLimits, TrackingRateLimited
from tests.conftest import Api

SOURCES = "/api/v1/tracking/sources"


def new_source(api: Api, token: str, **body: Any) -> dict[str, Any]:
    answer = api.client.post(
        SOURCES,
        json={"name": "官网", "kind": "website", **body},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


@pytest.fixture
def site(api: Api) -> tuple[str, str, dict[str, Any]]:
    """A tenant with a website source: (tenant id, admin key, the source with its key)."""
    tenant_id, token = api.tenant_with_key("tenant_admin")
    return tenant_id, token, new_source(api, token)


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def rows_of(api: Api, tenant_id: str) -> list[Behaviour]:
    return list(api.runtime.container.behaviours().behaviours_of(UUID(tenant_id), limit=1000))


def post(api: Api, path: str, key: str | None, body: Any, **headers: str) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(basic(key) if key else {}), **headers}
    return api.client.post(path, content=content, headers=sent)


def track(event: str = "下单 · Order Completed", **fields: Any) -> dict[str, Any]:
    return {"userId": "u-1", "event": event, "properties": {"金额": 99}, **fields}


# --- what is taken ----------------------------------------------------------------------


def test_each_call_is_stored_as_a_behaviour_of_the_sources_tenant(api: Api, site: Any) -> None:
    tenant_id, _, source = site
    key = source["write_key"]
    calls = {
        "identify": {"userId": "u-1", "traits": {"email": "li@acme.cn", "name": "李雷"}},
        "track": track(),
        "page": {"anonymousId": "a-1", "name": "首页", "properties": {"url": "https://acme.cn/"}},
        "screen": {"userId": "u-1", "name": "设置", "properties": {"tab": 2}},
        "alias": {"userId": "u-1", "previousId": "a-1"},
        "group": {"userId": "u-1", "groupId": "g-9", "traits": {"name": "火客科技"}},
    }

    for call, body in calls.items():
        answer = post(api, f"/v1/{call}", key, body, **{"X-Request-Id": f"req-{call}"})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"success": True}
        assert answer.headers["access-control-allow-origin"] == "*"

    rows = {row.kind: row for row in rows_of(api, tenant_id)}
    assert list(rows) == list(calls)
    assert all(row.source_id == source["id"] and row.channel == "web" for row in rows.values())
    assert all(row.request_id == f"req-{kind}" for kind, row in rows.items())
    assert rows["identify"].properties == {"email": "li@acme.cn", "name": "李雷"}
    assert (rows["track"].name, rows["track"].properties) == (
        "下单 · Order Completed",
        {"金额": 99},
    )
    assert (rows["page"].name, rows["page"].anonymous_id, rows["page"].user_id) == (
        "首页",
        "a-1",
        None,
    )
    assert rows["screen"].properties == {"tab": 2}
    assert rows["alias"].properties == {"previous_id": "a-1"}
    assert rows["group"].properties == {"group_id": "g-9", "traits": {"name": "火客科技"}}
    assert rows["track"].context["ip"]  # the sender's address, as Segment adds it
    assert all(len(row.message_id) == 32 for row in rows.values())  # made up when missing


def test_a_batch_with_the_key_in_the_body_as_text_plain_and_gzip(api: Api, site: Any) -> None:
    tenant_id, _, source = site
    body = {
        "writeKey": source["write_key"],
        "batch": [
            {"type": "track", **track("one"), "messageId": "m-1"},
            {"type": "identify", "anonymousId": "a-2", "traits": {"mobile": "13800138000"}},
        ],
        "context": {"library": {"name": "analytics-python"}},
    }

    plain = post(
        api,
        "/v1/batch",
        None,
        {**body, "batch": body["batch"][:1]},
        **{"Content-Type": "text/plain"},
    )
    zipped = post(
        api,
        "/v1/import",
        None,
        gzip.compress(json.dumps({**body, "batch": body["batch"][1:]}).encode()),
        **{"Content-Encoding": "gzip"},
    )

    assert plain.status_code == zipped.status_code == 200, (plain.text, zipped.text)
    rows = rows_of(api, tenant_id)
    assert (rows[0].kind, rows[0].message_id) == ("track", "m-1")
    assert rows[1].kind == "identify" and rows[1].properties == {"mobile": "13800138000"}
    assert all(row.context["library"] == {"name": "analytics-python"} for row in rows)


def test_a_repeated_message_id_is_stored_once(api: Api, site: Any) -> None:
    tenant_id, _, source = site
    batch = {"batch": [{"type": "track", **track(), "messageId": "retry-1"}]}

    answers = [post(api, "/v1/batch", source["write_key"], batch) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [row.message_id for row in rows_of(api, tenant_id)] == ["retry-1"]


def test_the_senders_clock_skew_is_taken_out_of_the_timestamp(api: Api, site: Any) -> None:
    tenant_id, _, source = site
    # The sender's clock is two hours ahead: it says it sent "now + 2h".
    ahead = datetime.now(UTC) + timedelta(hours=2)
    happened = ahead - timedelta(minutes=10)
    body = {
        "sentAt": ahead.isoformat(),
        "batch": [{"type": "track", **track(), "timestamp": happened.isoformat()}],
    }

    assert post(api, "/v1/batch", source["write_key"], body).status_code == 200

    (row,) = rows_of(api, tenant_id)
    # occurred = timestamp + (received - sentAt): ten minutes before it was received
    assert abs(row.received_at - row.occurred_at - timedelta(minutes=10)) < timedelta(seconds=5)


def test_a_page_carries_its_page_details_and_utm(api: Api, site: Any) -> None:
    tenant_id, _, source = site
    url = "https://acme.cn/landing?utm_source=wechat&utm_medium=moments&utm_campaign=双十一"
    from_url = {"anonymousId": "a-3", "properties": {"url": url}}
    page = {"url": url, "path": "/landing", "referrer": "https://baidu.com/", "title": "落地页"}
    from_context = {
        "anonymousId": "a-3",
        "context": {"page": page, "campaign": {"source": "baidu", "name": "品牌词"}},
    }

    for body in (from_url, from_context):
        assert post(api, "/v1/page", source["write_key"], body).status_code == 200

    first, second = rows_of(api, tenant_id)
    assert first.context["campaign"] == {"source": "wechat", "medium": "moments", "name": "双十一"}
    assert second.context["campaign"] == {"source": "baidu", "name": "品牌词"}
    assert second.properties == page


def test_the_channel_follows_the_source_kind_unless_the_message_names_one(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    server = new_source(api, token, name="后端", kind="server")

    post(api, "/v1/track", server["write_key"], track())
    post(api, "/v1/track", server["write_key"], track(channel="mobile"))

    assert [row.channel for row in rows_of(api, tenant_id)] == ["server", "app"]


def test_another_tenants_key_stores_only_under_that_tenant(api: Api, site: Any) -> None:
    tenant_id, _, _ = site
    other_id, other_token = api.tenant_with_key("tenant_admin")
    other = new_source(api, other_token)

    answer = post(api, "/v1/track", other["write_key"], track(userId="u-1"))

    assert answer.status_code == 200
    assert rows_of(api, tenant_id) == []
    (row,) = rows_of(api, other_id)
    assert row.tenant_id == UUID(other_id) and row.source_id == other["id"]


def test_do_not_track_stores_nothing_when_the_source_honours_it(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    honouring = new_source(api, token, honour_do_not_track=True)
    ignoring = new_source(api, token, name="活动页", honour_do_not_track=False)

    skipped = post(api, "/v1/track", honouring["write_key"], track("skipped"), DNT="1")
    taken = post(api, "/v1/track", ignoring["write_key"], track("taken"), DNT="1")
    without = post(api, "/v1/track", honouring["write_key"], track("no dnt"))

    assert skipped.status_code == taken.status_code == without.status_code == 200
    assert skipped.json() == {"success": True}
    assert [row.name for row in rows_of(api, tenant_id)] == ["taken", "no dnt"]


# --- what is refused, storing nothing ---------------------------------------------------


def test_a_batch_with_invalid_messages_names_each_and_stores_nothing(api: Api, site: Any) -> None:
    tenant_id, _, source = site
    batch = [
        {"type": "track", **track()},
        {"type": "track", "userId": "u-1"},  # no event
        {"type": "bogus", "userId": "u-1"},
        {"type": "page"},  # nobody
        {"type": "track", **track(), "userId": ["not", "an", "id"]},
        {"type": "identify", "userId": "u-1", "timestamp": "yesterday"},
        {"type": "track", **track("x" * 201)},
        {"type": "alias", "userId": "u-1"},
        {"type": "group", "userId": "u-1"},
    ]

    answer = post(api, "/v1/batch", source["write_key"], {"batch": batch})

    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert problem["code"] == "invalid_messages"
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["access-control-allow-origin"] == "*"
    assert [(e["index"], e["field"]) for e in problem["errors"]] == [
        (1, "event"),
        (2, "type"),
        (3, "userId"),
        (4, "userId"),
        (5, "timestamp"),
        (6, "event"),
        (7, "previousId"),
        (8, "groupId"),
    ]
    assert "message 1" in problem["detail"] and problem["message"] == problem["detail"]
    assert rows_of(api, tenant_id) == []


def test_oversized_bodies_and_messages_are_refused_naming_the_limit(api: Api, site: Any) -> None:
    tenant_id, _, source = site
    key = source["write_key"]
    big_message = {"type": "track", **track(), "properties": {"blob": "x" * 33_000}}
    filler = {"type": "track", **track(), "properties": {"blob": "y" * 20_000}}

    one_too_big = post(
        api, "/v1/batch", key, {"batch": [{"type": "track", **track()}, big_message]}
    )
    batch_too_big = post(api, "/v1/batch", key, {"batch": [filler] * 30})
    call_too_big = post(api, "/v1/track", key, big_message)
    bomb = post(
        api,
        "/v1/batch",
        key,
        gzip.compress(b'{"batch": [' + b" " * (50 * MAX_BATCH_BYTES) + b"]}"),
        **{"Content-Encoding": "gzip"},
    )

    assert one_too_big.status_code == 400, one_too_big.text
    assert one_too_big.json()["errors"] == [
        {"index": 1, "field": "", "reason": "larger than 32768 bytes"}
    ]
    for answer in (batch_too_big, call_too_big, bomb):
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == "payload_too_large"
    assert batch_too_big.json()["limit"] == MAX_BATCH_BYTES == bomb.json()["limit"]
    assert call_too_big.json()["limit"] == 32 * 1024
    assert rows_of(api, tenant_id) == []


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        (b'{"batch": [{"type": "track",', {}, "invalid_json"),
        # one message's string is not UTF-8: that message is named
        (
            b'{"batch": [{"type": "track", "userId": "\xff\xfe", "event": "x"}]}',
            {},
            "invalid_messages",
        ),
        (b"\xff\xfe\x00", {}, "invalid_json"),
        (b'{"messages": []}', {}, "invalid_json"),
        (b"not gzip at all", {"Content-Encoding": "gzip"}, "invalid_gzip"),
        (b"{}", {"Content-Encoding": "br"}, "unsupported_encoding"),
    ],
)
def test_bodies_that_are_not_utf8_json_are_refused(
    api: Api, site: Any, body: bytes, headers: dict[str, str], code: str
) -> None:
    tenant_id, _, source = site

    answer = post(api, "/v1/batch", source["write_key"], body, **headers)

    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == code and answer.json()["errors"]
    assert rows_of(api, tenant_id) == []


def test_unknown_malformed_and_revoked_keys_are_refused(api: Api, site: Any) -> None:
    tenant_id, token, source = site
    key = source["write_key"]
    revoked = new_source(api, token, name="旧站")
    gone = api.client.post(f"{SOURCES}/{revoked['id']}/revoke", headers=api.key(token))
    assert gone.status_code == 200, gone.text

    answers = [
        post(api, "/v1/track", None, track()),
        post(api, "/v1/track", "hk_unknown_key", track()),
        post(api, "/v1/track", key + "x", track()),
        post(api, "/v1/track", None, track(), Authorization="Basic !!not-base64!!"),
        post(api, "/v1/track", None, track(), Authorization=f"Bearer {key}"),
        post(api, "/v1/track", None, track(writeKey="hk_unknown")),
        post(api, "/v1/track", revoked["write_key"], track()),
        post(api, "/v1/batch", None, {"writeKey": revoked["write_key"], "batch": [track()]}),
    ]

    for answer in answers:
        assert answer.status_code == 401, answer.text
        assert answer.json()["code"] == "unknown_write_key"
        assert answer.headers["www-authenticate"].startswith("Basic")
    assert rows_of(api, tenant_id) == []


def test_a_deeply_nested_compressed_body_is_refused_like_a_plain_one(api: Api, site: Any) -> None:
    _, _, source = site
    deep = b'{"batch": [{"type": "track", "event": "x", "userId": "u", "properties": ' + (
        b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}]}"
    )

    plain = post(api, "/v1/batch", source["write_key"], deep)
    zipped = post(
        api, "/v1/batch", source["write_key"], gzip.compress(deep), **{"Content-Encoding": "gzip"}
    )

    assert plain.status_code == zipped.status_code == 422
    assert plain.json()["code"] == zipped.json()["code"] == "json_too_deep"


def test_a_full_queue_refuses_with_retry_after_and_stores_nothing(api: Api, site: Any) -> None:
    tenant_id, _, source = site
    container = api.runtime.container
    # No batch may wait: every request finds the queue full.
    full = Ingestion(container.behaviours(), max_waiting=0)
    intake = SegmentIntake(container.write_keys(), full, container.clock())

    with pytest.raises(IngestionBusy) as refused:
        intake.accept("track", json.dumps(track()).encode(), Arrival(source["write_key"]))

    assert refused.value.retry_after >= 1
    assert rows_of(api, tenant_id) == []


def test_the_rate_limit_counts_per_key_and_per_address() -> None:
    limits = TrackingLimits(2)
    limits.admit("ip:10.0.0.1")
    limits.admit("ip:10.0.0.1")
    limits.admit("ip:10.0.0.2")

    with pytest.raises(TrackingRateLimited) as refused:
        limits.admit("ip:10.0.0.1")

    assert 1 <= refused.value.retry_after <= 60


# --- browsers ----------------------------------------------------------------------------


def test_preflight_and_cors_let_any_site_post(api: Api) -> None:
    answer = api.client.options(
        "/v1/batch",
        headers={
            "Origin": "https://shop.acme.cn",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )

    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert "authorization" in answer.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in answer.headers


def test_the_snippet_is_served_with_a_cache_header(api: Api) -> None:
    answer = api.client.get("/t.js")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == CACHE_CONTROL
    assert "huoke_aid" in answer.text and "/v1/batch" in answer.text
    again = api.client.get("/t.js", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304


def test_the_tracking_api_is_documented_as_atomic(api: Api) -> None:
    spec = api.client.get("/schema/openapi.json").json()
    batch = spec["paths"]["/v1/batch"]["post"]

    assert (
        "atomic" in batch["description"]
        and "nothing of the batch is stored" in (batch["description"])
    )
    assert {"400", "401", "429"} <= set(batch["responses"])
    assert "/t.js" not in spec["paths"]
