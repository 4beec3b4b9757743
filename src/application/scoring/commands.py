"""Commands and answers of the scoring context (SCORE-1…5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from application.shared.commands import Command


class Part(Command):
    """A nested part of a command: an unknown key is named before any missing one."""

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in cls.model_fields)
            if unknown:
                raise ValueError(f"unknown field {unknown[0]!r}")
        return data


class AttributeConditionModel(Part):
    """The lead's `field` equals or contains `value` (`tags`: has the tag / a tag contains it)."""

    field: str = Field(
        max_length=60,
        description="title, city, company, industry, gender, name, user_type, status, "
        "source_level1, source_level2, tags or custom.<key>",
        examples=["title"],
    )
    op: Literal["equals", "contains"] = "equals"
    value: str = Field(min_length=1, max_length=200, examples=["总监"])


class BehaviourConditionModel(Part):
    """A behaviour of `kind` (`*`: any) with this name, channel and property, if given."""

    kind: str = Field(max_length=20, examples=["track"], description="a behaviour kind or *")
    name: str | None = Field(default=None, max_length=200, examples=["download_whitepaper"])
    channel: str | None = Field(default=None, max_length=32, examples=["web"])
    property: str | None = Field(default=None, max_length=64)
    op: Literal["equals", "contains"] = "equals"
    value: str | None = Field(default=None, max_length=200)


Frequency = Literal["once", "per_day", "unlimited"]


class AddRule(Command):
    """A rule with exactly one condition: `attribute` (静态评分) or `behaviour` (动态评分)."""

    title: str = Field(min_length=1, max_length=100, examples=["下载白皮书"])
    category: str = Field(max_length=20, examples=["content"])
    points: int = Field(ge=-100, le=100, examples=[10])
    frequency: Frequency | None = Field(
        default=None, description="behaviour rules: default unlimited; attribute rules: once"
    )
    validity_days: int | None = Field(default=None, ge=1, le=3650, examples=[90])
    cap: int | None = Field(default=None, ge=1, le=1000, examples=[30])
    active: bool = True
    attribute: AttributeConditionModel | None = None
    behaviour: BehaviourConditionModel | None = None


class ChangeRule(Command):
    """Fields to change; omitted fields stay (`validity_days`/`cap`: null removes them)."""

    title: str | None = Field(default=None, min_length=1, max_length=100)
    category: str | None = Field(default=None, max_length=20)
    points: int | None = Field(default=None, ge=-100, le=100)
    frequency: Frequency | None = None
    validity_days: int | None = Field(default=None, ge=1, le=3650)
    cap: int | None = Field(default=None, ge=1, le=1000)
    active: bool | None = None
    attribute: AttributeConditionModel | None = None
    behaviour: BehaviourConditionModel | None = None


class RuleDetails(BaseModel):
    id: str
    title: str
    category: str
    part: str
    points: int
    frequency: str
    validity_days: int | None
    cap: int | None
    active: bool
    attribute: dict[str, Any] | None
    behaviour: dict[str, Any] | None
    version: int  # the rule's own version (ETag)


class StageModel(Part):
    name: str = Field(min_length=1, max_length=40, examples=["孵化中"])
    cells: list[str] = Field(min_length=1, max_length=16, examples=[["A2", "B2", "B1"]])


class TemperatureModel(Part):
    hot: int = Field(ge=1, le=100, examples=[90])
    warm: int = Field(ge=1, le=100, examples=[60])


class CategoryModel(Part):
    key: str = Field(max_length=20, examples=["email"])
    enabled: bool = True
    cap: int | None = Field(default=None, ge=1, le=1000, examples=[40])


class ChangeSettings(Command):
    """Parts to change; omitted parts stay."""

    behaviour_bands: list[int] | None = Field(
        default=None, min_length=4, max_length=4, examples=[[0, 26, 51, 76]]
    )
    profile_bands: list[int] | None = Field(
        default=None, min_length=4, max_length=4, examples=[[0, 26, 51, 76]]
    )
    stages: list[StageModel] | None = Field(default=None, min_length=1, max_length=8)
    temperature: TemperatureModel | None = None
    categories: list[CategoryModel] | None = Field(default=None, max_length=20)


class CategoryDetails(BaseModel):
    key: str
    title: str
    enabled: bool
    cap: int | None


class SettingsDetails(BaseModel):
    behaviour_bands: list[int]
    profile_bands: list[int]
    stages: list[dict[str, Any]]
    temperature: dict[str, int]
    categories: list[CategoryDetails]
    rules: int
    version: int


class AdjustScore(Command):
    """Points added (or, negative, taken) by hand, with the reason."""

    points: int = Field(ge=-100, le=100, examples=[10])
    reason: str = Field(min_length=1, max_length=200, examples=["展会现场深入交流"])
    part: Literal["behaviour", "profile"] = "behaviour"


class ScoreEntry(BaseModel):
    rule_id: str
    category: str
    part: str
    points: int
    at: datetime
    expires_at: datetime | None


class LeadScoreDetails(BaseModel):
    lead_id: UUID
    behaviour_score: int
    profile_score: int
    score: int
    behaviour_band: str
    profile_band: str
    cell: str
    stage: str
    temperature: str
    entries: list[ScoreEntry]
    adjustments: dict[str, int]
    version: int  # 0 until the lead first scores


class MatrixCell(BaseModel):
    cell: str
    behaviour_band: str
    profile_band: str
    stage: str
    count: int


class MatrixDetails(BaseModel):
    cells: list[MatrixCell]
    total: int
    temperature: dict[str, int]


class FunnelStage(BaseModel):
    stage: str
    cells: list[str]
    count: int


class FunnelDetails(BaseModel):
    stages: list[FunnelStage]
    total: int


class Conversion(BaseModel):
    lead_id: UUID
    from_stage: str
    to_stage: str
    from_cell: str
    to_cell: str
    rule_id: str | None
    reason: str | None
    at: datetime


class ScoreHistoryEntry(BaseModel):
    at: datetime
    kind: str
    rule_id: str | None
    points: int | None
    reason: str | None
    score: int
    stage: str


class ValueBand(BaseModel):
    low: int
    high: int
    count: int
    filter: dict[str, Any]  # the segments filter of the band (to save it as a group)


class ValueGroups(BaseModel):
    width: int
    bands: list[ValueBand]
