"""The operation log (审计, AUD-4): configuration changes, newest first, filtered as the
API filters them (record, actor, topic prefix, time range) with cursor paging. Read-only."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get

from application.audit.operation_log import LogFilter, OperationEntry, OperationLogQueries
from application.shared.pages import DEFAULT_LIMIT
from entrypoints.web.i18n import N_, actor_label, in_language, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import page, query_of, signed_in_viewer, staff_may, tenant_may
from entrypoints.web.tables import Cell, Column, Filter, Row, Table

FILTERS = ("record_id", "actor_id", "topic", "since", "until", "cursor")
ADMIN_FILTERS = ("tenant_id", *FILTERS)
LONGEST_CHANGES = 160
COLUMNS = (
    Column("occurred_at", N_("时间")),
    Column("summary", N_("操作")),
    Column("record_id", N_("记录")),
    Column("actor", N_("操作人")),
    Column("request_id", N_("请求 ID")),
    Column("reason", N_("原因")),
    Column("changes", N_("变更内容")),
)
LOG_FILTERS = (
    Filter("record_id", N_("记录 ID"), placeholder=N_("记录的 UUID")),
    Filter("actor_id", N_("操作人 ID"), placeholder=N_("API 密钥或员工 ID")),
    Filter("topic", N_("事件类型"), placeholder=N_("例如 leads.LeadSettings")),
    Filter("since", N_("起始日期"), kind="date"),
    Filter("until", N_("截止日期（含）"), kind="date"),
)
ERRORS = {
    "record_id": N_("记录 ID 应为 UUID"),
    "tenant_id": N_("租户 ID 应为 UUID"),
    "since": N_("日期格式应为 YYYY-MM-DD"),
    "until": N_("日期格式应为 YYYY-MM-DD"),
}


class LogQuery:
    """The filters as typed in the page's query string, read in the viewer's time zone
    (a date covers that whole local day); what cannot be read is kept as an error."""

    def __init__(self, query: dict[str, str], timezone: str) -> None:
        self.errors: dict[str, str] = {}
        self.zone = ZoneInfo(timezone)
        self.record_id = self._uuid(query, "record_id")
        self.tenant_id = self._uuid(query, "tenant_id")
        since = self._date(query, "since")
        until = self._date(query, "until")
        self.filter = LogFilter(
            record_id=self.record_id,
            actor_id=query.get("actor_id") or None,
            topic=query.get("topic") or None,
            since=self._start_of(since),
            until=self._start_of(until + timedelta(days=1) if until else None),
        )

    def _uuid(self, query: dict[str, str], name: str) -> UUID | None:
        value = query.get(name, "").strip()
        try:
            return UUID(value) if value else None
        except ValueError:
            self.errors[name] = _(ERRORS[name])
            return None

    def _date(self, query: dict[str, str], name: str) -> date | None:
        value = query.get(name, "").strip()
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            self.errors[name] = _(ERRORS[name])
            return None

    def _start_of(self, day: date | None) -> datetime | None:
        return datetime.combine(day, time(0), tzinfo=self.zone) if day else None


def _rows(entries: list[OperationEntry], timezone: str, history: str) -> list[Row]:
    return [
        Row(
            entry.id,
            [
                Cell(local_time(entry.occurred_at, timezone, with_seconds=True)),
                Cell(in_language(entry.summary)),
                Cell(str(entry.record_id), href=f"{history}/{entry.record_id}"),
                Cell(actor_label({"kind": entry.actor_kind, "id": entry.actor_id})),
                Cell(entry.request_id or "—"),
                Cell(entry.reason or "—"),
                Cell(_changes_text(entry.changes)),
            ],
        )
        for entry in entries
    ]


def _changes_text(changed: dict[str, Any]) -> str:
    text = "; ".join(f"{key}={value}" for key, value in sorted(changed.items()))
    return text if len(text) <= LONGEST_CHANGES else text[: LONGEST_CHANGES - 1] + "…"


def _log_page(
    request: Request[Any, Any, Any],
    *,
    url: str,
    names: tuple[str, ...],
    filters: tuple[Filter, ...],
    log: LogQuery,
    entries: list[OperationEntry],
    next_cursor: str | None,
    history: str,
    timezone: str,
) -> Response[Any]:
    table = Table(
        id="operation-log",
        url=url,
        columns=COLUMNS,
        rows=_rows(entries, timezone, history),
        caption=N_("操作日志"),
        next_cursor=next_cursor,
        filters=filters,
        query=query_of(request, names),
        empty_message=N_("没有符合条件的操作记录"),
    )
    return page(
        request,
        "audit/operation_log.html",
        title=_("操作日志"),
        status=422 if log.errors else 200,
        table=table,
        errors=log.errors,
    )


class OperationLogPage(Controller):
    """The tenant's own log, for tenant admins, auditors and data analysts."""

    path = "/operation-log"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def operation_log(
        self, request: Request[Any, Any, Any], operation_log_queries: OperationLogQueries
    ) -> Response[Any]:
        caller = tenant_may(request, "audit")
        timezone = signed_in_viewer(request).timezone
        log = LogQuery(dict(query_of(request, FILTERS)), timezone)
        entries: list[OperationEntry] = []
        next_cursor = None
        if not log.errors:
            found = operation_log_queries.page(
                caller.tenant_id,
                log.filter,
                cursor=request.query_params.get("cursor") or None,
                limit=DEFAULT_LIMIT,
            )
            entries, next_cursor = list(found.items), found.next_cursor
        return _log_page(
            request,
            url="/console/operation-log",
            names=FILTERS,
            filters=LOG_FILTERS,
            log=log,
            entries=entries,
            next_cursor=next_cursor,
            history="/console/history",
            timezone=timezone,
        )


class AdminOperationLogPage(Controller):
    """One tenant's log (`tenant_id`), or without it the platform's own changes."""

    path = "/admin/operation-log"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def operation_log(
        self, request: Request[Any, Any, Any], operation_log_queries: OperationLogQueries
    ) -> Response[Any]:
        staff_may(request, "history")
        timezone = signed_in_viewer(request).timezone
        log = LogQuery(dict(query_of(request, ADMIN_FILTERS)), timezone)
        entries: list[OperationEntry] = []
        next_cursor = None
        if not log.errors:
            found = operation_log_queries.page(
                log.tenant_id,
                log.filter,
                cursor=request.query_params.get("cursor") or None,
                limit=DEFAULT_LIMIT,
            )
            entries, next_cursor = list(found.items), found.next_cursor
        return _log_page(
            request,
            url="/console/admin/operation-log",
            names=ADMIN_FILTERS,
            filters=(
                Filter("tenant_id", N_("租户 ID"), placeholder=N_("留空：平台自身的变更")),
                *LOG_FILTERS,
            ),
            log=log,
            entries=entries,
            next_cursor=next_cursor,
            history="/console/admin/history",
            timezone=timezone,
        )
