"""Sending domains over HTTP (MAIL-3) on both backends: adding answers the four records
to publish; a check against the (test) public DNS names what is still missing and verifies
once everything is there; bad names answer 422 naming `domain`; another tenant's domain
is not found; removal takes If-Match, and a removed domain can be added again with a new
key."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Api
from tests.e2e.mail_support import headers_of, publish
from tests.integration.dns_server import LocalDns

URL = "/api/v1/sending-domains"
PURPOSES = ["spf", "dkim", "mx", "tracking"]


def _name() -> str:
    return f"mail{uuid.uuid4().hex[:10]}.acme.cn"


def _add(api: Api, token: str, name: str) -> dict[str, Any]:
    added = api.client.post(URL, json={"domain": name}, headers=headers_of(token))
    assert added.status_code == 201, added.text
    assert added.headers["ETag"] == f'"{added.json()["version"]}"'
    return dict(added.json())


def _verify(api: Api, token: str, domain_id: str) -> dict[str, Any]:
    checked = api.client.post(f"{URL}/{domain_id}/verify", headers=headers_of(token))
    assert checked.status_code == 200, checked.text
    return dict(checked.json())


def _listed(api: Api, token: str) -> dict[str, str]:
    answer = api.client.get(URL, headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return {item["domain"]: item["state"] for item in answer.json()["items"]}


def test_adding_a_domain_answers_the_records_to_publish(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    name = _name()
    added = _add(api, token, name.upper())
    settings = api.runtime.settings.messaging
    assert (added["domain"], added["state"], added["may_send"]) == (name, "pending", False)
    assert added["missing"] == [] and "hour" in added["note"]
    records = {r["purpose"]: r for r in added["records"]}
    assert sorted(records) == sorted(PURPOSES)
    assert (records["spf"]["type"], records["spf"]["host"]) == ("TXT", name)
    assert records["spf"]["value"] == f"v=spf1 include:{settings.spf_include} ~all"
    dkim = records["dkim"]
    assert (dkim["type"], dkim["host"]) == ("TXT", f"{added['selector']}._domainkey.{name}")
    assert dkim["value"].startswith("v=DKIM1; k=rsa; p=MII")
    assert (records["mx"]["type"], records["mx"]["host"]) == ("MX", name)
    assert records["mx"]["value"] == settings.mx_host
    assert records["tracking"] == {
        "purpose": "tracking", "type": "CNAME", "host": f"track.{name}",
        "value": settings.tracking_host, "ok": None, "found": [],
    }  # fmt: skip
    assert "private" not in str(added).lower()  # the key never leaves the store

    one = api.client.get(f"{URL}/{added['id']}", headers=api.key(token))
    assert one.status_code == 200 and one.json()["records"] == added["records"], one.text
    assert _listed(api, token) == {name: "pending"}
    # the same name again, in any case, is the same domain
    again = api.client.post(URL, json={"domain": f"{name}."}, headers=headers_of(token))
    assert again.status_code == 409, again.text


def test_a_check_names_the_missing_records_until_all_are_published(
    api: Api, public_dns: LocalDns
) -> None:
    _, token = api.tenant_with_key("marketer")
    added = _add(api, token, _name())

    nothing = _verify(api, token, added["id"])
    assert (nothing["state"], nothing["may_send"]) == ("failed", False)
    assert nothing["missing"] == PURPOSES
    assert all(r["ok"] is False and r["found"] == [] for r in nothing["records"])
    assert "hour" in nothing["note"]

    # SPF and MX published, DKIM with somebody else's key, no CNAME yet
    records = {r["purpose"]: r for r in added["records"]}
    public_dns.add_txt(records["spf"]["host"], records["spf"]["value"])
    public_dns.add_mx(records["mx"]["host"], records["mx"]["value"])
    public_dns.add_txt(records["dkim"]["host"], "v=DKIM1; k=rsa; p=MIIBIjANotours")
    partly = _verify(api, token, added["id"])
    assert (partly["state"], partly["missing"]) == ("failed", ["dkim", "tracking"])
    found = {r["purpose"]: r for r in partly["records"]}
    assert found["spf"]["ok"] and found["mx"]["found"] == [records["mx"]["value"]]
    assert found["dkim"] | {"ok": None} == records["dkim"] | {
        "found": ["v=DKIM1; k=rsa; p=MIIBIjANotours"]
    }

    publish(public_dns, added)
    verified = _verify(api, token, added["id"])
    assert (verified["state"], verified["may_send"], verified["missing"]) == (
        "verified", True, [],
    )  # fmt: skip
    assert verified["verified_at"] is not None
    assert all(r["ok"] for r in verified["records"])
    assert _listed(api, token) == {added["domain"]: "verified"}


def test_bad_names_answer_422_naming_the_field(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    for bad, said in [
        ("203.0.113.7", "IP address"),
        ("acme.cn", "subdomain"),
        ("mail_box.acme.cn", "host name"),
        ("news@mail.acme.cn", "host name"),
        ("abc", ""),
    ]:
        answer = api.client.post(URL, json={"domain": bad}, headers=headers_of(token))
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["field"] == "domain", answer.text
        assert said in answer.text
    assert _listed(api, token) == {}


def test_another_tenants_domain_is_not_found(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    _, other = api.tenant_with_key("marketer")
    name = _name()
    added = _add(api, token, name)
    one = f"{URL}/{added['id']}"
    assert api.client.get(one, headers=api.key(other)).status_code == 404
    assert api.client.post(f"{one}/verify", headers=api.key(other)).status_code == 404
    gone = api.client.delete(one, headers={**api.key(other), "If-Match": '"1"'})
    assert gone.status_code == 404, gone.text
    assert _listed(api, other) == {}
    # the name is each tenant's own: the other tenant adds it as a domain of its own
    theirs = _add(api, other, name)
    assert theirs["id"] != added["id"]
    assert api.client.get(one, headers=api.key(token)).json()["state"] == "pending"


def test_readers_may_not_add_and_removal_takes_if_match(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("marketer")
    reader = api.new_key(tenant_id, "sales")
    refused = api.client.post(URL, json={"domain": _name()}, headers=api.key(reader))
    assert refused.status_code == 403, refused.text
    added = _add(api, token, _name())
    one = f"{URL}/{added['id']}"
    assert api.client.get(one, headers=api.key(reader)).status_code == 200

    assert api.client.delete(one, headers=api.key(token)).status_code == 428
    stale = api.client.delete(one, headers={**api.key(token), "If-Match": '"7"'})
    assert stale.status_code == 409, stale.text
    removed = api.client.delete(one, headers={**headers_of(token), "If-Match": '"1"'})
    assert removed.status_code == 200 and removed.json()["may_send"] is False, removed.text
    assert api.client.get(one, headers=api.key(token)).status_code == 404
    assert _listed(api, token) == {}

    back = _add(api, token, added["domain"])
    assert back["id"] == added["id"] and back["state"] == "pending"
    dkim = {r["purpose"]: r["value"] for r in back["records"]}["dkim"]
    assert dkim != {r["purpose"]: r["value"] for r in added["records"]}["dkim"]  # a new key
    assert _listed(api, token) == {added["domain"]: "pending"}
