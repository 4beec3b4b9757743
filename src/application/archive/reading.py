"""Reading the archive (ARCH-2, ARCH-5, ARCH-6): searches, chats and messages for the
roles with archive permission, on editions that include the archive, each read recorded
(who, what, when) before its answer is given; statistics for those who read reports."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from application.archive.archive import Archive
from application.archive.reading_ports import (
    ARCHIVE_FEATURE,
    EditionGate,
    StaffDirectory,
    TenantCalendar,
)
from application.archive.reading_records import (
    ArchivedMessageView,
    EmployeeStats,
    MessageHit,
    MessageInContext,
    ReadEntry,
    StatsReport,
)
from application.archive.reads import ReadQueries
from application.archive.search import SearchFilter, SearchQueries
from application.archive.stats import StatsQueries
from application.shared.callers import TenantCaller
from application.shared.clock import Clock
from application.shared.errors import InvalidInput, NotFound
from application.shared.pages import Page
from domain.archive.reading import MAX_TERMS_LENGTH, ArchiveRead, ReadKind
from domain.shared.access import Action

MESSAGES_RESOURCE = "archive_messages"
REPORTS_RESOURCE = "archive_reports"
DEFAULT_DAYS = 7


class ArchiveReading:
    """The archive's read side as its readers use it."""

    def __init__(
        self,
        archive: Archive,
        search: SearchQueries,
        stats: StatsQueries,
        reads: ReadQueries,
        staff: StaffDirectory,
        edition: EditionGate,
        calendar: TenantCalendar,
        clock: Clock,
    ) -> None:
        self.archive = archive
        self.queries = search
        self.stats = stats
        self.read_log = reads
        self.staff = staff
        self.edition = edition
        self.calendar = calendar
        self.clock = clock

    def search(
        self,
        caller: TenantCaller,
        selected: SearchFilter,
        *,
        cursor: str | None = None,
        limit: int = 20,
        context: int = 2,
    ) -> Page[MessageHit]:
        """Messages matching `selected`, newest first, each with its context; recorded."""
        self._may_read(caller, MESSAGES_RESOURCE)
        if len(selected.text) > MAX_TERMS_LENGTH:
            raise InvalidInput(f"the text is longer than {MAX_TERMS_LENGTH}", field="text")
        departed: list[str] = []
        if selected.scope == "departed":
            members = self.staff.members(caller.tenant_id)
            departed = [userid for userid, member in members.items() if member.left]
        page = self.queries.search(
            caller.tenant_id,
            selected,
            departed=departed,
            cursor=cursor,
            limit=limit,
            context=context,
        )
        shown = sum(1 + len(hit.before) + len(hit.after) for hit in page.items)
        self._record(
            caller,
            kind=ReadKind.SEARCH,
            scope=selected.scope,
            customer=selected.customer if selected.scope == "customer" else "",
            employee=selected.employee if selected.scope == "employee" else "",
            terms=selected.text.strip(),
            since=selected.since,
            until=selected.until,
            shown=shown,
        )
        return page

    def conversation(
        self,
        caller: TenantCaller,
        conversation: str,
        *,
        cursor: str | None = None,
        limit: int = 50,
        around: str | None = None,
    ) -> Page[ArchivedMessageView]:
        """A chat's messages in order (from `around` a message, when given); recorded.
        A chat with no message of the caller's tenant is not found (another tenant's
        answers 404 whatever the caller's edition)."""
        page = self.queries.conversation(
            caller.tenant_id, conversation, cursor=cursor, limit=limit, around=around
        )
        if not page.items and cursor is None:
            raise NotFound(f"no archived chat {conversation}")
        self._may_read(caller, MESSAGES_RESOURCE)
        self._record(
            caller,
            kind=ReadKind.CONVERSATION,
            conversation=conversation,
            message=around or "",
            shown=len(page.items),
        )
        return page

    def message(self, caller: TenantCaller, msgid: str, *, context: int = 5) -> MessageInContext:
        """One message with the messages around it; recorded."""
        self._may_read(caller, MESSAGES_RESOURCE)
        found = self.queries.message(caller.tenant_id, msgid, context=context)
        self._record(
            caller,
            kind=ReadKind.MESSAGE,
            conversation=found.message.conversation,
            message=msgid,
            shown=1 + len(found.before) + len(found.after),
        )
        return found

    def reads(
        self,
        caller: TenantCaller,
        *,
        actor_id: str | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[ReadEntry]:
        """Who read what of the archive, when, newest first. Kept readable on any edition:
        the record of past reads stays auditable after the archive is gone."""
        caller.require(MESSAGES_RESOURCE, Action.READ)
        return self.read_log.reads(caller.tenant_id, actor_id=actor_id, cursor=cursor, limit=limit)

    def report(
        self, caller: TenantCaller, since: date | None = None, until: date | None = None
    ) -> StatsReport:
        """Per-day statistics in the tenant's zone, totals and coverage (no message text);
        by default the last seven days, today included."""
        self._may_read(caller, REPORTS_RESOURCE)
        zone = self.calendar.timezone_of(caller.tenant_id)
        since, until = self._range(zone, since, until)
        return self.stats.report(
            caller.tenant_id,
            since,
            until,
            timezone=zone,
            staff=self.staff.members(caller.tenant_id),
        )

    def employees(
        self, caller: TenantCaller, since: date | None = None, until: date | None = None
    ) -> list[EmployeeStats]:
        """Per-employee messages sent and received, customers contacted, chats."""
        self._may_read(caller, REPORTS_RESOURCE)
        zone = self.calendar.timezone_of(caller.tenant_id)
        since, until = self._range(zone, since, until)
        return self.stats.employees_between(
            caller.tenant_id,
            since,
            until,
            timezone=zone,
            staff=self.staff.members(caller.tenant_id),
        )

    def today(self, tenant_id: UUID) -> date:
        """Today in the tenant's zone."""
        return self.clock.now().astimezone(ZoneInfo(self.calendar.timezone_of(tenant_id))).date()

    def timezone_of(self, tenant_id: UUID) -> str:
        return self.calendar.timezone_of(tenant_id)

    def _range(self, zone: str, since: date | None, until: date | None) -> tuple[date, date]:
        today = self.clock.now().astimezone(ZoneInfo(zone)).date()
        until = until or today
        return since or until - timedelta(days=DEFAULT_DAYS - 1), until

    def _may_read(self, caller: TenantCaller, resource: str) -> None:
        caller.require(resource, Action.READ)
        self.edition.require_feature(caller.tenant_id, ARCHIVE_FEATURE)

    def _record(self, caller: TenantCaller, **what: object) -> None:
        """Store the read before the answer leaves (a read that cannot be recorded is
        not given)."""
        read = ArchiveRead.record(
            read_id=self.archive.new_id("archive-read"),
            tenant_id=caller.tenant_id,
            **what,  # type: ignore[arg-type]
        )
        self.archive.commit(read)
