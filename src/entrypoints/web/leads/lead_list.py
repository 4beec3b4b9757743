"""The lead list (/console/leads): the API list's read-model page, its filters, sort and
cursor paging, through the table component, with bulk selection."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from application.leads.queries import LeadFilter, LeadQueries, LeadSummary
from application.leads.settings import TenantLeadSettings
from application.org.directory import OrgQueries
from domain.shared.access import Action
from entrypoints.web.i18n import N_, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.leads.lead_filters import (
    QUERY_NAMES,
    lead_filter_of,
    list_filters,
    saved_search_of,
    sort_of,
)
from entrypoints.web.leads.lead_support import (
    LIST_PATH,
    POOL_BADGES,
    employee_choices,
    owner_names,
    pool_label,
)
from entrypoints.web.pages import page, query_of, signed_in_viewer, tenant_may
from entrypoints.web.tables import BulkAction, Cell, Column, Row, Table

PAGE_SIZE = 50  # the console's list pages, cursor-paged like the API


class LeadListController(Controller):
    path = "/leads"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def leads_list(
        self,
        request: Request[Any, Any, Any],
        lead_queries: LeadQueries,
        lead_settings: TenantLeadSettings,
        org_queries: OrgQueries,
    ) -> Template:
        caller = tenant_may(request, "leads")
        timezone = signed_in_viewer(request).timezone
        may_create = caller.may("leads", Action.CREATE)
        query = query_of(request, QUERY_NAMES)
        sort = sort_of(query)
        saved_search_id = saved_search_of(query)
        if saved_search_id is not None:  # a saved search says everything the filters say
            sort = "created_at"
            found = lead_queries.search(
                caller,
                LeadFilter(),
                cursor=query["cursor"] or None,
                limit=PAGE_SIZE,
                saved_search_id=saved_search_id,
            )
        else:
            found = lead_queries.search(
                caller,
                lead_filter_of(query, timezone),
                sort=sort,
                cursor=query["cursor"] or None,
                limit=PAGE_SIZE,
            )
        settings = lead_settings.settings(caller.tenant_id)
        employees = employee_choices(org_queries, caller.tenant_id)
        names = owner_names(org_queries, caller.tenant_id, {lead.owner_id for lead in found.items})
        statuses = {status.key: status.name for status in settings.statuses}
        table = Table(
            id="leads",
            url=LIST_PATH,
            caption="线索列表",
            columns=[
                Column("name", "姓名"),
                Column("mobile", "手机号"),
                Column("email", "邮箱"),
                Column("company", "公司"),
                Column("status", "状态"),
                Column("pool_state", "公海状态"),
                Column("owner", "负责人"),
                Column("source", "来源"),
                Column("tags", "标签"),
                Column("created_at", "创建时间", sortable=True),
                Column("updated_at", "更新时间", sortable=True),
            ],
            rows=[_row(lead, names, statuses, timezone) for lead in found.items],
            next_cursor=found.next_cursor,
            filters=list_filters(settings, employees),
            query=query,
            sort=f"-{sort}",
            bulk_actions=_bulk_actions(caller.may),
            empty_message="没有符合条件的线索",
            empty_action=(N_("新建线索"), f"{LIST_PATH}/new") if may_create else None,
            links=[(N_("导出当前筛选（XLSX）"), f"{LIST_PATH}/export")]
            if caller.may("leads", Action.EXPORT)
            else [],
        )
        return page(
            request,
            "leads/lead/list.html",
            title=_("线索列表"),
            table=table,
            may_create=may_create,
            saved_search_id=saved_search_id,
        )


def _row(lead: LeadSummary, names: dict[str, str], statuses: dict[str, str], timezone: str) -> Row:
    owner = names.get(str(lead.owner_id), "—") if lead.owner_id else _("公海")
    source = " / ".join(part for part in (lead.source_level1, lead.source_level2) if part)
    return Row(
        str(lead.id),
        [
            Cell(lead.name or _("（未填姓名）"), href=f"{LIST_PATH}/{lead.id}"),
            Cell(lead.mobile or "—"),
            Cell(lead.email or "—"),
            Cell(lead.company or "—"),
            Cell(statuses.get(lead.status, lead.status)),
            Cell(pool_label(lead.pool_state), badge=POOL_BADGES.get(lead.pool_state, "info")),
            Cell(owner),
            Cell(source or "—"),
            Cell(", ".join(lead.tags) or "—"),
            Cell(local_time(lead.created_at, timezone)),
            Cell(local_time(lead.updated_at, timezone)),
        ],
    )


def _bulk_actions(may: Any) -> list[BulkAction]:
    """What the person may do to many leads at once (the API's bulk verbs, and the pool
    moves that the API makes one lead at a time)."""
    url = f"{LIST_PATH}/bulk"
    actions = []
    if may("leads", Action.UPDATE):
        actions += [
            BulkAction("assign", label="分配负责人", url=f"{url}/assign"),
            BulkAction("release", label="释放到公海", url=f"{url}/release"),
            BulkAction("add_tags", label="添加标签", url=f"{url}/add_tags"),
            BulkAction("remove_tags", label="移除标签", url=f"{url}/remove_tags"),
            BulkAction("change_status", label="修改状态", url=f"{url}/change_status"),
        ]
    if may("leads", Action.DELETE):
        actions.append(BulkAction("delete", label="删除", url=f"{url}/delete"))
    return actions
