"""The event history of any record, across every context (AUD-1, AUD-2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic
from pydantic import BaseModel

from application.shared.errors import NotFound
from application.shared.event_sourced import EventSourcedContext
from application.shared.stamping import METADATA_KEY, metadata_of

_HIDDEN_SUFFIXES = ("_hash",)
_BOOKKEEPING = {
    "originator_id",
    "originator_version",
    "timestamp",
    "originator_topic",
    METADATA_KEY,
}


class HistoryEntry(BaseModel):
    type: str
    version: int
    timestamp: datetime
    actor: dict[str, Any] | None
    request_id: str | None
    reason: str | None
    data: dict[str, Any]


class RecordHistory:
    """Finds a record in whichever context stores it and lists its events."""

    def __init__(self, contexts: Sequence[EventSourcedContext]) -> None:
        self.contexts = contexts

    def of(self, aggregate_id: UUID, *, tenant_id: UUID | None) -> list[HistoryEntry]:
        """Every event of the record, oldest first. With `tenant_id`, a record the tenant
        does not own answers `NotFound` (staff pass None and see any record)."""
        for context in self.contexts:
            events = context.history(aggregate_id)
            if events:
                if tenant_id is not None and _owner(events[0]) != tenant_id:
                    break
                return [_entry(event) for event in events]
        raise NotFound(f"no record {aggregate_id}")


def _owner(first_event: Any) -> UUID | None:
    if hasattr(first_event, "tenant_id"):
        return first_event.tenant_id  # type: ignore[no-any-return]
    if first_event.originator_topic == "tenancy.Tenant":
        return first_event.originator_id  # type: ignore[no-any-return]
    return None


def _entry(event: Any) -> HistoryEntry:
    meta = metadata_of(event)
    data = {
        key: "[redacted]" if key.endswith(_HIDDEN_SUFFIXES) else value
        for key, value in vars(event).items()
        if key not in _BOOKKEEPING
    }
    return HistoryEntry(
        type=get_topic(type(event)),
        version=event.originator_version,
        timestamp=event.timestamp,
        actor=meta.get("actor"),
        request_id=meta.get("request_id"),
        reason=meta.get("reason"),
        data=data,
    )
