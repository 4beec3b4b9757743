"""A record's history (审计, AUD-1/AUD-2): every event with its type in words, time in
the viewer's zone, actor, request id, reason and changed fields. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get

from application.shared.history import HistoryEntry, RecordHistory
from entrypoints.web.audit.audit_words import Change, changes
from entrypoints.web.i18n import actor_label
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import page, staff_may, tenant_may


@dataclass(frozen=True)
class HistoryLine:
    """One event as the history table shows it."""

    topic: str
    version: int
    timestamp: datetime
    actor: str
    request_id: str
    reason: str
    changes: list[Change]


def lines(entries: list[HistoryEntry]) -> list[HistoryLine]:
    """The events newest first (what changed last is what an auditor looks for first)."""
    return [
        HistoryLine(
            topic=entry.type,
            version=entry.version,
            timestamp=entry.timestamp,
            actor=actor_label(entry.actor),
            request_id=entry.request_id or "—",
            reason=entry.reason or "—",
            changes=changes(entry.data),
        )
        for entry in reversed(entries)
    ]


def _history_page(
    request: Request[Any, Any, Any],
    aggregate_id: UUID,
    entries: list[HistoryEntry],
    log_path: str | None,
) -> Response[Any]:
    return page(
        request,
        "audit/history.html",
        title=_("记录历史"),
        aggregate_id=aggregate_id,
        lines=lines(entries),
        log_path=log_path,
    )


class HistoryPage(Controller):
    """The history of one of the tenant's records, for roles that may read history."""

    path = "/history"
    include_in_schema = False

    @get("/{aggregate_id:uuid}", sync_to_thread=True)
    def history(
        self, request: Request[Any, Any, Any], aggregate_id: UUID, history: RecordHistory
    ) -> Response[Any]:
        # The API's call with its screening: another tenant's record, or a lead outside
        # the caller's data scope, is NotFound (the 404 page).
        caller = tenant_may(request, "history")
        entries = history.seen_by(caller, aggregate_id)
        log_path = f"/console/operation-log?record_id={aggregate_id}"
        return _history_page(request, aggregate_id, entries, log_path)


class AdminHistoryPage(Controller):
    """The history of any record, for staff who may read history."""

    path = "/admin/history"
    include_in_schema = False

    @get("/{aggregate_id:uuid}", sync_to_thread=True)
    def history(
        self, request: Request[Any, Any, Any], aggregate_id: UUID, history: RecordHistory
    ) -> Response[Any]:
        staff_may(request, "history")
        entries = history.of(aggregate_id, tenant_id=None)
        # The staff log lists one tenant at a time; the record's tenant is not known here.
        return _history_page(request, aggregate_id, entries, None)
