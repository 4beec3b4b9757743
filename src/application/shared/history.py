"""The event history of any record, across every context (AUD-1, AUD-2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.utils import get_topic
from pydantic import BaseModel

from application.shared.callers import TenantCaller
from application.shared.errors import NotFound
from application.shared.event_sourced import EventSourcedContext
from application.shared.stamping import METADATA_KEY, metadata_of

_HIDDEN_SUFFIXES = ("_hash", "_secret", "_token", "_aes_key")  # keys stay unseen
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


@runtime_checkable
class HistoryScreen(Protocol):
    """A context whose records are not all visible to every caller of their tenant
    (e.g. leads outside a sales key's data scope, ORG-2) says which ones are."""

    def may_see_history(self, caller: TenantCaller, aggregate_id: UUID) -> bool:
        """Whether `caller`, of the record's tenant, may read this record's events."""
        ...


class RecordHistory:
    """Finds a record in whichever context stores it and lists its events."""

    def __init__(self, contexts: Sequence[EventSourcedContext]) -> None:
        self.contexts = contexts

    def of(self, aggregate_id: UUID, *, tenant_id: UUID | None) -> list[HistoryEntry]:
        """Every event of the record, oldest first, for a reader of the whole tenant (or,
        with `tenant_id` None, staff, who see any record); a record the tenant does not
        own answers `NotFound`. A tenant's caller goes through `seen_by`."""
        return self._events(aggregate_id, tenant_id, None)

    def seen_by(self, caller: TenantCaller, aggregate_id: UUID) -> list[HistoryEntry]:
        """Every event of a record of the caller's tenant, oldest first, unless the
        record's context screens it from the caller (a lead outside a sales key's data
        scope): then, as for another tenant's record, `NotFound`."""
        return self._events(aggregate_id, caller.tenant_id, caller)

    def _events(
        self, aggregate_id: UUID, tenant_id: UUID | None, caller: TenantCaller | None
    ) -> list[HistoryEntry]:
        for context in self.contexts:
            events = context.history(aggregate_id)
            if events:
                if tenant_id is not None and _owner(events[0]) != tenant_id:
                    break
                if (
                    caller is not None
                    and isinstance(context, HistoryScreen)
                    and not context.may_see_history(caller, aggregate_id)
                ):
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
