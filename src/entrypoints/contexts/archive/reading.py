"""The archive's reading part: the search index and statistics read models over the
behaviour log's archived messages (ARCH-2, ARCH-5), the record of reads (ARCH-6), their
routes and console pages. The corp's staff are the WeCom contacts the sync found (the
organisation's employees for a tenant never synced); the edition gate is billing's quota
service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers

from adapters.archive.staff_from_org import OrgEmployeesAsStaff
from adapters.archive.staff_from_wecom import WecomMembersAsStaff
from application.archive.reading import ArchiveReading
from application.archive.reads import ReadLog, ReadQueries
from application.archive.search import SearchQueries
from application.archive.search_index import SearchIndex
from application.archive.stats import ArchiveStats, StatsQueries
from entrypoints.contexts.parts import Part
from entrypoints.http.archive_reading import ArchiveReadingController
from entrypoints.web.archive import reading_pages

READ_EVENTS = {"archive.ArchiveRead.Recorded": "查阅会话存档 · archive read"}


def _edition_gate(billing: Any) -> Any:
    """Billing's plan quotas answer `require_feature` (TEN-3)."""
    return billing.quotas


def _providers(
    c: containers.DynamicContainer, archive: providers.Provider[Any]
) -> Mapping[str, providers.Provider[Any]]:
    staff = providers.Singleton(
        WecomMembersAsStaff,
        c.wecom_members,
        providers.Singleton(OrgEmployeesAsStaff, c.org_queries),
    )
    return {
        "archive_staff": staff,
        "archive_reading": providers.Singleton(
            ArchiveReading,
            archive,
            providers.Singleton(SearchQueries, c.archive_search_view),
            providers.Singleton(StatsQueries, c.archive_stats_view),
            providers.Singleton(ReadQueries, c.archive_read_view),
            staff,
            providers.Singleton(_edition_gate, c.billing),
            c.tenancy,
            c.clock,
        ),
    }


PART = Part(
    providers=_providers,
    followers=(SearchIndex, ArchiveStats, ReadLog),
    views={
        "archive_search_view": SearchIndex,
        "archive_stats_view": ArchiveStats,
        "archive_read_view": ReadLog,
    },
    controllers=(ArchiveReadingController,),
    dependencies=("archive_reading", "archive_staff"),
    configuration_events=READ_EVENTS,
    console=reading_pages.PAGES,
    console_nav=reading_pages.NAV,
)
