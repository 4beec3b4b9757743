"""Routes of saved searches (SEG-2 常用搜索): named filter trees for the lead list
(`GET /api/v1/leads?saved_search_id=`), bulk actions and groups."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response

from application.segments.saved_search_commands import (
    ReviseSearch,
    SavedSearchDetails,
    SaveSearch,
)
from application.segments.saved_searches import SavedSearches
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from domain.shared.access import Action
from entrypoints.http.conventions import (
    IF_MATCH,
    ListOf,
    delete,
    get,
    page_of,
    patch,
    post,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit


class SavedSearchController(Controller):
    path = "/api/v1/saved-searches"
    tags = ["segments"]
    guards = [tenant_may("saved_searches")]
    dependencies = IF_MATCH

    @get("/", operation_id="listSavedSearches")
    def list_searches(
        self,
        saved_searches: SavedSearches,
        caller: TenantCaller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[SavedSearchDetails]:
        """The tenant's saved searches, newest first."""
        return page_of(saved_searches.searches(caller.tenant_id, cursor=cursor, limit=limit))

    @post("/", operation_id="saveSearch", may=Action.CREATE)
    def save(
        self, data: SaveSearch, saved_searches: SavedSearches, caller: TenantCaller
    ) -> Response[SavedSearchDetails]:
        """Save a filter tree under a name.

        The tree combines conditions on base and custom fields, tags, source, status,
        owner, score, stage, consent and behaviours with `all` / `any` / `not`, up to 50
        conditions; an invalid node answers 422 naming its path (`filter.all[2].op`)."""
        return with_etag(saved_searches.save(caller.tenant_id, data), status_code=201)

    @get("/{saved_search_id:uuid}", operation_id="getSavedSearch")
    def get_search(
        self, saved_search_id: UUID, saved_searches: SavedSearches, caller: TenantCaller
    ) -> Response[SavedSearchDetails]:
        """One saved search with its filter tree."""
        return with_etag(saved_searches.search(caller.tenant_id, saved_search_id))

    @patch("/{saved_search_id:uuid}", operation_id="reviseSavedSearch")
    def revise(
        self,
        saved_search_id: UUID,
        data: ReviseSearch,
        saved_searches: SavedSearches,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SavedSearchDetails]:
        """Rename a saved search and/or change its filter."""
        return with_etag(
            saved_searches.revise(
                caller.tenant_id, saved_search_id, data, expected_version=expected_version
            )
        )

    @delete(
        "/{saved_search_id:uuid}",
        operation_id="deleteSavedSearch",
        status_code=200,
    )
    def delete_search(
        self,
        saved_search_id: UUID,
        saved_searches: SavedSearches,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[SavedSearchDetails]:
        """Delete a saved search; lists and groups made from it stay as they are."""
        return with_etag(
            saved_searches.delete(
                caller.tenant_id, saved_search_id, expected_version=expected_version
            )
        )
