"""Who is acting and why: the request context every stored event is stamped with (AUD-1).

Entrypoints set it once per request or CLI command; the event mapper reads it where
events are recorded, so no command method has to thread actor or request id through.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from enum import StrEnum
from uuid import UUID


class ActorKind(StrEnum):
    API_KEY = "api_key"
    EMPLOYEE = "employee"  # signed in to the console
    STAFF = "staff"
    SYSTEM = "system"
    VISITOR = "visitor"


@dataclass(frozen=True)
class Actor:
    """Who caused a change: an API key, a staff member, the system itself or a public visitor."""

    kind: ActorKind
    id: str
    tenant_id: UUID | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "kind": self.kind.value,
            "id": self.id,
            "tenant_id": str(self.tenant_id) if self.tenant_id else None,
        }


SYSTEM = Actor(ActorKind.SYSTEM, "system")


@dataclass(frozen=True)
class RequestContext:
    """The acting party, the request id, an optional reason, and whether to wait for views."""

    actor: Actor = SYSTEM
    request_id: str = ""
    reason: str | None = None
    read_your_writes: bool = False
    idempotency_key: str | None = None

    def metadata(self) -> dict[str, object]:
        """What is stored beside every event recorded in this context."""
        return {"actor": self.actor.as_dict(), "request_id": self.request_id, "reason": self.reason}


_current: ContextVar[RequestContext | None] = ContextVar("huoke_request_context", default=None)


def current_context() -> RequestContext:
    """The context of the running request; outside any, the system acts with a fresh request id."""
    context = _current.get()
    if context is None:
        context = RequestContext(request_id=f"system-{uuid.uuid4()}")
    return context


@contextlib.contextmanager
def acting(context: RequestContext) -> Iterator[RequestContext]:
    """Run a block as `context` (a request, a CLI command, a background job)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


@contextlib.contextmanager
def because(reason: str) -> Iterator[RequestContext]:
    """Record `reason` on the events of the block, keeping actor and request id."""
    with acting(replace(current_context(), reason=reason)) as context:
        yield context
