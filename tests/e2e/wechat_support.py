"""A WeChat server in tests: pushes signed and encrypted by wechatpy's own crypto with a
test token and key, as WeChat sends them to an account's callback URL."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import to_text

from application.shared.behaviours import Behaviour
from tests.conftest import Api

TOKEN = "huokeTestToken1"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ACCOUNTS = "/api/v1/wechat/accounts"


def appid_for(n: int) -> str:
    return f"wx{n:016x}"


def bind(api: Api, token: str, *, n: int = 1, kind: str = "service", **body: Any) -> dict[str, Any]:
    answer = api.client.post(
        ACCOUNTS,
        json={
            "name": "华东服务号",
            "appid": appid_for(n),
            "app_secret": secrets.token_hex(16),
            "callback_token": TOKEN,
            "encoding_aes_key": AES_KEY,
            "kind": kind,
            "verified": True,
            **body,
        },
        headers={**api.key(token), "Prefer": "read-your-writes"},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def sent_by(
    api: Api, account: dict[str, Any], call: str | None = None, *, to: str | None = None
) -> list[dict[str, Any]]:
    """What the sandbox WeChat API was asked by this account: the sandbox serves every
    test of a worker, so a look at its calls is always narrowed to one account."""
    return [
        s
        for s in api.runtime.container.wechat_api().sent()
        if s["account_id"] == account["id"]
        and (call is None or s["call"] == call)
        and (
            to is None
            or to in (s["touser"] if isinstance(s.get("touser"), list) else [s.get("touser")])
        )
    ]


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def event_xml(openid: str, event: str, *, at: int | None = None, key: str = "") -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_huoke]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{at or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>"
        f"<EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def text_xml(openid: str, text: str, msg_id: str, *, at: int | None = None) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_huoke]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{at or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def push(api: Api, account: dict[str, Any], xml: str, *, wrong_signature: bool = False) -> Any:
    """POST `xml` to the account's callback URL in safe mode, as WeChat does."""
    crypto = WeChatCrypto(TOKEN, AES_KEY, account["appid"])
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    encrypted = to_text(crypto.encrypt_message(xml, nonce, timestamp))
    fields = xmltodict.parse(encrypted)["xml"]
    msg_signature = fields["MsgSignature"]
    if wrong_signature:
        msg_signature = "0" * 40
    body = (
        "<xml><ToUserName><![CDATA[gh_huoke]]></ToUserName>"
        f"<Encrypt><![CDATA[{fields['Encrypt']}]]></Encrypt></xml>"
    )
    return api.client.post(
        account["callback_path"],
        params={
            "signature": signature(TOKEN, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": "ignored",
            "encrypt_type": "aes",
            "msg_signature": msg_signature,
        },
        content=body.encode(),
        headers={"Content-Type": "text/xml"},
    )


def decrypt_reply(account: dict[str, Any], answer: Any) -> str:
    fields = xmltodict.parse(answer.text)["xml"]
    crypto = WeChatCrypto(TOKEN, AES_KEY, account["appid"])
    return str(
        crypto.decrypt_message(
            answer.text, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"]
        )
    )


def a_fan_wrote(api: Api, tenant_id: str, account_id: str, text: str = "你好") -> str:
    """A fan of the account who just wrote to it (so the 48-hour window is open), stored
    as the callbacks store it; answers their openid."""
    openid = f"oFan{uuid.uuid4().hex[:12]}"
    now = datetime.now(UTC)
    api.runtime.container.ingestion().take(
        [
            Behaviour(
                tenant_id=uuid.UUID(tenant_id),
                kind="wechat_message",
                channel="wechat",
                occurred_at=now,
                received_at=now,
                message_id=f"wechat-sample-{openid}",
                anonymous_id=f"wechat:{openid}",
                source_id="wechat",
                properties={
                    "account": account_id,
                    "openid": openid,
                    "msg_type": "text",
                    "text": text,
                },
            )
        ]
    )
    return openid
