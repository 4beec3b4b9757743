"""Commands and answers of mass and template sends (WX-3, WX-4, WX-5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from application.shared.commands import Command


class AudienceFilters(Command):
    """Fans matching every given filter (a list: any of its values)."""

    tag_ids: list[int] = Field(default_factory=list, max_length=100, examples=[[101]])
    provinces: list[str] = Field(default_factory=list, max_length=100, examples=[["上海"]])
    cities: list[str] = Field(default_factory=list, max_length=100)
    sex: Literal[0, 1, 2] | None = Field(default=None, description="0 unknown, 1 male, 2 female")
    followed_from: datetime | None = None
    followed_to: datetime | None = None


class AudienceExclusions(Command):
    tag_ids: list[int] = Field(default_factory=list, max_length=100)
    provinces: list[str] = Field(default_factory=list, max_length=100)
    cities: list[str] = Field(default_factory=list, max_length=100)
    sex: Literal[0, 1, 2] | None = None


class SendAudience(Command):
    """Followers by tag (用户组/标签), region, gender and follow time, with include and
    exclude; or, for targeted sends, the fans' `openids`."""

    include: AudienceFilters = Field(default_factory=AudienceFilters)
    exclude: AudienceExclusions = Field(default_factory=AudienceExclusions)
    openids: list[str] = Field(default_factory=list, max_length=10_000)

    def as_dict(self) -> dict[str, Any]:
        include = self.include.model_dump(exclude_none=True)
        for key in ("followed_from", "followed_to"):
            if key in include:
                include[key] = include[key].isoformat()
        return {
            "include": include,
            "exclude": self.exclude.model_dump(exclude_none=True),
            "openids": list(self.openids),
        }


class MassMessageBody(Command):
    kind: Literal["text", "image", "voice", "video", "mpnews"] = "text"
    text: str = Field(default="", max_length=600, examples=["双十一会员日，全场五折"])
    media_id: str = Field(default="", max_length=128, description="for image, voice, video, mpnews")


class DraftMassSend(Command):
    account_id: UUID
    name: str = Field(min_length=1, max_length=64, examples=["十一月会员日"])
    mode: Literal["normal", "targeted", "unlimited"] = Field(
        default="normal",
        description="normal: 4 a month per service-account fan; targeted (定向发送): listed "
        "openids, 100 sends a day; unlimited: customer-service messages to fans active in "
        "the last 48 hours",
    )
    audience: SendAudience = Field(default_factory=SendAudience)
    message: MassMessageBody


class PreviewMassSend(Command):
    openid: str = Field(min_length=1, max_length=64)


class SendTemplate(Command):
    account_id: UUID
    template_id: str = Field(min_length=1, max_length=64)
    data: dict[str, Any] = Field(
        max_length=20,
        description="a value for each key of the template; may name {{nickname}}, "
        "{{province}}, {{city}}, {{openid}}",
        examples=[{"first": "{{nickname}}，您好", "keyword1": "周三 14:00", "remark": "点击查看"}],
    )
    url: str = Field(default="", max_length=1024, description="the landing page")
    audience: SendAudience = Field(default_factory=SendAudience)

    @field_validator("data")
    @classmethod
    def _text_values(cls, data: dict[str, Any]) -> dict[str, str]:
        """Each value is text (named `data`, not the key: keys are the template's)."""
        if not all(isinstance(value, str) for value in data.values()):
            raise ValueError("each value of data must be text")
        return data


class RecipientCounts(BaseModel):
    queued: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0


class MassSendDetails(BaseModel):
    id: UUID
    account_id: UUID
    name: str
    mode: str
    audience: dict[str, Any]
    message: dict[str, str]
    state: str
    counted_against_monthly_cap: bool
    month: str
    requested_at: datetime | None
    refusal: str
    recipients: RecipientCounts
    skipped_reasons: dict[str, int]
    msg_ids: list[str]
    results: dict[str, dict[str, Any]]  # WeChat's MASSSENDJOBFINISH by msg_id
    finished_at: datetime | None
    version: int
    created_at: datetime


class TemplateSendDetails(BaseModel):
    id: UUID
    account_id: UUID
    template_id: str
    data: dict[str, str]
    url: str
    audience: dict[str, Any]
    state: str
    requested_at: datetime
    refusal: str
    recipients: RecipientCounts
    skipped_reasons: dict[str, int]
    finished_at: datetime | None
    version: int


class SendSummary(BaseModel):
    id: UUID
    account_id: UUID
    name: str
    mode: str
    state: str
    requested_at: datetime | None
    version: int
    created_at: datetime


class SendRecipient(BaseModel):
    openid: str
    state: str
    detail: str  # why skipped or failed
    msg_id: str
    result: str  # WeChat's status from the job-finish push (e.g. success, failed: user block)


class PreviewSent(BaseModel):
    openid: str
    sent_at: datetime
