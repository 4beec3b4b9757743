"""Flows (FLOW-1, FLOW-5): a start condition and a graph, drafted disabled, enabled
explicitly once the graph can run, and versioned.

The draft is what the marketer edits; enabling publishes it as a numbered version. While
the flow is enabled an edit must be runnable and is published at once as the next
version: new enrolments take it, running ones finish on the version they started on
(they name it). Disabling either drains (running enrolments go on, nobody new enters)
or stops (running enrolments end where they are, without their remaining actions).
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.flows.graph import Channel, FlowGraph
from domain.flows.triggers import Trigger
from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

MAX_NAME = 100
MAX_EVERY_DAYS = 3_650


class EnrolmentRule(StrEnum):
    """How often one lead may enter the flow."""

    ONCE = "once"  # once ever
    EVERY_DAYS = "every_days"  # again once `every_days` have passed since it last entered
    EVERY_TIME = "every_time"  # whenever the start condition is met (not while inside)


class DisableMode(StrEnum):
    DRAIN = "drain"  # running enrolments finish; nobody new enters
    STOP = "stop"  # running enrolments end where they are


def checked_rule(rule: str, every_days: int | None) -> tuple[str, int | None]:
    try:
        parsed = EnrolmentRule(rule)
    except ValueError:
        choices = ", ".join(item.value for item in EnrolmentRule)
        raise InvalidValue(f"enrolment_rule: one of {choices}", field="enrolment_rule") from None
    if parsed is EnrolmentRule.EVERY_DAYS:
        if (
            isinstance(every_days, bool)
            or not isinstance(every_days, int)
            or not 1 <= every_days <= MAX_EVERY_DAYS
        ):
            raise InvalidValue(
                f"every_days: a whole number from 1 to {MAX_EVERY_DAYS} for every_days",
                field="every_days",
            )
        return parsed.value, every_days
    if every_days is not None:
        raise InvalidValue("every_days: only with enrolment_rule every_days", field="every_days")
    return parsed.value, None


def _require_runnable(trigger: Any, graph: FlowGraph, channels: Collection[Channel]) -> None:
    Trigger.parse(trigger).require_complete()
    graph.require_runnable(channels)


class Flow(Aggregate):
    """One marketing automation flow of a tenant."""

    TOPIC = "flows.Flow"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Drafted: ClassVar[type[AggregateEvent]]
        Edited: ClassVar[type[AggregateEvent]]
        VersionPublished: ClassVar[type[AggregateEvent]]
        Enabled: ClassVar[type[AggregateEvent]]
        Disabled: ClassVar[type[AggregateEvent]]
        Archived: ClassVar[type[AggregateEvent]]

    @classmethod
    def draft(
        cls,
        *,
        flow_id: UUID,
        tenant_id: UUID,
        name: str,
        trigger: Any,
        graph: Any,
        enrolment_rule: str = EnrolmentRule.ONCE.value,
        every_days: int | None = None,
        copied_from: str | None = None,
    ) -> Flow:
        """A new, disabled flow; its graph may still be incomplete."""
        rule, days = checked_rule(enrolment_rule, every_days)
        return cls(
            id=flow_id,
            tenant_id=tenant_id,
            name=required_text(name, field="name", max_length=MAX_NAME),
            trigger=Trigger.parse(trigger).to_tree(),
            graph=FlowGraph.parse(graph).to_tree(),
            enrolment_rule=rule,
            every_days=days,
            copied_from=copied_from,
        )

    @event("Drafted", topic="flows.Flow.Drafted")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        name: str,
        trigger: dict[str, Any],
        graph: dict[str, Any],
        enrolment_rule: str,
        every_days: int | None,
        copied_from: str | None,
    ) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.trigger = trigger
        self.graph = graph
        self.enrolment_rule = enrolment_rule
        self.every_days = every_days
        self.copied_from = copied_from  # the scenario it started from (FLOW-4)
        self.enabled = False
        self.stopped = False  # disabled with "stop": its running enrolments are ended
        self.archived = False
        self.live_version = 0  # 0: never published
        self.published: list[dict[str, Any]] = []  # version n is published[n - 1]

    # --- reading --------------------------------------------------------------------------

    def published_version(self, number: int) -> dict[str, Any]:
        """A published version: its trigger and graph as trees."""
        if not 1 <= number <= len(self.published):
            raise StateConflict(f"flow has no version {number}")
        return self.published[number - 1]

    @property
    def live(self) -> dict[str, Any] | None:
        """The version new enrolments take while enabled."""
        return self.published_version(self.live_version) if self.live_version else None

    @property
    def draft_differs(self) -> bool:
        live = self.live
        return live is None or (live["trigger"], live["graph"]) != (self.trigger, self.graph)

    # --- commands ---------------------------------------------------------------------------

    def edit(
        self,
        *,
        name: str,
        trigger: Any,
        graph: Any,
        enrolment_rule: str,
        every_days: int | None,
        channels: Collection[Channel],
    ) -> None:
        """Change the draft; on an enabled flow the change must be runnable and is
        published at once as the next version."""
        self._require_not_archived()
        name = required_text(name, field="name", max_length=MAX_NAME)
        parsed = FlowGraph.parse(graph)
        trigger_tree = Trigger.parse(trigger).to_tree()
        rule, days = checked_rule(enrolment_rule, every_days)
        if self.enabled:
            _require_runnable(trigger_tree, parsed, channels)
        graph_tree = parsed.to_tree()
        current = (self.name, self.trigger, self.graph, self.enrolment_rule, self.every_days)
        if (name, trigger_tree, graph_tree, rule, days) == current:
            return
        self._edited(
            name=name, trigger=trigger_tree, graph=graph_tree, enrolment_rule=rule, every_days=days
        )
        if self.enabled and self.draft_differs:
            self._publish()

    @event("Edited", topic="flows.Flow.Edited")
    def _edited(
        self,
        name: str,
        trigger: dict[str, Any],
        graph: dict[str, Any],
        enrolment_rule: str,
        every_days: int | None,
    ) -> None:
        self.name, self.trigger, self.graph = name, trigger, graph
        self.enrolment_rule, self.every_days = enrolment_rule, every_days

    def enable(self, channels: Collection[Channel]) -> None:
        """Let leads enter: the draft must be runnable with the tenant's `channels`
        (an `InvalidValue` names the first node that is not)."""
        self._require_not_archived()
        if self.enabled:
            raise StateConflict("flow is already enabled")
        _require_runnable(self.trigger, FlowGraph.parse(self.graph), channels)
        if self.draft_differs:
            self._publish()
        self._enabled(version=self.live_version)

    def _publish(self) -> None:
        self._version_published(
            version=len(self.published) + 1, trigger=self.trigger, graph=self.graph
        )

    @event("VersionPublished", topic="flows.Flow.VersionPublished")
    def _version_published(
        self, version: int, trigger: dict[str, Any], graph: dict[str, Any]
    ) -> None:
        self.published.append({"version": version, "trigger": trigger, "graph": graph})
        self.live_version = version

    @event("Enabled", topic="flows.Flow.Enabled")
    def _enabled(self, version: int) -> None:
        self.enabled, self.stopped = True, False

    def disable(self, mode: str) -> None:
        """Stop new enrolments; `mode` says what happens to the running ones."""
        try:
            parsed = DisableMode(mode)
        except ValueError:
            raise InvalidValue("mode: drain or stop", field="mode") from None
        if not self.enabled:
            raise StateConflict("flow is not enabled")
        self._disabled(mode=parsed.value)

    @event("Disabled", topic="flows.Flow.Disabled")
    def _disabled(self, mode: str) -> None:
        self.enabled, self.stopped = False, mode == DisableMode.STOP.value

    def archive(self) -> None:
        """Put a disabled flow away (its history stays readable)."""
        self._require_not_archived()
        if self.enabled:
            raise StateConflict("disable the flow before archiving it")
        self._archived()

    @event("Archived", topic="flows.Flow.Archived")
    def _archived(self) -> None:
        self.archived = True

    def _require_not_archived(self) -> None:
        if self.archived:
            raise StateConflict("flow is archived")
