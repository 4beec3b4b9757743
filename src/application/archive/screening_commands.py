"""Commands and answers of screening and reply timeouts (ARCH-3, ARCH-4): word lists,
the watched behaviours and allow-list, the reply rules, and the reports (alerts and
their counts, reply timeouts and per-employee reply stats)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command
from domain.archive.reply_rules import MAX_THRESHOLD, MIN_THRESHOLD
from domain.archive.screening_rules import MAX_ALLOWED
from domain.archive.word_lists import MAX_CATEGORY_LENGTH, MAX_NAME_LENGTH, MAX_WORDS

MAX_LINES_LENGTH = 600_000  # characters of an imported text: 10,000 lines of a long word

Behaviour = Literal["mobile", "email", "bank_card", "red_packet", "file", "link"]

# --- word lists ------------------------------------------------------------------------------


class MakeWordList(Command):
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH, examples=["辱骂词库"])
    category: str = Field(min_length=1, max_length=MAX_CATEGORY_LENGTH, examples=["辱骂"])
    words: list[str] = Field(default_factory=list, max_length=MAX_WORDS, examples=[["傻X", "滚"]])


class ReviseWordList(Command):
    """What to change; omitted fields stay."""

    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_LENGTH)
    category: str | None = Field(default=None, min_length=1, max_length=MAX_CATEGORY_LENGTH)


class AddWords(Command):
    """Words to add, as a list and/or as text with one word a line (an imported file);
    blank lines are skipped, words the list has already change nothing."""

    words: list[str] = Field(default_factory=list, max_length=MAX_WORDS, examples=[["加微信"]])
    lines: str = Field(default="", max_length=MAX_LINES_LENGTH, examples=["保本\n稳赚不赔\n"])

    def all_words(self) -> list[str]:
        return [*self.words, *self.lines.splitlines()]


class RemoveWords(Command):
    words: list[str] = Field(min_length=1, max_length=MAX_WORDS, examples=[["加微信"]])


class WordListDetails(BaseModel):
    id: UUID
    name: str
    category: str
    words: int = Field(description="how many words the list holds")
    archived: bool
    version: int
    created_at: datetime


class WordListChange(WordListDetails):
    changed: list[str] = Field(description="the words added (or removed) by this change")


class WordEntry(BaseModel):
    word: str


# --- screening rules -------------------------------------------------------------------------


class ChangeScreeningRules(Command):
    behaviours: list[Behaviour] = Field(
        max_length=6, description="the behaviours watched", examples=[["mobile", "link"]]
    )
    allowed_employees: list[str] = Field(
        default_factory=list,
        max_length=MAX_ALLOWED,
        description="WeCom userids whose own messages are not screened",
        examples=[["zhangsan"]],
    )


class ScreeningRulesDetails(BaseModel):
    behaviours: list[str]
    allowed_employees: list[str]
    version: int


# --- reply rules -----------------------------------------------------------------------------


class WorkingPeriod(BaseModel):
    weekday: int = Field(ge=1, le=7, description="1 Monday … 7 Sunday")
    start: str = Field(pattern=r"^\d\d:\d\d$", examples=["09:00"])
    end: str = Field(pattern=r"^\d\d:\d\d$", examples=["18:00"], description="24:00 for midnight")


class ChangeReplyRules(Command):
    enabled: bool = True
    threshold_minutes: int = Field(ge=MIN_THRESHOLD, le=MAX_THRESHOLD, examples=[30])
    working_hours: list[WorkingPeriod] = Field(max_length=21)
    include_groups: bool = Field(
        default=False, description="count customers' messages in group chats too"
    )


class ReplyRulesDetails(BaseModel):
    enabled: bool
    threshold_minutes: int
    working_hours: list[WorkingPeriod]
    include_groups: bool
    timezone: str = Field(description="the tenant's zone the working hours are read in")
    version: int


# --- reports ---------------------------------------------------------------------------------


class AlertDetails(BaseModel):
    msgid: str
    rule: str = Field(description='"word" or a behaviour (mobile, email, bank_card…)')
    match: str = Field(description="the word, or what the behaviour showed (masked)")
    category: str
    employee: str = Field(description="the employee's WeCom userid on the message's side")
    sender: str
    conversation: str
    roomid: str
    at: datetime
    day: date


class AlertCount(BaseModel):
    key: str = Field(description="the word (or match), employee or day counted")
    rule: str | None = None
    hits: int


class AlertCounts(BaseModel):
    by: str
    items: list[AlertCount]
    total: int


class ReplyTimeoutDetails(BaseModel):
    msgid: str = Field(description="the customer's first unanswered message")
    conversation: str
    customer: str
    employee: str = Field(description='who was to answer ("" in a group until answered)')
    roomid: str
    opened_at: datetime
    messages: int = Field(description="the customer's messages before the answer")
    answered: bool
    answered_at: datetime | None
    answered_by: str
    waited_minutes: float = Field(description="working minutes waited (until now if open)")


class EmployeeReplyStats(BaseModel):
    employee: str
    received: int = Field(description="customers' messages received")
    waits: int = Field(description="customers' turns that waited for an answer")
    answered: int
    timeouts: int
    average_reply_minutes: float | None = Field(
        description="average first-reply time in working minutes"
    )
