"""Mass sends (WX-3, WX-4) and template sends (WX-5) over HTTP, on both stores: the
fifth mass message of a month to a service-account fan is not sent and is reported as
skipped; unlimited sends reach only fans active in the last 48 hours; template sends
are refused naming the rule or the field; WeChat's pushed MASSSENDJOBFINISH becomes the
send's results; another tenant's sends answer 404."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import Api
from tests.e2e.wechat_support import ACCOUNTS, bind, event_xml, push, sent_by, text_xml
from tests.settling import settle

MASS = "/api/v1/wechat/mass-sends"
TEMPLATES = "/api/v1/wechat/template-sends"
HOUR = 3600
TEXT = {"kind": "text", "text": "会员日全场五折"}


def follow(api: Api, account: dict[str, Any], *openids: str, at: int | None = None) -> None:
    for openid in openids:
        assert push(api, account, event_xml(openid, "subscribe", at=at)).status_code == 200


def run_pipeline(api: Api) -> None:
    """Rounds of the WeChat send pipeline until it has nothing left to do."""
    dispatch = api.runtime.container.wechat_dispatch()
    for _ in range(20):
        if not dispatch.run_once().busy:
            break
    settle(api.runtime)


def draft(api: Api, token: str, account: dict[str, Any], **body: Any) -> dict[str, Any]:
    answer = api.client.post(
        MASS,
        json={"account_id": account["id"], "name": "会员日", "message": TEXT, **body},
        headers=api.key(token),
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def send(api: Api, token: str, mass: dict[str, Any]) -> Any:
    return api.client.post(f"{MASS}/{mass['id']}/send", headers=api.key(token))


def test_a_fifth_mass_message_in_a_month_to_a_service_account_fan_is_skipped(api: Api) -> None:
    _, admin = api.tenant_with_key("tenant_admin")
    account = bind(api, admin, n=501)
    follow(api, account, "oCapped", "oFresh")
    settle(api.runtime)
    first_four = [draft(api, admin, account) for _ in range(4)]
    for mass in first_four:
        assert send(api, admin, mass).status_code == 202
    run_pipeline(api)
    # A fan who joins later has none this month.
    follow(api, account, "oLate")
    settle(api.runtime)

    fifth = draft(api, admin, account)
    answer = send(api, admin, fifth)

    assert answer.status_code == 202, answer.text
    assert answer.json()["recipients"] == {"queued": 1, "sent": 0, "skipped": 2, "failed": 0}
    run_pipeline(api)
    assert (
        len(sent_by(api, account, "mass_send", to="oCapped")) == 4
        and len(sent_by(api, account, "mass_send", to="oLate")) == 1
    )
    details = api.client.get(f"{MASS}/{fifth['id']}", headers=api.key(admin)).json()
    assert details["state"] == "sent"
    assert details["skipped_reasons"] == {"monthly_cap": 2}
    skipped = api.client.get(
        f"{MASS}/{fifth['id']}/recipients", params={"state": "skipped"}, headers=api.key(admin)
    ).json()["items"]
    assert [r["openid"] for r in skipped] == ["oCapped", "oFresh"]
    assert "at most 4 mass messages" in skipped[0]["detail"]


def test_two_sends_at_once_cannot_give_a_fan_a_fifth(api: Api) -> None:
    _, admin = api.tenant_with_key("tenant_admin")
    account = bind(api, admin, n=502)
    follow(api, account, "oBusy")
    settle(api.runtime)
    for _ in range(3):
        assert send(api, admin, draft(api, admin, account)).status_code == 202
    # Two more are fixed before anything is sent: the fourth is in flight for the fifth.
    fourth, fifth = draft(api, admin, account), draft(api, admin, account)
    assert send(api, admin, fourth).json()["recipients"]["queued"] == 1
    assert send(api, admin, fifth).json()["recipients"]["skipped"] == 1
    run_pipeline(api)
    assert len(sent_by(api, account, "mass_send", to="oBusy")) == 4


def test_a_subscription_account_mass_sends_once_a_day(api: Api) -> None:
    _, admin = api.tenant_with_key("tenant_admin")
    account = bind(api, admin, n=503, kind="subscription")
    follow(api, account, "oReader")
    settle(api.runtime)
    assert send(api, admin, draft(api, admin, account)).status_code == 202

    second = draft(api, admin, account)
    answer = send(api, admin, second)

    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "wechat_daily_limit"
    assert "once a day" in answer.json()["detail"]
    details = api.client.get(f"{MASS}/{second['id']}", headers=api.key(admin)).json()
    assert details["state"] == "failed" and "once a day" in details["refusal"]


def test_targeted_sends_are_not_counted_against_the_monthly_cap(api: Api) -> None:
    _, admin = api.tenant_with_key("tenant_admin")
    account = bind(api, admin, n=504)
    follow(api, account, "oTarget")
    settle(api.runtime)
    for _ in range(4):
        send(api, admin, draft(api, admin, account))
    targeted = draft(
        api, admin, account, mode="targeted", audience={"openids": ["oTarget", "oStranger"]}
    )

    answer = send(api, admin, targeted)

    assert answer.json()["recipients"] == {"queued": 1, "sent": 0, "skipped": 1, "failed": 0}
    assert answer.json()["counted_against_monthly_cap"] is False
    run_pipeline(api)
    assert len(sent_by(api, account, "mass_send", to="oTarget")) == 5


def test_unlimited_mode_reaches_only_fans_active_in_the_last_48_hours(api: Api) -> None:
    _, admin = api.tenant_with_key("tenant_admin")
    account = bind(api, admin, n=505)
    now = int(time.time())
    follow(api, account, "oActive", "oQuiet", at=now - 60 * HOUR)
    push(api, account, text_xml("oActive", "在吗", "6200000000000001", at=now - 47 * HOUR))
    push(api, account, text_xml("oQuiet", "你好", "6200000000000002", at=now - 49 * HOUR))
    settle(api.runtime)
    mass = draft(api, admin, account, mode="unlimited")

    answer = send(api, admin, mass)

    assert answer.json()["recipients"]["queued"] == 1
    run_pipeline(api)
    customer = [
        s for s in api.runtime.container.wechat_api().sent() if s["call"] == "customer_message"
    ]
    assert [s["touser"] for s in customer if s["account_id"] == account["id"]] == ["oActive"]
    assert not sent_by(api, account, "mass_send", to="oActive")  # no mass message: nothing counted
    details = api.client.get(f"{MASS}/{mass['id']}", headers=api.key(admin)).json()
    assert details["state"] == "sent" and details["recipients"]["sent"] == 1


def test_results_come_from_the_pushed_masssendjobfinish(api: Api) -> None:
    _, admin = api.tenant_with_key("tenant_admin")
    account = bind(api, admin, n=506)
    follow(api, account, "oOne", "oTwo")
    settle(api.runtime)
    mass = draft(api, admin, account)
    send(api, admin, mass)
    run_pipeline(api)
    msg_id = api.client.get(f"{MASS}/{mass['id']}", headers=api.key(admin)).json()["msg_ids"][0]

    report = (
        "<xml><ToUserName><![CDATA[gh_huoke]]></ToUserName>"
        "<FromUserName><![CDATA[oSystem]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>{msg_id}</MsgID>"
        "<Status><![CDATA[send success]]></Status><TotalCount>2</TotalCount>"
        "<FilterCount>2</FilterCount><SentCount>2</SentCount><ErrorCount>0</ErrorCount></xml>"
    )
    assert push(api, account, report).status_code == 200
    settle(api.runtime)

    details = api.client.get(f"{MASS}/{mass['id']}", headers=api.key(admin)).json()
    assert details["results"] == {
        msg_id: {"status": "send success", "total": 2, "filtered": 2, "sent": 2, "errors": 0}
    }


def test_a_preview_goes_to_one_fan_and_counts_against_nothing(api: Api) -> None:
    _, admin = api.tenant_with_key("tenant_admin")
    account = bind(api, admin, n=507)
    mass = draft(api, admin, account)

    answer = api.client.post(
        f"{MASS}/{mass['id']}/preview", json={"openid": "oMe"}, headers=api.key(admin)
    )

    assert answer.status_code == 200, answer.text
    previews = [s for s in api.runtime.container.wechat_api().sent() if s["call"] == "mass_preview"]
    assert [p["touser"] for p in previews if p["account_id"] == account["id"]] == ["oMe"]


def template_account(api: Api, token: str, n: int, **body: Any) -> dict[str, Any]:
    account = bind(api, token, n=n, **body)
    if body.get("verified", True):
        answer = api.client.post(
            f"{ACCOUNTS}/{account['id']}/templates",
            json={"template_id": "TPL-1", "title": "预约成功", "fields": ["first", "keyword1"]},
            headers={**api.key(token), "If-Match": f'"{account["version"]}"'},
        )
        assert answer.status_code == 200, answer.text
    return account


def test_template_messages_are_personalised_and_link_to_the_landing_page(api: Api) -> None:
    _, admin = api.tenant_with_key("tenant_admin")
    account = template_account(api, admin, 510)
    follow(api, account, "oBooked")
    settle(api.runtime)

    answer = api.client.post(
        TEMPLATES,
        json={
            "account_id": account["id"],
            "template_id": "TPL-1",
            "data": {"first": "{{openid}}，您好", "keyword1": "周三 14:00"},
            "url": "https://acme.cn/l/42",
            "audience": {"openids": ["oBooked"]},
        },
        headers=api.key(admin),
    )

    assert answer.status_code == 202, answer.text
    run_pipeline(api)
    sent = sent_by(api, account, "template", to="oBooked")
    assert [(s["data"]["first"], s["url"]) for s in sent] == [
        ("oBooked，您好", "https://acme.cn/l/42")
    ]
    send_id = answer.json()["id"]
    assert (
        api.client.get(f"{TEMPLATES}/{send_id}", headers=api.key(admin)).json()["state"] == "sent"
    )
    report = (
        "<xml><ToUserName><![CDATA[gh_huoke]]></ToUserName>"
        "<FromUserName><![CDATA[oBooked]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>"
        f"<MsgID>{sent[0]['msgid']}</MsgID><Status><![CDATA[failed:user block]]></Status></xml>"
    )
    assert push(api, account, report).status_code == 200
    settle(api.runtime)
    rows = api.client.get(f"{TEMPLATES}/{send_id}/recipients", headers=api.key(admin)).json()
    assert [(r["openid"], r["result"]) for r in rows["items"]] == [("oBooked", "failed:user block")]


def test_template_sends_are_refused_naming_the_rule_or_the_field(api: Api) -> None:
    _, admin = api.tenant_with_key("tenant_admin")
    unverified = template_account(api, admin, 511, verified=False)
    verified = template_account(api, admin, 512)
    body = {"template_id": "TPL-1", "data": {"first": "您好", "keyword1": "周三"}}

    def attempt(account: dict[str, Any], **changes: Any) -> Any:
        return api.client.post(
            TEMPLATES,
            json={"account_id": account["id"], **body, **changes},
            headers=api.key(admin),
        )

    refused = attempt(unverified)
    assert refused.status_code == 409 and refused.json()["code"] == "wechat_template_unusable"
    assert "verified service accounts" in refused.json()["detail"]
    unknown = attempt(verified, template_id="TPL-9")
    assert unknown.status_code == 409 and unknown.json()["field"] == "template_id"
    missing = attempt(verified, data={"first": "您好"})
    assert missing.status_code == 422, missing.text
    assert missing.json()["field"] == "data.keyword1"
    assert not [
        s
        for s in api.runtime.container.wechat_api().sent()
        if s["call"] == "template" and s["account_id"] in (unverified["id"], verified["id"])
    ]


def test_another_tenants_sends_answer_404(api: Api) -> None:
    _, owner = api.tenant_with_key("tenant_admin")
    _, stranger = api.tenant_with_key("tenant_admin")
    account = bind(api, owner, n=520)
    mass = draft(api, owner, account)

    for answer in (
        api.client.get(f"{MASS}/{mass['id']}", headers=api.key(stranger)),
        api.client.post(f"{MASS}/{mass['id']}/send", headers=api.key(stranger)),
        api.client.get(f"{MASS}/{mass['id']}/recipients", headers=api.key(stranger)),
        api.client.post(
            f"{MASS}/{mass['id']}/preview", json={"openid": "o"}, headers=api.key(stranger)
        ),
    ):
        assert answer.status_code == 404, answer.text
    foreign = api.client.post(
        MASS,
        json={"account_id": account["id"], "name": "x", "message": TEXT},
        headers=api.key(stranger),
    )
    assert foreign.status_code == 404
    assert api.client.get(MASS, headers=api.key(stranger)).json()["items"] == []
