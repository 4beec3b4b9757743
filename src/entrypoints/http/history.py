"""The event history of one of the tenant's records (AUD-1)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get

from application.shared.callers import TenantCaller
from application.shared.history import HistoryEntry, RecordHistory
from domain.shared.access import Action
from entrypoints.http.conventions import tenant_may


class HistoryController(Controller):
    path = "/api/v1/history"
    tags = ["history"]

    @get(
        "/{aggregate_id:uuid}",
        operation_id="getHistory",
        guards=[tenant_may("history", Action.READ)],
        sync_to_thread=True,
    )
    def history(
        self, aggregate_id: UUID, history: RecordHistory, caller: TenantCaller
    ) -> list[HistoryEntry]:
        """Every event of a record the tenant owns: type, version, time, actor, request id,
        reason and data. Another tenant's record answers 404, and so does a lead outside
        the caller's data scope."""
        return history.seen_by(caller, aggregate_id)
