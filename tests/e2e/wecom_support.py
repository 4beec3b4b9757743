"""WeCom in tests: a tenant with an SCRM plan, its corp bound through the API, and
callbacks signed and encrypted by wechatpy's own WeCom crypto as WeCom posts them to
the corp's callback URL."""

from __future__ import annotations

import secrets
import time
from typing import Any
from uuid import UUID

import xmltodict
from wechatpy.enterprise.crypto import WeChatCrypto

from tests.conftest import Api

TOKEN = "huokeWecomToken1"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
OTHER_AES_KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
CORPS = "/api/v1/wecom/corps"
RYW = {"Prefer": "read-your-writes"}


def scrm_tenant(api: Api, *roles: str) -> tuple[str, str]:
    """A new tenant with a key (`roles`, tenant_admin by default) and an SCRM plan in
    service."""
    tenant_id, token = api.tenant_with_key(*(roles or ("tenant_admin",)))
    subscribe_scrm(api, token)
    return tenant_id, token


def ensure_scrm(api: Api, token: str) -> None:
    """An SCRM plan for the key's tenant unless one is in service already."""
    subscriptions = api.client.get("/api/v1/subscription", headers=api.key(token))
    if subscriptions.status_code == 200 and any(
        s["product_line"] == "scrm" and "scrm_tools" in s["features"]
        for s in subscriptions.json().get("subscriptions", [])
    ):
        return
    subscribe_scrm(api, token)


def subscribe_scrm(api: Api, token: str, edition: str = "scrm_ten_seats") -> None:
    """The SCRM edition (the 10-seat one includes the session archive too) ordered and
    its payment confirmed by staff."""
    headers = {**api.key(token), **RYW}
    order = api.client.post(
        "/api/v1/orders", json={"kind": "new", "edition": edition}, headers=headers
    )
    assert order.status_code == 201, order.text
    paid = api.client.post(
        f"/api/v1/admin/orders/{order.json()['id']}/confirm-payment",
        headers={**api.staff(), **RYW},
    )
    assert paid.status_code == 200, paid.text


def corpid_for() -> str:
    return "ww" + secrets.token_hex(8)


def bind_corp(api: Api, token: str, **body: Any) -> dict[str, Any]:
    answer = api.client.post(
        CORPS,
        json={
            "name": "火客科技",
            "corpid": corpid_for(),
            "agentid": 1000002,
            "app_secret": secrets.token_urlsafe(32)[:43],
            "callback_token": TOKEN,
            "encoding_aes_key": AES_KEY,
            **body,
        },
        headers={**api.key(token), **RYW},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def contact_xml(
    corpid: str,
    change: str,
    external_userid: str,
    *,
    userid: str = "ZhangWei",
    at: int | None = None,
    extra: str = "",
) -> str:
    """WeCom's XML of a change_external_contact event."""
    return (
        f"<xml><ToUserName><![CDATA[{corpid}]]></ToUserName>"
        "<FromUserName><![CDATA[sys]]></FromUserName>"
        f"<CreateTime>{at or int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[change_external_contact]]></Event>"
        f"<ChangeType><![CDATA[{change}]]></ChangeType>"
        f"<UserID><![CDATA[{userid}]]></UserID>"
        f"<ExternalUserID><![CDATA[{external_userid}]]></ExternalUserID>{extra}</xml>"
    )


def added_xml(
    corpid: str, external_userid: str, *, state: str = "", welcome_code: str = "", **kw: Any
) -> str:
    extra = f"<State><![CDATA[{state}]]></State>" if state else ""
    if welcome_code:
        extra += f"<WelcomeCode><![CDATA[{welcome_code}]]></WelcomeCode>"
    return contact_xml(corpid, "add_external_contact", external_userid, extra=extra, **kw)


def group_xml(corpid: str, chat_id: str, change: str, *, at: int | None = None,
              extra: str = "") -> str:  # fmt: skip
    return (
        f"<xml><ToUserName><![CDATA[{corpid}]]></ToUserName>"
        "<FromUserName><![CDATA[sys]]></FromUserName>"
        f"<CreateTime>{at or int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event>"
        f"<ChatId><![CDATA[{chat_id}]]></ChatId><ChangeType><![CDATA[{change}]]></ChangeType>"
        f"{extra}</xml>"
    )


def encrypted(corp: dict[str, Any], xml: str, *, aes_key: str = AES_KEY,
              token: str = TOKEN) -> tuple[dict[str, str], str]:  # fmt: skip
    """The query and body WeCom posts for `xml` to the corp's URL."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    envelope = WeChatCrypto(token, aes_key, corp["corpid"]).encrypt_message(xml, nonce, timestamp)
    signature = xmltodict.parse(envelope)["xml"]["MsgSignature"]
    return {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}, envelope


def post_callback(
    api: Api, corp: dict[str, Any], xml: str, *, wrong_signature: bool = False,
    aes_key: str = AES_KEY,
) -> Any:  # fmt: skip
    query, body = encrypted(corp, xml, aes_key=aes_key)
    if wrong_signature:
        query["msg_signature"] = "0" * 40
    return api.client.post(
        corp["callback_path"], params=query, content=body.encode(),
        headers={"Content-Type": "text/xml"},
    )  # fmt: skip


def behaviours_of(api: Api, tenant_id: str) -> list[Any]:
    return list(api.runtime.container.behaviours().behaviours_of(UUID(tenant_id), limit=1000))


def a_member(api: Api, tenant_id: str, userid: str | None = None, *, mobile: str = "") -> str:
    """A member of the tenant's corp as a contacts sync records them (without calling
    WeCom, so a tenant without an SCRM plan can have one): its userid."""
    from domain.wecom.member import WecomMember

    userid = userid or f"emp{secrets.token_hex(6)}"
    wecom = api.runtime.container.wecom()
    member = WecomMember.found(
        tenant_id=UUID(tenant_id), userid=userid, name="测试成员", department_ids=[1],
        mobile=mobile, email="", status=1,
    )  # fmt: skip
    position = wecom.commit(member)
    if position:
        wecom.wait_for_views(position)
    return userid


def a_customer_added(
    api: Api, tenant_id: str, corpid: str, userid: str, external_userid: str | None = None
) -> str:
    """A customer added row of the tenant, as the callback stores it: its external_userid."""
    from datetime import UTC, datetime

    from application.shared.behaviours import Behaviour

    external_userid = external_userid or "wm" + secrets.token_hex(15)
    now = datetime.now(UTC)
    api.runtime.container.ingestion().take(
        [
            Behaviour(
                tenant_id=UUID(tenant_id), kind="wecom_customer_added", channel="wecom",
                occurred_at=now, received_at=now, message_id=f"wecom-sample-{external_userid}",
                name="add_external_contact", anonymous_id=f"wecom:{external_userid}",
                source_id="wecom",
                properties={"corp": corpid, "employee": userid, "external_userid": external_userid,
                            "state": "", "welcome_code": "", "awaiting_employee": False},
            )
        ]
    )  # fmt: skip
    return external_userid
