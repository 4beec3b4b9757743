"""Commands and answers of follow-up tasks and to-dos (跟进任务 / 待办, WECOM-2)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command

FollowUpState = Literal["open", "done", "cancelled"]


class AboutInput(Command):
    """A customer (`id`: external_userid), a customer group (`id`: chat_id) or
    nothing in particular."""

    kind: Literal["customer", "group", "nothing"] = "nothing"
    id: str = Field(default="", max_length=128)


class AssignFollowUp(Command):
    """A to-do (or an SOP step) for one or more employees (WeCom userids): each does
    their own part; a reminder `remind_before_minutes` before the due time."""

    title: str = Field(min_length=1, max_length=100, examples=["回访双十一意向客户"])
    note: str = Field(default="", max_length=1000)
    kind: Literal["todo", "sop"] = "todo"
    about: AboutInput | None = None
    assignees: list[str] = Field(min_length=1, max_length=1000, examples=[["ZhangWei"]])
    due_at: datetime | None = None
    remind_before_minutes: int | None = Field(default=None, ge=0, le=7 * 24 * 60)


class CompleteFollowUp(Command):
    """One assignee's part done (`userid`: the caller's own member when omitted)."""

    userid: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=1000)


class ReopenFollowUp(Command):
    userid: str | None = Field(default=None, max_length=64)


class RescheduleFollowUp(Command):
    due_at: datetime | None
    remind_before_minutes: int | None = Field(default=None, ge=0, le=7 * 24 * 60)


class CancelFollowUp(Command):
    reason: str = Field(default="", max_length=1000)


class AssigneeResult(BaseModel):
    userid: str
    name: str
    done: bool
    done_at: datetime | None
    note: str


class FollowUpDetails(BaseModel):
    id: UUID
    title: str
    note: str
    kind: Literal["todo", "sop"]
    about: AboutInput
    assignees: list[AssigneeResult]
    due_at: datetime | None
    remind_before_minutes: int | None
    remind_at: datetime | None
    state: FollowUpState
    overdue: bool
    cancel_reason: str
    version: int
    created_at: datetime


class ToDo(BaseModel):
    """One employee's part of a task, as their to-do list shows it."""

    task_id: UUID
    userid: str
    name: str
    title: str
    kind: Literal["todo", "sop"]
    about: AboutInput
    due_at: datetime | None
    remind_at: datetime | None
    state: FollowUpState  # the task's
    done: bool
    done_at: datetime | None
    overdue: bool


class FollowUpRow(BaseModel):
    """A task in the tenant's list: how many of its assignees are done."""

    id: UUID
    title: str
    kind: Literal["todo", "sop"]
    about: AboutInput
    due_at: datetime | None
    state: FollowUpState
    assignees: int
    done: int
    created_at: datetime
