"""企业微信 · 客户 (WECOM-3): the customer list (a row per customer and employee, by
status, channel, employee or name), a customer's page with their lead and every
employee relation, churn (customers who deleted their employee), churn alerts,
customer groups with a sync, and stats in the tenant's days. Each list is the caller's
data scope: a salesperson sees the customers of their own WeCom account."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from application.shared.callers import TenantCaller
from application.shared.errors import ApplicationError
from application.wecom.commands import RelationDetails
from application.wecom.customers import WecomCustomers
from application.wecom.groups import GroupSync
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change
from entrypoints.web.forms import errors_of
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import page, query_of, redirect, signed_in_viewer, tenant_may
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Option, Row, Table

RESOURCE = "wecom_customers"
BASE = "/console/wecom"
CUSTOMERS = f"{BASE}/customers"
SECTION = "营销触达"
FILTERS = ("status", "state", "q", "cursor")
STATUS_NAMES = {"active": N_("正常"), "lost": N_("已流失"), "removed": N_("已删除")}
STATUS_BADGES = {"active": "ok", "lost": "bad", "removed": "warn"}
# The pages' tabs: (path, label).
TABS = (
    (CUSTOMERS, N_("客户列表")),
    (f"{BASE}/churn", N_("流失客户")),
    (f"{BASE}/churn-alerts", N_("流失提醒")),
    (f"{BASE}/groups", N_("客户群")),
    (f"{BASE}/customer-stats", N_("统计")),
)


class WecomCustomerPages(Controller):
    path = "/wecom"
    include_in_schema = False

    @get("/customers", sync_to_thread=True)
    def customers(
        self, request: Request[Any, Any, Any], wecom_customers: WecomCustomers
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        timezone = signed_in_viewer(request).timezone
        query = query_of(request, FILTERS)
        listed = wecom_customers.relations(
            caller,
            status=query["status"] if query["status"] in STATUS_NAMES else None,
            state=query["state"] or None,
            query=query["q"] or None,
            cursor=query["cursor"] or None,
            limit=PAGE_SIZE,
        )
        table = Table(
            id="wecom-customers",
            url=CUSTOMERS,
            columns=[
                Column("name", "客户"),
                Column("employee", "添加人"),
                Column("status", "状态"),
                Column("state", "渠道"),
                Column("remark", "备注"),
                Column("added_at", "添加时间"),
            ],
            rows=[
                Row(
                    f"{r.external_userid}:{r.userid}",
                    [
                        _customer_cell(r),
                        Cell(r.employee_name or r.userid),
                        _status_cell(r),
                        Cell(r.state or "—"),
                        Cell(r.remark or "—"),
                        Cell(local_time(r.added_at, timezone)),
                    ],
                )
                for r in listed.items
            ],
            caption="企业微信客户",
            next_cursor=listed.next_cursor,
            filters=[
                Filter("q", "客户名称或备注", kind="search"),
                Filter(
                    "status",
                    "状态",
                    kind="select",
                    options=(
                        Option("active", "正常"),
                        Option("lost", "已流失"),
                        Option("removed", "已删除"),
                    ),
                ),
                Filter("state", "渠道（state）"),
            ],
            query=query,
            empty_message="还没有企业微信客户",
        )
        return _list_page(request, caller, _("企业微信客户"), table, CUSTOMERS)

    @get("/customers/{external_userid:str}", sync_to_thread=True)
    def customer(
        self,
        request: Request[Any, Any, Any],
        external_userid: str,
        wecom_customers: WecomCustomers,
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        customer = wecom_customers.customer(caller, external_userid)  # 404 outside scope
        timezone = signed_in_viewer(request).timezone
        relations = [
            {
                "employee": r.employee_name or r.userid,
                "status": _status_cell(r),
                "state": r.state or "—",
                "remark": r.remark or "—",
                "tags": "、".join(r.tags) or "—",
                "added_at": local_time(r.added_at, timezone),
                "ended_at": local_time(r.ended_at, timezone) if r.ended_at else "—",
            }
            for r in customer.relations
        ]
        return page(
            request,
            "wecom/customer.html",
            title=customer.name or customer.external_userid,
            customer=customer,
            relations=relations,
            first_added_at=local_time(customer.first_added_at, timezone),
            may_read_leads=caller.may("leads", Action.READ),
        )

    @get("/churn", sync_to_thread=True)
    def churn(
        self, request: Request[Any, Any, Any], wecom_customers: WecomCustomers
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        timezone = signed_in_viewer(request).timezone
        query = query_of(request, ("cursor",))
        listed = wecom_customers.churn(caller, cursor=query["cursor"] or None, limit=PAGE_SIZE)
        table = Table(
            id="wecom-churn",
            url=f"{BASE}/churn",
            columns=[
                Column("name", "客户"),
                Column("employee", "被删除的员工"),
                Column("ended_at", "流失时间"),
                Column("added_at", "添加时间"),
                Column("state", "渠道"),
            ],
            rows=[
                Row(
                    f"{r.external_userid}:{r.userid}",
                    [
                        _customer_cell(r),
                        Cell(r.employee_name or r.userid),
                        Cell(local_time(r.ended_at, timezone), badge="bad"),
                        Cell(local_time(r.added_at, timezone)),
                        Cell(r.state or "—"),
                    ],
                )
                for r in listed.items
            ],
            caption="流失客户",
            next_cursor=listed.next_cursor,
            query=query,
            empty_message="还没有客户删除员工",
        )
        return _list_page(request, caller, _("流失客户"), table, f"{BASE}/churn")

    @get("/churn-alerts", sync_to_thread=True)
    def alerts(
        self, request: Request[Any, Any, Any], wecom_customers: WecomCustomers
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        timezone = signed_in_viewer(request).timezone
        query = query_of(request, ("cursor",))
        listed = wecom_customers.alerts(caller, cursor=query["cursor"] or None, limit=PAGE_SIZE)
        table = Table(
            id="wecom-churn-alerts",
            url=f"{BASE}/churn-alerts",
            columns=[
                Column("at", "时间"),
                Column("name", "客户"),
                Column("employee", "员工"),
                Column("notice", "提醒"),
            ],
            rows=[
                Row(
                    alert.id,
                    [
                        Cell(local_time(alert.at, timezone)),
                        Cell(
                            alert.name or alert.external_userid,
                            href=f"{CUSTOMERS}/{alert.external_userid}",
                        ),
                        Cell(alert.employee_name or alert.userid),
                        Cell(_("已通知员工"), badge="info")
                        if alert.employee_id
                        else Cell(_("成员未关联员工")),
                    ],
                )
                for alert in listed.items
            ],
            caption="流失提醒",
            next_cursor=listed.next_cursor,
            query=query,
            empty_message="还没有流失提醒",
        )
        return _list_page(request, caller, _("流失提醒"), table, f"{BASE}/churn-alerts")

    @get("/groups", sync_to_thread=True)
    def groups(
        self, request: Request[Any, Any, Any], wecom_customers: WecomCustomers
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        timezone = signed_in_viewer(request).timezone
        query = query_of(request, ("dismissed", "cursor"))
        listed = wecom_customers.groups(
            caller,
            include_dismissed=bool(query["dismissed"]),
            cursor=query["cursor"] or None,
            limit=PAGE_SIZE,
        )
        table = Table(
            id="wecom-groups",
            url=f"{BASE}/groups",
            columns=[
                Column("name", "群名称"),
                Column("owner", "群主"),
                Column("members", "人数", numeric=True),
                Column("status", "状态"),
                Column("changed_at", "最近变更"),
            ],
            rows=[
                Row(
                    group.chat_id,
                    [
                        Cell(group.name or group.chat_id),
                        Cell(group.owner or "—"),
                        Cell(str(group.member_count)),
                        Cell(_("已解散"), badge="bad")
                        if group.dismissed
                        else Cell(_("正常"), badge="ok"),
                        Cell(local_time(group.changed_at, timezone)),
                    ],
                )
                for group in listed.items
            ],
            caption="客户群",
            next_cursor=listed.next_cursor,
            filters=[Filter("dismissed", "显示已解散的群", kind="checkbox")],
            query=query,
            empty_message="还没有客户群",
        )
        return _list_page(
            request, caller, _("客户群"), table, f"{BASE}/groups",
            may_sync_groups=caller.may("wecom_corp", Action.UPDATE),
        )  # fmt: skip

    @post("/groups/sync")
    async def sync_groups(
        self, request: Request[Any, Any, Any], wecom_group_sync: GroupSync
    ) -> Response[Any]:
        caller = tenant_may(request, "wecom_corp", Action.UPDATE)
        try:
            report = await change(lambda: wecom_group_sync.sync(caller.tenant_id))
        except (ApplicationError, DomainError) as refusal:
            message = next(iter(errors_of(refusal).values()))
            return redirect(request, f"{BASE}/groups", flash=Flash("error", message))
        flash = Flash("success", _("已同步 {n} 个客户群").format(n=report.groups))
        return redirect(request, f"{BASE}/groups", flash=flash)

    @get("/customer-stats", sync_to_thread=True)
    def stats(
        self, request: Request[Any, Any, Any], wecom_customers: WecomCustomers
    ) -> Response[Any]:
        caller = tenant_may(request, RESOURCE, Action.READ)
        stats = wecom_customers.stats(caller, days=30)
        return page(
            request,
            "wecom/customer_stats.html",
            title=_("客户统计"),
            stats=stats,
            tabs=_tabs(f"{BASE}/customer-stats"),
            days=[d for d in stats.per_day if d.added or d.lost],
        )


def _tabs(current: str) -> list[tuple[str, str, bool]]:
    return [(path, _(label), path == current) for path, label in TABS]


def _list_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    title: str,
    table: Table,
    current: str,
    **context: Any,
) -> Response[Any]:
    return page(
        request,
        "wecom/customers.html",
        title=title,
        table=table,
        tabs=_tabs(current),
        **context,
    )


def _customer_cell(relation: RelationDetails) -> Cell:
    return Cell(
        relation.name or relation.external_userid,
        href=f"{CUSTOMERS}/{relation.external_userid}",
    )


def _status_cell(relation: RelationDetails) -> Cell:
    if relation.status == "removed" and relation.by_transfer:
        return Cell(_("已转接"), badge="info")
    name = STATUS_NAMES.get(relation.status)
    return Cell(_(name) if name else relation.status, badge=STATUS_BADGES.get(relation.status))


PAGES: tuple[Any, ...] = (WecomCustomerPages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="企微客户",
        path=CUSTOMERS,
        resource=RESOURCE,
        audience=Audience.TENANT,
        section=SECTION,
        action=Action.READ,
        order=40,
    ),
)
