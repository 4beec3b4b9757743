"""WeCom event callbacks as WeCom sends them (issue 20, deliverable 2 "Callbacks";
WECOM-1…5): bodies encrypted and signed by wechatpy's own WeCom crypto, with WeCom's
documented XML for change_external_contact (customer added, deleted by the employee,
employee deleted by the customer, edited) and change_external_chat (group created,
updated, dismissed).

It proves that the GET URL verification answers the decrypted echostr; that every event
reads into its record with its fields and an aware UTC time; that two copies of one
callback share a `dedup_key` while two callbacks of the same second do not; that a
forged signature, a body encrypted with another key or for another corp, and a body that
is not WeCom's are rejected with our `CallbackRejected`; and that an event the SCRM does
not know is kept as an `UnknownEvent`.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest
import xmltodict
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from adapters.wecom.callbacks import WecomCallbacks
from application.wecom.callback_events import (
    CallbackRejected,
    CustomerAdded,
    CustomerDeletedByEmployee,
    CustomerEdited,
    CustomerGroupChanged,
    EmployeeDeletedByCustomer,
    UnknownEvent,
)

CORP_ID = "ww1234567890abcdef"
TOKEN = "QDG6eK"
# An EncodingAESKey is 43 base64 characters: 32 bytes without the trailing "=".
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
OTHER_AES_KEY = base64.b64encode(bytes(range(100, 132))).decode().rstrip("=")
CREATED = 1733300000  # 2024-12-04 08:13:20 UTC
AT = datetime(2024, 12, 4, 8, 13, 20, tzinfo=UTC)
EXTERNAL = "woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA"


def contact_event(change: str, userid: str = "zhangsan", extra: str = "") -> str:
    """WeCom's documented XML of a change_external_contact event."""
    return f"""<xml>
<ToUserName><![CDATA[{CORP_ID}]]></ToUserName>
<FromUserName><![CDATA[sys]]></FromUserName>
<CreateTime>{CREATED}</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[change_external_contact]]></Event>
<ChangeType><![CDATA[{change}]]></ChangeType>
<UserID><![CDATA[{userid}]]></UserID>
<ExternalUserID><![CDATA[{EXTERNAL}]]></ExternalUserID>
{extra}
</xml>"""


def chat_event(change: str, extra: str = "") -> str:
    """WeCom's documented XML of a change_external_chat event."""
    return f"""<xml>
<ToUserName><![CDATA[{CORP_ID}]]></ToUserName>
<FromUserName><![CDATA[sys]]></FromUserName>
<CreateTime>{CREATED}</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[change_external_chat]]></Event>
<ChatId><![CDATA[wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA]]></ChatId>
<ChangeType><![CDATA[{change}]]></ChangeType>
{extra}
</xml>"""


def sent(
    xml: str,
    *,
    nonce: str = "1372623149",
    aes_key: str = AES_KEY,
    corp_id: str = CORP_ID,
) -> tuple[str, str, str, str]:
    """(msg_signature, timestamp, nonce, body) of the callback WeCom posts for `xml`."""
    timestamp = str(CREATED + 1)
    envelope = WeChatCrypto(TOKEN, aes_key, corp_id).encrypt_message(xml, nonce, timestamp)
    signature = xmltodict.parse(envelope)["xml"]["MsgSignature"]
    return signature, timestamp, nonce, envelope


@pytest.fixture
def callbacks() -> WecomCallbacks:
    return WecomCallbacks(TOKEN, AES_KEY, CORP_ID)


def test_the_url_verification_answers_the_decrypted_echostr(callbacks: WecomCallbacks) -> None:
    echostr = PrpCrypto(base64.b64decode(AES_KEY + "=")).encrypt("4431468427512233046", CORP_ID)
    echostr = echostr.decode()
    timestamp, nonce = "1409659589", "263014780"
    # WeCom's msg_signature: SHA-1 of the sorted token, timestamp, nonce and echostr.
    signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce, echostr])).encode())
    assert (
        callbacks.verify_url(signature.hexdigest(), timestamp, nonce, echostr)
        == "4431468427512233046"
    )
    with pytest.raises(CallbackRejected, match="signature"):
        callbacks.verify_url("0" * 40, timestamp, nonce, echostr)


def test_a_customer_added_through_a_contact_me_code(callbacks: WecomCallbacks) -> None:
    xml = contact_event(
        "add_external_contact",
        extra="<State><![CDATA[expo-2024]]></State>"
        "<WelcomeCode><![CDATA[CALLBACK_CODE]]></WelcomeCode>",
    )
    event = callbacks.event(*sent(xml))
    assert event == CustomerAdded(
        corp_id=CORP_ID,
        userid="zhangsan",
        external_userid=EXTERNAL,
        state="expo-2024",
        welcome_code="CALLBACK_CODE",
        at=AT,
    )
    assert event.at.tzinfo is UTC


def test_a_customer_added_without_code_or_welcome_and_half_added(
    callbacks: WecomCallbacks,
) -> None:
    plain = callbacks.event(*sent(contact_event("add_external_contact")))
    assert isinstance(plain, CustomerAdded)
    assert (plain.state, plain.welcome_code, plain.awaiting_employee) == ("", "", False)

    half = callbacks.event(
        *sent(
            contact_event(
                "add_half_external_contact", extra="<WelcomeCode><![CDATA[HALF]]></WelcomeCode>"
            )
        )
    )
    assert isinstance(half, CustomerAdded)
    assert (half.welcome_code, half.awaiting_employee) == ("HALF", True)
    assert half.dedup_key != plain.dedup_key


def test_churn_both_ways_and_a_transfer_that_is_not_churn(callbacks: WecomCallbacks) -> None:
    deleted = callbacks.event(*sent(contact_event("del_external_contact")))
    assert deleted == CustomerDeletedByEmployee(
        corp_id=CORP_ID, userid="zhangsan", external_userid=EXTERNAL, at=AT
    )
    transferred = callbacks.event(
        *sent(
            contact_event(
                "del_external_contact", extra="<Source><![CDATA[DELETE_BY_TRANSFER]]></Source>"
            )
        )
    )
    assert isinstance(transferred, CustomerDeletedByEmployee)
    assert transferred.by_transfer

    left = callbacks.event(*sent(contact_event("del_follow_user")))
    assert left == EmployeeDeletedByCustomer(
        corp_id=CORP_ID, userid="zhangsan", external_userid=EXTERNAL, at=AT
    )
    assert left.dedup_key != deleted.dedup_key


def test_a_customer_edited(callbacks: WecomCallbacks) -> None:
    assert callbacks.event(*sent(contact_event("edit_external_contact"))) == CustomerEdited(
        corp_id=CORP_ID, userid="zhangsan", external_userid=EXTERNAL, at=AT
    )


def test_customer_groups_created_updated_and_dismissed(callbacks: WecomCallbacks) -> None:
    created = callbacks.event(*sent(chat_event("create")))
    assert created == CustomerGroupChanged(
        corp_id=CORP_ID, chat_id="wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA", change="create", at=AT
    )

    joined = callbacks.event(
        *sent(
            chat_event(
                "update",
                extra="""<UpdateDetail><![CDATA[add_member]]></UpdateDetail>
<JoinScene>1</JoinScene>
<QuitScene>0</QuitScene>
<MemChangeCnt>2</MemChangeCnt>
<MemChangeList><Item>Jack</Item><Item>wmAJ2GCAAAZ5mWcsEn0K2vuUMLq5FJNQ</Item></MemChangeList>
<LastMemVer><![CDATA[9c3f97c2ada667dfb5f6d03308d963e1]]></LastMemVer>
<CurMemVer><![CDATA[71217227bbd112ecfe3a49c482195cb4]]></CurMemVer>""",
            )
        )
    )
    assert isinstance(joined, CustomerGroupChanged)
    assert (joined.change, joined.update_detail) == ("update", "add_member")
    assert joined.members == ("Jack", "wmAJ2GCAAAZ5mWcsEn0K2vuUMLq5FJNQ")
    assert joined.member_change_count == 2
    assert joined.member_version == "71217227bbd112ecfe3a49c482195cb4"

    one_left = callbacks.event(
        *sent(
            chat_event(
                "update",
                extra="<UpdateDetail><![CDATA[del_member]]></UpdateDetail>"
                "<MemChangeCnt>1</MemChangeCnt><MemChangeList><Item>Rose</Item></MemChangeList>",
            )
        )
    )
    assert isinstance(one_left, CustomerGroupChanged)
    assert one_left.members == ("Rose",)

    renamed = callbacks.event(
        *sent(chat_event("update", extra="<UpdateDetail><![CDATA[change_name]]></UpdateDetail>"))
    )
    dismissed = callbacks.event(*sent(chat_event("dismiss")))
    assert isinstance(renamed, CustomerGroupChanged)
    assert isinstance(dismissed, CustomerGroupChanged)
    assert (renamed.update_detail, dismissed.change) == ("change_name", "dismiss")
    keys = {event.dedup_key for event in (created, joined, one_left, renamed, dismissed)}
    assert len(keys) == 5


def test_the_same_callback_twice_has_one_dedup_key(callbacks: WecomCallbacks) -> None:
    xml = contact_event("add_external_contact", extra="<State><![CDATA[expo]]></State>")
    # WeCom's retry: the same event, encrypted afresh (a new random prefix) and a new nonce.
    first, again = sent(xml, nonce="111"), sent(xml, nonce="222")
    assert first[3] != again[3]
    assert callbacks.event(*first).dedup_key == callbacks.event(*again).dedup_key

    # One customer adding two employees in the same second is two callbacks.
    other_employee = callbacks.event(*sent(contact_event("add_external_contact", "lisi", "")))
    assert other_employee.dedup_key != callbacks.event(*first).dedup_key


def test_a_forged_signature_is_rejected(callbacks: WecomCallbacks) -> None:
    signature, timestamp, nonce, body = sent(contact_event("del_follow_user"))
    forged = ("0" if signature[0] != "0" else "1") + signature[1:]
    with pytest.raises(CallbackRejected, match="signature"):
        callbacks.event(forged, timestamp, nonce, body)
    # The signature covers the timestamp: a replay under another one is not the corp's.
    with pytest.raises(CallbackRejected, match="signature"):
        callbacks.event(signature, str(CREATED + 99), nonce, body)


def test_bodies_encrypted_with_another_key_or_for_another_corp_are_rejected(
    callbacks: WecomCallbacks,
) -> None:
    # Signed with the right token, so only the decryption can tell.
    with pytest.raises(CallbackRejected, match="decrypted"):
        callbacks.event(*sent(contact_event("del_follow_user"), aes_key=OTHER_AES_KEY))
    with pytest.raises(CallbackRejected, match="decrypted"):
        callbacks.event(*sent(contact_event("del_follow_user"), corp_id="wwanothercorp0000"))


def test_bodies_that_are_not_wecom_callbacks_are_rejected(callbacks: WecomCallbacks) -> None:
    signature, timestamp, nonce, _ = sent(contact_event("del_follow_user"))
    for body in ("not xml at all", "<xml><ToUserName>x</ToUserName></xml>", ""):
        with pytest.raises(CallbackRejected):
            callbacks.event(signature, timestamp, nonce, body)
    # Decrypted fine but missing what the event needs.
    no_customer = contact_event("del_follow_user").replace(f"<![CDATA[{EXTERNAL}]]>", "")
    with pytest.raises(CallbackRejected, match="ExternalUserID"):
        callbacks.event(*sent(no_customer))
    no_time = contact_event("del_follow_user").replace(str(CREATED), "soon")
    with pytest.raises(CallbackRejected, match="CreateTime"):
        callbacks.event(*sent(no_time))


def test_an_unknown_event_is_kept(callbacks: WecomCallbacks) -> None:
    xml = contact_event(
        "transfer_fail", extra="<FailReason><![CDATA[customer_refused]]></FailReason>"
    )
    event = callbacks.event(*sent(xml))
    assert isinstance(event, UnknownEvent)
    assert (event.event, event.change_type, event.at) == (
        "change_external_contact",
        "transfer_fail",
        AT,
    )
    assert ("FailReason", "customer_refused") in event.fields
    again = callbacks.event(*sent(xml, nonce="other"))
    assert again.dedup_key == event.dedup_key

    tag = callbacks.event(
        *sent(
            f"""<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>
<FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{CREATED}</CreateTime>
<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_tag]]></Event>
<Id><![CDATA[etm7wjCgAA]]></Id><TagType><![CDATA[tag]]></TagType>
<ChangeType><![CDATA[create]]></ChangeType></xml>"""
        )
    )
    assert isinstance(tag, UnknownEvent)
    assert (tag.event, tag.change_type) == ("change_external_tag", "create")
    assert tag.dedup_key != event.dedup_key


def test_a_malformed_encoding_aes_key_is_refused_at_setup() -> None:
    with pytest.raises(ValueError, match="EncodingAESKey"):
        WecomCallbacks(TOKEN, "too-short", CORP_ID)
