"""Routes of reading the session archive: search (ARCH-2), chats and messages, statistics
(ARCH-5) and the record of reads (ARCH-6). Every search, chat page and message read is
recorded; only the roles with archive permission read, on editions with the archive."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from litestar import Controller
from litestar.params import Parameter

from application.archive.reading import ArchiveReading
from application.archive.reading_records import (
    ArchivedMessageView,
    EmployeeStats,
    MessageHit,
    MessageInContext,
    ReadEntry,
    StatsReport,
)
from application.archive.search import MAX_CONTEXT, SearchFilter
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from domain.archive.reading import MAX_ID_LENGTH, MAX_TERMS_LENGTH
from domain.shared.access import Action
from entrypoints.http.conventions import ListOf, get, page_of, tenant_may
from entrypoints.http.tenant import Cursor, Limit

Scope = Annotated[  # `scope` is Litestar's name for the ASGI scope: the query names it
    Literal["global", "customer", "employee", "departed"],
    Parameter(
        query="scope",
        description="whose chats: everyone's, a customer's, an employee's, or departed",
    ),
]
PartyId = Annotated[str, Parameter(max_length=MAX_ID_LENGTH)]
Text = Annotated[
    str,
    Parameter(
        max_length=MAX_TERMS_LENGTH,
        description='words to find (all of them; Chinese too); "quoted words" as a phrase',
    ),
]
Context = Annotated[
    int, Parameter(ge=0, le=MAX_CONTEXT, description="messages shown before and after each")
]
Moment = Annotated[
    datetime | None,
    Parameter(description="ISO 8601; without an offset, in the tenant's timezone"),
]


class ArchiveReadingController(Controller):
    path = "/api/v1/archive"
    tags = ["archive"]

    @get(
        "/messages",
        operation_id="searchArchivedMessages",
        guards=[tenant_may("archive_messages", Action.READ)],
    )
    def search(
        self,
        archive_reading: ArchiveReading,
        caller: TenantCaller,
        whose: Scope = "global",
        customer: PartyId = "",
        employee: PartyId = "",
        q: Text = "",
        since: Moment = None,
        until: Moment = None,
        context: Context = 2,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[MessageHit]:
        """Archived messages, newest first: everyone's, one customer's (`customer`: the
        external_userid), one employee's (`employee`: the WeCom userid) or those of
        employees who left; in `since`…`until`; containing the words of `q`. Each hit
        comes with `context` messages before and after it in its chat. Recorded as a
        read (who, what, when)."""
        zone = ZoneInfo(archive_reading.timezone_of(caller.tenant_id))
        selected = SearchFilter(
            scope=whose,
            customer=customer,
            employee=employee,
            text=q,
            since=_aware(since, zone),
            until=_aware(until, zone),
        )
        page = archive_reading.search(caller, selected, cursor=cursor, limit=limit, context=context)
        return page_of(page)

    @get(
        "/messages/{msgid:str}",
        operation_id="getArchivedMessage",
        guards=[tenant_may("archive_messages", Action.READ)],
    )
    def message(
        self,
        msgid: str,
        archive_reading: ArchiveReading,
        caller: TenantCaller,
        context: Context = 5,
    ) -> MessageInContext:
        """One archived message (by the SDK's msgid) with `context` messages before and
        after it in its chat. Recorded as a read."""
        return archive_reading.message(caller, msgid, context=context)

    @get(
        "/conversations/{conversation:str}",
        operation_id="getArchivedConversation",
        guards=[tenant_may("archive_messages", Action.READ)],
    )
    def conversation(
        self,
        conversation: str,
        archive_reading: ArchiveReading,
        caller: TenantCaller,
        around: Annotated[
            str | None, Parameter(max_length=MAX_ID_LENGTH, description="start near this msgid")
        ] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> ListOf[ArchivedMessageView]:
        """A chat's messages in order, oldest first (`conversation` as messages name it:
        `pair:<a>:<b>` or `room:<roomid>`); recalled ones are marked, media are
        references. Recorded as a read."""
        page = archive_reading.conversation(
            caller, conversation, cursor=cursor, limit=limit, around=around
        )
        return page_of(page)

    @get(
        "/stats",
        operation_id="getArchiveStats",
        guards=[tenant_may("archive_reports", Action.READ)],
    )
    def stats(
        self,
        archive_reading: ArchiveReading,
        caller: TenantCaller,
        since: date | None = None,
        until: date | None = None,
    ) -> StatsReport:
        """Archive statistics per day in the tenant's timezone (`since`…`until`, both
        included; the last seven days by default): messages, one-to-one and group chats, customers
        contacted, messages by type; the range's totals and the archive's coverage of
        the corp's employees."""
        return archive_reading.report(caller, since, until)

    @get(
        "/stats/employees",
        operation_id="listArchiveEmployeeStats",
        guards=[tenant_may("archive_reports", Action.READ)],
    )
    def employee_stats(
        self,
        archive_reading: ArchiveReading,
        caller: TenantCaller,
        since: date | None = None,
        until: date | None = None,
    ) -> list[EmployeeStats]:
        """Statistics per employee, busiest first: messages sent and received, customers
        contacted and chats over the days `since`…`until` (the last seven by default)."""
        return archive_reading.employees(caller, since, until)

    @get(
        "/reads",
        operation_id="listArchiveReads",
        guards=[tenant_may("archive_messages", Action.READ)],
    )
    def reads(
        self,
        archive_reading: ArchiveReading,
        caller: TenantCaller,
        actor_id: Annotated[
            str | None, Parameter(max_length=100, description="one reader's key or employee id")
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[ReadEntry]:
        """Who read what of the archive, and when (searches with their terms and ranges,
        chats, messages), newest first."""
        return page_of(archive_reading.reads(caller, actor_id=actor_id, cursor=cursor, limit=limit))


def _aware(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zone)
