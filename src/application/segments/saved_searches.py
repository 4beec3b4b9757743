"""Saved searches (SEG-2 常用搜索): name a filter tree once, use it in the lead list
(`GET /api/v1/leads?saved_search_id=`), in bulk actions and to fill a group."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.segments.saved_search_commands import ReviseSearch, SavedSearchDetails, SaveSearch
from application.segments.saved_search_directory import SavedSearchQueries
from application.segments.segments import Segments
from application.shared.errors import NotFound
from application.shared.pages import Page
from domain.segments.saved_search import SavedSearch
from domain.shared.errors import StateConflict


class SavedSearches:
    """Saves, revises, deletes and reads the tenant's saved searches."""

    def __init__(self, segments: Segments, queries: SavedSearchQueries) -> None:
        self.segments = segments
        self.queries = queries

    def save(self, tenant_id: UUID, command: SaveSearch) -> SavedSearchDetails:
        """Name a filter tree (an invalid tree: 422 naming the bad node's path)."""
        self._require_free_name(tenant_id, command.name, None)
        search = SavedSearch.save(
            search_id=self.segments.new_id("saved_search"),
            tenant_id=tenant_id,
            name=command.name,
            tree=command.filter,
        )
        return details(self.segments.create(search))

    def revise(
        self, tenant_id: UUID, search_id: UUID, command: ReviseSearch, *, expected_version: int
    ) -> SavedSearchDetails:
        """Rename it and/or change its filter (If-Match)."""
        search = self._load(tenant_id, search_id, expected_version)
        if command.name is not None:
            self._require_free_name(tenant_id, command.name, search_id)
        search.revise(name=command.name, tree=command.filter)
        self.segments.commit(search)
        return details(search)

    def delete(
        self, tenant_id: UUID, search_id: UUID, *, expected_version: int
    ) -> SavedSearchDetails:
        search = self._load(tenant_id, search_id, expected_version)
        search.delete()
        self.segments.commit(search)
        return details(search)

    def search(self, tenant_id: UUID, search_id: UUID) -> SavedSearchDetails:
        return details(self._load(tenant_id, search_id, None))

    def tree(self, tenant_id: UUID, search_id: UUID) -> dict[str, Any]:
        """The filter tree of a live saved search of the tenant (else NotFound)."""
        return self._load(tenant_id, search_id, None).tree

    def searches(
        self, tenant_id: UUID, *, cursor: str | None, limit: int
    ) -> Page[SavedSearchDetails]:
        return self.queries.searches(tenant_id, cursor=cursor, limit=limit)

    def _load(self, tenant_id: UUID, search_id: UUID, expected_version: int | None) -> SavedSearch:
        search = self.segments.load(
            search_id, SavedSearch, tenant_id=tenant_id, expected_version=expected_version
        )
        if search.is_deleted:
            raise NotFound(f"no SavedSearch {search_id}")
        return search

    def _require_free_name(self, tenant_id: UUID, name: str, own_id: UUID | None) -> None:
        # The list is a moment behind; two saves at once may both pass (names are labels).
        holder = self.queries.id_named(tenant_id, name.strip())
        if holder is not None and holder != own_id:
            raise StateConflict(f"a saved search is named {name.strip()!r} already")


def details(search: SavedSearch) -> SavedSearchDetails:
    return SavedSearchDetails(
        id=search.id,
        name=search.name,
        filter=search.tree,
        version=search.version,
        created_at=search.created_on,
        updated_at=search.modified_on,
    )
