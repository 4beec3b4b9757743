"""The archive's setup and ingestion routes over HTTP on both stores (ARCH-1): a tenant
admin generates a key pair (the public key answered, the private key never), imports
one, sets the corp and switches the archive on, pulls the sandbox's archive now and
reads the status; a repeated version, a bad key, the version in use retired and a
stale If-Match are refused naming what; an edition without the archive reads the
settings but changes nothing (403); a marketer reads nothing, an auditor reads but does
not change; the settings' history hides the private keys and the Secret."""

from __future__ import annotations

from uuid import UUID

from adapters.archive.decryption import RsaKeyMaker
from adapters.archive.sandbox import fixture_messages
from domain.archive.settings import ArchiveSettings
from tests.conftest import Api
from tests.e2e.test_archive_reading_routes import key, paid

SETTINGS = "/api/v1/archive/settings"
INGESTION = "/api/v1/archive/ingestion"
SOURCE = {"corpid": "ww0123456789abcdef", "sdk_secret": "s3cr3t-" + "x" * 36, "enabled": True}


def test_set_up_pull_and_read_the_status(api: Api) -> None:
    tenant_id, admin = api.tenant_with_key("tenant_admin")
    paid(api, admin, "scrm_ten_seats")
    headers = api.key(admin)
    empty = api.client.get(SETTINGS, headers=headers)
    assert empty.status_code == 200 and empty.headers["etag"] == '"0"'
    assert empty.json()["keys"] == [] and empty.json()["edition_includes_archive"] is True

    made = api.client.post(f"{SETTINGS}/keys", json={"publickey_ver": 1}, headers=headers)

    assert made.status_code == 201, made.text
    (shown,) = made.json()["keys"]
    assert shown["publickey_ver"] == 1 and shown["in_use"] is True
    assert shown["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in made.text
    version = made.headers["etag"]
    on = api.client.put(SETTINGS, json=SOURCE, headers={**headers, "If-Match": version})
    assert on.status_code == 200, on.text
    assert (on.json()["enabled"], on.json()["sdk_secret_set"]) == (True, True)
    assert SOURCE["sdk_secret"] not in on.text

    pulled = api.client.post(f"{INGESTION}/pull", headers=headers)

    fixture = fixture_messages()
    assert pulled.status_code == 200, pulled.text
    assert pulled.json()["pulled"]["stored"] == len(fixture)
    assert pulled.json()["seq"] == fixture[-1][0]
    status = api.client.get(INGESTION, headers=headers).json()
    assert (status["stored"], status["undecryptable"], status["enabled"]) == (len(fixture), 0, True)
    assert status["last_pull_at"] and status["last_error"] == ""
    again = api.client.post(f"{INGESTION}/pull", headers=headers).json()
    assert again["pulled"]["stored"] == 0 and again["stored"] == len(fixture)

    history = api.client.get(
        f"/api/v1/history/{ArchiveSettings.create_id(UUID(tenant_id))}", headers=headers
    )
    assert history.status_code == 200, history.text
    assert "PRIVATE KEY" not in history.text and SOURCE["sdk_secret"] not in history.text
    assert history.text.count("[redacted]") >= 2


def test_refusals_name_what_is_wrong(api: Api) -> None:
    _tenant, admin = api.tenant_with_key("tenant_admin")
    paid(api, admin, "scrm_ten_seats")
    headers = api.key(admin)
    assert (
        api.client.post(f"{SETTINGS}/keys", json={"publickey_ver": 1}, headers=headers).status_code
        == 201
    )
    twice = api.client.post(f"{SETTINGS}/keys", json={"publickey_ver": 1}, headers=headers)
    assert twice.status_code == 409 and twice.json()["field"] == "publickey_ver"
    bad = api.client.post(
        f"{SETTINGS}/keys/import",
        json={"publickey_ver": 2, "private_key_pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n"},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["field"] == "private_key_pem"
    pair = RsaKeyMaker().generate()
    imported = api.client.post(
        f"{SETTINGS}/keys/import",
        json={"publickey_ver": 2, "private_key_pem": pair.private_key_pem},
        headers=headers,
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["publickey_ver"] == 2
    assert imported.json()["keys"][0]["public_key_pem"] == pair.public_key_pem
    assert pair.private_key_pem not in imported.text
    in_use = api.client.delete(f"{SETTINGS}/keys/2", headers=headers)
    assert in_use.status_code == 409 and in_use.json()["field"] == "publickey_ver"
    assert api.client.delete(f"{SETTINGS}/keys/9", headers=headers).status_code == 404
    stale = api.client.delete(f"{SETTINGS}/keys/1", headers={**headers, "If-Match": '"1"'})
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    retired = api.client.delete(f"{SETTINGS}/keys/1", headers=headers)
    assert retired.status_code == 200 and retired.json()["retired_versions"] == [1]
    corp = api.client.put(SETTINGS, json={**SOURCE, "corpid": "acme"}, headers=headers)
    assert corp.status_code == 422 and corp.json()["field"] == "corpid"


def test_without_the_edition_the_settings_are_read_only(api: Api) -> None:
    _tenant, admin = api.tenant_with_key("tenant_admin")
    headers = api.key(admin)
    shown = api.client.get(SETTINGS, headers=headers)
    assert shown.status_code == 200 and shown.json()["edition_includes_archive"] is False
    for answer in (
        api.client.post(f"{SETTINGS}/keys", json={"publickey_ver": 1}, headers=headers),
        api.client.put(SETTINGS, json=SOURCE, headers=headers),
        api.client.post(f"{INGESTION}/pull", headers=headers),
    ):
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"] == "subscription_inactive"
    assert api.client.get(SETTINGS, headers=headers).headers["etag"] == '"0"'


def test_a_marketer_reads_nothing_and_an_auditor_does_not_change(api: Api) -> None:
    tenant_id, admin = api.tenant_with_key("tenant_admin")
    paid(api, admin, "scrm_ten_seats")
    _, marketer = key(api, tenant_id, "marketer")
    _, auditor = key(api, tenant_id, "auditor")
    for path in (SETTINGS, INGESTION):
        assert api.client.get(path, headers=api.key(marketer)).status_code == 403
        assert api.client.get(path, headers=api.key(auditor)).status_code == 200
    for method, path, body in (
        ("POST", f"{SETTINGS}/keys", {"publickey_ver": 1}),
        ("PUT", SETTINGS, SOURCE),
        ("POST", f"{INGESTION}/pull", None),
    ):
        answer = api.client.request(method, path, json=body, headers=api.key(auditor))
        assert answer.status_code == 403, (method, path, answer.text)
    assert api.client.get(SETTINGS, headers=api.key(admin)).headers["etag"] == '"0"'
