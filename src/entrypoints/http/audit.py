"""Routes of the operation log (AUD-4): configuration changes, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.di import Provide
from litestar.params import Parameter

from application.audit.operation_log import LogFilter, OperationEntry, OperationLogQueries
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
from entrypoints.http.conventions import ListOf, page_of, staff_may, tenant_may
from entrypoints.http.tenant import Cursor, Limit

Topic = Annotated[
    str | None,
    Parameter(
        description="an event topic or its prefix, e.g. `leads.LeadSettings`", max_length=100
    ),
]
Actor = Annotated[str | None, Parameter(description="the API key or staff id", max_length=100)]


def log_filter_from_query(
    record_id: UUID | None = None,
    actor_id: Actor = None,
    topic: Topic = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> LogFilter:
    """The log's filters from the query string (both routes take the same)."""
    return LogFilter(record_id, actor_id, topic, since, until)


class OperationLogController(Controller):
    path = "/api/v1/operation-log"
    tags = ["audit"]
    dependencies = {"log_filter": Provide(log_filter_from_query, sync_to_thread=False)}

    @get(
        "/",
        operation_id="listOperationLog",
        guards=[tenant_may("audit", Action.READ)],
        sync_to_thread=True,
    )
    def operation_log(
        self,
        operation_log_queries: OperationLogQueries,
        caller: TenantCaller,
        log_filter: LogFilter,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[OperationEntry]:
        """Who changed which configuration of this tenant (plans, roles, API keys, tags,
        fields, sources, settings), when and why, newest first; for tenant admins,
        auditors and data analysts."""
        page = operation_log_queries.page(caller.tenant_id, log_filter, cursor=cursor, limit=limit)
        return page_of(page)


class AdminOperationLogController(Controller):
    path = "/api/v1/admin/operation-log"
    tags = ["admin", "audit"]
    dependencies = {"log_filter": Provide(log_filter_from_query, sync_to_thread=False)}

    @get(
        "/",
        operation_id="adminListOperationLog",
        guards=[staff_may("history", Action.READ)],
        sync_to_thread=True,
    )
    def operation_log(
        self,
        operation_log_queries: OperationLogQueries,
        log_filter: LogFilter,
        tenant_id: UUID | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[OperationEntry]:
        """One tenant's configuration changes (`tenant_id`), or without it the platform's
        own (staff accounts), newest first."""
        return page_of(
            operation_log_queries.page(tenant_id, log_filter, cursor=cursor, limit=limit)
        )
