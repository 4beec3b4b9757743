"""WX-2 over HTTP: WeChat's pushes, signed and encrypted by wechatpy's own crypto, are
accepted, reach the fan record and the lead's timeline; a push that is not the
account's is 401 and stores nothing; a retried push is processed once."""

from __future__ import annotations

import secrets
import time
from typing import Any
from uuid import UUID

from tests.conftest import Api
from tests.e2e.wechat_support import (
    ACCOUNTS,
    TOKEN,
    bind,
    decrypt_reply,
    event_xml,
    push,
    signature,
    text_xml,
)
from tests.settling import settle


def fans_of(api: Api, token: str, account: dict[str, Any]) -> list[dict[str, Any]]:
    answer = api.client.get(f"{ACCOUNTS}/{account['id']}/fans", headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def behaviours_of(api: Api, tenant_id: str) -> list[Any]:
    return list(api.runtime.container.behaviours().behaviours_of(UUID(tenant_id), limit=1000))


def test_an_encrypted_follow_and_message_reach_the_fan_and_the_leads_timeline(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    account = bind(api, token)
    openid = "oFan" + secrets.token_hex(6)
    lead = api.client.post(
        "/api/v1/leads",
        json={"wechat_openid": openid, "name": "王芳"},
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["lead"]["id"]

    followed = push(api, account, event_xml(openid, "subscribe", key="qrscene_expo2026"))
    said = push(api, account, text_xml(openid, "你好，想了解价格", "6100000000000001"))

    assert followed.status_code == 200 and followed.text == "success"
    assert said.status_code == 200 and said.text == "success"
    settle(api.runtime)
    [fan] = fans_of(api, token, account)
    assert fan["openid"] == openid and fan["subscribed"] is True
    assert fan["scene"] == "expo2026" and fan["last_interaction_at"] is not None
    messages = api.client.get(
        f"{ACCOUNTS}/{account['id']}/fans/{openid}/messages", headers=api.key(token)
    ).json()["items"]
    assert [(m["direction"], m["text"]) for m in messages] == [("in", "你好，想了解价格")]
    timeline = api.client.get(f"/api/v1/leads/{lead_id}/timeline", headers=api.key(token))
    kinds = [entry["kind"] for entry in timeline.json()["items"]]
    assert "tracking.wechat_followed" in kinds and "tracking.wechat_message" in kinds


def test_a_wrong_msg_signature_is_401_and_stores_nothing(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("marketer")
    account = bind(api, token)

    answer = push(api, account, text_xml("oFanX", "hi", "6100000000000002"), wrong_signature=True)

    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    settle(api.runtime)
    assert behaviours_of(api, tenant_id) == []
    assert fans_of(api, token, account) == []


def test_the_same_msgid_three_times_is_processed_once(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("marketer")
    account = bind(api, token)
    xml = text_xml("oFanRetry", "在吗", "6100000000000003", at=int(time.time()))

    answers = [push(api, account, xml) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    settle(api.runtime)
    rows = behaviours_of(api, tenant_id)
    assert [r.kind for r in rows].count("wechat_message") == 1
    messages = api.client.get(
        f"/api/v1/wechat/accounts/{account['id']}/fans/oFanRetry/messages",
        headers=api.key(token),
    ).json()["items"]
    assert len(messages) == 1


def test_the_server_address_check_answers_echostr_only_when_signed(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    account = bind(api, token)
    timestamp, nonce = str(int(time.time())), "n0nce"
    query = {"timestamp": timestamp, "nonce": nonce, "echostr": "echo-123"}

    good = api.client.get(
        account["callback_path"], params={**query, "signature": signature(TOKEN, timestamp, nonce)}
    )
    bad = api.client.get(account["callback_path"], params={**query, "signature": "f" * 40})

    assert good.status_code == 200 and good.text == "echo-123"
    assert bad.status_code == 401


def test_a_follow_gets_the_follow_reply_and_a_keyword_its_reply_encrypted(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    account = bind(api, token)
    set_replies = api.client.post(
        f"/api/v1/wechat/accounts/{account['id']}/auto-replies",
        json={
            "follow_reply": "欢迎关注！",
            "keyword_replies": [{"keyword": "价格", "match": "contains", "reply": "套餐 99 元起"}],
        },
        headers={**api.key(token), "If-Match": '"1"'},
    )
    assert set_replies.status_code == 200, set_replies.text

    followed = push(api, account, event_xml("oFanReply", "subscribe"))
    asked = push(api, account, text_xml("oFanReply", "请问价格多少", "6100000000000004"))

    assert "欢迎关注！" in decrypt_reply(account, followed)
    assert "套餐 99 元起" in decrypt_reply(account, asked)
