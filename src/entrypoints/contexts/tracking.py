"""Tracking (TRK and the behaviour log): sources and write keys, the Segment-compatible
tracking API and snippet, identity stitching, the timeline, short links and promotion
channels (ADR 0013).

Each part of the context keeps to its own block below (sources, ingestion, links,
timeline), so the parts can be read, and grown, one at a time.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers
from litestar.openapi.spec import Tag

from adapters.tracking.lead_identities import LeadsAsIdentities
from adapters.tracking.plan_retention import PlanRetention
from adapters.tracking.qr_codes import SegnoQrCodes
from application.tracking.activity import ActivityQueries, BehaviourActivityView
from application.tracking.ad_campaign_list import AdCampaignList, AdCampaignQueries
from application.tracking.ad_campaigns import AutoAdCampaigns
from application.tracking.clicks import LinkFollowing
from application.tracking.ingestion import Ingestion
from application.tracking.link_codes import LinkCodes
from application.tracking.link_codes import derive_key as derive_link_key
from application.tracking.link_directory import LinkDirectory, LinkQueries
from application.tracking.links import PromotionLinks
from application.tracking.promotion_stats import PromotionCounts, PromotionStats
from application.tracking.retention import BehaviourRetention
from application.tracking.segment import SegmentIntake
from application.tracking.source_directory import SourceDirectory, SourceQueries
from application.tracking.source_stats import SourceStats, SourceStatsQueries
from application.tracking.sources import TrackingSources
from application.tracking.stitching import Stitching
from application.tracking.timeline import BehaviourTimeline, TimelineQueries
from application.tracking.tracking import Tracking
from application.tracking.tracking_settings import TrackingSettingsBook
from domain.tracking.permissions import TRACKING_GRANTS
from entrypoints.http.tracking_activity import LeadActivityController
from entrypoints.http.tracking_links import (
    AdCampaignController,
    PromotionLinkController,
    PromotionStatsController,
    TrackingSettingsController,
)
from entrypoints.http.tracking_sources import TrackingSourceController
from entrypoints.manifest import Manifest
from entrypoints.public.links import ShortLinkController
from entrypoints.public.snippet import SnippetController
from entrypoints.public.tracking_api import TrackingApiController, TrackingLimits
from entrypoints.web.tracking import link_pages, source_pages

# --- sources and write keys ---------------------------------------------------------------
SOURCE_EVENTS = {
    "tracking.Source.Created": "新建追踪来源 · tracking source created",
    "tracking.Source.Renamed": "追踪来源更名 · tracking source renamed",
    "tracking.Source.SettingsChanged": "追踪来源设置变更 · tracking source settings changed",
    "tracking.Source.KeyRotated": "更换写入密钥 · write key rotated",
    "tracking.Source.Revoked": "停用追踪来源 · tracking source revoked",
}


def _install_origin(settings: Any) -> str:
    """Where the install page tells sites and SDKs to send to: huoke's public address."""
    return str(settings.public_url).rstrip("/")


# --- ingestion (the Segment-compatible API and the snippet) -------------------------------
INGESTION_CONTROLLERS = (TrackingApiController, SnippetController)
INGESTION_DEPENDENCIES = ("segment_intake", "tracking_limits")


def _tracking_limits(settings: Any) -> TrackingLimits:
    return TrackingLimits(settings.tracking_rate_limit_per_minute)


# --- links, QR codes, promotion channels, UTM ----------------------------------------------
LINK_EVENTS = {
    "tracking.PromotionLink.Made": "新建推广链接 · promotion link created",
    "tracking.PromotionLink.Archived": "归档推广链接 · promotion link archived",
    "tracking.Settings.AutoAdCampaignsSwitched": "自动广告活动开关 · auto ad campaigns switched",
    "tracking.AdCampaign.Recorded": "新建广告活动 · ad campaign created",
}
LINK_FOLLOWERS = (LinkDirectory, PromotionStats, AdCampaignList, AutoAdCampaigns)
LINK_VIEWS = {
    "tracking_link_view": LinkDirectory,
    "tracking_promotion_view": PromotionStats,
    "tracking_campaign_view": AdCampaignList,
}
LINK_CONTROLLERS = (
    ShortLinkController,
    PromotionLinkController,
    PromotionStatsController,
    TrackingSettingsController,
    AdCampaignController,
)
LINK_DEPENDENCIES = (
    "link_following",
    "promotion_links",
    "promotion_counts",
    "tracking_settings",
    "ad_campaign_queries",
)


def _link_codes(storage: Any) -> LinkCodes:
    # Derived from the store's cipher key, so every API node reads every node's codes.
    return LinkCodes(derive_link_key(base64.b64decode(storage.cipher_key)))


def _public_url(settings: Any) -> str:
    return str(settings.public_url)


def _link_providers(
    c: containers.DynamicContainer,
    tracking: providers.Provider[Any],
    ingestion: providers.Provider[Any],
) -> dict[str, providers.Provider[Any]]:
    codes = providers.Singleton(_link_codes, c.storage)
    link_queries = providers.Singleton(LinkQueries, c.tracking_link_view)
    settings = providers.Singleton(TrackingSettingsBook, tracking)
    return {
        "link_codes": codes,
        "link_queries": link_queries,
        "promotion_links": providers.Singleton(
            PromotionLinks,
            tracking,
            roster=c.org,
            codes=codes,
            queries=link_queries,
            qr_codes=providers.Singleton(SegnoQrCodes),
            public_url=providers.Singleton(_public_url, c.settings),
        ),
        "link_following": providers.Singleton(
            LinkFollowing, codes, link_queries, ingestion, c.clock
        ),
        "promotion_counts": providers.Singleton(
            PromotionCounts, c.tracking_promotion_view, link_queries
        ),
        "tracking_settings": settings,
        "ad_campaign_queries": providers.Singleton(AdCampaignQueries, c.tracking_campaign_view),
        AutoAdCampaigns.name: providers.Factory(
            AutoAdCampaigns, tracking=tracking, settings=settings
        ),
    }


# --- identity stitching, the timeline, activity reads -------------------------------------
TIMELINE_FOLLOWERS = (Stitching, BehaviourTimeline, BehaviourActivityView)
TIMELINE_VIEWS = {
    "tracking_timeline_view": BehaviourTimeline,
    "tracking_activity_view": BehaviourActivityView,
}
TIMELINE_CONTROLLERS = (LeadActivityController,)
TIMELINE_DEPENDENCIES = ("behaviour_activity",)


def _timeline_providers(
    c: containers.DynamicContainer, tracking: providers.Provider[Any]
) -> dict[str, providers.Provider[Any]]:
    return {
        # Stitching asks the leads who a person is, through the leads application.
        Stitching.name: providers.Factory(
            Stitching, tracking=tracking, leads=providers.Singleton(LeadsAsIdentities, c.leads)
        ),
        # Not under the read model's name: that provider would be taken to build it.
        "behaviour_timeline": providers.Singleton(TimelineQueries, c.tracking_timeline_view),
        "behaviour_activity": providers.Singleton(ActivityQueries, c.tracking_activity_view),
    }


def _offers(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    # The lead timeline (leads context) shows behaviours next to the lead's own events.
    return {"lead_activity": c.behaviour_timeline}


def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    tracking = providers.Singleton(Tracking, c.infrastructure)
    write_keys = providers.Singleton(SourceQueries, c.tracking_source_view)
    ingestion = providers.Singleton(Ingestion, c.behaviours)
    limits = providers.Singleton(_tracking_limits, c.settings)
    return {
        "tracking": tracking,
        # ingestion
        "ingestion": ingestion,
        "tracking_limits": limits,
        "segment_intake": providers.Singleton(
            SegmentIntake, write_keys, ingestion, c.clock, admit=limits.provided.admit_source
        ),
        "behaviour_retention": providers.Singleton(
            BehaviourRetention,
            c.behaviours,
            providers.Singleton(PlanRetention, c.tenancy_queries, c.billing_queries, c.catalogue),
            c.clock,
        ),
        # sources
        "write_keys": write_keys,
        "tracking_sources": providers.Singleton(TrackingSources, tracking, write_keys),
        "source_stats": providers.Singleton(SourceStatsQueries, c.tracking_stats_view, c.clock),
        "install_origin": providers.Singleton(_install_origin, c.settings),
        # links
        **_link_providers(c, tracking, ingestion),
        # timeline
        **_timeline_providers(c, tracking),
    }


MANIFEST = Manifest(
    name="tracking",
    providers=wire,
    applications=("tracking",),
    followers=(SourceDirectory, SourceStats, *LINK_FOLLOWERS, *TIMELINE_FOLLOWERS),
    views={
        "tracking_source_view": SourceDirectory,
        "tracking_stats_view": SourceStats,
        **LINK_VIEWS,
        **TIMELINE_VIEWS,
    },
    grants=(TRACKING_GRANTS,),
    controllers=(
        TrackingSourceController,
        *INGESTION_CONTROLLERS,
        *LINK_CONTROLLERS,
        *TIMELINE_CONTROLLERS,
    ),
    dependencies=(
        "ingestion",
        "tracking_sources",
        "source_stats",
        "install_origin",
        *INGESTION_DEPENDENCIES,
        *LINK_DEPENDENCIES,
        *TIMELINE_DEPENDENCIES,
    ),
    tags=(Tag(name="tracking", description="追踪 · tracking sources, timeline, links (TRK-1…5)"),),
    configuration_events={**SOURCE_EVENTS, **LINK_EVENTS},
    console=(*source_pages.PAGES, *link_pages.PAGES),
    console_nav=(*source_pages.NAV, *link_pages.NAV),
    offers=_offers,
)
