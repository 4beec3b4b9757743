"""A read of the session archive (ARCH-6): every search, conversation and message an
auditor opens is itself recorded — what was asked for, and how much it showed. Who read
it and when are the stamp every stored event carries (actor, request id, time)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue

MAX_TERMS_LENGTH = 200
MAX_ID_LENGTH = 200


class ReadKind(StrEnum):
    SEARCH = "search"  # a page of search results (with their context)
    CONVERSATION = "conversation"  # a page of one chat
    MESSAGE = "message"  # one message with the messages around it


class SearchScope(StrEnum):
    GLOBAL = "global"
    CUSTOMER = "customer"  # one customer's chats
    EMPLOYEE = "employee"  # one employee's chats
    DEPARTED = "departed"  # the chats of employees who left


class ArchiveRead(Aggregate):
    """One read of archived messages; recorded once, never changed."""

    TOPIC = "archive.ArchiveRead"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:
        Recorded: ClassVar[type[AggregateEvent]]

    @classmethod
    def record(
        cls,
        *,
        read_id: UUID,
        tenant_id: UUID,
        kind: str,
        scope: str = "",
        customer: str = "",
        employee: str = "",
        conversation: str = "",
        message: str = "",
        terms: str = "",
        since: datetime | None = None,
        until: datetime | None = None,
        shown: int = 0,
    ) -> ArchiveRead:
        """Record a read: its kind, what it asked for and how many messages it showed."""
        kind = _one_of(kind, ReadKind, field="kind")
        scope = _one_of(scope, SearchScope, field="scope") if scope else ""
        if kind == ReadKind.SEARCH and not scope:
            raise InvalidValue("a search names its scope", field="scope")
        if kind == ReadKind.CONVERSATION and not conversation:
            raise InvalidValue("a conversation read names the conversation", field="conversation")
        if kind == ReadKind.MESSAGE and not message:
            raise InvalidValue("a message read names the message", field="message")
        for name, value in (
            ("customer", customer),
            ("employee", employee),
            ("conversation", conversation),
            ("message", message),
        ):
            if len(value) > MAX_ID_LENGTH:
                raise InvalidValue(f"{name} is longer than {MAX_ID_LENGTH}", field=name)
        if len(terms) > MAX_TERMS_LENGTH:
            raise InvalidValue(f"terms are longer than {MAX_TERMS_LENGTH}", field="terms")
        if since is not None and until is not None and until < since:
            raise InvalidValue("the time range ends before it starts", field="until")
        if shown < 0:
            raise InvalidValue("a read shows no fewer than 0 messages", field="shown")
        return cls(
            id=read_id,
            tenant_id=tenant_id,
            kind=kind,
            scope=scope,
            customer=customer,
            employee=employee,
            conversation=conversation,
            message=message,
            terms=terms,
            since=since,
            until=until,
            shown=shown,
        )

    @event("Recorded", topic="archive.ArchiveRead.Recorded")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        kind: str,
        scope: str,
        customer: str,
        employee: str,
        conversation: str,
        message: str,
        terms: str,
        since: datetime | None,
        until: datetime | None,
        shown: int,
    ) -> None:
        self.tenant_id = tenant_id
        self.kind = kind
        self.scope = scope
        self.customer = customer
        self.employee = employee
        self.conversation = conversation
        self.message = message
        self.terms = terms
        self.since = since
        self.until = until
        self.shown = shown


def _one_of(value: str, choices: type[StrEnum], *, field: str) -> str:
    known = [choice.value for choice in choices]
    if value not in known:
        raise InvalidValue(f"{field} must be one of {', '.join(known)}", field=field)
    return value
