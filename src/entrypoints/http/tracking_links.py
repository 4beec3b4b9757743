"""Routes of promotion links and their QR codes and counts, the tracking settings and
the ad campaigns (TRK-2, TRK-4, TRK-5)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response

from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from application.tracking.ad_campaign_list import AdCampaignQueries
from application.tracking.link_commands import (
    AdCampaignDetails,
    ChangeTrackingSettings,
    CreateLink,
    CreateLinkSet,
    GroupCounts,
    LinkDetails,
    LinkSet,
    LinkStats,
    TrackingSettingsDetails,
)
from application.tracking.links import PromotionLinks
from application.tracking.promotion_stats import PromotionCounts
from application.tracking.tracking_settings import TrackingSettingsBook
from domain.shared.access import Action
from entrypoints.http.conventions import (
    IF_MATCH,
    OPTIONAL_IF_MATCH,
    ListOf,
    get,
    page_of,
    post,
    put,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit


class PromotionLinkController(Controller):
    path = "/api/v1/tracking/links"
    tags = ["tracking"]
    guards = [tenant_may("tracking")]

    @get("/", operation_id="listPromotionLinks")
    def list_links(
        self,
        promotion_links: PromotionLinks,
        caller: TenantCaller,
        channel: str | None = None,
        include_archived: bool = False,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[LinkDetails]:
        """The tenant's promotion links, newest first.

        `channel` lists one channel's; archived links are listed with `include_archived`."""
        return page_of(
            promotion_links.links(
                caller.tenant_id,
                channel=channel or None,
                include_archived=include_archived,
                cursor=cursor,
                limit=limit,
            )
        )

    @post("/", operation_id="createPromotionLink", may=Action.CREATE)
    def create(
        self, data: CreateLink, promotion_links: PromotionLinks, caller: TenantCaller
    ) -> Response[LinkDetails]:
        """Make a short link of any URL for one channel, optionally promoted by an employee.

        The answer's `short_url` (`/s/{code}`) is what to share; it redirects to the
        target with `hk_link` (and the link's UTM values, unless the target has its own)
        added. Send `Idempotency-Key` to make a retry safe."""
        return with_etag(promotion_links.create(caller.tenant_id, data), status_code=201)

    @post("/batch", operation_id="createPromotionLinkSet", may=Action.CREATE, status_code=201)
    def create_set(
        self, data: CreateLinkSet, promotion_links: PromotionLinks, caller: TenantCaller
    ) -> LinkSet:
        """Make links of one URL for every channel × employee at once (all or none).

        Without `employee_ids`, one link per channel. At most 200 links a request."""
        return promotion_links.create_set(caller.tenant_id, data)

    @get("/{link_id:uuid}", operation_id="getPromotionLink")
    def get_link(
        self, link_id: UUID, promotion_links: PromotionLinks, caller: TenantCaller
    ) -> Response[LinkDetails]:
        """One promotion link."""
        return with_etag(promotion_links.link(caller.tenant_id, link_id))

    @post(
        "/{link_id:uuid}/archive",
        operation_id="archivePromotionLink",
        status_code=200,
        may=Action.DELETE,  # like revoking a source: the link stops working
        dependencies=IF_MATCH,
    )
    def archive(
        self,
        link_id: UUID,
        promotion_links: PromotionLinks,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[LinkDetails]:
        """Archive a link: its short URL stops redirecting (410); its counts stay."""
        return with_etag(
            promotion_links.archive(caller.tenant_id, link_id, expected_version=expected_version)
        )

    @get(
        "/{link_id:uuid}/qr.png",
        operation_id="getPromotionLinkQrPng",
        media_type="image/png",
        opt={"media_types": ["image/png"]},
    )
    def qr_png(
        self, link_id: UUID, promotion_links: PromotionLinks, caller: TenantCaller
    ) -> Response[bytes]:
        """The QR code of the link's short URL, as PNG (for posters and screens)."""
        return Response(
            promotion_links.qr_png(caller.tenant_id, link_id),
            media_type="image/png",
            headers={"Content-Disposition": f'inline; filename="link-{link_id}.png"'},
        )

    @get(
        "/{link_id:uuid}/qr.svg",
        operation_id="getPromotionLinkQrSvg",
        media_type="image/svg+xml",
        opt={"media_types": ["image/svg+xml"]},
    )
    def qr_svg(
        self, link_id: UUID, promotion_links: PromotionLinks, caller: TenantCaller
    ) -> Response[bytes]:
        """The QR code of the link's short URL, as SVG (for print)."""
        return Response(
            promotion_links.qr_svg(caller.tenant_id, link_id),
            media_type="image/svg+xml",
            headers={"Content-Disposition": f'inline; filename="link-{link_id}.svg"'},
        )

    @get("/{link_id:uuid}/stats", operation_id="getPromotionLinkStats")
    def stats(
        self,
        link_id: UUID,
        promotion_links: PromotionLinks,
        promotion_counts: PromotionCounts,
        caller: TenantCaller,
    ) -> LinkStats:
        """The link's clicks (PV), distinct visitors (UV) and landings.

        Robots and link previews are not counted; landings are page views the tracking
        snippet reported with the link's `hk_link`."""
        link = promotion_links.link(caller.tenant_id, link_id)
        return LinkStats(
            link_id=link.id,
            totals=promotion_counts.of_link(caller.tenant_id, link.id, link.code),
        )


class PromotionStatsController(Controller):
    path = "/api/v1/tracking/link-stats"
    tags = ["tracking"]
    guards = [tenant_may("tracking", Action.READ)]

    @get("/channels", operation_id="getPromotionStatsByChannel")
    def by_channel(
        self, promotion_counts: PromotionCounts, caller: TenantCaller
    ) -> list[GroupCounts]:
        """PV, UV and landings of every channel label, most clicked first."""
        return promotion_counts.by_channel(caller.tenant_id)

    @get("/employees", operation_id="getPromotionStatsByEmployee")
    def by_employee(
        self, promotion_counts: PromotionCounts, caller: TenantCaller
    ) -> list[GroupCounts]:
        """PV, UV and landings per promoting employee (`key` '' : links of no employee)."""
        return promotion_counts.by_employee(caller.tenant_id)


class TrackingSettingsController(Controller):
    path = "/api/v1/tracking/settings"
    tags = ["tracking"]
    guards = [tenant_may("tracking")]

    @get("/", operation_id="getTrackingSettings")
    def get_settings(
        self, tracking_settings: TrackingSettingsBook, caller: TenantCaller
    ) -> Response[TrackingSettingsDetails]:
        """The tenant's tracking settings (automatic ad campaigns off until switched on)."""
        return with_etag(tracking_settings.settings(caller.tenant_id))

    @put("/", operation_id="changeTrackingSettings", dependencies=OPTIONAL_IF_MATCH)
    def change(
        self,
        data: ChangeTrackingSettings,
        tracking_settings: TrackingSettingsBook,
        caller: TenantCaller,
        expected_version: int | None,
    ) -> Response[TrackingSettingsDetails]:
        """Switch automatic ad campaigns per utm_campaign on or off.

        When on, the first behaviour bringing a new `utm_campaign` makes an ad campaign
        record (`GET /api/v1/tracking/ad-campaigns`)."""
        return with_etag(
            tracking_settings.change(caller.tenant_id, data, expected_version=expected_version)
        )


class AdCampaignController(Controller):
    path = "/api/v1/tracking/ad-campaigns"
    tags = ["tracking"]
    guards = [tenant_may("tracking", Action.READ)]

    @get("/", operation_id="listAdCampaigns")
    def list_campaigns(
        self,
        ad_campaign_queries: AdCampaignQueries,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[AdCampaignDetails]:
        """The ad campaigns recorded per utm_campaign, newest first.

        Each with how many behaviours arrived with it and when the last did."""
        return page_of(ad_campaign_queries.campaigns(caller.tenant_id, cursor=cursor, limit=limit))
