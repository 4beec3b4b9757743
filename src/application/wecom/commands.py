"""Commands and answers of the WeCom SCRM context's core (WECOM-1…5): the bound corp,
its members, customers, churn and customer groups."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command


class BindCorp(Command):
    """The corp's id (我的企业 › 企业ID), its self-built app's AgentId and Secret
    (应用管理 › 自建应用; the app needs the customer-contact permission), and the Token and
    EncodingAESKey chosen for its callback (接收事件服务器)."""

    name: str = Field(min_length=1, max_length=64, examples=["火客科技"])
    corpid: str = Field(min_length=18, max_length=18, examples=["ww1234567890abcdef"])
    agentid: int = Field(ge=1, le=2_147_483_647, examples=[1000002])
    app_secret: str = Field(min_length=20, max_length=64, description="Secret; never shown again")
    callback_token: str = Field(min_length=1, max_length=32, description="the callback Token")
    encoding_aes_key: str = Field(min_length=43, max_length=43, description="EncodingAESKey")


class ReviseCorp(Command):
    """Fields to change; omitted ones stay. New keys after a reset in WeCom."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    agentid: int | None = Field(default=None, ge=1, le=2_147_483_647)
    app_secret: str | None = Field(default=None, min_length=20, max_length=64)
    callback_token: str | None = Field(default=None, min_length=1, max_length=32)
    encoding_aes_key: str | None = Field(default=None, min_length=43, max_length=43)


class Department(BaseModel):
    id: int
    name: str
    parent_id: int
    order: int = 0


class CorpDetails(BaseModel):
    """The bound corp, never its keys."""

    id: UUID
    name: str
    corpid: str
    agentid: int
    unbound: bool
    callback_path: str  # where the app's callback URL (接收事件服务器 URL) must point
    departments: list[Department]
    version: int
    created_at: datetime


class LinkMember(Command):
    """The huoke employee a WeCom member is (null: none)."""

    employee_id: UUID | None = None


class MemberDetails(BaseModel):
    userid: str
    name: str
    department_ids: list[int]
    mobile: str
    email: str
    status: int  # WeCom's: 1 active, 2 disabled, 4 not activated, 5 left
    in_visible_range: bool
    employee_id: UUID | None  # the huoke employee, linked by hand or matched
    linked_by_hand: bool
    departed: bool  # the linked employee left (ORG-3)
    synced_at: datetime


class ContactsSyncReport(BaseModel):
    departments: int
    members: int  # found in the visible range
    changed: int  # new or changed members recorded
    left_range: int  # members the sync no longer found


class RelationDetails(BaseModel):
    """One employee's customer (a follow relation), as the customer list shows it."""

    external_userid: str
    name: str
    corp_name: str
    userid: str  # the employee who added the customer
    employee_name: str
    status: Literal["active", "lost", "removed"]
    added_at: datetime | None
    state: str  # the live code's channel ("" if none)
    add_way: int
    remark: str
    tags: list[str]
    ended_at: datetime | None  # when the customer deleted the employee or was removed
    by_transfer: bool  # removed because the customer was handed over (no churn)


class CustomerDetails(BaseModel):
    external_userid: str
    name: str
    type: int  # 1 WeChat user, 2 WeCom user
    corp_name: str
    lead_id: UUID | None
    first_added_at: datetime | None
    relations: list[RelationDetails]


class ChurnAlert(BaseModel):
    id: str
    external_userid: str
    name: str
    userid: str
    employee_name: str
    employee_id: UUID | None
    at: datetime


class CustomerGroupDetails(BaseModel):
    chat_id: str
    name: str
    owner: str  # the owner's userid
    member_count: int
    status: int  # WeCom's inheritance status (0 normal)
    dismissed: bool
    changed_at: datetime


class GroupSyncReport(BaseModel):
    groups: int


class EmployeeCustomers(BaseModel):
    userid: str
    employee_name: str
    active: int
    lost: int
    removed: int


class DayCount(BaseModel):
    day: date  # in the tenant's timezone
    added: int
    lost: int


class CustomerStats(BaseModel):
    timezone: str
    customers: int  # distinct customers with an active relation
    per_employee: list[EmployeeCustomers]
    per_day: list[DayCount]
