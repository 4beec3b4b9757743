"""TRK-3 over HTTP: parameter QR codes made at WeChat (the sandbox), a follow or a scan
through one answered with its reply and counted; fans retained now and 7 days after
they followed; service accounts only; another tenant's codes 404."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import Api
from tests.e2e.wechat_support import ACCOUNTS, bind, decrypt_reply, event_xml, push
from tests.settling import settle

DAY = 86_400


def make(api: Api, token: str, account: dict[str, Any], **body: Any) -> Any:
    return api.client.post(
        f"{ACCOUNTS}/{account['id']}/qr-codes",
        json={"name": "2026 展会", "scene": "expo2026", **body},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )


def test_a_code_answers_its_scans_and_counts_follows_and_retention(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    account = bind(api, token, n=301)
    made = make(api, token, account, valid_days=7, reply="欢迎来到展台 A3")
    assert made.status_code == 201, made.text
    code = made.json()
    assert code["permanent"] is False and code["expires_at"] is not None
    assert code["image_url"].startswith("http")
    now = int(time.time())

    # Three fans follow through the code 10 days ago; one leaves 2 days later, one today.
    for openid in ("oQr1", "oQr2", "oQr3"):
        followed = push(api, account, event_xml(openid, "subscribe", at=now - 10 * DAY,
                                                key="qrscene_expo2026"))  # fmt: skip
        assert "欢迎来到展台 A3" in decrypt_reply(account, followed)
    push(api, account, event_xml("oQr2", "unsubscribe", at=now - 8 * DAY))
    push(api, account, event_xml("oQr3", "unsubscribe", at=now - 60))
    # A follower scans it again; a fan follows through it today.
    scanned = push(api, account, event_xml("oQr1", "SCAN", at=now - 30, key="expo2026"))
    assert "欢迎来到展台 A3" in decrypt_reply(account, scanned)
    push(api, account, event_xml("oQr4", "subscribe", at=now - 20, key="qrscene_expo2026"))
    settle(api.runtime)

    stats = api.client.get(f"/api/v1/wechat/qr-codes/{code['id']}/stats", headers=api.key(token))

    assert stats.status_code == 200, stats.text
    assert stats.json() == {
        "scene": "expo2026",
        "scans": 5,
        "follows": 4,
        "retained_now": 2,  # oQr1 and oQr4
        "followed_a_week_ago": 3,
        "retained_after_7_days": 2,  # oQr2 left within the week, oQr3 after it
        "retention_7_days": 0.6667,
    }
    fan = api.client.get(f"{ACCOUNTS}/{account['id']}/fans/oQr4", headers=api.key(token))
    assert fan.json()["scene"] == "expo2026"


def test_codes_are_for_service_accounts_and_one_live_code_per_scene(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    subscription = bind(api, token, n=302, kind="subscription")
    service = bind(api, token, n=303)

    refused = make(api, token, subscription)
    first = make(api, token, service)
    again = make(api, token, service)
    too_long = make(api, token, service, scene="other", valid_days=31)

    assert refused.status_code == 409 and "service account" in refused.json()["detail"]
    assert first.status_code == 201 and first.json()["permanent"] is True
    assert again.status_code == 409
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "valid_days"
    listed = api.client.get(f"{ACCOUNTS}/{service['id']}/qr-codes", headers=api.key(token))
    assert [c["scene"] for c in listed.json()["items"]] == ["expo2026"]
    sent = api.runtime.container.wechat_api().sent()
    assert [s["call"] for s in sent if s["appid"] == service["appid"]] == ["qr_code"]
    assert not [s for s in sent if s["appid"] == subscription["appid"]]


def test_another_tenants_code_is_not_found(api: Api) -> None:
    _, owner = api.tenant_with_key("marketer")
    _, stranger = api.tenant_with_key("tenant_admin")
    account = bind(api, owner, n=304)
    code = make(api, owner, account).json()

    for path in (f"/api/v1/wechat/qr-codes/{code['id']}",
                 f"/api/v1/wechat/qr-codes/{code['id']}/stats",
                 f"{ACCOUNTS}/{account['id']}/qr-codes"):  # fmt: skip
        assert api.client.get(path, headers=api.key(stranger)).status_code == 404, path
    archived = api.client.post(
        f"/api/v1/wechat/qr-codes/{code['id']}/archive",
        headers={**api.key(stranger), "If-Match": '"1"'},
    )
    assert archived.status_code == 404


def test_a_lead_binding_code_attaches_the_fan_who_scans_it_to_that_lead(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    account = bind(api, token, n=305)
    lead = api.client.post(
        "/api/v1/leads",
        json={"mobile": "13900139305", "name": "陈静"},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    ).json()["lead"]
    made = api.client.post(
        f"{ACCOUNTS}/{account['id']}/lead-qr-codes",
        json={"lead_id": lead["id"]},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    again = api.client.post(
        f"{ACCOUNTS}/{account['id']}/lead-qr-codes",
        json={"lead_id": lead["id"]},
        headers=api.key(token),
    )
    assert made.status_code == 201, made.text
    assert again.json()["id"] == made.json()["id"]  # the lead's live code, not a second
    scene = made.json()["scene"]

    push(api, account, event_xml("oBound305", "subscribe", key=f"qrscene_{scene}"))
    settle(api.runtime)

    details = api.client.get(f"/api/v1/leads/{lead['id']}", headers=api.key(token)).json()
    identities = {(i["kind"], i["value"]) for i in details["identities"]}
    assert ("wechat_openid", "oBound305") in identities
    timeline = api.client.get(f"/api/v1/leads/{lead['id']}/timeline", headers=api.key(token))
    assert "tracking.wechat_followed" in [e["kind"] for e in timeline.json()["items"]]
    leads = api.client.get("/api/v1/leads", headers=api.key(token)).json()["items"]
    assert len(leads) == 1  # no second lead for the fan


def test_a_binding_code_for_a_lead_the_caller_cannot_see_is_not_found(api: Api) -> None:
    _, owner = api.tenant_with_key("marketer")
    _, stranger = api.tenant_with_key("marketer")
    theirs = bind(api, stranger, n=306)
    lead = api.client.post(
        "/api/v1/leads", json={"mobile": "13900139306"}, headers=api.key(owner)
    ).json()["lead"]

    answer = api.client.post(
        f"{ACCOUNTS}/{theirs['id']}/lead-qr-codes",
        json={"lead_id": lead["id"]},
        headers=api.key(stranger),
    )

    assert answer.status_code == 404
    assert not [
        s for s in api.runtime.container.wechat_api().sent() if s["appid"] == theirs["appid"]
    ]
