"""WeChat callback signatures and safe-mode ("安全模式") encryption, by wechatpy's own
crypto: SHA-1 over the sorted token, timestamp and nonce (plus the ciphertext for
`msg_signature`), AES-256-CBC with the EncodingAESKey and the appid checked inside."""

from __future__ import annotations

import secrets
import time
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from application.wechat.ports import CallbackKeys, CallbackRefused, WechatCallback

_TOP_LEVEL = {"ToUserName", "FromUserName", "CreateTime", "MsgType", "Event", "MsgId", "MsgID"}


class WechatpyCallbackCrypto:
    """`CallbackCrypto` over wechatpy."""

    def verify_url(
        self, keys: CallbackKeys, *, signature: str, timestamp: str, nonce: str, echostr: str
    ) -> str:
        try:
            check_signature(keys.callback_token, signature, timestamp, nonce)
        except InvalidSignatureException as error:
            raise CallbackRefused("the signature is not the account's") from error
        return echostr

    def read(
        self,
        keys: CallbackKeys,
        body: bytes,
        *,
        signature: str,
        timestamp: str,
        nonce: str,
        msg_signature: str = "",
        encrypted: bool = False,
    ) -> WechatCallback:
        try:
            # WeChat signs the URL's query in both modes; safe mode also signs the body.
            check_signature(keys.callback_token, signature, timestamp, nonce)
            if encrypted:
                crypto = WeChatCrypto(keys.callback_token, keys.encoding_aes_key, keys.appid)
                xml = crypto.decrypt_message(body, msg_signature, timestamp, nonce)
            else:
                xml = body.decode("utf-8")
        except InvalidSignatureException as error:
            raise CallbackRefused("the signature is not the account's") from error
        except InvalidAppIdException as error:
            raise CallbackRefused("the message was encrypted for another appid") from error
        except (ValueError, KeyError, TypeError, ExpatError) as error:
            raise CallbackRefused("the body is not a WeChat message") from error
        return _callback(xml)

    def passive_reply(
        self, keys: CallbackKeys, callback: WechatCallback, text: str, *, encrypted: bool
    ) -> bytes:
        xml = TextReply(source=callback.to_user, target=callback.from_user, content=text).render()
        if encrypted:
            crypto = WeChatCrypto(keys.callback_token, keys.encoding_aes_key, keys.appid)
            xml = crypto.encrypt_message(xml, secrets.token_hex(8), str(int(time.time())))
        return str(xml).encode("utf-8")


def _callback(xml: str) -> WechatCallback:
    try:
        document = xmltodict.parse(xml, disable_entities=True)
    except ExpatError as error:
        raise CallbackRefused("the body is not a WeChat message") from error
    root: dict[str, Any] = document.get("xml") or {}
    if not isinstance(root, dict) or not root.get("FromUserName") or not root.get("MsgType"):
        raise CallbackRefused("the body is not a WeChat message")
    try:
        create_time = int(root.get("CreateTime") or 0)
    except ValueError as error:
        raise CallbackRefused("CreateTime is not a number") from error
    return WechatCallback(
        to_user=str(root.get("ToUserName") or ""),
        from_user=str(root["FromUserName"]),
        create_time=create_time,
        msg_type=str(root["MsgType"]).lower(),
        event=str(root.get("Event") or ""),
        msg_id=str(root.get("MsgId") or root.get("MsgID") or ""),
        fields={key: _text(value) for key, value in root.items() if key not in _TOP_LEVEL},
    )


def _text(value: Any) -> str:
    # Nested elements (ScanCodeInfo, SendLocationInfo) are kept as their XML-less dict text.
    if isinstance(value, dict):
        return ";".join(f"{key}={_text(inner)}" for key, inner in value.items())
    return "" if value is None else str(value)
