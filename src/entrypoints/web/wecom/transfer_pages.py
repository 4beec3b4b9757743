"""Customer inheritance pages (客户继承, WECOM-4 with ORG-3): the transfer batches (the
employee, the takeover employee, 离职继承 or 在职继承, progress); a form to move an
employee's WeCom customers to another employee; a batch's page with each customer's
outcome (成功 / 等待接替 / 失败 with the reason) and its customer groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.shared.callers import TenantCaller
from application.shared.errors import ApplicationError, InvalidInput
from application.wecom.inheritance import (
    CustomerInheritance,
    StartTransfer,
    TransferBatchDetails,
    TransferCustomerDetails,
)
from application.wecom.member_directory import MemberQueries
from domain.shared.access import Action
from domain.shared.errors import DomainError, InvalidValue
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, parse_form
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import page, query_of, redirect, signed_in_viewer
from entrypoints.web.pages import tenant_may as may
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Option, Row, Table

RESOURCE = "wecom_transfers"
BASE = "/console/wecom/transfers"
SECTION = "营销触达"
KINDS = {"resigned": N_("离职继承"), "on_job": N_("在职继承")}
STATES = {
    "succeeded": (N_("成功"), "ok"),
    "waiting": (N_("等待接替"), "info"),
    "queued": (N_("排队中"), None),
    "failed": (N_("失败"), "bad"),
}
REASONS = {
    "customer_refused": N_("客户拒绝了转接"),
    "takeover_at_limit": N_("接替成员的客户数已达上限"),
    "no_record": N_("企业微信没有这次转接的记录"),
    "no_result": N_("三天内没有得到企业微信的结果"),
    "wecom_unavailable": N_("多次调用企业微信都失败了"),
    "no_takeover_member": N_("接替的员工没有关联企业微信成员"),
}
# WeCom's errcodes of a refused customer (全局错误码).
ERRCODES = {
    40096: N_("不是有效的客户"),
    40097: N_("该成员尚未离职"),
    40098: N_("成员尚未实名认证"),
    40099: N_("外部联系人的数量已达到上限"),
    40100: N_("客户已经在转接流程中"),
    84061: N_("不是该员工的客户"),
}


class TransferConsole:
    """The employees the transfer pages name and offer."""

    def __init__(self, members: MemberQueries) -> None:
        self.members = members

    def everyone(self, tenant_id: UUID) -> dict[UUID, str]:
        """Every employee, those who left too (their customers are the ones to move)."""
        return self.members.employee_names(tenant_id, include_left=True)

    def current(self, tenant_id: UUID) -> dict[UUID, str]:
        return self.members.employee_names(tenant_id)


def reason_text(reason: str, errcode: int) -> str:
    """A failed customer's or group's reason in the page's language."""
    if reason == "wecom_refused" or (errcode and reason not in REASONS):
        known = ERRCODES.get(errcode)
        refused = _("企业微信拒绝（错误码 {code}）").format(code=errcode)
        return f"{refused}：{_(known)}" if known else refused
    return _(REASONS[reason]) if reason in REASONS else reason


def outcome_cell(state: str) -> Cell:
    label, badge = STATES.get(state, (state, None))
    return Cell(_(label), badge=badge)


class TransferListPages(Controller):
    path = "/wecom/transfers"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def transfers(
        self,
        request: Request[Any, Any, Any],
        wecom_inheritance: CustomerInheritance,
        wecom_transfer_console: TransferConsole,
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.READ)
        query = query_of(request, ("cursor", "employee_id"))
        employee_id = _uuid(query["employee_id"])
        listed = wecom_inheritance.batches(
            caller, employee_id=employee_id, cursor=query["cursor"] or None, limit=PAGE_SIZE
        )
        timezone = signed_in_viewer(request).timezone
        names = wecom_transfer_console.everyone(caller.tenant_id)
        table = Table(
            id="wecom-transfers",
            url=BASE,
            columns=[
                Column("employee", "员工"),
                Column("takeover", "接替员工"),
                Column("kind", "类型"),
                Column("progress", "进度"),
                Column("waiting", "等待接替", numeric=True),
                Column("failed", "失败", numeric=True),
                Column("status", "状态"),
                Column("started_at", "发起时间"),
            ],
            rows=[_batch_row(batch, names, timezone) for batch in listed.items],
            caption="客户继承",
            next_cursor=listed.next_cursor,
            filters=[
                Filter(
                    "employee_id",
                    "员工",
                    kind="select",
                    options=tuple(Option(str(i), n) for i, n in names.items()),
                )
            ],
            query=query,
            empty_message="还没有客户继承",
        )
        return page(
            request,
            "wecom/transfers.html",
            title=_("客户继承"),
            table=table,
            may_start=caller.may(RESOURCE, Action.CREATE),
            employee_id=query["employee_id"],
        )

    @get("/new", sync_to_thread=True)
    def new(
        self, request: Request[Any, Any, Any], wecom_transfer_console: TransferConsole
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.CREATE)
        values = {"employee_id": query_of(request, ("employee_id",))["employee_id"]}
        return _form_page(request, caller, wecom_transfer_console, values, {})

    @post("/")
    async def start(
        self,
        request: Request[Any, Any, Any],
        wecom_inheritance: CustomerInheritance,
        wecom_transfer_console: TransferConsole,
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.CREATE)
        data = await form_data(request)
        fields = {**data, "include_groups": data.get("include_groups") == "1"}
        try:
            command = parse_form(StartTransfer, fields)
            started = await change(lambda: wecom_inheritance.start(caller, command))
        except (FormErrors, InvalidInput, InvalidValue) as invalid:
            errors, status = errors_of(invalid), 422
        except (ApplicationError, DomainError) as refusal:
            errors, status = {"__all__": errors_of(refusal).popitem()[1]}, 409
        else:
            return redirect(
                request, f"{BASE}/{started.id}", flash=Flash("success", _("已发起客户继承"))
            )
        return await in_thread(
            lambda: _form_page(request, caller, wecom_transfer_console, data, errors, status=status)
        )


class TransferPages(Controller):
    path = "/wecom/transfers/{transfer_id:uuid}"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        transfer_id: UUID,
        wecom_inheritance: CustomerInheritance,
        wecom_transfer_console: TransferConsole,
    ) -> Response[Any]:
        caller = may(request, RESOURCE, Action.READ)
        batch = wecom_inheritance.batch(caller, transfer_id)  # 404 for another's
        query = query_of(request, ("cursor", "state"))
        state = query["state"] if query["state"] in STATES else None
        listed = wecom_inheritance.customers_of(
            caller, transfer_id, state=state, cursor=query["cursor"] or None, limit=PAGE_SIZE
        )
        timezone = signed_in_viewer(request).timezone
        table = Table(
            id="wecom-transfer-customers",
            url=f"{BASE}/{transfer_id}",
            columns=[
                Column("customer", "客户"),
                Column("lead", "线索"),
                Column("call", "调用批次", numeric=True),
                Column("outcome", "结果"),
                Column("reason", "原因"),
                Column("updated_at", "更新时间"),
            ],
            rows=[_customer_row(c, timezone) for c in listed.items],
            caption="每位客户的继承结果",
            next_cursor=listed.next_cursor,
            filters=[
                Filter(
                    "state",
                    "结果",
                    kind="select",
                    options=tuple(Option(k, label) for k, (label, _b) in STATES.items()),
                )
            ],
            query=query,
            empty_message="没有符合条件的客户",
        )
        names = wecom_transfer_console.everyone(caller.tenant_id)
        return page(
            request,
            "wecom/transfer.html",
            title=_("客户继承详情"),
            table=table,
            batch=batch,
            kind=_(KINDS[batch.kind]),
            from_name=_employee_name(batch.from_employee_id, names, batch.handover_name),
            to_name=_employee_name(batch.to_employee_id, names, batch.takeover_name),
            groups=[
                {
                    **g.model_dump(),
                    "outcome": outcome_cell(g.state),
                    "reason_text": reason_text(g.reason, g.errcode) if g.state == "failed" else "",
                }
                for g in wecom_inheritance.groups_of(caller, transfer_id)
            ],
            status_cell=_status_cell(batch),
        )


def _form_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    console: TransferConsole,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    status: int | None = None,
) -> Response[Any]:
    everyone = console.everyone(caller.tenant_id)
    current = console.current(caller.tenant_id)
    return page(
        request,
        "wecom/transfer_form.html",
        title=_("发起客户继承"),
        employees=[
            (str(i), n if i in current else _("{name}（已离职）").format(name=n))
            for i, n in everyone.items()
        ],
        takeovers=[(str(i), n) for i, n in current.items()],
        values=values,
        errors=errors,
        status=status or (422 if errors else 200),
    )


def _batch_row(batch: TransferBatchDetails, names: dict[UUID, str], timezone: str) -> Row:
    finished = batch.succeeded + batch.failed
    return Row(
        str(batch.id),
        [
            Cell(
                _employee_name(batch.from_employee_id, names, batch.handover_name),
                href=f"{BASE}/{batch.id}",
            ),
            Cell(_employee_name(batch.to_employee_id, names, batch.takeover_name)),
            Cell(_(KINDS[batch.kind])),
            Cell(
                _("成功 {ok} / 共 {total}").format(ok=batch.succeeded, total=batch.total)
                + (f"（{finished}/{batch.total}）" if finished != batch.succeeded else "")
            ),
            Cell(str(batch.waiting)),
            Cell(str(batch.failed), badge="bad" if batch.failed else None),
            _status_cell(batch),
            Cell(local_time(batch.started_at, timezone)),
        ],
    )


def _customer_row(customer: TransferCustomerDetails, timezone: str) -> Row:
    failed = customer.state == "failed"
    return Row(
        customer.external_userid,
        [
            Cell(
                f"{customer.name}（{customer.external_userid}）"
                if customer.name
                else customer.external_userid
            ),
            Cell(_("查看线索"), href=f"/console/leads/{customer.lead_id}")
            if customer.lead_id
            else Cell("—"),
            Cell(str(customer.call)),
            outcome_cell(customer.state),
            Cell(reason_text(customer.reason, customer.errcode) if failed else ""),
            Cell(local_time(customer.updated_at, timezone)),
        ],
    )


def _status_cell(batch: TransferBatchDetails) -> Cell:
    if not batch.done:
        return Cell(_("进行中"), badge="info")
    if batch.failed or batch.groups_failed:
        return Cell(_("已结束（有失败）"), badge="warn")
    return Cell(_("已完成"), badge="ok")


def _employee_name(employee_id: UUID | None, names: dict[UUID, str], fallback: str) -> str:
    if employee_id is not None and employee_id in names:
        return names[employee_id]
    return fallback or "—"


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text) if text else None
    except ValueError:
        return None


PAGES: tuple[Any, ...] = (TransferListPages, TransferPages)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="客户继承",
        path=BASE,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section=SECTION,
        action=Action.READ,
        order=42,
    ),
)
