"""Tracking sources and their write keys (TRK-1): create, rename, settings, rotate,
revoke, read.

A new key is drawn here (the domain never reads randomness) and given to the caller in
the answer of the create or rotate that made it, never again: the source keeps its hash.
Every change waits for the sources read model before answering, so the next tracking
request already finds a new key accepted, and a rotated or revoked one refused.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from application.shared.context import acting, current_context
from application.shared.pages import Page
from application.tracking.commands import (
    CreateTrackingSource,
    IssuedTrackingSource,
    ReviseTrackingSource,
    TrackingSourceDetails,
)
from application.tracking.source_directory import SourceQueries
from application.tracking.tracking import Tracking
from domain.tracking.source import SECRET_LENGTH, TrackingSource, write_key


def random_secret() -> str:
    """24 url-safe characters from the operating system's random source (144 bits)."""
    return secrets.token_urlsafe(SECRET_LENGTH * 3 // 4)


class TrackingSources:
    """The tenant's tracking sources: the use cases, committed through `Tracking`."""

    def __init__(
        self,
        tracking: Tracking,
        directory: SourceQueries,
        *,
        secret: Callable[[], str] = random_secret,
    ) -> None:
        self.tracking = tracking
        self.directory = directory
        self.secret = secret

    def create(self, tenant_id: UUID, command: CreateTrackingSource) -> IssuedTrackingSource:
        """Create a live source; its write key is in this answer only. A repeat of the
        same creation (Idempotency-Key) answers the source without a key."""
        source_id = self.tracking.new_id(f"tracking-source:{tenant_id}")
        key = write_key(tenant_id, source_id, self.secret())
        source = TrackingSource.create(
            source_id=source_id,
            tenant_id=tenant_id,
            name=command.name,
            kind=command.kind,
            honour_do_not_track=command.honour_do_not_track,
            key=key,
        )
        with _read_your_writes():
            created = self.tracking.create(source)
        return IssuedTrackingSource(
            **source_details(created).model_dump(), write_key=key if created is source else None
        )

    def source(self, tenant_id: UUID, source_id: UUID) -> TrackingSourceDetails:
        """One of the tenant's sources (never its key); another tenant's is `NotFound`."""
        return source_details(self.tracking.load(source_id, TrackingSource, tenant_id=tenant_id))

    def sources(
        self, tenant_id: UUID, *, status: str | None = None, cursor: str | None, limit: int
    ) -> Page[TrackingSourceDetails]:
        """The tenant's sources, oldest first, from the read model."""
        return self.directory.sources(tenant_id, status=status, cursor=cursor, limit=limit)

    def revise(
        self,
        tenant_id: UUID,
        source_id: UUID,
        command: ReviseTrackingSource,
        *,
        expected_version: int,
    ) -> TrackingSourceDetails:
        """Rename a source and/or change whether it honours Do-Not-Track."""
        source = self._load(tenant_id, source_id, expected_version)
        if command.name is not None:
            source.rename(command.name)
        if command.honour_do_not_track is not None:
            source.honour_dnt(command.honour_do_not_track)
        self._commit(source)
        return source_details(source)

    def rotate_key(
        self, tenant_id: UUID, source_id: UUID, *, expected_version: int | None = None
    ) -> IssuedTrackingSource:
        """Give the source a new write key (in this answer only); the old one is refused
        from the moment this answers."""
        source = self._load(tenant_id, source_id, expected_version)
        key = write_key(tenant_id, source_id, self.secret())
        source.rotate_key(key)
        self._commit(source)
        return IssuedTrackingSource(**source_details(source).model_dump(), write_key=key)

    def revoke(
        self, tenant_id: UUID, source_id: UUID, *, expected_version: int | None = None
    ) -> TrackingSourceDetails:
        """Revoke the source for good: its key is refused from the moment this answers."""
        source = self._load(tenant_id, source_id, expected_version)
        source.revoke()
        self._commit(source)
        return source_details(source)

    def _load(
        self, tenant_id: UUID, source_id: UUID, expected_version: int | None
    ) -> TrackingSource:
        return self.tracking.load(
            source_id, TrackingSource, tenant_id=tenant_id, expected_version=expected_version
        )

    def _commit(self, source: TrackingSource) -> None:
        with _read_your_writes():
            self.tracking.commit(source)


@contextmanager
def _read_your_writes() -> Iterator[None]:
    """Every change of a source is read by the key lookup of the next tracking request:
    commit as with `Prefer: read-your-writes`, always."""
    with acting(replace(current_context(), read_your_writes=True)):
        yield


def source_details(source: TrackingSource) -> TrackingSourceDetails:
    changed: datetime = source.modified_on
    return TrackingSourceDetails(
        id=source.id,
        name=source.name,
        kind=source.kind,
        honour_do_not_track=source.honour_do_not_track,
        key_prefix=source.key_prefix,
        status=source.status,
        version=source.version,
        created_at=source.created_on,
        changed_at=changed,
    )
