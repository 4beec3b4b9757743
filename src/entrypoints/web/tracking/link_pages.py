"""Promotion link pages (营销 · 推广链接, 广告活动): the list with PV/UV per link and
per channel and employee; making links of one URL for several channels and employees;
a link's page with its short URL, QR code (PNG/SVG) and the counts of the same content
on every channel; archiving after a confirmation step; the ad campaigns per
utm_campaign with the switch that makes them automatically (TRK-2, TRK-4, TRK-5)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from application.org.directory import OrgQueries
from application.shared.callers import TenantCaller
from application.shared.errors import InvalidInput, VersionConflict
from application.shared.history import RecordHistory
from application.tracking.ad_campaign_list import AdCampaignQueries
from application.tracking.link_commands import (
    ChangeTrackingSettings,
    Counts,
    CreateLinkSet,
    LinkDetails,
)
from application.tracking.links import PromotionLinks
from application.tracking.promotion_stats import PromotionCounts
from application.tracking.tracking_settings import TrackingSettingsBook
from domain.shared.access import Action
from domain.shared.errors import DomainError, StateConflict
from entrypoints.web.actions import change, in_thread
from entrypoints.web.charts import Bar, bar_chart
from entrypoints.web.forms import (
    GENERAL,
    FormErrors,
    errors_of,
    form_data,
    listed,
    parse_form,
    version_of,
)
from entrypoints.web.i18n import gettext as _
from entrypoints.web.i18n import local_time
from entrypoints.web.nav import Audience, NavItem
from entrypoints.web.pages import (
    confirm_page,
    history_for,
    page,
    query_of,
    redirect,
    signed_in_viewer,
    tenant_may,
)
from entrypoints.web.sessions import Flash
from entrypoints.web.tables import PAGE_SIZE, Cell, Column, Filter, Option, Row, Table

BASE = "/console/tracking/links"
CAMPAIGNS = "/console/tracking/ad-campaigns"
FILTERS = ("channel", "include_archived", "cursor")
# Channels offered on the form; the tenant may type any other label beside them.
SUGGESTED_CHANNELS = ("朋友圈", "公众号", "短信", "海报", "微信群", "官网")
MAX_EMPLOYEES_OFFERED = 100
SAME_CONTENT_LINKS = 100


class PromotionLinkPages(Controller):
    path = "/tracking/links"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def links(
        self,
        request: Request[Any, Any, Any],
        promotion_links: PromotionLinks,
        promotion_counts: PromotionCounts,
        org_queries: OrgQueries,
        channel: str | None = None,
        include_archived: str | None = None,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.READ)
        timezone = signed_in_viewer(request).timezone
        listed_links = promotion_links.links(
            caller.tenant_id,
            channel=channel or None,
            include_archived=bool(include_archived),
            cursor=cursor or None,
            limit=PAGE_SIZE,
        )
        counts = promotion_counts.of_links(
            caller.tenant_id, [(link.id, link.code) for link in listed_links.items]
        )
        names = org_queries.names(
            caller.tenant_id, [link.employee_id for link in listed_links.items if link.employee_id]
        )
        rows = [
            Row(
                str(link.id),
                [
                    Cell(link.title, href=f"{BASE}/{link.id}"),
                    Cell(link.channel),
                    Cell(names.get(link.employee_id, "—") if link.employee_id else "—"),
                    Cell(link.short_url),
                    Cell(str(counts[link.id].clicks)),
                    Cell(str(counts[link.id].visitors)),
                    Cell(str(counts[link.id].landings)),
                    Cell(local_time(link.created_at, timezone)),
                    Cell(_("已归档"), badge="bad")
                    if link.archived
                    else Cell(_("使用中"), badge="ok"),
                ],
            )
            for link in listed_links.items
        ]
        channels = promotion_links.queries.channels(caller.tenant_id)
        may_create = caller.may("tracking", Action.CREATE)
        table = Table(
            id="promotion-links",
            url=BASE,
            columns=[
                Column("title", "标题"),
                Column("channel", "渠道"),
                Column("employee", "推广员工"),
                Column("short_url", "短链接"),
                Column("clicks", "点击（PV）", numeric=True),
                Column("visitors", "访客（UV）", numeric=True),
                Column("landings", "落地页访问", numeric=True),
                Column("created_at", "创建时间"),
                Column("state", "状态"),
            ],
            rows=rows,
            caption="推广链接",
            next_cursor=listed_links.next_cursor,
            filters=[
                Filter(
                    "channel",
                    "渠道",
                    kind="select",
                    options=(Option("", _("全部渠道")), *(Option(c, c) for c in channels)),
                ),
                Filter("include_archived", "包含已归档", kind="checkbox"),
            ],
            query=query_of(request, FILTERS),
            empty_message="还没有推广链接",
            empty_action=(_("新建推广链接"), f"{BASE}/new") if may_create else None,
        )
        by_channel = promotion_counts.by_channel(caller.tenant_id)
        by_employee = promotion_counts.by_employee(caller.tenant_id)
        employee_names = org_queries.names(
            caller.tenant_id, [UUID(group.key) for group in by_employee if group.key]
        )
        return page(
            request,
            "tracking/links.html",
            title=_("推广链接"),
            table=table,
            may_create=may_create,
            by_channel=[(g.key, g.counts) for g in by_channel],
            by_employee=[
                (employee_names.get(UUID(g.key), g.key) if g.key else _("（未指定员工）"), g.counts)
                for g in by_employee
            ],
            channel_chart=_chart(_("各渠道点击（PV）"), [(g.key, g.counts) for g in by_channel]),
        )

    @get("/new", sync_to_thread=True)
    def new_form(self, request: Request[Any, Any, Any], org_queries: OrgQueries) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.CREATE)
        return _link_form(request, org_queries, caller, {}, {})

    @post("/new")
    async def create(
        self,
        request: Request[Any, Any, Any],
        promotion_links: PromotionLinks,
        org_queries: OrgQueries,
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.CREATE)
        data = await form_data(request)
        try:
            channels = _channels_of(data)
            command = parse_form(
                CreateLinkSet,
                {**data, "channels": channels, "employee_ids": listed(data.get("employee_ids"))},
            )
            made = await change(lambda: promotion_links.create_set(caller.tenant_id, command))
        except (FormErrors, InvalidInput, DomainError) as refusal:
            errors = errors_of(refusal)
        else:
            where = f"{BASE}/{made.items[0].id}" if len(made.items) == 1 else BASE
            message = _("已生成 {n} 个推广链接").format(n=len(made.items))
            return redirect(request, where, flash=Flash("success", message))
        return await in_thread(
            lambda: _link_form(request, org_queries, caller, data, errors, status=422)
        )

    @get("/{link_id:uuid}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        link_id: UUID,
        promotion_links: PromotionLinks,
        promotion_counts: PromotionCounts,
        org_queries: OrgQueries,
        history: RecordHistory,
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.READ)
        link = promotion_links.link(caller.tenant_id, link_id)  # 404 for another tenant's
        totals = promotion_counts.of_link(caller.tenant_id, link.id, link.code)
        same = promotion_links.same_content(caller.tenant_id, link, limit=SAME_CONTENT_LINKS)
        same_counts = promotion_counts.of_links(caller.tenant_id, [(s.id, s.code) for s in same])
        names = org_queries.names(caller.tenant_id, [s.employee_id for s in same if s.employee_id])
        siblings = [
            (
                s,
                names.get(s.employee_id, "—") if s.employee_id else "—",
                same_counts[s.id],
            )
            for s in same
        ]
        return page(
            request,
            "tracking/links_detail.html",
            title=link.title,
            link=link,
            totals=totals,
            employee_name=names.get(link.employee_id) if link.employee_id else None,
            siblings=siblings,
            sibling_chart=_chart(
                _("同一内容各链接的点击（PV）"),
                [(f"{s.channel} · {name}", counts) for s, name, counts in siblings],
            ),
            may_archive=caller.may("tracking", Action.DELETE) and not link.archived,
            history=history_for(history, caller, link.id),
        )

    @get("/{link_id:uuid}/qr.png", sync_to_thread=True)
    def qr_png(
        self, request: Request[Any, Any, Any], link_id: UUID, promotion_links: PromotionLinks
    ) -> Response[bytes]:
        caller = tenant_may(request, "tracking", Action.READ)
        return Response(
            promotion_links.qr_png(caller.tenant_id, link_id),
            media_type="image/png",
            headers=_download(request, f"link-{link_id}.png"),
        )

    @get("/{link_id:uuid}/qr.svg", sync_to_thread=True)
    def qr_svg(
        self, request: Request[Any, Any, Any], link_id: UUID, promotion_links: PromotionLinks
    ) -> Response[bytes]:
        caller = tenant_may(request, "tracking", Action.READ)
        return Response(
            promotion_links.qr_svg(caller.tenant_id, link_id),
            media_type="image/svg+xml",
            headers=_download(request, f"link-{link_id}.svg"),
        )

    @get("/{link_id:uuid}/archive", sync_to_thread=True)
    def archive_confirmation(
        self, request: Request[Any, Any, Any], link_id: UUID, promotion_links: PromotionLinks
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.DELETE)
        return _archive_page(request, promotion_links.link(caller.tenant_id, link_id), {})

    @post("/{link_id:uuid}/archive")
    async def archive(
        self, request: Request[Any, Any, Any], link_id: UUID, promotion_links: PromotionLinks
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.DELETE)
        data = await form_data(request)
        link = await change(lambda: promotion_links.link(caller.tenant_id, link_id))
        try:
            version = version_of(data)
            await change(
                lambda: promotion_links.archive(caller.tenant_id, link_id, expected_version=version)
            )
        except (StateConflict, VersionConflict):
            errors = {GENERAL: _("链接已被他人修改或已归档，请返回后重试。")}
            return _archive_page(request, link, errors, status=409)
        except FormErrors as invalid:
            return _archive_page(request, link, invalid.errors, status=422)
        return redirect(request, f"{BASE}/{link_id}", flash=Flash("success", _("链接已归档")))


class AdCampaignPages(Controller):
    path = "/tracking/ad-campaigns"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def campaigns(
        self,
        request: Request[Any, Any, Any],
        ad_campaign_queries: AdCampaignQueries,
        tracking_settings: TrackingSettingsBook,
        cursor: str | None = None,
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.READ)
        timezone = signed_in_viewer(request).timezone
        listed_campaigns = ad_campaign_queries.campaigns(
            caller.tenant_id, cursor=cursor or None, limit=PAGE_SIZE
        )
        rows = [
            Row(
                str(campaign.id),
                [
                    Cell(campaign.name),
                    Cell(campaign.source or "—"),
                    Cell(campaign.medium or "—"),
                    Cell(local_time(campaign.first_seen_at, timezone)),
                    Cell(str(campaign.behaviours)),
                    Cell(
                        local_time(campaign.last_seen_at, timezone)
                        if campaign.last_seen_at
                        else "—"
                    ),
                ],
            )
            for campaign in listed_campaigns.items
        ]
        table = Table(
            id="ad-campaigns",
            url=CAMPAIGNS,
            columns=[
                Column("name", "广告活动（utm_campaign）"),
                Column("source", "来源（utm_source）"),
                Column("medium", "媒介（utm_medium）"),
                Column("first_seen_at", "首次出现"),
                Column("behaviours", "行为数", numeric=True),
                Column("last_seen_at", "最近出现"),
            ],
            rows=rows,
            caption="广告活动",
            next_cursor=listed_campaigns.next_cursor,
            query=query_of(request, ("cursor",)),
            empty_message="还没有广告活动",
        )
        return _campaigns_page(request, caller, tracking_settings, table, {})

    @post("/settings")
    async def change_settings(
        self,
        request: Request[Any, Any, Any],
        tracking_settings: TrackingSettingsBook,
    ) -> Response[Any]:
        caller = tenant_may(request, "tracking", Action.UPDATE)
        data = await form_data(request)
        try:
            version = version_of(data)
            command = ChangeTrackingSettings(auto_ad_campaigns=bool(data.get("auto_ad_campaigns")))
            await change(
                lambda: tracking_settings.change(
                    caller.tenant_id, command, expected_version=version
                )
            )
        except VersionConflict:
            message = _("设置已被他人修改，请刷新页面后重试。")
            return redirect(request, CAMPAIGNS, flash=Flash("error", message))
        except FormErrors as invalid:
            return redirect(request, CAMPAIGNS, flash=Flash("error", invalid.errors[GENERAL]))
        return redirect(request, CAMPAIGNS, flash=Flash("success", _("设置已保存")))


def _campaigns_page(
    request: Request[Any, Any, Any],
    caller: TenantCaller,
    tracking_settings: TrackingSettingsBook,
    table: Table,
    errors: dict[str, str],
) -> Response[Any]:
    return page(
        request,
        "tracking/links_campaigns.html",
        title=_("广告活动"),
        table=table,
        settings=tracking_settings.settings(caller.tenant_id),
        may_change=caller.may("tracking", Action.UPDATE),
        errors=errors,
    )


def _link_form(
    request: Request[Any, Any, Any],
    org_queries: OrgQueries,
    caller: TenantCaller,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    employees = org_queries.employees(
        caller.tenant_id,
        department_id=None,
        include_left=False,
        cursor=None,
        limit=MAX_EMPLOYEES_OFFERED,
    )
    return page(
        request,
        "tracking/links_form.html",
        title=_("新建推广链接"),
        values=values,
        errors=errors,
        channel_options=[(c, c) for c in SUGGESTED_CHANNELS],
        employee_options=[(str(e.id), e.name) for e in employees.items],
        status=status,
    )


def _channels_of(data: dict[str, Any]) -> list[str]:
    """The ticked channels and those typed (separated by commas or 、)."""
    typed = str(data.get("other_channels", "") or "")
    for separator in ("，", "、", ";", "；", "\n"):
        typed = typed.replace(separator, ",")
    chosen = listed(data.get("channels")) + [part.strip() for part in typed.split(",")]
    found = list(dict.fromkeys(channel for channel in chosen if channel))
    if not found:
        raise FormErrors({"channels": _("请至少选择或填写一个渠道")})
    return found


def _chart(title: str, groups: Sequence[tuple[str, Counts]]) -> Any:
    if not groups:
        return None
    return bar_chart(title, [Bar(label, counts.clicks) for label, counts in groups])


def _download(request: Request[Any, Any, Any], name: str) -> dict[str, str]:
    disposition = "attachment" if request.query_params.get("download") else "inline"
    return {"Content-Disposition": f'{disposition}; filename="{name}"'}


def _archive_page(
    request: Request[Any, Any, Any],
    link: LinkDetails,
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response[Any]:
    return confirm_page(
        request,
        title=_("归档推广链接"),
        description=_(
            "归档后「{title}」的短链接和二维码不再跳转（访问者看到“链接已失效”），"
            "已有的点击和访客统计保留。"
        ).format(title=link.title),
        action=f"{BASE}/{link.id}/archive",
        confirm_label=_("确认归档"),
        reason_required=False,
        fields={"version": link.version},
        errors=errors,
        cancel=f"{BASE}/{link.id}",
        status=status,
    )


PAGES: tuple[Any, ...] = (PromotionLinkPages, AdCampaignPages)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="推广链接",
        path=BASE,
        resource="tracking",
        audience=Audience.TENANT,
        section="营销",
        action=Action.READ,
        order=40,
    ),
    NavItem(
        label="广告活动",
        path=CAMPAIGNS,
        resource="tracking",
        audience=Audience.TENANT,
        section="营销",
        action=Action.READ,
        order=45,
    ),
)
