"""The lead list's filter trees and saved searches (SEG-2), answered from the segment
profiles: the leads context's `LeadFinder` port, implemented here."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from uuid import UUID

from application.segments.filter_model import parse_filter
from application.segments.filter_sql import compile_filter
from application.segments.profile_tables import LEADS
from application.segments.saved_searches import SavedSearches
from application.shared.clock import Clock
from application.shared.errors import InvalidInput, NotFound
from application.shared.views import View


class FilteredLeads:
    """Pages of live leads a filter selects, newest first, inside a set of owners."""

    def __init__(self, profiles: View, saved_searches: SavedSearches, clock: Clock) -> None:
        self.profiles = profiles
        self.saved_searches = saved_searches
        self.clock = clock

    def find(
        self,
        tenant_id: UUID,
        *,
        tree: Mapping[str, Any] | None,
        saved_search_id: UUID | None,
        owners: Collection[UUID] | None,
        after: tuple[str, str] | None,
        limit: int,
    ) -> list[tuple[str, UUID]]:
        if saved_search_id is not None:
            try:
                tree = self.saved_searches.tree(tenant_id, saved_search_id)
            except NotFound:  # a list is not missing: its parameter names nothing
                raise InvalidInput(
                    f"no saved search {saved_search_id}", field="saved_search_id"
                ) from None
        found = parse_filter(tree)
        where, params = compile_filter(
            found, tenant_id=tenant_id, now=self.clock.now(), dialect=self.profiles.dialect
        )
        clauses, values = [where], list(params)
        if owners is not None:
            if not owners:  # a scope of nobody finds nobody
                return []
            marks = ", ".join("?" for _ in owners)
            clauses.append(f"l.owner_id IN ({marks})")
            values += sorted(str(owner) for owner in owners)
        if after is not None:
            clauses.append("(l.created_at, l.lead_id) < (?, ?)")
            values += list(after)
        rows = self.profiles.rows(
            f"SELECT l.created_at, l.lead_id FROM {LEADS} l WHERE {' AND '.join(clauses)} "
            f"ORDER BY l.created_at DESC, l.lead_id DESC LIMIT {int(limit)}",
            values,
        )
        return [(str(row["created_at"]), UUID(row["lead_id"])) for row in rows]
