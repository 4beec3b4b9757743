"""The saved searches' read model: the tenant's list, by name."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.segments.saved_search_commands import SavedSearchDetails
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from domain.segments.saved_search import SavedSearch

TABLE = "segments_saved_searches"


class SavedSearchDirectory(ReadModel):
    """Keeps each tenant's live saved searches listable."""

    name = "segment_saved_searches"
    version = 1
    follows = ("segments",)
    # Saved searches were born after events were stamped with their tenant, so every
    # event names its tenant and no record-tenants table is needed.
    tables = {
        TABLE: "tenant_id TEXT NOT NULL, search_id TEXT NOT NULL, name TEXT NOT NULL, "
        "tree TEXT NOT NULL, live INTEGER NOT NULL, version INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (tenant_id, search_id)",
    }
    indexes = {f"{TABLE}_created": f"{TABLE} (tenant_id, created_at, search_id) WHERE live = 1"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(SavedSearch.Saved)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "search_id": str(event.originator_id),
            "name": event.name,
            "tree": json.dumps(event.tree, ensure_ascii=False),
            "live": 1,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
            "updated_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert(TABLE, row)])

    @process_event.register(SavedSearch.Revised)
    def _(self, event: Any, tracking: Tracking) -> None:
        changes = {"name": event.name, "tree": json.dumps(event.tree, ensure_ascii=False)}
        self._change(event, tracking, changes)

    @process_event.register(SavedSearch.Deleted)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"live": 0})

    def _change(self, event: Any, tracking: Tracking, changes: dict[str, Any]) -> None:
        where = {"tenant_id": str(tenant_of(event)), "search_id": str(event.originator_id)}
        changes = {
            **changes,
            "version": event.originator_version,
            "updated_at": iso(event.timestamp),
        }
        self.view.write(tracking, [update(TABLE, changes, where=where)])


class SavedSearchQueries:
    """Reads of the saved searches' list."""

    def __init__(self, view: View) -> None:
        self.view = view

    def searches(
        self, tenant_id: UUID, *, cursor: str | None, limit: int
    ) -> Page[SavedSearchDetails]:
        """The tenant's live saved searches, newest first."""
        page = fetch_page(
            self.view,
            table=TABLE,
            where="tenant_id = ? AND live = 1",
            params=[str(tenant_id)],
            order_by=("created_at", "search_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_details(row) for row in page.items], page.next_cursor)

    def id_named(self, tenant_id: UUID, name: str) -> UUID | None:
        rows = self.view.rows(
            f"SELECT search_id FROM {TABLE} WHERE tenant_id = ? AND live = 1 AND name = ?",
            (str(tenant_id), name),
        )
        return UUID(rows[0]["search_id"]) if rows else None


def _details(row: dict[str, Any]) -> SavedSearchDetails:
    return SavedSearchDetails(
        id=UUID(row["search_id"]),
        name=row["name"],
        filter=json.loads(row["tree"]),
        version=int(row["version"]),
        created_at=parse_iso(row["created_at"]),
        updated_at=parse_iso(row["updated_at"]),
    )
