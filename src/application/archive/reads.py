"""The record of archive reads (ARCH-6): who read what of the archive and when, listed
for tenant admins and auditors, newest first. A read model of the archive's
`ArchiveRead.Recorded` events, with the actor and request id they were stamped with."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.archive.reading_records import ReadEntry
from application.shared.pages import Page, fetch_page
from application.shared.stamping import metadata_of
from application.shared.tenant_rows import insert
from application.shared.views import ReadModel, View, iso, parse_iso
from domain.archive.reading import ArchiveRead

READS = "archive_reads"


class ReadLog(ReadModel):
    """One row per read of the archive."""

    name = "archive_read_log"
    follows = ("archive",)
    tables = {
        READS: "tenant_id TEXT NOT NULL, read_id TEXT NOT NULL, read_at TEXT NOT NULL, "
        "actor_kind TEXT, actor_id TEXT, request_id TEXT, kind TEXT NOT NULL, "
        "scope TEXT NOT NULL, customer TEXT NOT NULL, employee TEXT NOT NULL, "
        "conversation TEXT NOT NULL, message TEXT NOT NULL, terms TEXT NOT NULL, "
        "since TEXT, until TEXT, shown INTEGER NOT NULL, PRIMARY KEY (tenant_id, read_id)",
    }
    indexes = {
        "archive_reads_time": f"{READS} (tenant_id, read_at, read_id)",
        "archive_reads_actor": f"{READS} (tenant_id, actor_id, read_at, read_id)",
    }

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(ArchiveRead.Recorded)
    def _(self, event: Any, tracking: Tracking) -> None:
        metadata = metadata_of(event)
        actor = metadata.get("actor") or {}
        row = {
            "tenant_id": str(event.tenant_id),
            "read_id": str(event.originator_id),
            "read_at": iso(event.timestamp),
            "actor_kind": actor.get("kind"),
            "actor_id": actor.get("id"),
            "request_id": metadata.get("request_id"),
            "kind": event.kind,
            "scope": event.scope,
            "customer": event.customer,
            "employee": event.employee,
            "conversation": event.conversation,
            "message": event.message,
            "terms": event.terms,
            "since": iso(event.since) if event.since else None,
            "until": iso(event.until) if event.until else None,
            "shown": event.shown,
        }
        self.view.write(tracking, [insert(READS, row)])


class ReadQueries:
    """Pages of the record of reads."""

    def __init__(self, view: View) -> None:
        self.view = view

    def reads(
        self,
        tenant_id: UUID,
        *,
        actor_id: str | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[ReadEntry]:
        """The tenant's archive reads, newest first; `actor_id`: one reader's."""
        where, params = "tenant_id = ?", [str(tenant_id)]
        if actor_id:
            where += " AND actor_id = ?"
            params.append(actor_id)
        page = fetch_page(
            self.view,
            table=READS,
            where=where,
            params=params,
            order_by=("read_at", "read_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_entry(row) for row in page.items], page.next_cursor)


def _entry(row: dict[str, Any]) -> ReadEntry:
    return ReadEntry(
        id=row["read_id"],
        read_at=parse_iso(row["read_at"]),
        actor_kind=row["actor_kind"],
        actor_id=row["actor_id"],
        request_id=row["request_id"],
        kind=row["kind"],
        scope=row["scope"],
        customer=row["customer"],
        employee=row["employee"],
        conversation=row["conversation"],
        message=row["message"],
        terms=row["terms"],
        since=_moment(row["since"]),
        until=_moment(row["until"]),
        shown=int(row["shown"]),
    )


def _moment(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None
