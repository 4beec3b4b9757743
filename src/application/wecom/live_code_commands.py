"""Commands and answers of live codes and welcome messages (渠道活码与欢迎语, WECOM-1)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command

Userid = str  # a WeCom userid (1–64 characters)


class CodeEmployee(Command):
    """An employee of an employee code and their daily cap (null: none)."""

    userid: str = Field(min_length=1, max_length=64, examples=["ZhangWei"])
    daily_cap: int | None = Field(default=None, ge=1, le=10_000, examples=[50])


class WelcomeAttachmentInput(Command):
    """At most one attachment: a link card (title, url; picurl and desc optional), a
    mini-program card (title, appid, page, media_id of its cover) or an image
    (media_id uploaded to WeCom, or url: a WeCom picture URL)."""

    kind: Literal["link", "miniprogram", "image"]
    title: str = Field(default="", max_length=64)
    url: str = Field(default="", max_length=2048)
    picurl: str = Field(default="", max_length=2048)
    desc: str = Field(default="", max_length=512)
    appid: str = Field(default="", max_length=64)
    page: str = Field(default="", max_length=512)
    media_id: str = Field(default="", max_length=256)


class WelcomeInput(Command):
    """A welcome message: text (≤ 4,000 bytes), an attachment, or both."""

    text: str = Field(default="", max_length=4000, examples=["您好，我是您的专属顾问"])
    attachment: WelcomeAttachmentInput | None = None


class MakeLiveCode(Command):
    """An employee code (kind "employee": `employees`, `rotation`, `backup`, `tags`,
    `welcome_mode` and `welcome`) or a group code (kind "group": `chat_ids`, and
    `room_base_name` / `room_base_id` when `auto_create_room`)."""

    name: str = Field(min_length=1, max_length=64, examples=["门店海报活码"])
    corp_id: UUID | None = Field(
        default=None, description="the tenant's bound corp (null: the one it has)"
    )
    kind: Literal["employee", "group"] = "employee"
    employees: list[CodeEmployee] = Field(default_factory=list, max_length=100)
    rotation: Literal["order", "load"] = Field(
        default="order", description="order: in turn; load: fewest customers added today"
    )
    backup: str | None = Field(
        default=None, max_length=64, description="takes every customer once all are capped"
    )
    tags: list[str] = Field(default_factory=list, max_length=20, description="corp tag ids")
    welcome_mode: Literal["own", "department", "none"] = "none"
    welcome: WelcomeInput | None = None
    chat_ids: list[str] = Field(default_factory=list, max_length=5)
    auto_create_room: bool = False
    room_base_name: str = Field(default="", max_length=40)
    room_base_id: int = Field(default=1, ge=1, le=2_147_483_647)


class ReviseLiveCode(Command):
    """The settings to change; omitted ones stay. Changing a one-employee code into a
    several-employee one makes a new QR code (WeCom fixes a code's type)."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    employees: list[CodeEmployee] | None = Field(default=None, max_length=100)
    rotation: Literal["order", "load"] | None = None
    backup: str | None = Field(default=None, max_length=64, description='"" removes it')
    tags: list[str] | None = Field(default=None, max_length=20)
    welcome_mode: Literal["own", "department", "none"] | None = None
    welcome: WelcomeInput | None = None
    chat_ids: list[str] | None = Field(default=None, max_length=5)
    auto_create_room: bool | None = None
    room_base_name: str | None = Field(default=None, max_length=40)
    room_base_id: int | None = Field(default=None, ge=1, le=2_147_483_647)


class LiveCodeDetails(BaseModel):
    id: UUID
    kind: Literal["employee", "group"]
    name: str
    state: str  # the channel WeCom hands back on every customer added through the code
    config_id: str
    qr_code: str  # WeCom's QR image URL
    employees: list[CodeEmployee]
    rotation: Literal["order", "load"]
    backup: str | None
    tags: list[str]
    welcome_mode: Literal["own", "department", "none"]
    welcome: WelcomeInput | None
    chat_ids: list[str]
    auto_create_room: bool
    room_base_name: str
    room_base_id: int
    serving: list[str]  # the employees (or groups) WeCom hands customers to now
    archived: bool
    version: int
    created_at: datetime


class LiveCodeDay(BaseModel):
    day: date  # in the tenant's timezone
    added: int  # customers added through the code (group codes: members joined)
    welcomed: int


class LiveCodeEmployeeCount(BaseModel):
    userid: str
    added_today: int
    added: int  # in the whole period
    daily_cap: int | None
    capped: bool  # at the cap for today
    serving: bool  # in the code's user list now
    backup: bool


class LiveCodeStats(BaseModel):
    code_id: UUID
    timezone: str
    days: int
    added: int  # in the period
    customers: int  # distinct customers in the period
    added_today: int
    welcomed: int
    welcome_failed: int
    full: bool  # every employee at their cap today
    per_day: list[LiveCodeDay]
    per_employee: list[LiveCodeEmployeeCount]


class DepartmentWelcomeDetails(BaseModel):
    department_id: int
    name: str
    parent_id: int
    welcome: WelcomeInput | None  # the department's own message
    inherited_from: int | None  # the department whose message applies, when not its own


class DepartmentWelcomesDetails(BaseModel):
    departments: list[DepartmentWelcomeDetails]
    version: int  # 0 before any message was set


class SetDepartmentWelcome(Command):
    """The department's welcome message; a department without one uses its parent's."""

    welcome: WelcomeInput | None = Field(default=None, description="null clears it")
