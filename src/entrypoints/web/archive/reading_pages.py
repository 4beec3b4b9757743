"""Console pages of reading the archive (审计 · 会话存档): 会话检索 (search by customer,
employee, everyone or departed employees, a day range in the tenant's zone and words,
each hit in its context with the words marked), 会话详情 (one chat in order), 存档统计
(days, types, employees, coverage) and 查阅记录 (who read what, when). Every search,
chat and message shown is recorded by the same use cases the API calls."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from markupsafe import Markup, escape

from application.archive.reading import ArchiveReading
from application.archive.reading_ports import StaffDirectory, StaffMember
from application.archive.reading_records import ArchivedMessageView, ReadEntry
from application.archive.search import SearchFilter
from application.shared.errors import InvalidInput
from application.shared.pages import DEFAULT_LIMIT
from domain.tenancy.subscription import SubscriptionInactive
from entrypoints.web.charts import Bar, bar_chart
from entrypoints.web.i18n import N_, actor_label, local_time
from entrypoints.web.i18n import gettext as _
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import page, query_of, signed_in_viewer, tenant_may
from entrypoints.web.tables import Cell, Column, Filter, Row, Table

BASE = "/console/archive"
SEARCH_FIELDS = ("scope", "customer", "employee", "q", "since", "until", "cursor")
SCOPES = {
    "global": N_("全部会话"),
    "customer": N_("按客户"),
    "employee": N_("按员工"),
    "departed": N_("离职员工"),
}
MESSAGE_TYPES = {
    "text": N_("文本"),
    "image": N_("图片"),
    "voice": N_("语音"),
    "video": N_("视频"),
    "file": N_("文件"),
    "link": N_("链接"),
    "redpacket": N_("红包"),
    "emotion": N_("表情"),
    "location": N_("位置"),
    "weapp": N_("小程序"),
    "card": N_("名片"),
    "revoke": N_("撤回"),
    "mixed": N_("混合消息"),
}
READ_KINDS = {"search": N_("检索"), "conversation": N_("查看会话"), "message": N_("查看消息")}
DATE_ERROR = N_("日期格式应为 YYYY-MM-DD")


@dataclass(frozen=True)
class Shown:
    """A message as a page shows it."""

    message: ArchivedMessageView
    sender: str
    kind: str
    body: Markup
    hit: bool = False


class Speakers:
    """Who a userid is (the corp's staff) and how a customer is shown."""

    def __init__(self, staff: Mapping[str, StaffMember]) -> None:
        self.staff = staff

    def name(self, party: str) -> str:
        if not party:
            return "—"
        member = self.staff.get(party)
        if member is not None:
            suffix = _("（已离职）") if member.left else ""
            return f"{member.name}{suffix}"
        if party.startswith(("wm", "wo")):
            return _("客户 {id}").format(id=party)
        return party


def shown(
    message: ArchivedMessageView, speakers: Speakers, terms: Sequence[str] = (), hit: bool = False
) -> Shown:
    return Shown(
        message=message,
        sender=speakers.name(message.sender),
        kind=_(MESSAGE_TYPES.get(message.msgtype, message.msgtype)),
        body=_body(message, terms),
        hit=hit,
    )


def _body(message: ArchivedMessageView, terms: Sequence[str]) -> Markup:
    """The message's words with the terms marked; media as their reference."""
    if message.msgtype == "revoke":
        return Markup(escape(_("撤回了一条消息")))
    text = highlighted(message.text, terms) if message.text else Markup("")
    media = message.media
    if media is not None:
        size = _("{n} 字节").format(n=f"{media.size:,}") if media.size is not None else ""
        described = " · ".join(p for p in (media.file_name, size) if p)
        reference = Markup('<span class="muted">{}</span> <code>{}</code>').format(
            described, media.sdkfileid[:24] + ("…" if len(media.sdkfileid) > 24 else "")
        )
        return Markup("{} {}").format(text, reference) if message.text else reference
    if message.msgtype == "link" and message.content.get("link_url"):
        return Markup("{} <code>{}</code>").format(text, message.content["link_url"])
    return text or Markup(escape("—"))


def highlighted(text: str, terms: Sequence[str]) -> Markup:
    """`text` escaped, each occurrence of a term in <mark> (case-insensitive)."""
    wanted = [t for t in terms if t]
    if not wanted:
        return Markup(escape(text))
    pattern = re.compile(
        "|".join(re.escape(t) for t in sorted(wanted, key=len, reverse=True)), re.I
    )
    parts, last = [], 0
    for found in pattern.finditer(text):
        parts.append(escape(text[last : found.start()]))
        parts.append(Markup("<mark>{}</mark>").format(found.group(0)))
        last = found.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def conversation_url(conversation: str, around: str | None = None) -> str:
    url = f"{BASE}/conversations/{quote(conversation, safe=':')}"
    return f"{url}?{urlencode({'around': around})}#m-{around}" if around else url


def _day(value: str, errors: dict[str, str], name: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        errors[name] = _(DATE_ERROR)
        return None


def _start_of(day: date | None, zone: ZoneInfo) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=zone) if day else None


class ArchiveReadingPages(Controller):
    path = "/archive"
    include_in_schema = False

    @get("/search", sync_to_thread=True)
    def search(
        self,
        request: Request[Any, Any, Any],
        archive_reading: ArchiveReading,
        archive_staff: StaffDirectory,
    ) -> Response[Any]:
        caller = tenant_may(request, "archive_messages")
        timezone = signed_in_viewer(request).timezone
        zone = ZoneInfo(timezone)
        query = dict(query_of(request, SEARCH_FIELDS))
        errors: dict[str, str] = {}
        since = _day(query["since"], errors, "since")
        until = _day(query["until"], errors, "until")
        hits, next_url, searched = [], None, "scope" in request.query_params
        if searched and not errors:
            selected = SearchFilter(
                scope=query["scope"] or "global",
                customer=query["customer"],
                employee=query["employee"],
                text=query["q"],
                since=_start_of(since, zone),
                until=_start_of(until + timedelta(days=1) if until else None, zone),
            )
            try:
                found = archive_reading.search(
                    caller, selected, cursor=query["cursor"] or None, limit=DEFAULT_LIMIT
                )
            except InvalidInput as invalid:
                errors[invalid.field] = invalid.message
            else:
                speakers = Speakers(archive_staff.members(caller.tenant_id))
                hits = [
                    {
                        "before": [shown(m, speakers) for m in hit.before],
                        "message": shown(hit.message, speakers, hit.terms, hit=True),
                        "after": [shown(m, speakers) for m in hit.after],
                        "url": conversation_url(hit.message.conversation, hit.message.msgid),
                    }
                    for hit in found.items
                ]
                if found.next_cursor:
                    params = {k: v for k, v in query.items() if v and k != "cursor"}
                    next_url = f"{BASE}/search?{urlencode({**params, 'cursor': found.next_cursor})}"
        return page(
            request,
            "archive/search.html",
            title=_("会话检索"),
            status=422 if errors else 200,
            query=query,
            scopes=[(value, _(label)) for value, label in SCOPES.items()],
            errors=errors,
            searched=searched,
            hits=hits,
            next_url=next_url,
        )

    @get("/conversations/{conversation:str}", sync_to_thread=True)
    def conversation(
        self,
        request: Request[Any, Any, Any],
        conversation: str,
        archive_reading: ArchiveReading,
        archive_staff: StaffDirectory,
        around: str | None = None,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, "archive_messages")
        found = archive_reading.conversation(
            caller, conversation, cursor=cursor or None, limit=DEFAULT_LIMIT, around=around or None
        )  # another tenant's chat, or none: the 404 page
        speakers = Speakers(archive_staff.members(caller.tenant_id))
        messages = [shown(m, speakers, hit=m.msgid == around) for m in found.items]
        parties = sorted({m.sender for m in found.items})
        next_url = None
        if found.next_cursor:
            next_url = (
                f"{conversation_url(conversation)}?{urlencode({'cursor': found.next_cursor})}"
            )
        return page(
            request,
            "archive/conversation.html",
            title=_("会话详情"),
            conversation=conversation,
            parties=[speakers.name(p) for p in parties],
            messages=messages,
            next_url=next_url,
            first_url=conversation_url(conversation) if cursor or around else None,
        )

    @get("/stats", sync_to_thread=True)
    def stats(
        self,
        request: Request[Any, Any, Any],
        archive_reading: ArchiveReading,
    ) -> Response[Any]:
        caller = tenant_may(request, "archive_reports")
        query = dict(query_of(request, ("since", "until")))
        errors: dict[str, str] = {}
        since = _day(query["since"], errors, "since")
        until = _day(query["until"], errors, "until")
        report, employees, unavailable = None, [], ""
        if not errors:
            try:
                report = archive_reading.report(caller, since, until)
                employees = archive_reading.employees(caller, report.since, report.until)
            except InvalidInput as invalid:
                errors[invalid.field] = invalid.message
            except SubscriptionInactive:
                # The page stays reachable from the menu: it says why it shows nothing.
                unavailable = _("当前版本不包含会话内容存档，升级到含会话存档的版本后可查看统计。")
        charts = {}
        if report is not None:
            by_type = report.totals.by_type
            charts = {
                "types": bar_chart(
                    _("消息类型分布"),
                    [Bar(_(MESSAGE_TYPES.get(k, k)), v) for k, v in by_type.items()],
                    unit=_(" 条"),
                ),
                "days": bar_chart(
                    _("每日消息数"),
                    [Bar(day.day.strftime("%m-%d"), day.messages) for day in report.days],
                    unit=_(" 条"),
                ),
            }
        return page(
            request,
            "archive/stats.html",
            title=_("存档统计"),
            status=422 if errors else 200,
            query=query,
            errors=errors,
            report=report,
            employees=employees,
            charts=charts,
            types=MESSAGE_TYPES,
            unavailable=unavailable,
        )

    @get("/reads", sync_to_thread=True)
    def reads(
        self, request: Request[Any, Any, Any], archive_reading: ArchiveReading
    ) -> Response[Any]:
        caller = tenant_may(request, "archive_messages")
        timezone = signed_in_viewer(request).timezone
        query = query_of(request, ("actor_id", "cursor"))
        listed = archive_reading.reads(
            caller,
            actor_id=query["actor_id"] or None,
            cursor=query["cursor"] or None,
            limit=DEFAULT_LIMIT,
        )
        table = Table(
            id="archive-reads",
            url=f"{BASE}/reads",
            columns=[
                Column("read_at", N_("时间")),
                Column("actor", N_("查阅人")),
                Column("kind", N_("查阅方式")),
                Column("what", N_("查阅内容")),
                Column("range", N_("时间范围")),
                Column("shown", N_("显示消息数"), numeric=True),
                Column("request_id", N_("请求 ID")),
            ],
            rows=[_read_row(entry, timezone) for entry in listed.items],
            caption=N_("查阅记录"),
            next_cursor=listed.next_cursor,
            filters=[Filter("actor_id", N_("查阅人 ID"), placeholder=N_("API 密钥或员工 ID"))],
            query=query,
            empty_message=N_("还没有人查阅过会话存档"),
        )
        return page(request, "archive/reads.html", title=_("查阅记录"), table=table)


def _read_row(entry: ReadEntry, timezone: str) -> Row:
    what = []
    if entry.scope:
        what.append(_(SCOPES.get(entry.scope, entry.scope)))
    for label, value in (
        (_("客户"), entry.customer),
        (_("员工"), entry.employee),
        (_("会话"), entry.conversation),
        (_("消息"), entry.message),
        (_("关键词"), entry.terms),
    ):
        if value:
            what.append(f"{label}：{value}")
    span = "—"
    if entry.since or entry.until:
        span = f"{local_time(entry.since, timezone)} ~ {local_time(entry.until, timezone)}"
    href = conversation_url(entry.conversation) if entry.conversation else None
    return Row(
        entry.id,
        [
            Cell(local_time(entry.read_at, timezone, with_seconds=True)),
            Cell(actor_label({"kind": entry.actor_kind, "id": entry.actor_id})),
            Cell(_(READ_KINDS.get(entry.kind, entry.kind))),
            Cell("；".join(what) or "—", href=href),
            Cell(span),
            Cell(str(entry.shown)),
            Cell(entry.request_id or "—"),
        ],
    )


PAGES: tuple[Any, ...] = (ArchiveReadingPages,)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="会话检索",
        path=f"{BASE}/search",
        resource="archive_messages",
        audience=Audience.TENANT,
        section="审计",
        order=60,
    ),
    NavItem(
        label="存档统计",
        path=f"{BASE}/stats",
        resource="archive_reports",
        audience=Audience.TENANT,
        section="审计",
        order=61,
    ),
    NavItem(
        label="查阅记录",
        path=f"{BASE}/reads",
        resource="archive_messages",
        audience=Audience.TENANT,
        section="审计",
        order=62,
    ),
)
