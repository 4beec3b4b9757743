"""Routes of screening and reply timeouts (ARCH-3, ARCH-4): word lists and their words,
the watched behaviours and allow-list, the reply rules (`archive_settings`), and the
alerts, their counts, the reply timeouts and per-employee reply stats
(`archive_reports`: no message text)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Response
from litestar.params import Parameter

from application.archive.alert_board import AlertQueries, CountedBy
from application.archive.reply_settings import ReplyRulesSettings
from application.archive.reply_timeouts import ReplyTimeoutQueries
from application.archive.screening_commands import (
    AddWords,
    AlertCounts,
    AlertDetails,
    ChangeReplyRules,
    ChangeScreeningRules,
    EmployeeReplyStats,
    MakeWordList,
    RemoveWords,
    ReplyRulesDetails,
    ReplyTimeoutDetails,
    ReviseWordList,
    ScreeningRulesDetails,
    WordEntry,
    WordListChange,
    WordListDetails,
)
from application.archive.screening_settings import ScreeningSettings
from application.archive.word_list_directory import WordListQueries
from application.archive.word_lists import WordLists
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT, Page
from domain.shared.access import Action
from entrypoints.http.conventions import (
    IF_MATCH,
    ListOf,
    get,
    page_of,
    patch,
    post,
    put,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit

SETTINGS = "archive_settings"
REPORTS = "archive_reports"
Day = Annotated[date | None, Parameter(description="a day in the tenant's zone (YYYY-MM-DD)")]
Text = Annotated[str | None, Parameter(max_length=200)]
Userid = Annotated[str | None, Parameter(max_length=64, description="an employee's WeCom userid")]


class ArchiveWordListController(Controller):
    path = "/api/v1/archive/word-lists"
    tags = ["archive"]
    guards = [tenant_may(SETTINGS)]
    dependencies = IF_MATCH

    @get("/", operation_id="listArchiveWordLists")
    def list_lists(
        self,
        archive_word_list_queries: WordListQueries,
        caller: TenantCaller,
        include_archived: bool = False,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[WordListDetails]:
        """The tenant's sensitive-word lists, oldest first (archived ones if asked)."""
        return page_of(
            archive_word_list_queries.lists(
                caller.tenant_id, include_archived=include_archived, cursor=cursor, limit=limit
            )
        )

    @post("/", operation_id="makeArchiveWordList", may=Action.CREATE)
    def make(
        self, data: MakeWordList, archive_word_lists: WordLists, caller: TenantCaller
    ) -> Response[WordListDetails]:
        """A new list of one category (辱骂, 违规承诺, 竞品, 敏感政治…), maybe with words.

        Words are kept folded (full-width and case do not matter), each once; at most
        10,000 words of 1–50 characters a list, 100 live lists a tenant."""
        return with_etag(archive_word_lists.make(caller.tenant_id, data), status_code=201)

    @get("/{word_list_id:uuid}", operation_id="getArchiveWordList")
    def get_list(
        self, word_list_id: UUID, archive_word_lists: WordLists, caller: TenantCaller
    ) -> Response[WordListDetails]:
        return with_etag(archive_word_lists.word_list(caller.tenant_id, word_list_id))

    @patch("/{word_list_id:uuid}", operation_id="reviseArchiveWordList")
    def revise(
        self,
        word_list_id: UUID,
        data: ReviseWordList,
        archive_word_lists: WordLists,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[WordListDetails]:
        """Rename the list or change its category (alerts raised before keep theirs)."""
        return with_etag(
            archive_word_lists.revise(
                caller.tenant_id, word_list_id, data, expected_version=expected_version
            )
        )

    @get("/{word_list_id:uuid}/words", operation_id="listArchiveWords")
    def words(
        self,
        word_list_id: UUID,
        archive_word_lists: WordLists,
        archive_word_list_queries: WordListQueries,
        caller: TenantCaller,
        q: Text = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[WordEntry]:
        """The list's words in text order; `q` only those containing it."""
        archive_word_lists.word_list(caller.tenant_id, word_list_id)  # 404 for another's
        page = archive_word_list_queries.words(
            caller.tenant_id, word_list_id, containing=q, cursor=cursor, limit=limit
        )
        return page_of(Page([WordEntry(word=word) for word in page.items], page.next_cursor))

    @post("/{word_list_id:uuid}/words", operation_id="addArchiveWords", status_code=200)
    def add_words(
        self,
        word_list_id: UUID,
        data: AddWords,
        archive_word_lists: WordLists,
        caller: TenantCaller,
    ) -> Response[WordListChange]:
        """Add words: `words` and/or `lines` (an imported text, one word a line; blank
        lines skipped). Words the list has change nothing; `changed` are the new ones.
        No If-Match: adding commutes with any other change."""
        return with_etag(archive_word_lists.add_words(caller.tenant_id, word_list_id, data))

    @post(
        "/{word_list_id:uuid}/words/remove",
        operation_id="removeArchiveWords",
        status_code=200,
        may=Action.DELETE,
    )
    def remove_words(
        self,
        word_list_id: UUID,
        data: RemoveWords,
        archive_word_lists: WordLists,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[WordListChange]:
        """Remove words; `changed` are those the list had."""
        return with_etag(
            archive_word_lists.remove_words(
                caller.tenant_id, word_list_id, data, expected_version=expected_version
            )
        )

    @post(
        "/{word_list_id:uuid}/archive",
        operation_id="archiveArchiveWordList",
        status_code=200,
        may=Action.DELETE,
    )
    def archive(
        self,
        word_list_id: UUID,
        archive_word_lists: WordLists,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[WordListDetails]:
        """Stop screening with the list; the alerts it raised and their counts stay."""
        return with_etag(
            archive_word_lists.archive_list(
                caller.tenant_id, word_list_id, expected_version=expected_version
            )
        )


class ArchiveScreeningRulesController(Controller):
    path = "/api/v1/archive"
    tags = ["archive"]
    guards = [tenant_may(SETTINGS)]
    dependencies = IF_MATCH

    @get("/screening-rules", operation_id="getArchiveScreeningRules")
    def screening_rules(
        self, archive_screening_settings: ScreeningSettings, caller: TenantCaller
    ) -> Response[ScreeningRulesDetails]:
        """The sensitive behaviours watched in employees' messages (every one until the
        tenant changes them) and the employees whose messages are not screened."""
        return with_etag(archive_screening_settings.rules(caller.tenant_id))

    @put("/screening-rules", operation_id="changeArchiveScreeningRules")
    def change_screening_rules(
        self,
        data: ChangeScreeningRules,
        archive_screening_settings: ScreeningSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[ScreeningRulesDetails]:
        """Replace the watched behaviours (mobile, email, bank_card, red_packet, file,
        link) and the allow-list (WeCom userids); messages ingested from then on are
        screened by them."""
        return with_etag(
            archive_screening_settings.change(
                caller.tenant_id, data, expected_version=expected_version
            )
        )

    @get("/reply-rules", operation_id="getArchiveReplyRules")
    def reply_rules(
        self, archive_reply_settings: ReplyRulesSettings, caller: TenantCaller
    ) -> Response[ReplyRulesDetails]:
        """Working hours per weekday (the tenant's zone), the threshold in working
        minutes, and whether group chats count (Monday–Friday 09:00–18:00, 30 minutes,
        one-to-one chats until changed)."""
        return with_etag(archive_reply_settings.rules(caller.tenant_id))

    @put("/reply-rules", operation_id="changeArchiveReplyRules")
    def change_reply_rules(
        self,
        data: ChangeReplyRules,
        archive_reply_settings: ReplyRulesSettings,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[ReplyRulesDetails]:
        """Replace the reply rules. The threshold and `enabled` apply to every record at
        once; new working hours to the answers seen from then on."""
        return with_etag(
            archive_reply_settings.change(caller.tenant_id, data, expected_version=expected_version)
        )


class ArchiveReportController(Controller):
    path = "/api/v1/archive"
    tags = ["archive"]
    guards = [tenant_may(REPORTS, Action.READ)]

    @get("/alerts", operation_id="listArchiveAlerts")
    def alerts(
        self,
        archive_alerts: AlertQueries,
        caller: TenantCaller,
        day_from: Day = None,
        day_to: Day = None,
        rule: Text = None,
        match: Text = None,
        employee: Userid = None,
        category: Text = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[AlertDetails]:
        """Alerts of sensitive words and behaviours, newest first: `rule` is "word" or a
        behaviour, `match` the word (or the masked number, address, host…)."""
        return page_of(
            archive_alerts.alerts(
                caller.tenant_id,
                day_from=day_from,
                day_to=day_to,
                rule=rule,
                match=match,
                employee=employee,
                category=category,
                cursor=cursor,
                limit=limit,
            )
        )

    @get("/alert-counts", operation_id="countArchiveAlerts")
    def alert_counts(
        self,
        archive_alerts: AlertQueries,
        caller: TenantCaller,
        by: Annotated[
            CountedBy, Parameter(description="per word, behaviour, employee or day")
        ] = "word",
        day_from: Day = None,
        day_to: Day = None,
        rule: Text = None,
        employee: Userid = None,
        category: Text = None,
    ) -> AlertCounts:
        """Alerts counted per word, behaviour, employee or day (the 200 largest)."""
        return archive_alerts.counts(
            caller.tenant_id,
            by=by,
            day_from=day_from,
            day_to=day_to,
            rule=rule,
            employee=employee,
            category=category,
        )

    @get("/reply-timeouts", operation_id="listArchiveReplyTimeouts")
    def reply_timeouts(
        self,
        archive_reply_timeouts: ReplyTimeoutQueries,
        caller: TenantCaller,
        day_from: Day = None,
        day_to: Day = None,
        employee: Userid = None,
        in_state: Annotated[
            Literal["answered", "open"] | None,
            Parameter(
                query="state", description="answered late, or still unanswered past the threshold"
            ),
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[ReplyTimeoutDetails]:
        """Customers' messages not answered in time (in working minutes), newest first;
        one still unanswered counts once it is past the threshold now."""
        return page_of(
            archive_reply_timeouts.timeouts(
                caller.tenant_id,
                day_from=day_from,
                day_to=day_to,
                employee=employee,
                answered=None if in_state is None else in_state == "answered",
                cursor=cursor,
                limit=limit,
            )
        )

    @get("/reply-stats", operation_id="listArchiveReplyStats")
    def reply_stats(
        self,
        archive_reply_timeouts: ReplyTimeoutQueries,
        caller: TenantCaller,
        day_from: Day = None,
        day_to: Day = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[EmployeeReplyStats]:
        """Per employee: customers' messages received, waits, answered, timeouts and the
        average first-reply time in working minutes."""
        return page_of(
            archive_reply_timeouts.stats(
                caller.tenant_id, day_from=day_from, day_to=day_to, cursor=cursor, limit=limit
            )
        )


CONTROLLERS = (
    ArchiveWordListController,
    ArchiveScreeningRulesController,
    ArchiveReportController,
)
