"""The finance SDK's chat JSON read into `ArchivedMessage` (ARCH-1), and the message
stored for a chat that would not open.

The SDK names each message's content after its type (`"text": {"content": …}`), with a
few exceptions kept here; an "switch" entry (the employee switched corps) has no type
and its own time field. A chat that does not open, or whose JSON is not a message, is
stored all the same as type `undecryptable`, holding its sealed text and why it failed,
so the cursor can pass it without losing it: it can be opened later with the right key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from application.archive.messages import ArchivedMessage
from application.archive.ports import EncryptedChat

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNDECRYPTABLE = "undecryptable"
MALFORMED = "malformed"  # opened, but not a message (a field missing, another msgid)
# msgtype → the key its content is under, where the SDK names them apart.
CONTENT_KEYS = {
    "external_redpacket": "redpacket",
    "docmsg": "doc",
    "markdown": "info",
    "news": "info",
    "meeting_voice_call": "meeting_voice_call",
    "voip_doc_share": "voip_doc_share",
}


def message_of_chat(chat: EncryptedChat, document: Mapping[str, Any]) -> ArchivedMessage | None:
    """The message a chat's JSON holds, or None when it is not one."""
    if str(document.get("msgid", chat.msgid)) != chat.msgid:
        return None
    action = str(document.get("action") or "send")
    try:
        if action == "switch":
            return ArchivedMessage(
                seq=chat.seq,
                msgid=chat.msgid,
                action=action,
                sender=str(document.get("user", "")),
                tolist=(),
                roomid="",
                msgtime=_moment(document["time"]),
                msgtype="switch",
            )
        msgtype = str(document["msgtype"])
        content = document.get(CONTENT_KEYS.get(msgtype, msgtype))
        tolist = document.get("tolist") or []
        if not isinstance(tolist, list):
            return None
        return ArchivedMessage(
            seq=chat.seq,
            msgid=chat.msgid,
            action=action,
            sender=str(document["from"]),
            tolist=tuple(str(party) for party in tolist),
            roomid=str(document.get("roomid") or ""),
            msgtime=_moment(document["msgtime"]),
            msgtype=msgtype,
            content=dict(content) if isinstance(content, Mapping) else {},
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def undecryptable_message(chat: EncryptedChat, failure: str, at: datetime) -> ArchivedMessage:
    """What is stored for a chat that would not open: its sealed text and the reason,
    at the time it was pulled (its own time is inside the seal)."""
    return ArchivedMessage(
        seq=chat.seq,
        msgid=chat.msgid,
        action="send",
        sender="",
        tolist=(),
        roomid="",
        msgtime=at,
        msgtype=UNDECRYPTABLE,
        content={
            "failure": failure,
            "publickey_ver": chat.publickey_ver,
            "encrypt_random_key": chat.encrypt_random_key,
            "encrypt_chat_msg": chat.encrypt_chat_msg,
        },
    )


def _moment(milliseconds: Any) -> datetime:
    if isinstance(milliseconds, bool):
        raise TypeError("a time, not a flag")
    return EPOCH + timedelta(milliseconds=int(milliseconds))  # exact, no float on the way
