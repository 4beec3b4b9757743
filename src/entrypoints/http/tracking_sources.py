"""Routes of tracking sources and their write keys (TRK-1), and each source's
ingestion stats."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response
from litestar.params import Parameter

from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from application.tracking.commands import (
    CreateTrackingSource,
    IssuedTrackingSource,
    ReviseTrackingSource,
    SourceStatsDetails,
    TrackingSourceDetails,
)
from application.tracking.source_stats import MAX_STATS_DAYS, SourceStatsQueries
from application.tracking.sources import TrackingSources
from domain.shared.access import Action
from entrypoints.http.conventions import (
    ListOf,
    get,
    if_match,
    optional_if_match,
    page_of,
    post,
    tenant_may,
    with_etag,
)
from entrypoints.http.conventions import patch as patch_route
from entrypoints.http.tenant import Cursor, Limit

Days = Annotated[int, Parameter(ge=1, le=MAX_STATS_DAYS, description="UTC days, newest first")]


class TrackingSourceController(Controller):
    path = "/api/v1/tracking/sources"
    tags = ["tracking"]
    guards = [tenant_may("tracking")]

    @get("/", operation_id="listTrackingSources")
    def list_sources(
        self,
        tracking_sources: TrackingSources,
        caller: TenantCaller,
        status: Literal["live", "revoked"] | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[TrackingSourceDetails]:
        """The tenant's tracking sources, oldest first (never their write keys).

        `status` lists only the live or the revoked ones."""
        return page_of(
            tracking_sources.sources(caller.tenant_id, status=status, cursor=cursor, limit=limit)
        )

    @post("/", operation_id="createTrackingSource", may=Action.CREATE)
    def create(
        self, data: CreateTrackingSource, tracking_sources: TrackingSources, caller: TenantCaller
    ) -> Response[IssuedTrackingSource]:
        """Create a website, server or app source with its write key.

        The `write_key` is shown in this answer only: store it now (a repeat with the same
        Idempotency-Key answers the source with `write_key: null`). Send it as the Basic
        auth user of `/v1/batch` and the other Segment-compatible calls, or as the
        snippet's `data-key`."""
        return with_etag(tracking_sources.create(caller.tenant_id, data), status_code=201)

    @get("/{source_id:uuid}", operation_id="getTrackingSource")
    def get_source(
        self, source_id: UUID, tracking_sources: TrackingSources, caller: TenantCaller
    ) -> Response[TrackingSourceDetails]:
        """One tracking source (never its write key)."""
        return with_etag(tracking_sources.source(caller.tenant_id, source_id))

    @patch_route("/{source_id:uuid}", operation_id="reviseTrackingSource")
    def revise(
        self,
        request: Request[Any, Any, Any],
        source_id: UUID,
        data: ReviseTrackingSource,
        tracking_sources: TrackingSources,
        caller: TenantCaller,
    ) -> Response[TrackingSourceDetails]:
        """Rename a source or change whether it honours Do-Not-Track.

        A revoked source can no longer change (409)."""
        version = if_match(request)
        return with_etag(
            tracking_sources.revise(caller.tenant_id, source_id, data, expected_version=version)
        )

    @post(
        "/{source_id:uuid}/rotate-key",
        operation_id="rotateTrackingSourceKey",
        status_code=200,
    )
    def rotate_key(
        self,
        request: Request[Any, Any, Any],
        source_id: UUID,
        tracking_sources: TrackingSources,
        caller: TenantCaller,
    ) -> Response[IssuedTrackingSource]:
        """Give the source a new write key; the old one answers 401 from now on.

        The new `write_key` is shown in this answer only."""
        version = optional_if_match(request)
        return with_etag(
            tracking_sources.rotate_key(caller.tenant_id, source_id, expected_version=version)
        )

    @post(
        "/{source_id:uuid}/revoke",
        operation_id="revokeTrackingSource",
        status_code=200,
        may=Action.DELETE,
    )
    def revoke(
        self,
        request: Request[Any, Any, Any],
        source_id: UUID,
        tracking_sources: TrackingSources,
        caller: TenantCaller,
    ) -> Response[TrackingSourceDetails]:
        """Revoke the source for good: its write key answers 401 from now on.

        It stays listed as `revoked` with its stats; send the reason in `X-Reason`."""
        version = optional_if_match(request)
        return with_etag(
            tracking_sources.revoke(caller.tenant_id, source_id, expected_version=version)
        )

    @get("/{source_id:uuid}/stats", operation_id="getTrackingSourceStats")
    def stats(
        self,
        source_id: UUID,
        tracking_sources: TrackingSources,
        source_stats: SourceStatsQueries,
        caller: TenantCaller,
        days: Days = 30,
    ) -> SourceStatsDetails:
        """Behaviours received from the source per UTC day and kind.

        Also when the last one arrived; counted by a follower of the behaviour log, so a
        moment behind."""
        tracking_sources.source(caller.tenant_id, source_id)  # 404 for another tenant's
        return source_stats.of_source(caller.tenant_id, source_id, days=days)
