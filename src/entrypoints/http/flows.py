"""Routes of marketing automation flows (FLOW-1…6): flows as JSON graphs, enabling and
disabling, statistics, enrolments and a lead's path, dry runs and the scenario library."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Response
from litestar.params import Parameter

from application.flows.commands import (
    CopyScenario,
    DisableFlow,
    DraftFlow,
    DryRun,
    DryRunResult,
    EditFlow,
    EnrolmentDetails,
    EnrolmentSummary,
    FlowDetails,
    FlowStats,
    FlowSummary,
    ScenarioSummary,
)
from application.flows.dry_run import DryRuns
from application.flows.flows import Flows
from application.flows.reading import FlowReading
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
from entrypoints.http.conventions import (
    IF_MATCH,
    ListOf,
    get,
    page_of,
    post,
    put,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit

Archived = Annotated[bool, Parameter(description="archived flows instead of the others")]
RunStatus = Annotated[
    Literal["running", "waiting", "ended", "stopped"] | None,
    Parameter(description="only enrolments whose current run is in this state"),
]


class FlowController(Controller):
    path = "/api/v1/flows"
    tags = ["flows"]
    guards = [tenant_may("flows")]
    dependencies = IF_MATCH

    @get("/", operation_id="listFlows")
    def list_flows(
        self,
        flow_reading: FlowReading,
        caller: TenantCaller,
        archived: Archived = False,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[FlowSummary]:
        """The tenant's flows, last changed first, with how many leads are in them."""
        return page_of(
            flow_reading.flows_page(caller.tenant_id, archived=archived, cursor=cursor, limit=limit)
        )

    @post("/", operation_id="draftFlow", may=Action.CREATE)
    def draft(self, data: DraftFlow, flows: Flows, caller: TenantCaller) -> Response[FlowDetails]:
        """Draft a flow (disabled). The graph may be incomplete: `problems` lists what
        keeps it from being enabled, each naming its node (`graph.nodes.<id>`)."""
        return with_etag(flows.draft(caller.tenant_id, data), status_code=201)

    @get("/scenarios", operation_id="listFlowScenarios")
    def scenarios(self, flow_reading: FlowReading) -> list[ScenarioSummary]:
        """The scenario library (FLOW-4): ready-made flows to copy."""
        return flow_reading.scenarios()

    @post("/scenarios/copy", operation_id="copyFlowScenario", may=Action.CREATE)
    def copy_scenario(
        self, data: CopyScenario, flows: Flows, caller: TenantCaller
    ) -> Response[FlowDetails]:
        """A draft copied from a scenario; choose its templates, signatures, accounts and
        groups (its `problems` name them), then enable it."""
        return with_etag(flows.copy_scenario(caller.tenant_id, data), status_code=201)

    @get("/{flow_id:uuid}", operation_id="getFlow")
    def get_flow(self, flow_id: UUID, flows: Flows, caller: TenantCaller) -> Response[FlowDetails]:
        """One flow: its draft, versions, and what keeps it from running."""
        return with_etag(flows.flow(caller.tenant_id, flow_id))

    @put("/{flow_id:uuid}", operation_id="editFlow")
    def edit(
        self,
        flow_id: UUID,
        data: EditFlow,
        flows: Flows,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[FlowDetails]:
        """Replace the flow (If-Match). On an enabled flow the change must be runnable
        (else 422 naming the node) and is published as the next version at once; leads
        already inside finish on the version they entered."""
        return with_etag(
            flows.edit(caller.tenant_id, flow_id, data, expected_version=expected_version)
        )

    @post("/{flow_id:uuid}/enable", operation_id="enableFlow", status_code=200)
    def enable(
        self, flow_id: UUID, flows: Flows, caller: TenantCaller, expected_version: int
    ) -> Response[FlowDetails]:
        """Let leads enter. 422 naming the first node that cannot run: unreachable,
        without an End, a branch without both exits, a parameter still to choose, or a
        channel the tenant has not set up."""
        return with_etag(flows.enable(caller.tenant_id, flow_id, expected_version=expected_version))

    @post("/{flow_id:uuid}/disable", operation_id="disableFlow", status_code=200)
    def disable(
        self,
        flow_id: UUID,
        data: DisableFlow,
        flows: Flows,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[FlowDetails]:
        """Nobody new enters; `drain` lets leads inside finish, `stop` ends their runs
        where they are, without the remaining actions."""
        return with_etag(
            flows.disable(caller.tenant_id, flow_id, data, expected_version=expected_version)
        )

    @post("/{flow_id:uuid}/archive", operation_id="archiveFlow", status_code=200)
    def archive(
        self, flow_id: UUID, flows: Flows, caller: TenantCaller, expected_version: int
    ) -> Response[FlowDetails]:
        """Put a disabled flow away; its history and statistics stay."""
        return with_etag(
            flows.archive(caller.tenant_id, flow_id, expected_version=expected_version)
        )

    @get("/{flow_id:uuid}/stats", operation_id="getFlowStats")
    def stats(self, flow_id: UUID, flow_reading: FlowReading, caller: TenantCaller) -> FlowStats:
        """FLOW-6: per node entered, waiting, completed, skipped, failed; per send its
        delivery results; the share of enrolments finished."""
        return flow_reading.stats(caller.tenant_id, flow_id)

    @get("/{flow_id:uuid}/enrolments", operation_id="listFlowEnrolments")
    def enrolments(
        self,
        flow_id: UUID,
        flow_reading: FlowReading,
        caller: TenantCaller,
        status: RunStatus = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[EnrolmentSummary]:
        """The flow's leads, last moved first."""
        return page_of(
            flow_reading.enrolments(
                caller.tenant_id, flow_id, status=status, cursor=cursor, limit=limit
            )
        )

    @get("/{flow_id:uuid}/enrolments/{lead_id:uuid}", operation_id="getFlowEnrolment")
    def enrolment(
        self, flow_id: UUID, lead_id: UUID, flow_reading: FlowReading, caller: TenantCaller
    ) -> EnrolmentDetails:
        """One lead's path through the flow: every step of every run, with why."""
        return flow_reading.enrolment(caller.tenant_id, flow_id, lead_id)

    @post("/{flow_id:uuid}/dry-run", operation_id="dryRunFlow", status_code=200, may=Action.READ)
    def dry_run(
        self, flow_id: UUID, data: DryRun, flow_dry_runs: DryRuns, caller: TenantCaller
    ) -> DryRunResult:
        """Which path this lead would take now, and why (nothing is sent or changed)."""
        return flow_dry_runs.dry_run(caller.tenant_id, flow_id, data.lead_id)
