"""An archived chat message as the WeCom finance SDK gives it once decrypted, and its
row in the behaviour log (ARCH-1).

Every context reading the archive (screening, search, reply timeouts, stats) reads
rows through `message_of`, so the row's shape is written down once, here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from application.shared.behaviours import Behaviour, BehaviourKind, Channel

SOURCE = "archive"  # the behaviour rows' source_id
# The finance SDK's prefixes: external contacts (customers) are "wm…"/"wo…", robots "wb…".
CUSTOMER_PREFIXES = ("wm", "wo")
ROBOT_PREFIX = "wb"


@dataclass(frozen=True)
class ArchivedMessage:
    """One message of the archive (the SDK's decrypted chat data).

    `content` is the per-type object as the SDK names it (`text` → {"content"},
    `image` → {"md5sum", "filesize", "sdkfileid"}, `file` → {"filename", "fileext",
    "filesize", "sdkfileid"}, `link` → {"title", "description", "link_url"},
    `redpacket` → {"type", "wish", "totalcnt", "totalamount"}, `revoke` →
    {"pre_msgid"}…); media stay references (sdkfileid), never bytes."""

    seq: int
    msgid: str
    action: str  # "send" | "recall" | "switch"
    sender: str  # the SDK's "from": a WeCom userid or a customer's external_userid
    tolist: tuple[str, ...]
    roomid: str  # "" for a one-to-one chat
    msgtime: datetime  # UTC
    msgtype: str
    content: Mapping[str, Any] = field(default_factory=dict)

    @property
    def in_group(self) -> bool:
        return bool(self.roomid)

    @property
    def from_customer(self) -> bool:
        return is_customer(self.sender)

    @property
    def employee(self) -> str:
        """The employee's userid on the employee's side of the chat ("" if none)."""
        if not self.from_customer and not self.sender.startswith(ROBOT_PREFIX):
            return self.sender
        for party in self.tolist:
            if not is_customer(party) and not party.startswith(ROBOT_PREFIX):
                return party
        return ""

    @property
    def customer(self) -> str:
        """The customer of a one-to-one chat, or the sender if a customer ("" if none)."""
        if self.from_customer:
            return self.sender
        for party in self.tolist:
            if is_customer(party):
                return party
        return ""

    @property
    def conversation(self) -> str:
        """The chat it belongs to: "room:<roomid>", or "pair:<employee>:<customer or peer>"."""
        if self.roomid:
            return f"room:{self.roomid}"
        parties = sorted({self.sender, *self.tolist})
        return "pair:" + ":".join(parties)

    @property
    def text(self) -> str:
        """What search and screening read: the words a person sees in the chat."""
        return searchable_text(self.msgtype, self.content)


def is_customer(party: str) -> bool:
    return party.startswith(CUSTOMER_PREFIXES)


def searchable_text(msgtype: str, content: Mapping[str, Any]) -> str:
    if msgtype == "text":
        return str(content.get("content", ""))
    if msgtype == "file":
        return str(content.get("filename", ""))
    if msgtype == "link":
        parts = (content.get("title"), content.get("description"), content.get("link_url"))
        return " ".join(str(p) for p in parts if p)
    if msgtype == "redpacket":
        return str(content.get("wish", ""))
    if msgtype in ("weapp", "card", "location"):
        return " ".join(str(v) for k, v in content.items() if k in ("title", "corpname", "address"))
    return ""


def behaviour_of(tenant_id: UUID, message: ArchivedMessage, *, received_at: datetime) -> Behaviour:
    """The message's row in the behaviour log; its id is the SDK's msgid, so appending a
    message twice stores it once."""
    customer = message.customer
    return Behaviour(
        tenant_id=tenant_id,
        kind=BehaviourKind.ARCHIVE_MESSAGE,
        channel=Channel.WECOM,
        occurred_at=message.msgtime,
        received_at=received_at,
        message_id=f"archive:{message.msgid}",
        name=message.msgtype,
        properties={
            "seq": message.seq,
            "msgid": message.msgid,
            "action": message.action,
            "from": message.sender,
            "tolist": list(message.tolist),
            "roomid": message.roomid,
            "msgtime": int(message.msgtime.timestamp() * 1000),
            "msgtype": message.msgtype,
            "content": dict(message.content),
        },
        anonymous_id=f"wecom:{customer}" if customer and not message.roomid else None,
        source_id=SOURCE,
    )


def message_of(row: Behaviour) -> ArchivedMessage:
    """The message an ARCHIVE_MESSAGE row holds."""
    p = row.properties
    return ArchivedMessage(
        seq=int(p["seq"]),
        msgid=str(p["msgid"]),
        action=str(p["action"]),
        sender=str(p["from"]),
        tolist=tuple(str(t) for t in p.get("tolist", ())),
        roomid=str(p.get("roomid") or ""),
        msgtime=datetime.fromtimestamp(int(p["msgtime"]) / 1000, tz=UTC),
        msgtype=str(p["msgtype"]),
        content=dict(p.get("content") or {}),
    )


@dataclass(frozen=True)
class Alert:
    """A sensitive word or behaviour found in a message on ingestion (ARCH-3).

    `rule` is "word" (then `match` is the word and `category` its list's category) or a
    behaviour: "mobile", "email", "bank_card", "red_packet", "file", "link"."""

    msgid: str
    rule: str
    match: str
    category: str
    employee: str  # the employee's userid on the message's side ("" if none)
    sender: str

    def behaviour(
        self, tenant_id: UUID, message: ArchivedMessage, received_at: datetime
    ) -> Behaviour:
        return Behaviour(
            tenant_id=tenant_id,
            kind=BehaviourKind.ARCHIVE_ALERT,
            channel=Channel.WECOM,
            occurred_at=message.msgtime,
            received_at=received_at,
            message_id=f"archive-alert:{self.msgid}:{self.rule}:{self.match}",
            name=self.rule,
            properties={
                "msgid": self.msgid,
                "seq": message.seq,
                "rule": self.rule,
                "match": self.match,
                "category": self.category,
                "employee": self.employee,
                "from": self.sender,
                "roomid": message.roomid,
                "conversation": message.conversation,
            },
            source_id=SOURCE,
        )


class MessageScreen(Protocol):
    """What ingestion asks of screening (ARCH-3): the alerts a batch of a tenant's
    messages raises, found in the same pass that stores them."""

    def alerts(self, tenant_id: UUID, messages: Sequence[ArchivedMessage]) -> list[Alert]: ...
