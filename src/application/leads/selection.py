"""The leads a list filter selects, in list order, within the caller's data scope
(ORG-2): what bulk actions by filter and exports walk through (LEAD-10)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from application.leads.queries import LeadFilter, where_clause
from application.leads.scope import LeadScope
from application.shared.pages import decode_cursor, encode_cursor
from application.shared.views import View

ORDER = ("created_at", "lead_id")  # the list's default order, newest first


class LeadSelection:
    """Walks the leads read model by keyset (never OFFSET), a batch at a time."""

    def __init__(self, view: View) -> None:
        self.view = view

    def batch(
        self, scope: LeadScope, found: LeadFilter, *, after: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Up to `limit` rows inside `scope` after the cursor `after`, and the cursor of
        the last one when more may follow."""
        where, params = where_clause(scope, found)
        values = list(params)
        if after is not None:
            where += " AND (created_at, lead_id) < (?, ?)"
            values += decode_cursor(after, width=len(ORDER))
        rows = self.view.rows(
            f"SELECT * FROM leads_leads WHERE {where} "
            f"ORDER BY created_at DESC, lead_id DESC LIMIT {limit + 1}",
            values,
        )
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        return rows, encode_cursor([rows[-1][key] for key in ORDER])

    def rows(
        self, scope: LeadScope, found: LeadFilter, *, batch_size: int = 1000
    ) -> Iterator[dict[str, Any]]:
        """Every matching row inside `scope`, newest first, `batch_size` at a time."""
        after: str | None = None
        while True:
            rows, after = self.batch(scope, found, after=after, limit=batch_size)
            yield from rows
            if after is None:
                return
