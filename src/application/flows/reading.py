"""What the flows' screens and API read (FLOW-4, FLOW-6): lists, statistics per node
and per send, a lead's path, the scenario library."""

from __future__ import annotations

from uuid import UUID

from application.flows.commands import (
    EnrolmentDetails,
    EnrolmentSummary,
    FlowStats,
    FlowSummary,
    ScenarioSummary,
    SendStats,
)
from application.flows.directory import FlowQueries
from application.flows.flows import Flows
from application.flows.ports import SendCounts, send_task_id
from application.shared.errors import NotFound
from application.shared.pages import Page
from domain.flows.enrolment import enrolment_id
from domain.flows.graph import FlowGraph
from domain.flows.scenarios import SCENARIOS

SEND_STATES = ("queued", "sent", "skipped", "failed")


class FlowReading:
    def __init__(self, flows: Flows, queries: FlowQueries, sends: SendCounts) -> None:
        self.flows = flows
        self.queries = queries
        self.sends = sends

    def flows_page(
        self, tenant_id: UUID, *, archived: bool, cursor: str | None, limit: int
    ) -> Page[FlowSummary]:
        return self.queries.flows(tenant_id, archived=archived, cursor=cursor, limit=limit)

    def stats(self, tenant_id: UUID, flow_id: UUID) -> FlowStats:
        flow = self.flows.flow_of(tenant_id, flow_id)
        graph = FlowGraph.parse(flow.live["graph"] if flow.live else flow.graph)
        kinds = {node.id: node.kind.value for node in graph.nodes.values()}
        counts = self.queries.status_counts(tenant_id, flow_id)
        enrolled = sum(n for status, n in counts.items() if status != "open")
        sends: dict[str, SendStats] = {}
        for published in flow.published:
            for node in FlowGraph.parse(published["graph"]).nodes.values():
                if node.channel is None or node.channel.value == "wechat":
                    continue
                task = send_task_id(flow.id, published["version"], node.id)
                found = self.sends.counts(tenant_id, task)
                kept = sends.setdefault(
                    node.id,
                    SendStats(
                        node_id=node.id,
                        channel=node.channel.value,
                        queued=0,
                        sent=0,
                        skipped=0,
                        failed=0,
                    ),
                )
                for state in SEND_STATES:
                    setattr(kept, state, getattr(kept, state) + found.get(state, 0))
        return FlowStats(
            flow_id=flow.id,
            enrolled=enrolled,
            running=counts.get("running", 0),
            waiting=counts.get("waiting", 0),
            ended=counts.get("ended", 0),
            stopped=counts.get("stopped", 0),
            finished_share=round(counts.get("ended", 0) / enrolled, 4) if enrolled else 0.0,
            nodes=self.queries.node_stats(tenant_id, flow_id, kinds),
            sends=list(sends.values()),
        )

    def enrolments(
        self, tenant_id: UUID, flow_id: UUID, *, status: str | None, cursor: str | None, limit: int
    ) -> Page[EnrolmentSummary]:
        self.flows.flow_of(tenant_id, flow_id)  # another tenant's flow: not found
        return self.queries.enrolments(
            tenant_id, flow_id, status=status, cursor=cursor, limit=limit
        )

    def enrolment(self, tenant_id: UUID, flow_id: UUID, lead_id: UUID) -> EnrolmentDetails:
        """The lead's runs through the flow, step by step."""
        self.flows.flow_of(tenant_id, flow_id)
        try:
            enrolment = self.flows.enrolment_of(tenant_id, enrolment_id(flow_id, lead_id))
        except NotFound:
            raise NotFound(f"lead {lead_id} never entered flow {flow_id}") from None
        return EnrolmentDetails(
            enrolment_id=enrolment.id,
            flow_id=flow_id,
            lead_id=lead_id,
            run=enrolment.run,
            flow_version=enrolment.flow_version,
            status=enrolment.status or "open",
            at_node=enrolment.at,
            wake_at=enrolment.wake_at,
            started_at=enrolment.started_at,
            steps=self.queries.steps(tenant_id, enrolment.id),
        )

    @staticmethod
    def scenarios() -> list[ScenarioSummary]:
        return [
            ScenarioSummary(
                key=s.key,
                name=f"{s.name} · {s.name_en}",
                stage=s.stage.value,
                description=s.description,
                trigger=s.trigger,
                graph=s.graph,
            )
            for s in SCENARIOS
        ]
