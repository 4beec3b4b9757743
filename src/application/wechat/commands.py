"""Commands and answers of the WeChat Official Account context (WX)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command


class BindAccount(Command):
    """An Official Account's developer settings (开发者配置) as WeChat shows them."""

    name: str = Field(min_length=1, max_length=64, examples=["华东公众号"])
    appid: str = Field(min_length=18, max_length=18, examples=["wx1234567890abcdef"])
    app_secret: str = Field(
        min_length=32, max_length=32, description="AppSecret; never shown again"
    )
    callback_token: str = Field(min_length=3, max_length=32, description="the server Token")
    encoding_aes_key: str = Field(min_length=43, max_length=43, description="EncodingAESKey")
    kind: Literal["subscription", "service"]
    verified: bool = False


class ReviseAccount(Command):
    """Fields to change; omitted ones stay. New keys come together (a reset in WeChat)."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    verified: bool | None = None
    app_secret: str | None = Field(default=None, min_length=32, max_length=32)
    callback_token: str | None = Field(default=None, min_length=3, max_length=32)
    encoding_aes_key: str | None = Field(default=None, min_length=43, max_length=43)


class KeywordReply(Command):
    keyword: str = Field(min_length=1, max_length=30, examples=["价格"])
    match: Literal["exact", "contains"] = "exact"
    reply: str = Field(min_length=1, max_length=600)


class SetAutoReplies(Command):
    follow_reply: str = Field(
        default="", max_length=600, examples=["欢迎关注！回复「价格」了解套餐。"]
    )
    keyword_replies: list[KeywordReply] = Field(default_factory=list, max_length=200)


class AddTemplate(Command):
    template_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=64, examples=["预约成功通知"])
    fields: list[str] = Field(
        min_length=1, max_length=20, examples=[["first", "keyword1", "remark"]]
    )


class MenuButton(Command):
    """A button: `type` click/scancode_push/scancode_waitmsg with `key`, or view with
    `url`; or a sub-menu (`sub_button`, no type)."""

    name: str = Field(min_length=1, max_length=60, examples=["产品介绍"])
    type: str | None = Field(default=None, examples=["view"])
    key: str | None = Field(default=None, max_length=128)
    url: str | None = Field(default=None, max_length=1024, examples=["https://acme.cn/"])
    sub_button: list[MenuButton] = Field(default_factory=list, max_length=5)


class DraftMenu(Command):
    buttons: list[MenuButton] = Field(min_length=1, max_length=3)


class ReplyToFan(Command):
    text: str = Field(min_length=1, max_length=600, examples=["您好，已为您预约周三下午的体验课。"])


class AccountDetails(BaseModel):
    id: UUID
    name: str
    appid: str
    kind: str
    verified: bool
    unbound: bool
    callback_path: str  # where WeChat's server address (服务器地址) must point
    templates: list[dict[str, object]]
    follow_reply: str
    keyword_replies: list[dict[str, str]]
    menu: list[dict[str, Any]]  # the draft
    published_menu: list[dict[str, Any]]  # what fans see
    version: int
    created_at: datetime


class AccountSummary(BaseModel):
    id: UUID
    name: str
    appid: str
    kind: str
    verified: bool
    templates: int
    unbound: bool
    version: int
    created_at: datetime


class FanDetails(BaseModel):
    account_id: UUID
    openid: str
    unionid: str
    subscribed: bool
    subscribed_at: datetime | None
    unsubscribed_at: datetime | None
    last_interaction_at: datetime | None
    service_window_until: datetime | None  # customer-service messages allowed until
    scene: str
    nickname: str
    sex: int  # WeChat's codes: 0 unknown, 1 male, 2 female
    province: str
    city: str
    tag_ids: list[int]
    mass_month: str
    mass_received: int


class FanMessage(BaseModel):
    position: int
    direction: Literal["in", "out"]
    at: datetime
    msg_type: str
    text: str
    by: str  # "fan", "auto" or the replying employee's id


class ReplySent(BaseModel):
    openid: str
    sent_at: datetime
    window_left_seconds: int


class MakeQrCode(Command):
    """A parameter QR code (渠道二维码) of a service account."""

    name: str = Field(min_length=1, max_length=64, examples=["2026 展会"])
    scene: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$",
                       examples=["expo2026"])  # fmt: skip
    valid_days: int | None = Field(default=None, ge=1, le=30, description="null: permanent")
    reply: str = Field(default="", max_length=600, description="the reply to a scan")
    tag_id: int | None = Field(default=None, ge=1, description="a WeChat tag given on a scan")


class MakeLeadQrCode(Command):
    """A temporary code that binds the fan who scans it to a lead (fan ↔ lead)."""

    lead_id: UUID
    valid_days: int = Field(default=7, ge=1, le=30)
    reply: str = Field(default="绑定成功，感谢关注！", max_length=600)


class ReviseQrCode(Command):
    reply: str = Field(default="", max_length=600)
    tag_id: int | None = Field(default=None, ge=1)


class QrCodeDetails(BaseModel):
    id: UUID
    account_id: UUID
    name: str
    scene: str
    permanent: bool
    valid_days: int | None
    expires_at: datetime | None
    image_url: str
    reply: str
    tag_id: int | None
    archived: bool
    version: int
    created_at: datetime


class QrCodeStatsDetails(BaseModel):
    """TRK-3: scans, follows, fans retained now and 7 days after following."""

    scene: str
    scans: int
    follows: int
    retained_now: int
    followed_a_week_ago: int  # fans who followed through the code 7 or more days ago
    retained_after_7_days: int  # of those, still following 7 days after they followed
    retention_7_days: float | None  # their share, None before anyone is 7 days in


class MaterialDetails(BaseModel):
    media_id: str
    kind: str  # image | voice | video | news
    name: str
    url: str
    updated_at: datetime | None
    articles: list[dict[str, Any]]  # a news item's articles (title, url, digest…)
    synced_at: datetime


class MaterialSyncReport(BaseModel):
    sync_id: UUID
    counts: dict[str, int]  # items found per kind


class TagFans(Command):
    tag_id: int = Field(ge=1, examples=[101])
    openids: list[str] = Field(min_length=1, max_length=1000)


class TagDetails(BaseModel):
    tag_id: int
    name: str
    count: int


class FansTagged(BaseModel):
    tag_id: int
    tagged: int
