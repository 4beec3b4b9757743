"""Flow pages (营销 · 营销流程, FLOW-1…6): the list; a flow drafted as JSON (start condition
and graph) or copied from the scenario library; its detail with what keeps it from
running, per-node statistics, per-send delivery, enable / disable (drain or stop) /
archive, a dry run for one lead; a lead's path through it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.flows.commands import (
    CopyScenario,
    DisableFlow,
    DraftFlow,
    DryRun,
    DryRunResult,
    EditFlow,
    FlowDetails,
)
from application.flows.dry_run import DryRuns
from application.flows.flows import Flows
from application.flows.reading import FlowReading
from application.shared.errors import InvalidInput, NotFound
from application.shared.history import RecordHistory
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, parse_form, version_of
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
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

BASE = "/console/flows"
RESOURCE = "flows"
STARTER = {
    "trigger": {"kind": "tag_added", "tag": "新注册"},
    "graph": {
        "start": "welcome",
        "nodes": [
            {"id": "welcome", "kind": "add_tag", "tag": "欢迎系列", "next": "wait"},
            {"id": "wait", "kind": "wait", "amount": 2, "unit": "days", "next": "end"},
            {"id": "end", "kind": "end"},
        ],
    },
}
RULES = (
    ("once", N_("仅一次")),
    ("every_days", N_("每隔 N 天可再次进入")),
    ("every_time", N_("每次满足都进入")),
)


class FlowPages(Controller):
    path = "/flows"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def flows(
        self, request: Request[Any, Any, Any], flow_reading: FlowReading, cursor: str | None = None
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        timezone = signed_in_viewer(request).timezone
        listed = flow_reading.flows_page(
            caller.tenant_id, archived=False, cursor=cursor or None, limit=PAGE_SIZE
        )
        rows = [
            Row(
                str(flow.flow_id),
                [
                    Cell(flow.name, href=f"{BASE}/{flow.flow_id}"),
                    Cell(
                        _("已启用") if flow.enabled else _("未启用"),
                        badge="ok" if flow.enabled else "info",
                    ),
                    Cell(flow.trigger_kind),
                    Cell(str(flow.enrolled)),
                    Cell(str(flow.waiting)),
                    Cell(str(flow.finished)),
                    Cell(local_time(flow.updated_at, timezone)),
                ],
            )
            for flow in listed.items
        ]
        may_create = caller.may(RESOURCE, Action.CREATE)
        table = Table(
            id="flows",
            url=BASE,
            columns=[
                Column("name", "名称"),
                Column("state", "状态"),
                Column("trigger", "开始条件"),
                Column("enrolled", "进入人数", numeric=True),
                Column("waiting", "等待中", numeric=True),
                Column("finished", "已结束", numeric=True),
                Column("updated", "更新时间"),
            ],
            rows=rows,
            caption="营销流程",
            next_cursor=listed.next_cursor,
            query=query_of(request, ("cursor",)),
            empty_message="还没有营销流程",
            empty_action=("从场景库新建", f"{BASE}/scenarios") if may_create else None,
        )
        return page(
            request, "flows/flows.html", title=_("营销流程"), table=table, may_create=may_create
        )

    # --- drafting ---------------------------------------------------------------------------

    @get("/new", sync_to_thread=True)
    def new_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        tenant_may(request, RESOURCE, Action.CREATE)
        values = {
            "trigger": json.dumps(STARTER["trigger"], ensure_ascii=False),
            "graph": json.dumps(STARTER["graph"], ensure_ascii=False, indent=2),
            "enrolment_rule": "once",
        }
        return _form(request, None, values, {})

    @post("/new")
    async def create(self, request: Request[Any, Any, Any], flows: Flows) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(DraftFlow, _flow_fields(data))
            made = await change(lambda: flows.draft(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return _form(request, None, data, shown_on_field(refusal))
        return redirect(request, f"{BASE}/{made.flow_id}", flash=Flash("success", _("已保存草稿")))

    @get("/scenarios", sync_to_thread=True)
    def scenarios(
        self, request: Request[Any, Any, Any], flow_reading: FlowReading
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        return page(
            request,
            "flows/scenarios.html",
            title=_("场景库"),
            scenarios=flow_reading.scenarios(),
            may_create=caller.may(RESOURCE, Action.CREATE),
        )

    @post("/scenarios/copy")
    async def copy(self, request: Request[Any, Any, Any], flows: Flows) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(CopyScenario, {"scenario": data.get("scenario")})
            made = await change(lambda: flows.copy_scenario(caller.tenant_id, command))
        except (FormErrors, InvalidInput, NotFound) as refusal:
            return redirect(request, f"{BASE}/scenarios", flash=Flash("error", str(refusal)))
        flash = Flash("success", _("已复制为草稿：请补全标记的节点后启用"))
        return redirect(request, f"{BASE}/{made.flow_id}", flash=flash)

    # --- one flow ---------------------------------------------------------------------------

    @get("/{flow_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        flow_id: UUID,
        flows: Flows,
        flow_reading: FlowReading,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        flow = flows.flow(caller.tenant_id, flow_id)
        return _detail(request, flow, flow_reading, history_for(history, caller, flow_id), None, {})

    @get("/{flow_id:uuid}/edit", sync_to_thread=True)
    def edit_form(
        self, request: Request[Any, Any, Any], flow_id: UUID, flows: Flows
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        flow = flows.flow(caller.tenant_id, flow_id)
        values = {
            "name": flow.name,
            "trigger": json.dumps(flow.trigger, ensure_ascii=False),
            "graph": json.dumps(flow.graph, ensure_ascii=False, indent=2),
            "enrolment_rule": flow.enrolment_rule,
            "every_days": "" if flow.every_days is None else str(flow.every_days),
            "version": str(flow.version),
        }
        return _form(request, flow, values, {})

    @post("/{flow_id:uuid}/edit")
    async def edit(
        self, request: Request[Any, Any, Any], flow_id: UUID, flows: Flows
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        current = await in_thread(lambda: flows.flow(caller.tenant_id, flow_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            command = parse_form(EditFlow, _flow_fields(data))
            await change(
                lambda: flows.edit(caller.tenant_id, flow_id, command, expected_version=version)
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return _form(request, current, data, shown_on_field(refusal))
        return redirect(request, f"{BASE}/{flow_id}", flash=Flash("success", _("已保存")))

    @post("/{flow_id:uuid}/enable")
    async def enable(
        self, request: Request[Any, Any, Any], flow_id: UUID, flows: Flows
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        return await act_on(
            request, f"{BASE}/{flow_id}", lambda: flows.flow(caller.tenant_id, flow_id),
            lambda _data, version: flows.enable(caller.tenant_id, flow_id,
                                                expected_version=version),
            _("流程已启用"),
        )  # fmt: skip

    @post("/{flow_id:uuid}/disable")
    async def disable(
        self, request: Request[Any, Any, Any], flow_id: UUID, flows: Flows
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        data = await form_data(request)
        mode = "stop" if data.get("mode") == "stop" else "drain"
        message = (
            _("流程已停用，进行中的线索已终止")
            if mode == "stop"
            else _("流程已停用，进行中的线索将走完")
        )
        return await act_on(
            request, f"{BASE}/{flow_id}", lambda: flows.flow(caller.tenant_id, flow_id),
            lambda _data, version: flows.disable(
                caller.tenant_id, flow_id, DisableFlow(mode=mode), expected_version=version),
            message, data=data,
        )  # fmt: skip

    @post("/{flow_id:uuid}/archive")
    async def archive(
        self, request: Request[Any, Any, Any], flow_id: UUID, flows: Flows
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.UPDATE)
        return await act_on(
            request, f"{BASE}/{flow_id}", lambda: flows.flow(caller.tenant_id, flow_id),
            lambda _data, version: flows.archive(caller.tenant_id, flow_id,
                                                 expected_version=version),
            _("流程已归档"),
        )  # fmt: skip

    @post("/{flow_id:uuid}/dry-run")
    async def dry_run(
        self,
        request: Request[Any, Any, Any],
        flow_id: UUID,
        flows: Flows,
        flow_reading: FlowReading,
        flow_dry_runs: DryRuns,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        flow = await in_thread(lambda: flows.flow(caller.tenant_id, flow_id))
        data = await form_data(request)
        result, errors = None, {}
        try:
            lead_id = parse_form(DryRun, {"lead_id": data.get("lead_id")}).lead_id
            result = await in_thread(
                lambda: flow_dry_runs.dry_run(caller.tenant_id, flow_id, lead_id)
            )
        except (FormErrors, NotFound) as refusal:
            errors = {"lead_id": str(refusal) if isinstance(refusal, NotFound) else
                      errors_of(refusal).get("lead_id", str(refusal))}  # fmt: skip
        entries = await in_thread(lambda: history_for(history, caller, flow_id))
        return await in_thread(
            lambda: _detail(request, flow, flow_reading, entries, result, errors)
        )

    @get("/{flow_id:uuid}/enrolments/{lead_id:uuid}", sync_to_thread=True)
    def enrolment(
        self,
        request: Request[Any, Any, Any],
        flow_id: UUID,
        lead_id: UUID,
        flows: Flows,
        flow_reading: FlowReading,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        flow = flows.flow(caller.tenant_id, flow_id)
        enrolment = flow_reading.enrolment(caller.tenant_id, flow_id, lead_id)
        return page(
            request,
            "flows/enrolment.html",
            title=_("线索路径 · {name}").format(name=flow.name),
            flow=flow,
            enrolment=enrolment,
            timezone=signed_in_viewer(request).timezone,
        )


def _flow_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The form's fields as the command takes them (the two JSON textareas parsed)."""
    fields: dict[str, Any] = {
        "name": data.get("name"),
        "enrolment_rule": data.get("enrolment_rule") or "once",
        "every_days": data.get("every_days") or None,
    }
    errors: dict[str, str] = {}
    for name in ("trigger", "graph"):
        try:
            fields[name] = json.loads(str(data.get(name) or "").strip() or "null")
        except ValueError:
            errors[name] = _("不是有效的 JSON")
    if errors:
        raise FormErrors(errors)
    return fields


def shown_on_field(refusal: Exception) -> dict[str, str]:
    """A refused part of a JSON field (`graph.nodes[2].amount`, `branches[1].send.rule`)
    shows on that field, with its path."""
    shown: dict[str, str] = {}
    for name, message in errors_of(refusal).items():
        top = name.split(".")[0].split("[")[0]
        shown.setdefault(top, message if top == name else f"{name}: {message}")
    return shown


async def act_on(
    request: Request[Any, Any, Any],
    where: str,
    load: Callable[[], Any],
    action: Callable[[dict[str, Any], int], Any],
    done: str,
    *,
    data: dict[str, Any] | None = None,
) -> Response[Any]:
    """A button on a record's page: `load` it (another tenant's: 404), then `action`
    with the form and its If-Match version; back to `where` with what happened."""
    data = data if data is not None else await form_data(request)
    await in_thread(load)
    try:
        version = version_of(data)
        await change(lambda: action(data, version))
    except (FormErrors, InvalidInput, DomainError) as refusal:
        message = "; ".join(f"{k}: {v}" for k, v in errors_of(refusal).items()) or str(refusal)
        return redirect(request, where, flash=Flash("error", message))
    return redirect(request, where, flash=Flash("success", done))


def _detail(
    request: Request[Any, Any, Any],
    flow: FlowDetails,
    reading: FlowReading,
    history: Any,
    dry_run: DryRunResult | None,
    errors: dict[str, str],
) -> Response[Any]:
    caller = tenant_may(request, RESOURCE, Action.READ)
    viewer = signed_in_viewer(request)
    stats = reading.stats(caller.tenant_id, flow.flow_id)
    enrolments = reading.enrolments(caller.tenant_id, flow.flow_id, status=None, cursor=None,
                                    limit=20)  # fmt: skip
    return page(
        request,
        "flows/flow.html",
        title=flow.name,
        flow=flow,
        stats=stats,
        enrolments=enrolments.items,
        graph=json.dumps(flow.graph, ensure_ascii=False, indent=2),
        trigger=json.dumps(flow.trigger, ensure_ascii=False),
        may_update=caller.may(RESOURCE, Action.UPDATE),
        dry_run=dry_run,
        errors=errors,
        history=history,
        timezone=viewer.timezone,
        status=422 if errors else 200,
    )


def _form(
    request: Request[Any, Any, Any],
    flow: FlowDetails | None,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response[Any]:
    return page(
        request,
        "flows/flow_form.html",
        title=_("编辑营销流程") if flow else _("新建营销流程"),
        flow=flow,
        values=values,
        errors=errors,
        rules=[(value, _(label)) for value, label in RULES],
        status=422 if errors else 200,
    )


PAGES: tuple[Any, ...] = (FlowPages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="营销流程",
        path=BASE,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section="营销",
        action=Action.READ,
        order=60,
    ),
)
