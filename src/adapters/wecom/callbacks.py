"""WeCom (企业微信) event callbacks, checked and decrypted by wechatpy's WeCom crypto
(issue 20, deliverable 2; WECOM-1…5).

WeCom signs every callback with `msg_signature`, SHA-1 over the sorted token,
timestamp, nonce and ciphertext, and encrypts it with AES-256-CBC under the
EncodingAESKey, the corp id sealed inside the plaintext (WeCom's "加解密方案说明").
wechatpy's `wechatpy.enterprise.crypto.WeChatCrypto` checks and opens both the GET URL
verification (an encrypted `echostr`) and the POSTed events. The decrypted XML is read
with xmltodict, entities off (wechatpy's parser knows no customer-contact events), into
the records of `application.wecom.callback_events`: change_external_contact and
change_external_chat, as WeCom's "客户联系 › 变更回调" documents them.

Whatever goes wrong with a callback raises `CallbackRejected`, never a wechatpy,
cryptography or expat exception.
"""

from __future__ import annotations

import binascii
import struct
from datetime import UTC, datetime
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatException

from application.wecom.callback_events import (
    CallbackEvent,
    CallbackRejected,
    CustomerAdded,
    CustomerDeletedByEmployee,
    CustomerEdited,
    CustomerGroupChanged,
    EmployeeDeletedByCustomer,
    GroupChange,
    UnknownEvent,
)

# What a body that is not the corp's can raise inside wechatpy's decryption: a wrong
# key leaves garbage padding and lengths (ValueError, IndexError, struct.error,
# UnicodeDecodeError), the wrong corp id inside raises wechatpy's own exception.
_UNREADABLE = (
    WeChatException,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    struct.error,
    binascii.Error,
)
_GROUP_CHANGES: dict[str, GroupChange] = {
    "create": "create",
    "update": "update",
    "dismiss": "dismiss",
}
# WeCom's Source of a del_external_contact caused by handing the customer over.
_BY_TRANSFER = "DELETE_BY_TRANSFER"


class WecomCallbacks:
    """One corp's callback URL: its Token, EncodingAESKey (43 characters) and corp id,
    as set in the WeCom admin console for the customer-contact callback."""

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str) -> None:
        try:
            self._crypto = WeChatCrypto(token, encoding_aes_key, corp_id)
        except (AssertionError, ValueError, binascii.Error) as error:
            raise ValueError("the EncodingAESKey must be 43 base64 characters") from error
        self._corp_id = corp_id

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """The answer to WeCom's GET URL verification: the decrypted `echostr`."""
        try:
            return str(self._crypto.check_signature(msg_signature, timestamp, nonce, echostr))
        except InvalidSignatureException as error:
            raise CallbackRejected("the signature is not the corp's") from error
        except _UNREADABLE as error:
            raise CallbackRejected("the echostr cannot be decrypted with the corp's key") from error

    def event(
        self, msg_signature: str, timestamp: str, nonce: str, body_xml: str | bytes
    ) -> CallbackEvent:
        """The event of a POSTed callback, its signature checked and its body decrypted."""
        envelope = _root(body_xml, "the body is not WeCom's encrypted envelope")
        if not isinstance(envelope.get("Encrypt"), str):
            raise CallbackRejected("the body carries no Encrypt element")
        try:
            plain = self._crypto.decrypt_message(envelope, msg_signature, timestamp, nonce)
        except InvalidSignatureException as error:
            raise CallbackRejected("the signature is not the corp's") from error
        except _UNREADABLE as error:
            raise CallbackRejected("the body cannot be decrypted with the corp's key") from error
        return _event(_root(plain, "the decrypted body is not a WeCom message"))


def _root(xml: str | bytes, reason: str) -> dict[str, Any]:
    try:
        document = xmltodict.parse(xml, disable_entities=True)
    except (ExpatError, ValueError, TypeError) as error:
        raise CallbackRejected(reason) from error
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise CallbackRejected(reason)
    return root


def _event(root: dict[str, Any]) -> CallbackEvent:
    corp_id = _text(root, "ToUserName")
    at = _created(root)
    msg_type = _text(root, "MsgType")
    event = _text(root, "Event") if msg_type == "event" else msg_type
    change = _text(root, "ChangeType")
    if event == "change_external_contact":
        contact = _contact(root, corp_id, change, at)
        if contact is not None:
            return contact
    elif event == "change_external_chat" and change in _GROUP_CHANGES:
        return _group(root, corp_id, _GROUP_CHANGES[change], at)
    fields = tuple(sorted((key, _flat(value)) for key, value in root.items()))
    return UnknownEvent(corp_id=corp_id, event=event, change_type=change, at=at, fields=fields)


def _contact(root: dict[str, Any], corp_id: str, change: str, at: datetime) -> CallbackEvent | None:
    if change not in {
        "add_external_contact",
        "add_half_external_contact",
        "del_external_contact",
        "del_follow_user",
        "edit_external_contact",
    }:
        return None
    userid = _required(root, "UserID")
    external_userid = _required(root, "ExternalUserID")
    if change in {"add_external_contact", "add_half_external_contact"}:
        return CustomerAdded(
            corp_id=corp_id,
            userid=userid,
            external_userid=external_userid,
            state=_text(root, "State"),
            welcome_code=_text(root, "WelcomeCode"),
            at=at,
            awaiting_employee=change == "add_half_external_contact",
        )
    if change == "del_external_contact":
        return CustomerDeletedByEmployee(
            corp_id=corp_id,
            userid=userid,
            external_userid=external_userid,
            at=at,
            by_transfer=_text(root, "Source") == _BY_TRANSFER,
        )
    if change == "del_follow_user":
        return EmployeeDeletedByCustomer(
            corp_id=corp_id, userid=userid, external_userid=external_userid, at=at
        )
    return CustomerEdited(corp_id=corp_id, userid=userid, external_userid=external_userid, at=at)


def _group(
    root: dict[str, Any], corp_id: str, change: GroupChange, at: datetime
) -> CustomerGroupChanged:
    members = root.get("MemChangeList")
    items = members.get("Item") if isinstance(members, dict) else None
    if items is None:
        names: tuple[str, ...] = ()
    elif isinstance(items, list):  # xmltodict gives one <Item> as a string, several as a list
        names = tuple(_flat(item) for item in items)
    else:
        names = (_flat(items),)
    count = _text(root, "MemChangeCnt")
    return CustomerGroupChanged(
        corp_id=corp_id,
        chat_id=_required(root, "ChatId"),
        change=change,
        at=at,
        update_detail=_text(root, "UpdateDetail") if change == "update" else "",
        members=names,
        member_change_count=int(count) if count.isdigit() else len(names),
        member_version=_text(root, "CurMemVer"),
    )


def _created(root: dict[str, Any]) -> datetime:
    created = _text(root, "CreateTime")
    if not created.isdigit():
        raise CallbackRejected("CreateTime is not a number of seconds")
    return datetime.fromtimestamp(int(created), UTC)


def _required(root: dict[str, Any], name: str) -> str:
    value = _text(root, name)
    if not value:
        raise CallbackRejected(f"the event lacks {name}")
    return value


def _text(root: dict[str, Any], name: str) -> str:
    value = root.get(name)
    return value.strip() if isinstance(value, str) else ""


def _flat(value: Any) -> str:
    # Nested elements (MemChangeList, …) kept as their XML-less text, in WeCom's order.
    if isinstance(value, dict):
        return ";".join(f"{key}={_flat(inner)}" for key, inner in value.items())
    if isinstance(value, list):
        return ",".join(_flat(inner) for inner in value)
    return "" if value is None else str(value)
