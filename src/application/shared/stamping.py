"""The event mapper that stamps every stored event with the request context (AUD-1)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

from application.shared.context import current_context

METADATA_KEY = "_meta"


class StampingMapper(Mapper[UUID]):
    """Adds actor, request id and reason to the event's stored state, then transcodes,
    compresses and encrypts as usual; on the way back the metadata reappears as the
    event's `_meta` attribute, which aggregates never read."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        stamp(domain_event, tenant_id=None)
        return super().to_stored_event(domain_event)


def stamp(domain_event: Any, *, tenant_id: UUID | None) -> None:
    """Record the request context, and the tenant of the aggregate that triggered the
    event, beside the event (once: a stamped event keeps its first stamp). The tenant
    lets every follower key its rows tenant-first without loading the aggregate."""
    if METADATA_KEY not in vars(domain_event):
        metadata = {
            **current_context().metadata(),
            "tenant_id": str(tenant_id) if tenant_id else None,
        }
        # Events are frozen dataclasses; the stamp is set before they are stored once.
        object.__setattr__(domain_event, METADATA_KEY, metadata)


def metadata_of(domain_event: Any) -> dict[str, Any]:
    """The actor, request id and reason recorded with a stored event."""
    return dict(getattr(domain_event, METADATA_KEY, None) or {})


def tenant_of(domain_event: Any) -> UUID | None:
    """The tenant of the aggregate that triggered the event (None for platform records
    and for events stored before tenants were stamped)."""
    value = metadata_of(domain_event).get("tenant_id")
    return UUID(value) if value else None
