"""A department's or employee's history on its page: the events the API's history route
answers (AUD-1), for callers whose roles may read history."""

from __future__ import annotations

from uuid import UUID

from application.shared.callers import TenantCaller
from application.shared.history import HistoryEntry, RecordHistory
from domain.shared.access import Action


def history_of(
    history: RecordHistory, caller: TenantCaller, aggregate_id: UUID
) -> list[HistoryEntry] | None:
    """The record's events, oldest first (frame/history.html shows the newest first);
    None when the caller's roles may not read history."""
    if not caller.may("history", Action.READ):
        return None
    return history.seen_by(caller, aggregate_id)
