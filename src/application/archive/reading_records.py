"""What reading the archive answers (ARCH-2, ARCH-5, ARCH-6): messages with their
context, a chat's pages, statistics per day and per employee, and the record of reads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class MediaReference(BaseModel):
    """A picture, voice, video or file as the archive keeps it: a reference to fetch
    through the finance SDK (`sdkfileid`), never the bytes."""

    sdkfileid: str
    file_name: str = ""
    file_ext: str = ""
    size: int | None = Field(default=None, description="bytes")
    md5sum: str = ""
    play_length: int | None = Field(default=None, description="seconds (voice, video)")


class ArchivedMessageView(BaseModel):
    """One archived message as the archive shows it (recalled ones too: 已撤回)."""

    msgid: str
    seq: int
    msgtime: datetime
    conversation: str = Field(description='"pair:<a>:<b>" (one-to-one) or "room:<roomid>"')
    sender: str = Field(description="a WeCom userid or a customer's external_userid")
    employee: str = Field(description='the employee on our side of the chat ("" if none)')
    customer: str = Field(description="the customer of the chat, or the sender if one")
    roomid: str
    msgtype: str
    action: str
    text: str = Field(description="what the message says (a file's name, a link's title…)")
    content: dict[str, Any] = Field(description="the SDK's fields of other message types")
    media: MediaReference | None = None
    recalled: bool = False
    recalled_at: datetime | None = None


class MessageHit(BaseModel):
    """A message found, with the messages before and after it in the same chat."""

    message: ArchivedMessageView
    before: list[ArchivedMessageView]
    after: list[ArchivedMessageView]
    terms: list[str] = Field(description="what to highlight: the terms as matched")


class MessageInContext(BaseModel):
    message: ArchivedMessageView
    before: list[ArchivedMessageView]
    after: list[ArchivedMessageView]


class DayStats(BaseModel):
    """One day in the tenant's zone (ARCH-5)."""

    day: date
    messages: int
    one_to_one_chats: int = Field(description="distinct one-to-one chats with a message")
    group_chats: int = Field(description="distinct groups with a message")
    customers_contacted: int = Field(description="distinct customers in one-to-one chats")
    by_type: dict[str, int] = Field(description="messages by msgtype")
    undecryptable: int = Field(
        default=0, description="messages stored sealed: they would not open (not in the above)"
    )


class EmployeeStats(BaseModel):
    """One employee over a range of days."""

    employee: str = Field(description="WeCom userid")
    name: str
    department: str
    left: bool
    sent: int
    received: int = Field(description="customers' messages to them in one-to-one chats")
    customers_contacted: int
    chats: int = Field(description="distinct chats (one-to-one and groups) with a message")


class ArchiveCoverage(BaseModel):
    """How much of the corp the archive covers (ARCH-5)."""

    employees_in_corp: int = Field(description="employees the WeCom contacts list")
    employees_archived: int = Field(description="of them, those with archived messages")
    employees_not_archived: list[str] = Field(description="userids without any, first 100")
    messages: int = Field(description="messages of the range that were read")
    undecryptable: int = Field(
        default=0, description="messages of the range stored sealed (they would not open)"
    )


class StatsReport(BaseModel):
    since: date
    until: date = Field(description="the last day included")
    timezone: str
    days: list[DayStats]
    totals: DayStats = Field(description="the range as one period (distinct over it)")
    coverage: ArchiveCoverage


class ReadEntry(BaseModel):
    """Who read what of the archive, when (ARCH-6)."""

    id: str
    read_at: datetime
    actor_kind: str | None
    actor_id: str | None
    request_id: str | None
    kind: str
    scope: str
    customer: str
    employee: str
    conversation: str
    message: str
    terms: str
    since: datetime | None
    until: datetime | None
    shown: int
