"""Groups over HTTP (SEG-1, SEG-3): static and smart groups, members with counts and
cursor paging, bulk operations, and who may do what."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api

RYW = {"Prefer": "read-your-writes"}


def _call(api: Api, token: str, method: str, url: str, **kwargs: Any) -> Any:
    headers = {**api.key(token), **RYW, **kwargs.pop("headers", {})}
    return api.client.request(method, url, headers=headers, **kwargs)


def _lead(api: Api, token: str, mobile: str, **body: Any) -> str:
    answer = _call(api, token, "POST", "/api/v1/leads", json={"mobile": mobile, **body})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["lead"]["id"])


def test_groups_members_counts_and_paging(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    leads = [_lead(api, token, f"1350000000{n}", name=f"客户{n}") for n in range(3)]
    formed = _call(api, token, "POST", "/api/v1/groups", json={"name": "展会名单"})
    assert formed.status_code == 201 and formed.headers["etag"] == '"1"', formed.text
    group = formed.json()
    members_url = f"/api/v1/groups/{group['id']}/members"

    added = _call(api, token, "POST", members_url, json={"lead_ids": leads})
    assert added.json() == {"changed": 3, "unchanged": 0, "not_found": 0, "not_found_ids": []}
    first = _call(api, token, "GET", members_url, params={"limit": 2}).json()
    rest = _call(api, token, "GET", members_url, params={"cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 2 and rest["next_cursor"] is None
    assert {m["lead_id"] for m in first["items"] + rest["items"]} == set(leads)
    assert _call(api, token, "GET", f"/api/v1/groups/{group['id']}").json()["members"] == 3

    removed = _call(api, token, "POST", f"{members_url}/remove", json={"lead_ids": leads[:1]})
    assert removed.json()["changed"] == 1
    counts = _call(api, token, "GET", "/api/v1/groups/counts").json()
    assert counts == {"tenant_groups": 1, "static": 1, "smart": 0, "members": 2}

    # another tenant's key sees nothing of it
    _, stranger = api.tenant_with_key("tenant_admin")
    assert _call(api, stranger, "GET", f"/api/v1/groups/{group['id']}").status_code == 404
    assert _call(api, stranger, "GET", members_url).status_code == 404
    assert _call(api, stranger, "GET", "/api/v1/groups").json()["items"] == []


def test_a_smart_group_and_its_refusals(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    hot = _lead(api, token, "13500000010", status="contacted")
    _lead(api, token, "13500000011")
    bad = {"all": [{"field": "status", "op": "equals", "value": "x"}, {"field": "nope"}]}
    refused = _call(
        api, token, "POST", "/api/v1/groups", json={"name": "坏", "kind": "smart", "filter": bad}
    )
    assert refused.status_code == 422 and refused.json()["field"].startswith("filter.all[1]")
    tree = {"field": "status", "op": "equals", "value": "contacted"}
    smart = _call(
        api,
        token,
        "POST",
        "/api/v1/groups",
        json={"name": "跟进中", "kind": "smart", "filter": tree},
    ).json()
    assert smart["members"] == 1 and smart["filter"] == tree
    listed = _call(api, token, "GET", "/api/v1/groups", params={"kind": "smart"}).json()
    assert [g["id"] for g in listed["items"]] == [smart["id"]]
    members = _call(api, token, "GET", f"/api/v1/groups/{smart['id']}/members").json()
    assert [m["lead_id"] for m in members["items"]] == [hot]
    by_hand = _call(
        api, token, "POST", f"/api/v1/groups/{smart['id']}/members", json={"lead_ids": [hot]}
    )
    assert by_hand.status_code == 409, by_hand.text
    # a marketer may manage groups; sales may not see them at all
    sales = api.new_key(tenant_id, "sales")
    assert _call(api, sales, "GET", "/api/v1/groups").status_code == 403
    marketer = api.new_key(tenant_id, "marketer")
    assert _call(api, marketer, "GET", f"/api/v1/groups/{smart['id']}").status_code == 200


def test_merge_tag_members_and_delete_with_members(api: Api) -> None:
    _, token = api.tenant_with_key("tenant_admin")
    a, b = (_lead(api, token, f"1350000002{n}") for n in range(2))
    first, second = (
        _call(api, token, "POST", "/api/v1/groups", json={"name": n}).json() for n in ("甲", "乙")
    )
    _call(api, token, "POST", f"/api/v1/groups/{first['id']}/members", json={"lead_ids": [a]})
    _call(api, token, "POST", f"/api/v1/groups/{second['id']}/members", json={"lead_ids": [b]})

    merged = _call(
        api, token, "POST", "/api/v1/groups/merge",
        json={"source_ids": [second["id"]], "target_id": first["id"]},
    )  # fmt: skip
    assert merged.status_code == 200 and merged.json()["members"] == 2, merged.text
    assert _call(api, token, "GET", f"/api/v1/groups/{second['id']}").status_code == 404

    acted = _call(
        api, token, "POST", f"/api/v1/groups/{first['id']}/members/actions",
        json={"action": "add_tags", "tags": ["展会"]},
    )  # fmt: skip
    assert acted.json() == {"action": "add_tags", "ok": 2, "not_found": 0, "refused": 0}
    tags = [_call(api, token, "GET", f"/api/v1/leads/{x}").json()["tags"] for x in (a, b)]
    assert tags == [["展会"], ["展会"]]

    url = f"/api/v1/groups/{first['id']}"
    assert _call(api, token, "DELETE", url).status_code == 428  # If-Match first
    version = _call(api, token, "GET", url).headers["etag"]
    gone = _call(
        api, token, "DELETE", url, params={"with_members": "true"}, headers={"If-Match": version}
    )
    assert gone.status_code == 200 and gone.json()["deleted"] is True, gone.text
    assert all(_call(api, token, "GET", f"/api/v1/leads/{x}").json()["deleted"] for x in (a, b))
