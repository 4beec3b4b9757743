"""Idempotency-Key, If-Match and read-your-writes on the write path."""

from __future__ import annotations

import threading
from typing import Any

from tests.conftest import Api


def test_the_same_post_twice_with_one_idempotency_key_creates_one_record(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    headers = {**api.key(token), "Idempotency-Key": "import-2026-11-25-row-7"}
    first = api.client.post("/api/v1/departments", json={"name": "华北区"}, headers=headers)
    positions = api.event_positions()

    again = api.client.post("/api/v1/departments", json={"name": "华北区"}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert api.event_positions() == positions  # no new event
    listed = api.client.get(
        "/api/v1/departments", headers={**api.key(token), "Prefer": "read-your-writes"}
    )
    assert [d["id"] for d in listed.json()["items"]].count(first.json()["id"]) <= 1


def test_idempotent_staff_and_tenant_creation(api: Api) -> None:
    headers = {**api.staff(), "Idempotency-Key": "onboard-branch-42"}
    body = {"name": "Branch 42", "owner_name": "赵", "owner_contact": "zhao@b42.cn"}
    first = api.client.post("/api/v1/admin/tenants", json=body, headers=headers)
    again = api.client.post("/api/v1/admin/tenants", json=body, headers=headers)
    assert first.json()["id"] == again.json()["id"]

    key_body = {"name": "first", "roles": ["tenant_admin"]}
    url = f"/api/v1/admin/tenants/{first.json()['id']}/api-keys"
    key_headers = {**api.staff(), "Idempotency-Key": "onboard-branch-42-key"}
    issued = api.client.post(url, json=key_body, headers=key_headers)
    replayed = api.client.post(url, json=key_body, headers=key_headers)
    assert issued.json()["id"] == replayed.json()["id"]
    assert issued.json()["token"] and replayed.json()["token"] is None  # secret shown once


def test_different_idempotency_keys_create_different_records(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    ids = {
        api.client.post(
            "/api/v1/departments",
            json={"name": "same"},
            headers={**api.key(token), "Idempotency-Key": key},
        ).json()["id"]
        for key in ("a", "b")
    }
    assert len(ids) == 2


def test_two_updates_with_the_same_if_match_one_wins(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    headers = {**api.key(token), "If-Match": '"1"'}
    answers: list[Any] = []
    start = threading.Barrier(2)

    def rename(name: str) -> None:
        start.wait()
        answers.append(api.client.patch("/api/v1/tenant", json={"name": name}, headers=headers))

    threads = [threading.Thread(target=rename, args=(name,)) for name in ("东方", "西方")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answer.status_code for answer in answers) == [200, 409]
    assert next(a for a in answers if a.status_code == 409).json()["code"] == "version_conflict"
    assert api.client.get("/api/v1/tenant", headers=api.key(token)).json()["version"] == 2


def test_updates_need_if_match(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    missing = api.client.patch("/api/v1/tenant", json={"name": "x"}, headers=api.key(token))
    assert missing.status_code == 428 and missing.json()["code"] == "if_match_required"
    bad = api.client.patch(
        "/api/v1/tenant", json={"name": "x"}, headers={**api.key(token), "If-Match": "yesterday"}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "If-Match"
    weak = api.client.patch(
        "/api/v1/tenant", json={"name": "x"}, headers={**api.key(token), "If-Match": 'W/"1"'}
    )
    assert weak.status_code == 200 and weak.headers["etag"] == '"2"'


def test_read_your_writes_makes_the_list_show_the_new_record(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    for n in range(3):
        api.client.post(
            "/api/v1/employees",
            json={"name": f"员工{n}", "roles": ["sales"]},
            headers={**api.key(token), "Prefer": "read-your-writes"},
        )
        listed = api.client.get("/api/v1/employees", headers=api.key(token)).json()["items"]
        assert len(listed) == n + 1
