"""The leads a filter selects now, from the profile read model (SQL compiled from the
tree, `filter_sql.compile_filter`), in pages: to fill a static group from a filter
result and to evaluate a smart group in full."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from uuid import UUID

from application.segments.filter_sql import compile_filter
from application.shared.views import View
from domain.shared.filters import Filter

PAGE = 1000


class FilterSelection:
    """Runs compiled filters on the profile read model."""

    def __init__(self, profiles: View) -> None:
        self.profiles = profiles

    def lead_ids(
        self, tenant_id: UUID, selecting: Filter, *, now: datetime, page: int = PAGE
    ) -> Iterator[list[UUID]]:
        """The tenant's live leads `selecting` matches at `now`, by id, a page at a time."""
        where, params = compile_filter(
            selecting, tenant_id=tenant_id, now=now, dialect=self.profiles.dialect
        )
        after = ""
        while True:
            rows = self.profiles.rows(
                f"SELECT l.lead_id FROM segments_leads l WHERE ({where}) AND l.lead_id > ? "
                f"ORDER BY l.lead_id LIMIT {int(page)}",
                [*params, after],
            )
            if not rows:
                return
            yield [UUID(row["lead_id"]) for row in rows]
            if len(rows) < page:
                return
            after = rows[-1]["lead_id"]

    def all_lead_ids(self, tenant_id: UUID, selecting: Filter, *, now: datetime) -> set[UUID]:
        return {lead for ids in self.lead_ids(tenant_id, selecting, now=now) for lead in ids}
