"""The tracking sources read model: each tenant's sources listed, and the owner of a
write key found on every tracking request (the `WriteKeys` port).

A key names its tenant and source, so finding its source is one primary-key read of
`(tenant_id, source_id)`; its SHA-256 is then compared with the stored one in constant
time. A revoked source's row says so, and a rotated key's hash is gone, so neither
key finds a source. Commands that revoke or rotate wait for this view before they
answer, so the request after them already sees the change.
"""

from __future__ import annotations

import hmac
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from application.tracking.commands import TrackingSourceDetails
from application.tracking.ports import SourceOfKey
from domain.tracking.source import SourceStatus, TrackingSource, key_digest, owner_of_key

TABLE = "tracking_sources"


class SourceDirectory(ReadModel):
    """Keeps tracking sources listable and their write keys verifiable."""

    name = "tracking_source_directory"
    follows = ("tracking",)
    tables = {
        TABLE: "tenant_id TEXT NOT NULL, source_id TEXT NOT NULL, name TEXT NOT NULL, "
        "kind TEXT NOT NULL, honour_do_not_track INTEGER NOT NULL, key_hash TEXT NOT NULL, "
        "key_prefix TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, changed_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, source_id)",
    }
    indexes = {"tracking_sources_created": f"{TABLE} (tenant_id, created_at, source_id)"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(TrackingSource.Created)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "source_id": str(event.originator_id),
            "name": event.name,
            "kind": event.kind,
            "honour_do_not_track": int(event.honour_do_not_track),
            "key_hash": event.key_hash,
            "key_prefix": event.key_prefix,
            "status": SourceStatus.LIVE.value,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
            "changed_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert(TABLE, row)])

    @process_event.register(TrackingSource.Renamed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, name=event.name)

    @process_event.register(TrackingSource.SettingsChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, honour_do_not_track=int(event.honour_do_not_track))

    @process_event.register(TrackingSource.KeyRotated)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, key_hash=event.key_hash, key_prefix=event.key_prefix)

    @process_event.register(TrackingSource.Revoked)
    def _(self, event: Any, tracking: Tracking) -> None:
        # The hash goes too: nothing a revoked source kept can ever match a key again.
        self._change(event, tracking, status=SourceStatus.REVOKED.value, key_hash="")

    def _change(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        where = {"tenant_id": str(tenant_of(event)), "source_id": str(event.originator_id)}
        changes = {
            **changes,
            "version": event.originator_version,
            "changed_at": iso(event.timestamp),
        }
        self.view.write(tracking, [update(TABLE, changes, where=where)])


class SourceQueries:
    """The tenant's sources from the read model, and the source of a write key."""

    def __init__(self, view: View) -> None:
        self.view = view

    def sources(
        self, tenant_id: UUID, *, status: str | None, cursor: str | None, limit: int
    ) -> Page[TrackingSourceDetails]:
        """The tenant's sources, oldest first; `status` live or revoked only those."""
        where, params = "tenant_id = ?", [str(tenant_id)]
        if status is not None:
            where += " AND status = ?"
            params.append(status)
        page = fetch_page(
            self.view,
            table=TABLE,
            where=where,
            params=params,
            order_by=("created_at", "source_id"),
            descending=False,
            cursor=cursor,
            limit=limit,
        )
        return Page([_details(row) for row in page.items], page.next_cursor)

    def names(self, tenant_id: UUID) -> dict[str, str]:
        """Every source's name by its id (as behaviours carry it), for labelling."""
        rows = self.view.rows(
            f"SELECT source_id, name FROM {TABLE} WHERE tenant_id = ?", (str(tenant_id),)
        )
        return {row["source_id"]: row["name"] for row in rows}

    def source_for_key(self, write_key: str) -> SourceOfKey | None:
        """The live source whose current key this is; None for an unknown, malformed,
        revoked or rotated-away key. One primary-key read, then a constant-time compare."""
        owner = owner_of_key(write_key)
        if owner is None:
            return None
        tenant_id, source_id = owner
        rows = self.view.rows(
            f"SELECT kind, honour_do_not_track, key_hash, status FROM {TABLE} "
            "WHERE tenant_id = ? AND source_id = ?",
            (str(tenant_id), str(source_id)),
        )
        if not rows:
            return None
        row = rows[0]
        if row["status"] != SourceStatus.LIVE or not hmac.compare_digest(
            key_digest(write_key), row["key_hash"]
        ):
            return None
        return SourceOfKey(
            tenant_id=tenant_id,
            source_id=source_id,
            kind=row["kind"],
            honour_do_not_track=bool(row["honour_do_not_track"]),
        )


def _details(row: dict[str, Any]) -> TrackingSourceDetails:
    return TrackingSourceDetails(
        id=UUID(row["source_id"]),
        name=row["name"],
        kind=row["kind"],
        honour_do_not_track=bool(row["honour_do_not_track"]),
        key_prefix=row["key_prefix"],
        status=row["status"],
        version=row["version"],
        created_at=parse_iso(row["created_at"]),
        changed_at=parse_iso(row["changed_at"]),
    )
