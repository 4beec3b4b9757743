"""WeCom callbacks over HTTP on both stores (issue 20 deliverable 2; WECOM-1, WECOM-3):
events signed and encrypted by wechatpy's own WeCom crypto reach the behaviour log in
the request with the row contract other parts follow; a forged signature, a body for
another key and a body that is not WeCom's are 401 and record nothing (the issue's
required test); WeCom's retries of one callback record one row; a customer added
becomes a lead named from the corp's profile and owned by the employee linked to the
WeCom member; a customer deleting the employee is churn with an alert, a handover's
deletion is not; group changes list the group; an unbound corp's URL is 404."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest
import xmltodict
from wechatpy.enterprise.crypto import WeChatCrypto

from tests.conftest import Api
from tests.e2e.wecom_support import (
    AES_KEY,
    OTHER_AES_KEY,
    RYW,
    TOKEN,
    added_xml,
    behaviours_of,
    bind_corp,
    contact_xml,
    encrypted,
    group_xml,
    post_callback,
    scrm_tenant,
)
from tests.settling import settle


def external() -> str:
    return "wm" + secrets.token_hex(15)


def get(api: Api, token: str, path: str, **params: Any) -> Any:
    answer = api.client.get(path, params=params, headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_forged_or_unreadable_callback_is_401_and_records_nothing(api: Api) -> None:
    tenant_id, token = scrm_tenant(api)
    corp = bind_corp(api, token)
    xml = added_xml(corp["corpid"], external(), state="expo")

    forged = post_callback(api, corp, xml, wrong_signature=True)
    other_key = post_callback(api, corp, xml, aes_key=OTHER_AES_KEY)
    query, _ = encrypted(corp, xml)
    garbage = api.client.post(corp["callback_path"], params=query, content=b"<xml>nope</xml>")

    for answer in (forged, other_key, garbage):
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    settle(api.runtime)
    assert behaviours_of(api, tenant_id) == []
    assert get(api, token, "/api/v1/wecom/customers")["items"] == []


def test_the_url_check_answers_the_decrypted_echostr_only_when_signed(api: Api) -> None:
    _, token = scrm_tenant(api)
    corp = bind_corp(api, token)
    crypto = WeChatCrypto(TOKEN, AES_KEY, corp["corpid"])
    envelope = crypto.encrypt_message("echo-4431468427", "n0nce", str(int(time.time())))
    parsed = xmltodict.parse(envelope)["xml"]
    query = {
        "msg_signature": parsed["MsgSignature"],
        "timestamp": parsed["TimeStamp"],
        "nonce": parsed["Nonce"],
        "echostr": parsed["Encrypt"],
    }

    good = api.client.get(corp["callback_path"], params=query)
    bad = api.client.get(corp["callback_path"], params={**query, "msg_signature": "f" * 40})

    assert good.status_code == 200 and good.text == "echo-4431468427"
    assert bad.status_code == 401


def test_a_customer_added_is_one_row_a_customer_and_a_lead_of_the_linked_employee(
    api: Api,
) -> None:
    tenant_id, token = scrm_tenant(api)
    headers = {**api.key(token), **RYW}
    hired = api.client.post(
        "/api/v1/employees",
        json={"name": "张伟", "roles": ["sales"], "mobile": "+86 138-0013-8003"},
        headers=headers,
    )
    assert hired.status_code == 201, hired.text
    corp = bind_corp(api, token)
    synced = api.client.post(f"/api/v1/wecom/corps/{corp['id']}/contacts/sync", headers=headers)
    assert synced.status_code == 200, synced.text
    assert synced.json()["members"] == 5
    settle(api.runtime)
    member = get(api, token, "/api/v1/wecom/members/ZhangWei")
    assert member["employee_id"] == hired.json()["id"] and not member["linked_by_hand"]
    customer = external()
    xml = added_xml(corp["corpid"], customer, state="expo2026", welcome_code="WELCOME1")

    answers = [post_callback(api, corp, xml) for _ in range(3)]  # WeCom's retries

    assert [(a.status_code, a.text) for a in answers] == [(200, "success")] * 3
    rows = [r for r in behaviours_of(api, tenant_id) if r.kind == "wecom_customer_added"]
    assert len(rows) == 1  # stored in the request, once
    [row] = rows
    assert row.anonymous_id == f"wecom:{customer}" and row.channel == "wecom"
    assert {k: row.properties[k] for k in ("corp", "employee", "external_userid", "state")} == {
        "corp": corp["corpid"], "employee": "ZhangWei", "external_userid": customer,
        "state": "expo2026",
    }  # fmt: skip
    assert row.properties["welcome_code"] == "WELCOME1"
    settle(api.runtime)
    [listed] = get(api, token, "/api/v1/wecom/customers")["items"]
    assert listed["external_userid"] == customer and listed["status"] == "active"
    assert listed["employee_name"] == "张伟" and listed["state"] == "expo2026"
    assert listed["name"]  # the sandbox corp's profile of the customer
    details = get(api, token, f"/api/v1/wecom/customers/{customer}")
    assert details["lead_id"] is not None
    lead = get(api, token, f"/api/v1/leads/{details['lead_id']}")
    assert {"kind": "wecom_external_userid", "value": customer} in [
        {"kind": i["kind"], "value": i["value"]} for i in lead["identities"]
    ]
    assert lead["profile"]["name"] == listed["name"]
    assert lead["owner_id"] == hired.json()["id"]


def test_a_customer_deleting_the_employee_is_churn_with_an_alert(api: Api) -> None:
    _, token = scrm_tenant(api)
    corp = bind_corp(api, token)
    lost, moved = external(), external()
    for customer in (lost, moved):
        assert post_callback(api, corp, added_xml(corp["corpid"], customer)).status_code == 200
    later = int(time.time()) + 5
    left = contact_xml(corp["corpid"], "del_follow_user", lost, at=later)
    handed = contact_xml(
        corp["corpid"], "del_external_contact", moved, at=later,
        extra="<Source><![CDATA[DELETE_BY_TRANSFER]]></Source>",
    )  # fmt: skip

    assert post_callback(api, corp, left).status_code == 200
    assert post_callback(api, corp, handed).status_code == 200

    settle(api.runtime)
    churn = get(api, token, "/api/v1/wecom/churn")["items"]
    assert [c["external_userid"] for c in churn] == [lost]
    assert churn[0]["status"] == "lost" and churn[0]["ended_at"] is not None
    [alert] = get(api, token, "/api/v1/wecom/churn-alerts")["items"]
    assert alert["external_userid"] == lost and alert["userid"] == "ZhangWei"
    statuses = {c["external_userid"]: (c["status"], c["by_transfer"])
                for c in get(api, token, "/api/v1/wecom/customers")["items"]}  # fmt: skip
    assert statuses == {lost: ("lost", False), moved: ("removed", True)}
    stats = get(api, token, "/api/v1/wecom/customer-stats", days=7)
    assert stats["timezone"] == "Asia/Shanghai" and len(stats["per_day"]) == 7
    assert sum(d["added"] for d in stats["per_day"]) == 2
    assert sum(d["lost"] for d in stats["per_day"]) == 1


def test_group_changes_and_a_group_sync_list_the_groups(api: Api) -> None:
    _, token = scrm_tenant(api)
    corp = bind_corp(api, token)
    chat = "wr" + secrets.token_hex(15)
    created = post_callback(api, corp, group_xml(corp["corpid"], chat, "create"))
    joined = post_callback(
        api, corp,
        group_xml(corp["corpid"], chat, "update", at=int(time.time()) + 1,
                  extra="<UpdateDetail><![CDATA[add_member]]></UpdateDetail>"
                  "<MemChangeCnt>2</MemChangeCnt><CurMemVer><![CDATA[v2]]></CurMemVer>"),
    )  # fmt: skip
    assert (created.status_code, joined.status_code) == (200, 200)
    synced = api.client.post(
        f"/api/v1/wecom/corps/{corp['id']}/groups/sync", headers={**api.key(token), **RYW}
    )
    assert synced.status_code == 200 and synced.json() == {"groups": 1}, synced.text

    settle(api.runtime)
    groups = {g["chat_id"]: g for g in get(api, token, "/api/v1/wecom/groups")["items"]}
    assert groups[chat]["member_count"] == 2
    [sandbox_group] = [g for c, g in groups.items() if c != chat]
    assert sandbox_group["name"] == "火客VIP客户群" and sandbox_group["owner"] == "ZhangWei"


def test_an_unbound_corp_stops_answering_and_a_new_binding_has_a_new_url(api: Api) -> None:
    _, token = scrm_tenant(api)
    corp = bind_corp(api, token)
    unbound = api.client.post(
        f"/api/v1/wecom/corps/{corp['id']}/unbind",
        headers={**api.key(token), "If-Match": f'"{corp["version"]}"'},
    )
    assert unbound.status_code == 200 and unbound.json()["unbound"] is True

    answer = post_callback(api, corp, added_xml(corp["corpid"], external()))

    assert answer.status_code == 404
    again = bind_corp(api, token)
    assert again["id"] == corp["id"] and again["callback_path"] != corp["callback_path"]
    assert post_callback(api, corp, added_xml(corp["corpid"], external())).status_code == 404
    assert post_callback(api, again, added_xml(again["corpid"], external())).status_code == 200
    twice = api.client.post(
        "/api/v1/wecom/corps",
        json={"name": "另一家", "corpid": "ww" + "1" * 16, "agentid": 1, "app_secret": "s" * 43,
              "callback_token": TOKEN, "encoding_aes_key": AES_KEY},
        headers=api.key(token),
    )  # fmt: skip
    assert twice.status_code == 409, twice.text


def test_without_an_scrm_plan_the_corp_binds_but_nothing_is_asked_of_wecom(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("tenant_admin")
    corp = bind_corp(api, token)

    synced = api.client.post(f"/api/v1/wecom/corps/{corp['id']}/contacts/sync",
                             headers=api.key(token))  # fmt: skip

    assert synced.status_code == 403 and synced.json()["code"] == "subscription_inactive"
    # WeCom's callbacks are observations: they are recorded all the same.
    assert post_callback(api, corp, added_xml(corp["corpid"], external())).status_code == 200
    assert [r.kind for r in behaviours_of(api, tenant_id)] == ["wecom_customer_added"]


def test_refused_callbacks_are_limited_per_address_and_signed_ones_never_are(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = scrm_tenant(api)
    corp = bind_corp(api, token)
    limit = api.runtime.container.wecom_refusals()
    monkeypatch.setattr(limit, "per_minute", 0)  # the next refusal is already one too many

    forged = post_callback(api, corp, added_xml(corp["corpid"], external()), wrong_signature=True)
    signed = post_callback(api, corp, added_xml(corp["corpid"], external()))

    assert forged.status_code == 429 and forged.headers["retry-after"]
    assert forged.json()["code"] == "busy" and "WeCom callbacks" in forged.json()["detail"]
    assert signed.status_code == 200
