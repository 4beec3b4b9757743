"""Input an integrator can get wrong, and what huoke promises about it (ADR 0011): a reason
header in Chinese stored as sent or refused (never garbled), JSON nested past the bound
refused on routes outside `/api` too, and every 429 saying when to retry."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4

import pytest
from litestar import Litestar, post
from litestar.testing import TestClient

from entrypoints.container import Runtime
from entrypoints.http.limits import MAX_JSON_DEPTH
from entrypoints.http.problems import EXCEPTION_HANDLERS
from tests.conftest import Api
from tests.e2e.billing_support import SHANGHAI, buy

REASON = "客户要求更名（合同第3条）"


def rename(api: Api, token: str, version: int, name: str, reason: str | bytes) -> Any:
    return api.client.patch(
        "/api/v1/tenant",
        json={"name": name},
        headers={**api.key(token), "If-Match": f'"{version}"', "X-Reason": reason},  # type: ignore[dict-item]
    )


def reasons(api: Api, token: str, record_id: str) -> list[str | None]:
    history = api.client.get(f"/api/v1/history/{record_id}", headers=api.key(token))
    assert history.status_code == 200, history.text
    return [entry["reason"] for entry in history.json()]


# --- X-Reason ----------------------------------------------------------------------------


def test_a_chinese_reason_is_stored_as_sent_percent_encoded_or_in_rfc_8187_form(
    api: Api,
) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    percent_encoded = quote(REASON, safe="")
    assert percent_encoded.isascii()

    first = rename(api, token, 1, "Acme 一", percent_encoded)
    second = rename(api, token, 2, "Acme 二", f"UTF-8'zh-CN'{percent_encoded}")
    third = rename(api, token, 3, "Acme 三", f"utf-8''{quote('退款')}")
    plain = rename(api, token, 4, "Acme 四", "legal name changed (see ticket #42)")

    for answer in (first, second, third, plain):
        assert answer.status_code == 200, answer.text
    assert reasons(api, token, tenant_id) == [
        None,  # registered by staff without a reason
        REASON,
        REASON,
        "退款",
        "legal name changed (see ticket #42)",
    ]


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (REASON.encode(), "raw UTF-8 bytes: they arrive as Latin-1 mojibake"),
        ("50% off", "a bare % is not percent-encoding"),
        ("%E9%80", "percent-encoding of a truncated UTF-8 character"),
        ("%FF%FE", "percent-encoded bytes that are not UTF-8"),
        ("ISO-8859-1''%E9", "RFC 8187 in a charset other than UTF-8"),
        ("line%0Abreak", "a control character"),
        ("x" * 501, "longer than 500 characters"),
    ],
)
def test_a_reason_that_cannot_be_read_exactly_is_refused_and_changes_nothing(
    api: Api, header: str | bytes, why: str
) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    before = api.event_positions()

    refused = rename(api, token, 1, "Acme 改", header)

    assert refused.status_code == 400, (why, refused.text)
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert (problem["code"], problem["field"]) == ("malformed_header", "X-Reason"), why
    assert problem["request_id"] == refused.headers["x-request-id"]
    assert api.event_positions() == before
    assert reasons(api, token, tenant_id) == [None]  # only the registration


def test_a_bad_reason_without_a_credential_still_answers_401(api: Api) -> None:
    answer = api.client.get("/api/v1/tenant", headers={"X-Reason": REASON.encode()})  # type: ignore[dict-item]
    assert answer.status_code == 401, answer.text


# --- JSON depth outside /api ---------------------------------------------------------------


def nested(depth: int) -> bytes:
    """A JSON object whose one field holds arrays, `depth` levels in all."""
    return b'{"a": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


def test_a_payment_callback_nested_too_deep_is_422_and_records_nothing(api: Api) -> None:
    # Refused before the signature check: not even a security incident is recorded.
    before = api.event_positions()

    for depth in (MAX_JSON_DEPTH + 1, 1_000):
        answer = api.client.post(
            "/callbacks/payments/sandbox",
            content=nested(depth),
            headers={"content-type": "application/json"},
        )
        assert answer.status_code == 422, answer.text
        problem = answer.json()
        assert (problem["code"], problem["limit"], problem["field"]) == (
            "json_too_deep",
            MAX_JSON_DEPTH,
            "body",
        )
    assert api.event_positions() == before


def test_strings_that_look_nested_are_not_counted(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    name = "[" * 40 + '\\"' + "{" * 40  # brackets and an escaped quote inside a string
    answer = api.client.post(
        "/api/v1/departments",
        content=b'{"name": "' + name.encode() + b'"}',
        headers={**api.key(token), "content-type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["name"] == "[" * 40 + '"' + "{" * 40


def test_an_upload_body_is_measured_too(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    before = api.event_positions()
    body = {
        "file_name": "a.csv",
        "content_base64": base64.b64encode(b"mobile\n13800000000\n").decode(),
        "mapping": {"mobile": "mobile"},
        "source": {"level1": "x"},
    }
    deep = json.dumps(body).encode()[:-1] + b', "extra": ' + b"[" * 40 + b"]" * 40 + b"}"
    answer = api.client.post(
        "/api/v1/lead-imports",
        content=deep,
        headers={**api.key(token), "content-type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "json_too_deep"
    assert api.event_positions() == before


# --- Retry-After on quota refusals -------------------------------------------------------


@pytest.fixture
def consumer(runtime: Runtime) -> Iterator[TestClient[Any]]:
    """A stand-in for the contexts that will consume quotas (campaigns, cards): one use of
    the quota in the path, answered with the API's own exception handlers."""
    quotas = runtime.container.billing().quotas

    @post("/use/{tenant_id:uuid}/{quota:str}", sync_to_thread=True)
    def use(tenant_id: UUID, quota: str) -> dict[str, str]:
        quotas.consume_quota(tenant_id, quota, 1, f"test:{uuid4()}")
        return {"used": quota}

    with TestClient(Litestar([use], exception_handlers=EXCEPTION_HANDLERS)) as client:
        yield client


def test_a_used_up_monthly_quota_says_to_retry_when_the_tenants_next_month_begins(
    api: Api, consumer: TestClient[Any]
) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    buy(api, token, "qs_micro_entry", units=1)  # 2 campaigns per month
    for _ in range(2):
        assert consumer.post(f"/use/{tenant_id}/campaigns_per_month").status_code == 201

    before = datetime.now(UTC)
    refused = consumer.post(f"/use/{tenant_id}/campaigns_per_month")
    after = datetime.now(UTC)

    assert refused.status_code == 429, refused.text
    local = after.astimezone(SHANGHAI)
    next_month = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=SHANGHAI)
    # Counted at some moment of the request (rounded up to a whole second).
    latest, earliest = (next_month - before).total_seconds(), (next_month - after).total_seconds()
    retry_after = int(refused.headers["retry-after"])
    assert earliest - 300 <= retry_after <= latest + 1, (retry_after, earliest, latest)
    assert refused.json()["retry_after"] == retry_after


def test_a_used_up_ceiling_promises_no_retry_time(api: Api, consumer: TestClient[Any]) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    buy(api, token, "qs_micro_entry", units=1)  # 10 card seats
    for _ in range(10):
        assert consumer.post(f"/use/{tenant_id}/card_seats").status_code == 201

    refused = consumer.post(f"/use/{tenant_id}/card_seats")

    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "quota_exceeded"
    assert "retry-after" not in refused.headers  # only a release or a bigger plan helps
