"""Commands and answers of the flows context (FLOW-1…6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command
from domain.flows.flow import MAX_NAME

GRAPH_DESCRIPTION = (
    "{start: NODE_ID, nodes: [{id, kind, ...parameters, next}]}; a branch has yes and no "
    "instead of next, an end has no exit. Kinds and their parameters: docs/flows.md"
)
TRIGGER_DESCRIPTION = "{kind: TRIGGER_KIND, ...parameters}; e.g. {kind: tag_added, tag: 已报名}"


class DraftFlow(Command):
    """A new flow, disabled; its graph may still be incomplete (enable checks it)."""

    name: str = Field(min_length=1, max_length=MAX_NAME, examples=["新会员欢迎 · welcome"])
    trigger: dict[str, Any] = Field(description=TRIGGER_DESCRIPTION)
    graph: dict[str, Any] = Field(
        default_factory=lambda: {"nodes": []}, description=GRAPH_DESCRIPTION
    )
    enrolment_rule: Literal["once", "every_days", "every_time"] = "once"
    every_days: int | None = Field(default=None, ge=1, le=3650)


class EditFlow(DraftFlow):
    """The whole flow as it should be (If-Match); on an enabled flow it must be runnable
    and becomes the next version."""


class CopyScenario(Command):
    """A draft copied from the scenario library (FLOW-4), to edit and enable."""

    scenario: str = Field(min_length=1, max_length=60, examples=["welcome_series"])
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)


class DisableFlow(Command):
    """`drain`: running enrolments finish; `stop`: they end where they are."""

    mode: Literal["drain", "stop"] = "drain"


class DryRun(Command):
    """Which path would this lead take through the flow now, and why."""

    lead_id: UUID


class ProblemDetails(BaseModel):
    field: str
    node_id: str | None
    rule: str


class FlowDetails(BaseModel):
    flow_id: UUID
    version: int
    name: str
    enabled: bool
    archived: bool
    trigger: dict[str, Any]
    graph: dict[str, Any]
    enrolment_rule: str
    every_days: int | None
    live_version: int  # the version new enrolments take (0: never enabled)
    versions: int
    copied_from: str | None
    problems: list[ProblemDetails]  # what keeps the draft from being enabled


class FlowSummary(BaseModel):
    flow_id: UUID
    name: str
    enabled: bool
    archived: bool
    trigger_kind: str
    live_version: int
    enrolled: int
    running: int
    waiting: int
    finished: int
    updated_at: datetime


class NodeStats(BaseModel):
    node_id: str
    kind: str
    entered: int
    waiting: int
    completed: int
    skipped: int
    failed: int


class SendStats(BaseModel):
    node_id: str
    channel: str
    queued: int
    sent: int
    skipped: int
    failed: int


class FlowStats(BaseModel):
    """FLOW-6: per node, per send, and the share of enrolments finished."""

    flow_id: UUID
    enrolled: int
    running: int
    waiting: int
    ended: int
    stopped: int
    finished_share: float  # ended / enrolled (0 when nobody enrolled)
    nodes: list[NodeStats]
    sends: list[SendStats]


class StepDetails(BaseModel):
    run: int
    node_id: str
    outcome: str  # done, skipped, failed, yes, no, waited, waiting, ended, stopped
    detail: str | None
    at: datetime


class EnrolmentDetails(BaseModel):
    enrolment_id: UUID
    flow_id: UUID
    lead_id: UUID
    run: int
    flow_version: int
    status: str  # running, waiting, ended, stopped
    at_node: str | None
    wake_at: datetime | None
    started_at: datetime | None
    steps: list[StepDetails]


class EnrolmentSummary(BaseModel):
    enrolment_id: UUID
    lead_id: UUID
    run: int
    flow_version: int
    status: str
    at_node: str | None
    wake_at: datetime | None
    updated_at: datetime


class DryRunStep(BaseModel):
    node_id: str
    kind: str
    would: str  # what would happen: send, skip, yes, no, wait, end…
    why: str


class DryRunResult(BaseModel):
    """The path the lead would take now, up to the first wait (nothing is changed)."""

    lead_id: UUID
    would_enter: bool
    why: str
    path: list[DryRunStep]


class ScenarioSummary(BaseModel):
    key: str
    name: str
    stage: str
    description: str
    trigger: dict[str, Any]
    graph: dict[str, Any]
