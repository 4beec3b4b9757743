"""A tenancy record's detail page: the record as its template shows it, with the record's
history below it (frame/history.html) when the viewer's roles may read history."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request
from litestar.response import Template

from application.shared.callers import StaffCaller, TenantCaller
from application.shared.history import RecordHistory
from entrypoints.web.pages import history_for, page


def record_page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    title: str,
    record_id: UUID,
    caller: TenantCaller | StaffCaller,
    history: RecordHistory,
    **context: Any,
) -> Template:
    """The page of the record `record_id`, with its history as `caller` may see it."""
    return page(
        request,
        template,
        title=title,
        history=history_for(history, caller, record_id),
        **context,
    )
