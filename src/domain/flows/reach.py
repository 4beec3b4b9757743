"""Scheduled reach campaigns (FLOW-7, seed 004 消息推送 触达活动): within a period, the leads
an audience filter selects get content at a time a rule sets, by up to five branches.

    branch := {"name": N, "filter": FILTER?, "send": SEND_TIME, "content": SEND}
    SEND_TIME := {"rule": "immediately"}
               | {"rule": "after", "amount": A, "unit": U}         # after the lead is selected
               | {"rule": "before_start", "amount": A, "unit": U}  # before `event_starts_at`
    SEND := a send_wechat (customer-service message: the 48-hour rule), send_email or
            send_sms node's parameters with its kind

A lead takes the first branch whose filter it matches (a branch without a filter takes
everyone left). Content parameters the tenant has not chosen yet are named before the
campaign may be scheduled, as for flows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.flows.graph import Channel, Node, NodeKind, parse_send
from domain.flows.values import choice, instant, text, whole
from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.filters import Filter, LeadFacts

MAX_BRANCHES = 5
SEND_RULES = ("immediately", "after", "before_start")
RULE_UNITS = ("minutes", "hours", "days")
CONTENT_KINDS = (NodeKind.SEND_WECHAT, NodeKind.SEND_EMAIL, NodeKind.SEND_SMS)


@dataclass(frozen=True)
class Branch:
    name: str
    filter: Filter | None
    rule: str
    offset: timedelta
    content: Node

    def send_at(self, selected_at: datetime, event_starts_at: datetime | None) -> datetime:
        """When a lead selected at `selected_at` gets this branch's content."""
        if self.rule == "after":
            return selected_at + self.offset
        if self.rule == "before_start":
            assert event_starts_at is not None
            return event_starts_at - self.offset
        return selected_at


def parse_branch(tree: Any, where: str, *, anchored: bool) -> Branch:
    if not isinstance(tree, dict):
        raise InvalidValue(f"{where}: a branch object", field=where)
    unknown = sorted(set(tree) - {"name", "filter", "send", "content"})
    if unknown:
        raise InvalidValue(f"{where}.{unknown[0]}: a branch takes no {unknown[0]}",
                           field=f"{where}.{unknown[0]}")  # fmt: skip
    send = tree.get("send")
    if not isinstance(send, dict):
        raise InvalidValue(f"{where}.send: a send-time rule", field=f"{where}.send")
    rule = choice(send.get("rule"), SEND_RULES, f"{where}.send.rule")
    offset = timedelta()
    if rule != "immediately":
        unit = choice(send.get("unit"), RULE_UNITS, f"{where}.send.unit")
        offset = timedelta(**{unit: whole(send.get("amount"), f"{where}.send.amount", 1, 1_000)})
    if rule == "before_start" and not anchored:
        raise InvalidValue(
            f"{where}.send.rule: before_start needs the campaign's event_starts_at",
            field=f"{where}.send.rule",
        )
    found = tree.get("filter")
    return Branch(
        name=text(tree.get("name"), f"{where}.name", max_length=50),
        filter=Filter.parse(found, path=f"{where}.filter") if found is not None else None,
        rule=rule,
        offset=offset,
        content=parse_send(tree.get("content"), f"{where}.content", CONTENT_KINDS),
    )


class ReachCampaign(Aggregate):
    """One scheduled reach campaign of a tenant."""

    TOPIC = "flows.ReachCampaign"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Planned: ClassVar[type[AggregateEvent]]
        Scheduled: ClassVar[type[AggregateEvent]]
        Cancelled: ClassVar[type[AggregateEvent]]

    @classmethod
    def plan(
        cls,
        *,
        campaign_id: UUID,
        tenant_id: UUID,
        name: str,
        starts_at: Any,
        ends_at: Any,
        audience: Any,
        branches: Any,
        event_starts_at: Any = None,
    ) -> ReachCampaign:
        """A drafted campaign: its period, audience and branches checked by field."""
        start, end = instant(starts_at, "starts_at"), instant(ends_at, "ends_at")
        if end <= start:
            raise InvalidValue("ends_at: the period must end after it starts", field="ends_at")
        anchor = instant(event_starts_at, "event_starts_at") if event_starts_at else None
        if not isinstance(branches, list) or not 1 <= len(branches) <= MAX_BRANCHES:
            raise InvalidValue(
                f"branches: 1 to {MAX_BRANCHES} branches per audience", field="branches"
            )
        for index, branch in enumerate(branches):
            parse_branch(branch, f"branches[{index}]", anchored=anchor is not None)
        return cls(
            id=campaign_id,
            tenant_id=tenant_id,
            name=text(name, "name", max_length=100),
            starts_at=start,
            ends_at=end,
            event_starts_at=anchor,
            audience=Filter.parse(audience, path="audience").to_tree(),
            branches=branches,
        )

    @event("Planned", topic="flows.ReachCampaign.Planned")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        name: str,
        starts_at: datetime,
        ends_at: datetime,
        event_starts_at: datetime | None,
        audience: dict[str, Any],
        branches: list[dict[str, Any]],
    ) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.starts_at, self.ends_at, self.event_starts_at = starts_at, ends_at, event_starts_at
        self.audience = audience
        self.branches = branches
        self.scheduled = False
        self.cancelled = False

    def parsed_branches(self) -> list[Branch]:
        anchored = self.event_starts_at is not None
        return [
            parse_branch(tree, f"branches[{index}]", anchored=anchored)
            for index, tree in enumerate(self.branches)
        ]

    def branch_for(self, facts: LeadFacts, *, now: datetime) -> Branch | None:
        """The first branch whose filter the lead matches (None: no branch takes it)."""
        chosen = self.choose_branch(facts, now=now)
        return chosen[1] if chosen else None

    def choose_branch(
        self, facts: LeadFacts, *, now: datetime, branches: list[Branch] | None = None
    ) -> tuple[int, Branch] | None:
        """The first branch the lead matches, with its index (None: no branch takes it).
        `branches`: `parsed_branches()` already parsed, when choosing for many leads."""
        for index, branch in enumerate(branches or self.parsed_branches()):
            if branch.filter is None or branch.filter.matches(facts, now=now):
                return index, branch
        return None

    def schedule(self, *, channels: Collection[Channel], now: datetime) -> None:
        """Let the campaign run in its period: every branch's content complete and on a
        channel the tenant has set up, and the period not over."""
        if self.cancelled or self.scheduled:
            raise StateConflict("campaign is already scheduled or cancelled")
        if self.ends_at <= now:
            raise InvalidValue("ends_at: the period is over", field="ends_at")
        for index, branch in enumerate(self.parsed_branches()):
            where = f"branches[{index}].content"
            if branch.content.missing:
                name = branch.content.missing[0]
                raise InvalidValue(f"{where}.{name}: choose its {name}", field=f"{where}.{name}")
            channel = branch.content.channel
            if channel is not None and channel not in channels:
                raise InvalidValue(
                    f"{where}.kind: the tenant has not set up {channel.value} sending",
                    field=f"{where}.kind",
                )
        self._scheduled()

    @event("Scheduled", topic="flows.ReachCampaign.Scheduled")
    def _scheduled(self) -> None:
        self.scheduled = True

    def cancel(self, *, reason: str) -> None:
        """Stop the campaign; what was sent stays sent."""
        if self.cancelled:
            raise StateConflict("campaign is already cancelled")
        self._cancelled(reason=text(reason, "reason", max_length=500))

    @event("Cancelled", topic="flows.ReachCampaign.Cancelled")
    def _cancelled(self, reason: str) -> None:
        self.cancelled = True

    def in_period(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at
