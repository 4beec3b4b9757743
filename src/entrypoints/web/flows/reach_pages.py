"""Reach campaign pages (营销 · 触达活动, FLOW-7): the list with delivery counts; a campaign
planned with its period (in the tenant's zone), audience filter and branches as JSON;
its detail with schedule and cancel, the counts, and each selected lead's delivery."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post

from application.flows.reach import ReachCampaigns
from application.flows.reach_commands import CancelReach, PlanReach, ReachDetails
from application.flows.reach_reading import ReachReading
from application.shared.errors import InvalidInput
from application.shared.history import RecordHistory
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change
from entrypoints.web.flows.flow_pages import act_on, shown_on_field
from entrypoints.web.forms import FormErrors, form_data, parse_form
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.messaging.common import local_input
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import (
    history_for,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Row, Table

BASE = "/console/reach-campaigns"
RESOURCE = "flows"
MOMENTS = ("starts_at", "ends_at", "event_starts_at")
STATUS = {
    "planned": (N_("未启动"), "info"),
    "scheduled": (N_("已启动"), "ok"),
    "cancelled": (N_("已取消"), "warn"),
}
DELIVERY = {
    "pending": N_("待发送"),
    "sent": N_("已发送"),
    "skipped": N_("跳过"),
    "failed": N_("失败"),
    "cancelled": N_("已取消"),
}
STARTER = {
    "audience": {"field": "tags", "op": "equals", "value": "会员"},
    "branches": [
        {
            "name": "全部会员",
            "send": {"rule": "after", "amount": 1, "unit": "days"},
            "content": {"kind": "send_sms", "signature_id": None, "text": "活动即将开始，回T退订"},
        }
    ],
}


class ReachPages(Controller):
    path = "/reach-campaigns"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def campaigns(
        self,
        request: Request[Any, Any, Any],
        reach_reading: ReachReading,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        timezone = signed_in_viewer(request).timezone
        listed = reach_reading.campaigns_page(
            caller.tenant_id, cursor=cursor or None, limit=PAGE_SIZE
        )
        rows = [
            Row(
                str(campaign.campaign_id),
                [
                    Cell(campaign.name, href=f"{BASE}/{campaign.campaign_id}"),
                    Cell(_(STATUS[campaign.status][0]), badge=STATUS[campaign.status][1]),
                    Cell(
                        f"{local_time(campaign.starts_at, timezone)} – "
                        f"{local_time(campaign.ends_at, timezone)}"
                    ),
                    Cell(str(campaign.counts.selected)),
                    Cell(str(campaign.counts.sent)),
                    Cell(str(campaign.counts.pending)),
                ],
            )
            for campaign in listed.items
        ]
        may_create = caller.may(RESOURCE, Action.CREATE)
        table = Table(
            id="reach-campaigns",
            url=BASE,
            columns=[
                Column("name", "名称"),
                Column("state", "状态"),
                Column("period", "活动时间"),
                Column("selected", "触达人数", numeric=True),
                Column("sent", "已发送", numeric=True),
                Column("pending", "待发送", numeric=True),
            ],
            rows=rows,
            caption="触达活动",
            next_cursor=listed.next_cursor,
            query=query_of(request, ("cursor",)),
            empty_message="还没有触达活动",
            empty_action=("新建触达活动", f"{BASE}/new") if may_create else None,
        )
        return page(
            request,
            "flows/reach_campaigns.html",
            title=_("触达活动"),
            table=table,
            may_create=may_create,
        )

    @get("/new", sync_to_thread=True)
    def new_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        tenant_may(request, RESOURCE, Action.CREATE)
        values = {
            "audience": json.dumps(STARTER["audience"], ensure_ascii=False),
            "branches": json.dumps(STARTER["branches"], ensure_ascii=False, indent=2),
        }
        return _form(request, values, {})

    @post("/new")
    async def create(
        self, request: Request[Any, Any, Any], reach_campaigns: ReachCampaigns
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        try:
            fields = _plan_fields(data, signed_in_viewer(request).timezone)
            command = parse_form(PlanReach, fields)
            made = await change(lambda: reach_campaigns.plan(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return _form(request, data, shown_on_field(refusal))
        flash = Flash("success", _("已保存，启动后在活动时间内触达"))
        return redirect(request, f"{BASE}/{made.campaign_id}", flash=flash)

    @get("/{campaign_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        campaign_id: UUID,
        reach_campaigns: ReachCampaigns,
        reach_reading: ReachReading,
        history: RecordHistory,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        campaign = reach_campaigns.campaign(caller.tenant_id, campaign_id)
        return _detail(
            request, campaign, reach_reading, history_for(history, caller, campaign_id), cursor
        )

    @post("/{campaign_id:uuid}/schedule")
    async def schedule(
        self, request: Request[Any, Any, Any], campaign_id: UUID, reach_campaigns: ReachCampaigns
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        return await act_on(
            request, f"{BASE}/{campaign_id}",
            lambda: reach_campaigns.campaign(caller.tenant_id, campaign_id),
            lambda _data, version: reach_campaigns.schedule(
                caller.tenant_id, campaign_id, expected_version=version),
            _("触达活动已启动"),
        )  # fmt: skip

    @post("/{campaign_id:uuid}/cancel")
    async def cancel(
        self, request: Request[Any, Any, Any], campaign_id: UUID, reach_campaigns: ReachCampaigns
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        return await act_on(
            request, f"{BASE}/{campaign_id}",
            lambda: reach_campaigns.campaign(caller.tenant_id, campaign_id),
            lambda data, version: reach_campaigns.cancel(
                caller.tenant_id, campaign_id,
                parse_form(CancelReach, {"reason": data.get("reason")}),
                expected_version=version,
            ),
            _("触达活动已取消，未到时间的内容不再发送"),
        )  # fmt: skip


def _plan_fields(data: dict[str, Any], timezone: str) -> dict[str, Any]:
    """The form's fields as the command takes them: the times typed in the tenant's zone,
    the audience and branches parsed from JSON."""
    fields: dict[str, Any] = {"name": data.get("name")}
    errors: dict[str, str] = {}
    for name in MOMENTS:
        text = str(data.get(name) or "").strip()
        if not text:
            fields[name] = None
            continue
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            errors[name] = _("时间格式应为 2026-12-02T14:05")
            continue
        fields[name] = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))
    for name in ("audience", "branches"):
        try:
            fields[name] = json.loads(str(data.get(name) or "").strip() or "null")
        except ValueError:
            errors[name] = _("不是有效的 JSON")
    if errors:
        raise FormErrors(errors)
    return fields


def _detail(
    request: Request[Any, Any, Any],
    campaign: ReachDetails,
    reading: ReachReading,
    history: Any,
    cursor: str | None,
) -> Response[Any]:
    caller = tenant_may(request, RESOURCE, Action.READ)
    timezone = signed_in_viewer(request).timezone
    deliveries = reading.deliveries(
        caller.tenant_id, campaign.campaign_id, cursor=cursor or None, limit=PAGE_SIZE
    )
    return page(
        request,
        "flows/reach_campaign.html",
        title=campaign.name,
        campaign=campaign,
        state=STATUS[campaign.status],
        counts=reading.counts(caller.tenant_id, campaign.campaign_id),
        deliveries=deliveries,
        outcomes={status: _(label) for status, label in DELIVERY.items()},
        audience=json.dumps(campaign.audience, ensure_ascii=False),
        branches=json.dumps(campaign.branches, ensure_ascii=False, indent=2),
        may_update=caller.may(RESOURCE, Action.UPDATE),
        history=history,
        timezone=timezone,
    )


def _form(
    request: Request[Any, Any, Any], values: dict[str, Any], errors: dict[str, str]
) -> Response[Any]:
    timezone = signed_in_viewer(request).timezone
    shown = {
        name: local_input(value, timezone) if isinstance(value, datetime) else value
        for name, value in values.items()
    }
    return page(
        request,
        "flows/reach_form.html",
        title=_("新建触达活动"),
        values=shown,
        errors=errors,
        timezone=timezone,
        status=422 if errors else 200,
    )


PAGES: tuple[Any, ...] = (ReachPages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="触达活动",
        path=BASE,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section="营销",
        action=Action.READ,
        order=61,
    ),
)
