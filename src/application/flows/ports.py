"""What flows need of other contexts (declared here, implemented in the composition
root): which channels a tenant has set up, a lead's facts for branches, the leads an
audience selects, the tenant's calendar, and the effects of action nodes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.flows.graph import Channel, Node
from domain.shared.filters import Filter, LeadFacts


class ChannelSetup(Protocol):
    def channels(self, tenant_id: UUID) -> set[Channel]:
        """The channels the tenant may send on now: e-mail with a verified sending
        domain, SMS with an approved signature, WeChat with a bound account."""
        ...


class LeadFactsSource(Protocol):
    def facts_of(self, tenant_id: UUID, lead_id: UUID) -> LeadFacts | None:
        """What a branch's filter reads about one live lead (None: no such lead)."""
        ...


class AudienceSelection(Protocol):
    def lead_ids(
        self, tenant_id: UUID, selecting: Filter, *, now: datetime
    ) -> Iterator[list[UUID]]:
        """The tenant's live leads a reach campaign's audience selects now, a page at a
        time (FLOW-7)."""
        ...


class TenantCalendar(Protocol):
    def timezone_of(self, tenant_id: UUID) -> str:
        """The tenant's IANA zone (waits in months and years are calendar ones there)."""
        ...


@dataclass(frozen=True)
class Effect:
    """One action node to make for one lead. `key` is the same whenever this node of
    this run is made again (after a crash), and every id the effect creates derives
    from it, so making it twice changes nothing the second time."""

    tenant_id: UUID
    lead_id: UUID
    flow_id: UUID
    flow_version: int
    flow_name: str
    node: Node
    key: str


STEP_IDS = uuid.UUID("3c0f6a2e-9d41-4b7a-8e15-5a2f7d9c0b63")


def step_id(key: str, what: str) -> UUID:
    """The id of what a step creates (`what`: message, notice…; `key`: its effect key)."""
    return uuid.uuid5(STEP_IDS, f"{what}:{key}")


def send_task_id(flow_id: UUID, flow_version: int, node_id: str) -> UUID:
    """The channel task a send node of one flow version sends through."""
    return step_id(f"{flow_id}:{flow_version}:{node_id}", "task")


class SendCounts(Protocol):
    def counts(self, tenant_id: UUID, task_id: UUID) -> dict[str, int]:
        """How many of a send task's messages are queued, sent, skipped, failed."""
        ...


class EffectFailed(Exception):
    """The effect cannot be made (a template gone, a bad status): recorded on the step
    as failed with this reason; the run goes on."""


class FlowEffects(Protocol):
    def make(self, effect: Effect) -> str | None:
        """Make the node's effect once per `effect.key`. Answers None when it was made
        (or already had been), or why it was skipped on purpose (no consent, outside
        WeChat's 48-hour window, no owner); raises `EffectFailed`."""
        ...
