"""The flows application (FLOW-1, FLOW-4): marketing automation flows drafted, edited,
enabled and disabled by marketers; enrolments are kept by the same application
(`enrolling.py`, `stepping.py`, `waking.py`)."""

from __future__ import annotations

from uuid import UUID

from application.flows.commands import (
    CopyScenario,
    DisableFlow,
    DraftFlow,
    EditFlow,
    FlowDetails,
    ProblemDetails,
)
from application.flows.ports import ChannelSetup
from application.shared.errors import InvalidInput
from application.shared.event_sourced import EventSourcedContext, Infrastructure
from domain.flows.enrolment import Enrolment
from domain.flows.flow import Flow
from domain.flows.graph import Channel, FlowGraph
from domain.flows.scenarios import SCENARIOS, scenario
from domain.flows.triggers import Trigger


class Flows(EventSourcedContext):
    """Each tenant's flows and its leads' enrolments in them."""

    name = "flows"

    def __init__(self, infrastructure: Infrastructure, channels: ChannelSetup) -> None:
        super().__init__(infrastructure)
        self.channels = channels

    def draft(self, tenant_id: UUID, command: DraftFlow) -> FlowDetails:
        """A new, disabled flow."""
        flow = Flow.draft(
            flow_id=self.new_id("flow"),
            tenant_id=tenant_id,
            name=command.name,
            trigger=command.trigger,
            graph=command.graph,
            enrolment_rule=command.enrolment_rule,
            every_days=command.every_days,
        )
        return self._details(self.create(flow))

    def copy_scenario(self, tenant_id: UUID, command: CopyScenario) -> FlowDetails:
        """A draft of a ready-made scenario (FLOW-4) to finish and enable."""
        try:
            found = scenario(command.scenario)
        except KeyError:
            known = ", ".join(s.key for s in SCENARIOS)
            raise InvalidInput(f"scenario: one of {known}", field="scenario") from None
        flow = Flow.draft(
            flow_id=self.new_id("flow"),
            tenant_id=tenant_id,
            name=command.name or found.name,
            trigger=found.trigger,
            graph=found.graph,
            enrolment_rule=found.enrolment_rule,
            every_days=found.every_days,
            copied_from=found.key,
        )
        return self._details(self.create(flow))

    def flow(self, tenant_id: UUID, flow_id: UUID) -> FlowDetails:
        return self._details(self.load(flow_id, Flow, tenant_id=tenant_id))

    def edit(
        self, tenant_id: UUID, flow_id: UUID, command: EditFlow, *, expected_version: int
    ) -> FlowDetails:
        """Replace the draft; an enabled flow publishes it at once as its next version
        (running enrolments finish on theirs)."""
        flow = self.load(flow_id, Flow, tenant_id=tenant_id, expected_version=expected_version)
        flow.edit(
            name=command.name,
            trigger=command.trigger,
            graph=command.graph,
            enrolment_rule=command.enrolment_rule,
            every_days=command.every_days,
            channels=self.channels.channels(tenant_id),
        )
        self.commit(flow)
        return self._details(flow)

    def enable(self, tenant_id: UUID, flow_id: UUID, *, expected_version: int) -> FlowDetails:
        """Let leads enter; 422 naming the first node (or trigger field) not ready."""
        flow = self.load(flow_id, Flow, tenant_id=tenant_id, expected_version=expected_version)
        flow.enable(self.channels.channels(tenant_id))
        self.commit(flow)
        return self._details(flow)

    def disable(
        self, tenant_id: UUID, flow_id: UUID, command: DisableFlow, *, expected_version: int
    ) -> FlowDetails:
        """Nobody new enters; with `stop` the worker ends the running enrolments."""
        flow = self.load(flow_id, Flow, tenant_id=tenant_id, expected_version=expected_version)
        flow.disable(command.mode)
        self.commit(flow)
        return self._details(flow)

    def archive(self, tenant_id: UUID, flow_id: UUID, *, expected_version: int) -> FlowDetails:
        flow = self.load(flow_id, Flow, tenant_id=tenant_id, expected_version=expected_version)
        flow.archive()
        self.commit(flow)
        return self._details(flow)

    # --- for the enrolling policy, the worker and the dry run -----------------------------

    def flow_of(self, tenant_id: UUID, flow_id: UUID) -> Flow:
        return self.load(flow_id, Flow, tenant_id=tenant_id)

    def enrolment_of(self, tenant_id: UUID, enrolment_id: UUID) -> Enrolment:
        return self.load(enrolment_id, Enrolment, tenant_id=tenant_id)

    def _details(self, flow: Flow) -> FlowDetails:
        return flow_details(flow, self.channels.channels(flow.tenant_id))


def flow_details(flow: Flow, channels: set[Channel]) -> FlowDetails:
    trigger = Trigger.parse(flow.trigger)
    problems = [
        ProblemDetails(field=f"trigger.{name}", node_id=None, rule=f"choose its {name}")
        for name in trigger.missing
    ] + [
        ProblemDetails(field=problem.field, node_id=problem.node_id, rule=problem.rule)
        for problem in FlowGraph.parse(flow.graph).problems(channels)
    ]
    return FlowDetails(
        flow_id=flow.id,
        version=flow.version,
        name=flow.name,
        enabled=flow.enabled,
        archived=flow.archived,
        trigger=flow.trigger,
        graph=flow.graph,
        enrolment_rule=flow.enrolment_rule,
        every_days=flow.every_days,
        live_version=flow.live_version,
        versions=len(flow.published),
        copied_from=flow.copied_from,
        problems=problems,
    )
