"""The lead list's filters as the console's query string carries them: the same
`LeadFilter` the API's `lead_filter` dependency builds, shared by the list, the export
and the bulk actions (days are the viewer's days, in their time zone)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from application.leads.queries import LeadFilter, SortKey
from application.leads.settings import LeadSettingsDetails
from application.shared.errors import InvalidInput
from entrypoints.web.i18n import gettext as _
from entrypoints.web.leads.lead_support import POOL_STATES
from entrypoints.web.tables import Filter, Option

FILTER_NAMES = (
    "q",
    "status",
    "pool_state",
    "source_level1",
    "tag",
    "owner_id",
    "user_type",
    "created_from",
    "created_to",
)
QUERY_NAMES = (*FILTER_NAMES, "sort", "cursor", "saved_search_id")
SORT_KEYS: tuple[SortKey, ...] = ("created_at", "updated_at")
MAX_TEXT = 100


def lead_filter_of(query: Mapping[str, str], timezone: str) -> LeadFilter:
    """The filter a list URL asks for; a value that cannot be one is `InvalidInput`."""

    def text(name: str) -> str | None:
        value = (query.get(name) or "").strip()
        if len(value) > MAX_TEXT:
            raise InvalidInput(_("最多 {n} 个字符").format(n=MAX_TEXT), field=name)
        return value or None

    owner = text("owner_id")
    try:
        owner_id = UUID(owner) if owner else None
    except ValueError:
        raise InvalidInput(_("请选择一项"), field="owner_id") from None
    return LeadFilter(
        q=text("q"),
        tag=text("tag"),
        owner_id=owner_id,
        status=text("status"),
        pool_state=text("pool_state"),
        source_level1=text("source_level1"),
        user_type=text("user_type"),
        created_from=_day_start(text("created_from"), timezone, "created_from"),
        created_to=_day_end(text("created_to"), timezone, "created_to"),
    )


def saved_search_of(query: Mapping[str, str]) -> UUID | None:
    """The saved search (常用搜索) a list URL names; it then replaces the other filters."""
    value = (query.get("saved_search_id") or "").strip()
    if not value:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise InvalidInput(_("请选择一项"), field="saved_search_id") from None


def sort_of(query: Mapping[str, str]) -> SortKey:
    """The list is always newest first; `sort` names the moment (created or updated)."""
    wanted = (query.get("sort") or "").lstrip("-")
    return next((key for key in SORT_KEYS if key == wanted), "created_at")


def _day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("请输入日期（年-月-日）"), field=field) from None


def _day_start(value: str | None, timezone: str, field: str) -> datetime | None:
    day = _day(value, field)
    return datetime.combine(day, time.min, ZoneInfo(timezone)) if day else None


def _day_end(value: str | None, timezone: str, field: str) -> datetime | None:
    # "Created up to 3 May" includes 3 May: the bound is the start of the next day.
    day = _day(value, field)
    return datetime.combine(day + timedelta(days=1), time.min, ZoneInfo(timezone)) if day else None


def list_filters(settings: LeadSettingsDetails, employees: list[tuple[str, str]]) -> list[Filter]:
    """The filter controls above the list, with the tenant's own choices."""
    filters = [
        Filter("q", label="搜索", kind="search", placeholder="姓名、公司、手机号或邮箱"),
        Filter(
            "status",
            label="状态",
            kind="select",
            options=tuple(Option(s.key, s.name) for s in settings.statuses),
        ),
        Filter(
            "pool_state",
            label="公海状态",
            kind="select",
            options=tuple(Option(key, label) for key, label in POOL_STATES.items()),
        ),
    ]
    if settings.sources:
        filters.append(
            Filter(
                "source_level1",
                label="来源",
                kind="select",
                options=tuple(Option(s.level1, s.level1) for s in settings.sources),
            )
        )
    else:
        filters.append(Filter("source_level1", label="来源"))
    tags = [tag.name for group in settings.tag_groups for tag in group.tags]
    if tags:
        filters.append(
            Filter("tag", label="标签", kind="select", options=tuple(Option(t, t) for t in tags))
        )
    else:
        filters.append(Filter("tag", label="标签"))
    filters.append(
        Filter(
            "owner_id",
            label="负责人",
            kind="select",
            options=tuple(Option(value, name) for value, name in employees),
        )
    )
    if settings.user_types:
        filters.append(
            Filter(
                "user_type",
                label="用户类型",
                kind="select",
                options=(
                    Option("person", "个人"),
                    *(Option(t.key, t.name) for t in settings.user_types),
                ),
            )
        )
    filters += [
        Filter("created_from", label="创建日期从", kind="date"),
        Filter("created_to", label="创建日期至", kind="date"),
    ]
    return filters
