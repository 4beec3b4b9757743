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

from application.tracking.ingestion import Ingestion
from application.tracking.tracking import Tracking
from entrypoints.manifest import Manifest

# --- sources and write keys ---------------------------------------------------------------
# --- ingestion (the Segment-compatible API and the snippet) -------------------------------
# --- links, QR codes, promotion channels, UTM ----------------------------------------------
# --- identity stitching, the timeline, activity reads -------------------------------------


def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    return {
        "tracking": providers.Singleton(Tracking, c.infrastructure),
        # ingestion
        "ingestion": providers.Singleton(Ingestion, c.behaviours),
        # sources
        # links
        # timeline
    }


MANIFEST = Manifest(
    name="tracking",
    providers=wire,
    applications=("tracking",),
    followers=(),
    views={},
    grants=(),
    controllers=(),
    dependencies=("ingestion",),
    tags=(Tag(name="tracking", description="追踪 · tracking sources, timeline, links (TRK-1…5)"),),
    configuration_events={},
    console=(),
    console_nav=(),
)
