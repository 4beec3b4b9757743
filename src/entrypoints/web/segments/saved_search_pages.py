"""Saved search pages (线索 · 常用搜索, SEG-2): the list; save a filter tree under a
name; a search's conditions with a link to the lead list it selects; edit and delete."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.segments.saved_search_commands import (
    ReviseSearch,
    SavedSearchDetails,
    SaveSearch,
)
from application.segments.saved_searches import SavedSearches
from application.shared.errors import InvalidInput
from application.shared.history import RecordHistory
from domain.shared.access import Action
from domain.shared.errors import DomainError
from entrypoints.web.actions import change, in_thread
from entrypoints.web.forms import FormErrors, errors_of, form_data, parse_form, version_of
from entrypoints.web.i18n import gettext as _
from entrypoints.web.i18n import local_time
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import (
    confirm_page,
    history_for,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.segments.filter_form import filter_errors, filter_tree_of
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Row, Table

BASE = "/console/segments/searches"
LEADS = "/console/leads"
EXAMPLE = {
    "all": [
        {"field": "custom.industry", "op": "equals", "value": "制造业"},
        {"field": "score", "op": "range", "value": {"from": 60}},
        {"behaviour": {"kind": "page", "within_days": 30}, "did": True},
    ]
}


class SavedSearchPages(Controller):
    path = "/segments/searches"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def searches(
        self,
        request: Request[Any, Any, Any],
        saved_searches: SavedSearches,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, "saved_searches", Action.READ)
        timezone = signed_in_viewer(request).timezone
        listed = saved_searches.searches(caller.tenant_id, cursor=cursor or None, limit=PAGE_SIZE)
        rows = [
            Row(
                str(search.id),
                [
                    Cell(search.name, href=f"{BASE}/{search.id}"),
                    Cell(_("查看线索"), href=f"{LEADS}?saved_search_id={search.id}"),
                    Cell(local_time(search.updated_at, timezone)),
                ],
            )
            for search in listed.items
        ]
        may_create = caller.may("saved_searches", Action.CREATE)
        table = Table(
            id="saved-searches",
            url=BASE,
            columns=[
                Column("name", "名称"),
                Column("leads", "线索"),
                Column("updated", "更新时间"),
            ],
            rows=rows,
            caption="常用搜索",
            next_cursor=listed.next_cursor,
            query=query_of(request, ("cursor",)),
            empty_message="还没有常用搜索",
            empty_action=("新建常用搜索", f"{BASE}/new") if may_create else None,
        )
        return page(
            request,
            "segments/searches.html",
            title=_("常用搜索"),
            table=table,
            may_create=may_create,
        )

    @get("/new", sync_to_thread=True)
    def new_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        tenant_may(request, "saved_searches", Action.CREATE)
        return _form(request, None, {"filter": json.dumps(EXAMPLE, ensure_ascii=False)}, {})

    @post("/new")
    async def create(
        self, request: Request[Any, Any, Any], saved_searches: SavedSearches
    ) -> Response[Any]:
        caller = tenant_may(request, "saved_searches", Action.CREATE)
        data = await form_data(request)
        try:
            command = parse_form(
                SaveSearch, {"name": data.get("name"), "filter": filter_tree_of(data)}
            )
            saved = await change(lambda: saved_searches.save(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return _form(request, None, data, filter_errors(refusal))
        return redirect(request, f"{BASE}/{saved.id}", flash=Flash("success", _("已保存")))

    @get("/{saved_search_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        saved_search_id: UUID,
        saved_searches: SavedSearches,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, "saved_searches", Action.READ)
        search = saved_searches.search(caller.tenant_id, saved_search_id)
        return page(
            request,
            "segments/search_detail.html",
            title=search.name,
            search=search,
            tree=json.dumps(search.filter, ensure_ascii=False, indent=2),
            leads_url=f"{LEADS}?saved_search_id={search.id}",
            may_update=caller.may("saved_searches", Action.UPDATE),
            may_delete=caller.may("saved_searches", Action.DELETE),
            history=history_for(history, caller, search.id),
        )

    @get("/{saved_search_id:uuid}/edit", sync_to_thread=True)
    def edit_form(
        self, request: Request[Any, Any, Any], saved_search_id: UUID, saved_searches: SavedSearches
    ) -> Response[Any]:
        caller = tenant_may(request, "saved_searches", Action.UPDATE)
        search = saved_searches.search(caller.tenant_id, saved_search_id)
        values = {
            "name": search.name,
            "filter": json.dumps(search.filter, ensure_ascii=False, indent=2),
            "version": str(search.version),
        }
        return _form(request, search, values, {})

    @post("/{saved_search_id:uuid}/edit")
    async def revise(
        self, request: Request[Any, Any, Any], saved_search_id: UUID, saved_searches: SavedSearches
    ) -> Response[Any]:
        caller = tenant_may(request, "saved_searches", Action.UPDATE)
        current = await in_thread(lambda: saved_searches.search(caller.tenant_id, saved_search_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            command = parse_form(
                ReviseSearch, {"name": data.get("name"), "filter": filter_tree_of(data)}
            )
            await change(
                lambda: saved_searches.revise(
                    caller.tenant_id, saved_search_id, command, expected_version=version
                )
            )
        except (FormErrors, InvalidInput, DomainError) as refusal:
            return _form(request, current, data, filter_errors(refusal))
        return redirect(request, f"{BASE}/{saved_search_id}", flash=Flash("success", _("已保存")))

    @get("/{saved_search_id:uuid}/delete", sync_to_thread=True)
    def delete_confirmation(
        self, request: Request[Any, Any, Any], saved_search_id: UUID, saved_searches: SavedSearches
    ) -> Response[Any]:
        caller = tenant_may(request, "saved_searches", Action.DELETE)
        return _delete_page(request, saved_searches.search(caller.tenant_id, saved_search_id), {})

    @post("/{saved_search_id:uuid}/delete")
    async def delete(
        self, request: Request[Any, Any, Any], saved_search_id: UUID, saved_searches: SavedSearches
    ) -> Response[Any]:
        caller = tenant_may(request, "saved_searches", Action.DELETE)
        search = await in_thread(lambda: saved_searches.search(caller.tenant_id, saved_search_id))
        data = await form_data(request)
        try:
            version = version_of(data)
            await change(
                lambda: saved_searches.delete(
                    caller.tenant_id, saved_search_id, expected_version=version
                )
            )
        except (FormErrors, DomainError) as refusal:
            return _delete_page(request, search, errors_of(refusal), status=409)
        return redirect(request, BASE, flash=Flash("success", _("常用搜索已删除")))


def _form(
    request: Request[Any, Any, Any],
    search: SavedSearchDetails | None,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response[Any]:
    return page(
        request,
        "segments/search_form.html",
        title=_("编辑常用搜索") if search else _("新建常用搜索"),
        search=search,
        values=values,
        errors=errors,
        status=422 if errors else 200,
    )


def _delete_page(
    request: Request[Any, Any, Any],
    search: SavedSearchDetails,
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("删除常用搜索"),
        description=_("删除「{name}」：用它建好的分组不受影响。").format(name=search.name),
        action=f"{BASE}/{search.id}/delete",
        confirm_label=_("确认删除"),
        reason_required=False,
        fields={"version": search.version},
        errors=errors,
        cancel=f"{BASE}/{search.id}",
        status=status,
    )


PAGES: tuple[Any, ...] = (SavedSearchPages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="常用搜索",
        path=BASE,
        resource="saved_searches",
        audience=Audience.TENANT,
        section="线索",
        action=Action.READ,
        order=20,
    ),
)
