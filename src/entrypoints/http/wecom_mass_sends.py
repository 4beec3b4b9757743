"""Routes of WeCom mass sends (客户群发 / 客户群群发 / 朋友圈, WECOM-2) and who they reach
(WECOM-5)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Response
from litestar.params import Parameter

from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from application.wecom.mass_send_commands import (
    CancelMassSend,
    DraftWecomMassSend,
    MassSendOutcome,
    MassSendPart,
    MassSendSummary,
    WecomMassSendDetails,
)
from application.wecom.mass_sends import MassSends
from domain.shared.access import Action
from entrypoints.http.conventions import (
    OPTIONAL_IF_MATCH,
    ListOf,
    get,
    page_of,
    post,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit

TaskStateFilter = Annotated[
    Literal["draft", "scheduled", "submitting", "submitted", "finished", "cancelled"] | None,
    Parameter(query="state", description="only tasks in this state"),
]
TargetFilter = Annotated[
    Literal["customers", "groups", "moments"] | None,
    Parameter(query="target", description="only tasks to this target"),
]
PartStateFilter = Annotated[
    Literal["planned", "left_out", "submitted", "sent", "failed", "not_sent"] | None,
    Parameter(query="state", description="only employees whose part is in this state"),
]
UseridFilter = Annotated[
    str | None, Parameter(query="userid", max_length=64, description="one employee's")
]


class WecomMassSendController(Controller):
    path = "/api/v1/wecom/mass-sends"
    tags = ["wecom"]
    guards = [tenant_may("wecom_mass_sends")]
    dependencies = OPTIONAL_IF_MATCH

    @get("/", operation_id="listWecomMassSends")
    def list_tasks(
        self,
        wecom_mass_sends: MassSends,
        caller: TenantCaller,
        in_state: TaskStateFilter = None,
        target: TargetFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[MassSendSummary]:
        """The tenant's mass-send tasks, newest first, with their employees per state."""
        return page_of(
            wecom_mass_sends.tasks(
                caller.tenant_id, state=in_state, target=target, cursor=cursor, limit=limit
            )
        )

    @post("/", operation_id="draftWecomMassSend", may=Action.CREATE)
    def draft(
        self, data: DraftWecomMassSend, wecom_mass_sends: MassSends, caller: TenantCaller
    ) -> Response[WecomMassSendDetails]:
        """Draft a mass send through employees' mass-send assistant: to their customers
        (filtered by tags and added time, or all), to the customer groups they own, or a
        Moments post; from listed employees or all staff (WECOM-5: then only those in
        the app's visible range, within the interface accounts bought)."""
        return with_etag(wecom_mass_sends.draft(caller.tenant_id, data), status_code=201)

    @get("/{wecom_mass_send_id:uuid}", operation_id="getWecomMassSend")
    def get_task(
        self, wecom_mass_send_id: UUID, wecom_mass_sends: MassSends, caller: TenantCaller
    ) -> Response[WecomMassSendDetails]:
        """One mass-send task with its plan (who it reaches, who is left out and why),
        its employees per state and its customers per result."""
        return with_etag(wecom_mass_sends.task(caller.tenant_id, wecom_mass_send_id))

    @post("/{wecom_mass_send_id:uuid}/plan", operation_id="planWecomMassSend", status_code=200)
    def plan(
        self,
        wecom_mass_send_id: UUID,
        wecom_mass_sends: MassSends,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[WecomMassSendDetails]:
        """Plan who the task reaches now (recorded on the task); the submission plans
        again. Left out: outside the visible range, inactive, departed, past the
        interface accounts (all staff only), unknown, without matching customers."""
        return with_etag(
            wecom_mass_sends.plan(
                caller.tenant_id, wecom_mass_send_id, expected_version=expected_version
            )
        )

    @post("/{wecom_mass_send_id:uuid}/submit", operation_id="submitWecomMassSend", status_code=202)
    def submit(
        self,
        wecom_mass_send_id: UUID,
        wecom_mass_sends: MassSends,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[WecomMassSendDetails]:
        """Hand the task to WeCom now (each reached employee's part; the worker goes on
        with the rest), or at its `send_at`. 409 when it reaches nobody; 404 `corp`
        without a bound corp."""
        return with_etag(
            wecom_mass_sends.submit(
                caller.tenant_id, wecom_mass_send_id, expected_version=expected_version
            ),
            status_code=202,
        )

    @post("/{wecom_mass_send_id:uuid}/cancel", operation_id="cancelWecomMassSend", status_code=200)
    def cancel(
        self,
        wecom_mass_send_id: UUID,
        data: CancelMassSend,
        wecom_mass_sends: MassSends,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[WecomMassSendDetails]:
        """Cancel a draft or a scheduled mass send (409 once WeCom has it)."""
        return with_etag(
            wecom_mass_sends.cancel(
                caller.tenant_id, wecom_mass_send_id, data, expected_version=expected_version
            )
        )

    @post(
        "/{wecom_mass_send_id:uuid}/collect",
        operation_id="collectWecomMassSendResults",
        status_code=200,
    )
    def collect(
        self, wecom_mass_send_id: UUID, wecom_mass_sends: MassSends, caller: TenantCaller
    ) -> Response[WecomMassSendDetails]:
        """Ask WeCom now which employees sent their part and what became of each
        customer (the worker asks every few minutes)."""
        return with_etag(wecom_mass_sends.collect(caller.tenant_id, wecom_mass_send_id))

    @get("/{wecom_mass_send_id:uuid}/parts", operation_id="listWecomMassSendParts")
    def parts(
        self,
        wecom_mass_send_id: UUID,
        wecom_mass_sends: MassSends,
        caller: TenantCaller,
        in_state: PartStateFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[MassSendPart]:
        """Each employee's part: reached (seat order) then left out with the reason;
        handed over, sent (their customers per result), refused, not sent."""
        return page_of(
            wecom_mass_sends.parts(
                caller.tenant_id, wecom_mass_send_id, state=in_state, cursor=cursor, limit=limit
            )
        )

    @get("/{wecom_mass_send_id:uuid}/outcomes", operation_id="listWecomMassSendOutcomes")
    def outcomes(
        self,
        wecom_mass_send_id: UUID,
        wecom_mass_sends: MassSends,
        caller: TenantCaller,
        userid: UseridFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[MassSendOutcome]:
        """What became of each customer (or group) of each employee who sent."""
        return page_of(
            wecom_mass_sends.outcomes(
                caller.tenant_id, wecom_mass_send_id, userid=userid, cursor=cursor, limit=limit
            )
        )
