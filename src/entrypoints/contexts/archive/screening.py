"""Archive part: screening and reply timeouts (ARCH-3, ARCH-4) — word lists, watched
behaviours and the allow-list, the screen ingestion asks (`archive_screen`, the
`MessageScreen` of application/archive/messages.py), the alert board, the reply rules
and the reply-wait follower, their routes and console pages."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from adapters.archive.automaton import AhoCorasickBuilder
from application.archive.alert_board import AlertBoard, AlertQueries
from application.archive.reply_settings import ReplyRulesSettings
from application.archive.reply_timeouts import ReplyTimeoutQueries, ReplyWaits
from application.archive.screening import Screening
from application.archive.screening_settings import ScreeningSettings
from application.archive.word_list_directory import WordListDirectory, WordListQueries
from application.archive.word_lists import WordLists
from application.archive.zones import Zones
from entrypoints.contexts.parts import Part
from entrypoints.http.archive_screening import CONTROLLERS
from entrypoints.web.archive import screening_pages

SCREENING_EVENTS = {
    "archive.WordList.Made": "新建敏感词库 · word list made",
    "archive.WordList.Renamed": "敏感词库改名 · word list renamed",
    "archive.WordList.WordsAdded": "添加敏感词 · sensitive words added",
    "archive.WordList.WordsRemoved": "删除敏感词 · sensitive words removed",
    "archive.WordList.Archived": "停用敏感词库 · word list archived",
    "archive.ScreeningRules.Changed": "修改敏感行为与白名单 · screening rules changed",
    "archive.ReplyRules.Changed": "修改回复超时设置 · reply rules changed",
}


def _providers(
    c: containers.DynamicContainer, archive: providers.Provider[Any]
) -> dict[str, providers.Provider[Any]]:
    zones = providers.Singleton(Zones, c.tenancy)
    word_lists = providers.Singleton(WordListQueries, c.archive_word_list_view)
    return {
        "archive_zones": zones,
        "archive_word_list_queries": word_lists,
        "archive_word_lists": providers.Singleton(WordLists, archive, word_lists),
        "archive_screening_settings": providers.Singleton(ScreeningSettings, archive),
        "archive_reply_settings": providers.Singleton(ReplyRulesSettings, archive, zones),
        # What ingestion asks for a batch's alerts (MessageScreen).
        "archive_screen": providers.Singleton(
            Screening, word_lists, providers.Singleton(AhoCorasickBuilder)
        ),
        "archive_alerts": providers.Singleton(AlertQueries, c.archive_alert_view, zones),
        "archive_reply_timeouts": providers.Singleton(
            ReplyTimeoutQueries, c.archive_reply_view, zones, c.clock
        ),
        # The followers that count by the tenant's days and working hours.
        AlertBoard.name: providers.Factory(AlertBoard, zones=zones),
        ReplyWaits.name: providers.Factory(ReplyWaits, zones=zones),
    }


PART = Part(
    providers=_providers,
    followers=(WordListDirectory, AlertBoard, ReplyWaits),
    views={
        "archive_word_list_view": WordListDirectory,
        "archive_alert_view": AlertBoard,
        "archive_reply_view": ReplyWaits,
    },
    controllers=CONTROLLERS,
    dependencies=(
        "archive_word_list_queries",
        "archive_word_lists",
        "archive_screening_settings",
        "archive_reply_settings",
        "archive_alerts",
        "archive_reply_timeouts",
    ),
    configuration_events=SCREENING_EVENTS,
    console=screening_pages.PAGES,
    console_nav=screening_pages.NAV,
)
