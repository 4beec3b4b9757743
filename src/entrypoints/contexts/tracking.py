"""Tracking (TRK and the behaviour log): sources and write keys, the Segment-compatible
tracking API and snippet, identity stitching, the timeline, short links and promotion
channels (ADR 0013).

Each part of the context keeps to its own block below (sources, ingestion, links,
timeline), so the parts can be read, and grown, one at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers
from litestar.openapi.spec import Tag

from adapters.tracking.lead_identities import LeadsAsIdentities
from application.tracking.activity import ActivityQueries, BehaviourActivityView
from application.tracking.ingestion import Ingestion
from application.tracking.source_directory import SourceDirectory, SourceQueries
from application.tracking.source_stats import SourceStats, SourceStatsQueries
from application.tracking.sources import TrackingSources
from application.tracking.stitching import Stitching
from application.tracking.timeline import BehaviourTimeline, TimelineQueries
from application.tracking.tracking import Tracking
from domain.tracking.permissions import TRACKING_GRANTS
from entrypoints.http.tracking_activity import LeadActivityController
from entrypoints.http.tracking_sources import TrackingSourceController
from entrypoints.manifest import Manifest
from entrypoints.web.tracking import source_pages

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
# --- links, QR codes, promotion channels, UTM ----------------------------------------------
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
    return {
        "tracking": tracking,
        # ingestion
        "ingestion": providers.Singleton(Ingestion, c.behaviours),
        # sources
        "write_keys": write_keys,
        "tracking_sources": providers.Singleton(TrackingSources, tracking, write_keys),
        "source_stats": providers.Singleton(SourceStatsQueries, c.tracking_stats_view, c.clock),
        "install_origin": providers.Singleton(_install_origin, c.settings),
        # links
        # timeline
        **_timeline_providers(c, tracking),
    }


MANIFEST = Manifest(
    name="tracking",
    providers=wire,
    applications=("tracking",),
    followers=(SourceDirectory, SourceStats, *TIMELINE_FOLLOWERS),
    views={
        "tracking_source_view": SourceDirectory,
        "tracking_stats_view": SourceStats,
        **TIMELINE_VIEWS,
    },
    grants=(TRACKING_GRANTS,),
    controllers=(TrackingSourceController, *TIMELINE_CONTROLLERS),
    dependencies=(
        "ingestion",
        "tracking_sources",
        "source_stats",
        "install_origin",
        *TIMELINE_DEPENDENCIES,
    ),
    tags=(Tag(name="tracking", description="追踪 · tracking sources, timeline, links (TRK-1…5)"),),
    configuration_events={**SOURCE_EVENTS},
    console=(*source_pages.PAGES,),
    console_nav=(*source_pages.NAV,),
    offers=_offers,
)
