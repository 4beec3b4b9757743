"""TRK-1 over HTTP: tracking sources with write keys shown once, stored hashed, rotated
and revoked; the key lookup the tracking API authenticates with follows at once."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from entrypoints.container import Runtime
from tests.conftest import Api

SOURCES = "/api/v1/tracking/sources"
OWNER_LENGTH = len("hk_") + 52  # the prefix and the base32 of tenant and source ids


def secret_of(key: str) -> str:
    return key[OWNER_LENGTH + 1 :]  # the secret itself may hold "_"


def create(api: Api, token: str, **body: Any) -> Any:
    answer = api.client.post(
        SOURCES,
        json={"name": "官网", "kind": "website", **body},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert answer.status_code == 201, answer.text
    return answer


def source_for(runtime: Runtime, key: str) -> Any:
    return runtime.container.write_keys().source_for_key(key)


def test_a_created_source_answers_its_write_key_once_and_the_key_finds_it(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("marketer")

    answer = create(api, token, name="  官网  ")

    created = answer.json()
    key = created["write_key"]
    assert key.startswith("hk_") and created["name"] == "官网"
    assert created["kind"] == "website" and created["honour_do_not_track"] is True
    assert created["status"] == "live" and answer.headers["etag"] == '"1"'
    assert created["key_prefix"] == secret_of(key)[:6]
    found = source_for(api.runtime, key)
    assert found is not None
    assert (found.tenant_id, found.source_id) == (UUID(tenant_id), UUID(created["id"]))
    assert (found.kind, found.honour_do_not_track) == ("website", True)
    one = api.client.get(f"{SOURCES}/{created['id']}", headers=api.key(token))
    listed = api.client.get(SOURCES, headers=api.key(token)).json()["items"]
    assert one.status_code == 200 and "write_key" not in one.json()
    assert [s["id"] for s in listed] == [created["id"]]
    assert all("write_key" not in s and "key_hash" not in s for s in listed)
    assert key not in one.text and key not in str(listed)


def test_a_repeated_create_with_the_same_idempotency_key_shows_no_key(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    headers = {**api.key(token), "Idempotency-Key": "create-source-1"}
    body = {"name": "服务端", "kind": "server"}

    first = api.client.post(SOURCES, json=body, headers=headers)
    again = api.client.post(SOURCES, json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert first.json()["write_key"] and again.json()["write_key"] is None
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["honour_do_not_track"] is False  # a server has no DNT signal


def test_renaming_and_settings_take_if_match(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    source = create(api, token).json()
    url = f"{SOURCES}/{source['id']}"

    without = api.client.patch(url, json={"name": "新官网"}, headers=api.key(token))
    stale = api.client.patch(
        url, json={"name": "新官网"}, headers={**api.key(token), "If-Match": '"7"'}
    )
    changed = api.client.patch(
        url,
        json={"name": "新官网", "honour_do_not_track": False},
        headers={**api.key(token), "If-Match": '"1"', "Prefer": "read-your-writes"},
    )

    assert without.status_code == 428 and stale.status_code == 409
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "新官网" and changed.json()["honour_do_not_track"] is False
    assert changed.headers["etag"] == '"3"'
    listed = api.client.get(SOURCES, headers=api.key(token)).json()["items"]
    assert (listed[0]["name"], listed[0]["version"]) == ("新官网", 3)
    assert source_for(api.runtime, source["write_key"]).honour_do_not_track is False


def test_rotating_gives_a_new_key_and_the_old_one_stops_at_once(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    source = create(api, token).json()

    rotated = api.client.post(f"{SOURCES}/{source['id']}/rotate-key", headers=api.key(token))

    assert rotated.status_code == 200, rotated.text
    new_key = rotated.json()["write_key"]
    assert new_key and new_key != source["write_key"]
    assert rotated.json()["key_prefix"] == secret_of(new_key)[:6]
    # No Prefer header: rotation always waits for the key lookup.
    assert source_for(api.runtime, source["write_key"]) is None
    assert source_for(api.runtime, new_key) is not None


def test_revoking_is_final_and_the_key_is_refused_on_the_next_request(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    source = create(api, token).json()
    url = f"{SOURCES}/{source['id']}"

    revoked = api.client.post(
        f"{url}/revoke",
        headers={**api.key(token), "X-Reason": "%E5%AE%98%E7%BD%91%E4%B8%8B%E7%BA%BF"},
    )

    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert source_for(api.runtime, source["write_key"]) is None
    again = api.client.post(f"{url}/revoke", headers=api.key(token))
    rotate = api.client.post(f"{url}/rotate-key", headers=api.key(token))
    rename = api.client.patch(
        url, json={"name": "x"}, headers={**api.key(token), "If-Match": revoked.headers["etag"]}
    )
    assert (again.status_code, again.json()["code"], again.json()["field"]) == (
        409,
        "state_conflict",
        "status",
    )
    assert rotate.status_code == 409 and rename.status_code == 409
    live = api.client.get(SOURCES, params={"status": "live"}, headers=api.key(token))
    gone = api.client.get(SOURCES, params={"status": "revoked"}, headers=api.key(token))
    assert live.json()["items"] == [] and [s["id"] for s in gone.json()["items"]] == [source["id"]]
    history = api.client.get(f"/api/v1/history/{source['id']}", headers=api.key(token)).json()
    assert history[-1]["type"].endswith("Revoked") and history[-1]["reason"] == "官网下线"
    assert history[0]["data"]["key_hash"] == "[redacted]"


def test_another_tenants_source_is_not_found(api: Api) -> None:
    _, owner = api.tenant_with_key("tenant_admin")
    _, other = api.tenant_with_key("tenant_admin")
    source = create(api, owner).json()
    url = f"{SOURCES}/{source['id']}"

    answers = [
        api.client.get(url, headers=api.key(other)),
        api.client.get(f"{url}/stats", headers=api.key(other)),
        api.client.patch(url, json={"name": "x"}, headers={**api.key(other), "If-Match": '"1"'}),
        api.client.post(f"{url}/rotate-key", headers=api.key(other)),
        api.client.post(f"{url}/revoke", headers=api.key(other)),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert api.client.get(SOURCES, headers=api.key(other)).json()["items"] == []
    assert source_for(api.runtime, source["write_key"]) is not None  # untouched


def test_invalid_input_names_the_field(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")

    answers = {
        "name": api.client.post(SOURCES, json={"name": "", "kind": "app"}, headers=api.key(token)),
        "kind": api.client.post(
            SOURCES, json={"name": "小程序", "kind": "fax"}, headers=api.key(token)
        ),
        "honour_do_not_track": api.client.post(
            SOURCES,
            json={"name": "小程序", "kind": "app", "honour_do_not_track": "maybe"},
            headers=api.key(token),
        ),
        "limit": api.client.get(SOURCES, params={"limit": 0}, headers=api.key(token)),
    }
    long = api.client.post(SOURCES, json={"name": "长" * 61, "kind": "app"}, headers=api.key(token))

    for field, answer in answers.items():
        assert answer.status_code in (400, 422), (field, answer.text)
        assert field in answer.text, (field, answer.text)
    assert long.status_code == 422 and long.json()["field"] == "name"


def test_roles_that_may_only_read_cannot_create_rotate_or_revoke(api: Api) -> None:
    tenant_id, admin = api.tenant_with_key("tenant_admin")
    sales = api.new_key(tenant_id, "sales")
    source = create(api, admin).json()
    url = f"{SOURCES}/{source['id']}"

    refused = [
        api.client.post(SOURCES, json={"name": "x", "kind": "app"}, headers=api.key(sales)),
        api.client.post(f"{url}/rotate-key", headers=api.key(sales)),
        api.client.post(f"{url}/revoke", headers=api.key(sales)),
        api.client.patch(url, json={"name": "x"}, headers={**api.key(sales), "If-Match": '"1"'}),
    ]

    assert [a.status_code for a in refused] == [403] * 4
    assert {a.json()["code"] for a in refused} == {"permission_denied"}
    assert api.client.get(url, headers=api.key(sales)).status_code == 200
    assert api.client.get(f"{url}/stats", headers=api.key(sales)).status_code == 200
    assert source_for(api.runtime, source["write_key"]) is not None


def test_lists_page_by_cursor(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    made = [create(api, token, name=f"来源 {n}").json()["id"] for n in range(3)]

    first = api.client.get(SOURCES, params={"limit": 2}, headers=api.key(token)).json()
    second = api.client.get(
        SOURCES, params={"limit": 2, "cursor": first["next_cursor"]}, headers=api.key(token)
    ).json()

    assert [s["id"] for s in first["items"] + second["items"]] == made
    assert second["next_cursor"] is None


def test_malformed_and_unknown_keys_find_no_source(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    key = create(api, token).json()["write_key"]
    owner = key[:OWNER_LENGTH]

    for guess in ["", "hk_", key + "x", key[:-1], f"{owner}_{'A' * 24}", key.upper(), "wk_" + key]:
        assert source_for(api.runtime, guess) is None, guess
