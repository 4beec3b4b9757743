"""Lead lists, searches and timelines from the leads read model (LEAD-8, LEAD-10),
always inside the caller's data scope (ORG-2)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import astuple, dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

from application.leads.identities import normalise_email, normalise_mobile
from application.leads.ports import LeadActivitySource, LeadFinder
from application.leads.scope import CallerOrScope, LeadScope, ScopedLeads
from application.shared.errors import InvalidInput
from application.shared.pages import MAX_LIMIT, Page, decode_cursor, encode_cursor, fetch_page
from application.shared.views import View, iso, parse_iso

SortKey = Literal["created_at", "updated_at"]
CountedBy = Literal["status", "pool_state", "source_level1"]
COUNTED_BY: frozenset[str] = frozenset({"status", "pool_state", "source_level1"})
LEAD_SOURCE = "lead"  # the lead's own events among the timeline's sources


class LeadSummary(BaseModel):
    id: UUID
    user_type: str
    name: str | None
    mobile: str | None
    email: str | None
    company: str | None
    city: str | None
    title: str | None
    status: str
    pool_state: str
    owner_id: UUID | None
    source_level1: str | None
    source_level2: str | None
    tags: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


class TimelineEntry(BaseModel):
    """One thing that happened to a lead. `kind` is `<context>.<what>` (e.g.
    `lead.Assigned`; later `tracking.PageViewed`, `messaging.EmailOpened`)."""

    at: datetime
    kind: str
    actor: dict[str, Any] | None
    details: dict[str, Any]


@dataclass(frozen=True)
class LeadFilter:
    """What a lead list asks for; every field optional."""

    q: str | None = None  # part of the name or company, or a mobile / e-mail prefix
    mobile: str | None = None
    email: str | None = None
    tag: str | None = None
    owner_id: UUID | None = None
    status: str | None = None
    pool_state: str | None = None
    source_level1: str | None = None
    source_level2: str | None = None
    user_type: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


_FILTER_NAMES = tuple(LeadFilter.__dataclass_fields__)


class LeadQueries:
    """Reads of the leads read model, inside the caller's data scope."""

    def __init__(
        self,
        view: View,
        leads: ScopedLeads,
        counted: View,
        activity: Sequence[LeadActivitySource] = (),
        finders: Sequence[LeadFinder] = (),
    ) -> None:
        self.view = view
        self.leads = leads
        self.counted = counted  # the lead_counts read model (application.leads.counts)
        # Other contexts' timeline entries (tracking's behaviours…), merged in (ADR 0006).
        self.activity = tuple(activity)
        # Who answers filter trees and saved searches (the segments context), if any.
        self.finder = finders[0] if finders else None

    def search(
        self,
        who: CallerOrScope,
        found: LeadFilter,
        *,
        sort: SortKey = "created_at",
        cursor: str | None = None,
        limit: int = 20,
        tree: Mapping[str, Any] | None = None,
        saved_search_id: UUID | None = None,
    ) -> Page[LeadSummary]:
        """Live leads matching `found` inside the caller's data scope, newest first (a
        filter never widens the scope). A filter `tree` or a saved search instead selects
        through the segments context's profiles (custom fields, OR, ranges, behaviours)."""
        if tree is not None or saved_search_id is not None:
            return self._found_by_tree(who, found, sort, cursor, limit, tree, saved_search_id)
        where, params = where_clause(self.leads.scope_of(who), found)
        page = fetch_page(
            self.view,
            table="leads_leads",
            where=where,
            params=params,
            order_by=(sort, "lead_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([summary(row) for row in page.items], page.next_cursor)

    def _found_by_tree(
        self,
        who: CallerOrScope,
        found: LeadFilter,
        sort: SortKey,
        cursor: str | None,
        limit: int,
        tree: Mapping[str, Any] | None,
        saved_search_id: UUID | None,
    ) -> Page[LeadSummary]:
        if tree is not None and saved_search_id is not None:
            raise InvalidInput("give a filter or a saved search, not both", field="filter")
        given = [name for name, value in zip(_FILTER_NAMES, astuple(found), strict=True) if value]
        if given:  # one language per request: the tree can say all the list's filters say
            raise InvalidInput(
                f"{given[0]} cannot be combined with a filter tree; put it in the tree",
                field=given[0],
            )
        if sort != "created_at":
            raise InvalidInput("a filter tree lists newest first (sort=created_at)", field="sort")
        if self.finder is None:
            raise InvalidInput("filter trees need the segments context", field="filter")
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
        scope = self.leads.scope_of(who)
        after = None
        if cursor is not None:
            created_at, lead_id = decode_cursor(cursor, width=2)
            after = (str(created_at), str(lead_id))
        pairs = self.finder.find(
            scope.tenant_id,
            tree=tree,
            saved_search_id=saved_search_id,
            owners=scope.owners,
            after=after,
            limit=limit + 1,
        )
        shown, more = pairs[:limit], len(pairs) > limit
        rows: dict[str, dict[str, Any]] = {}
        ids = [str(lead_id) for _, lead_id in shown]
        if ids:
            marks = ", ".join("?" for _ in ids)
            for row in self.view.rows(
                f"SELECT * FROM leads_leads WHERE tenant_id = ? AND lead_id IN ({marks}) "
                "AND live = 1",
                [str(scope.tenant_id), *ids],
            ):
                rows[row["lead_id"]] = row
        # The profiles may be a moment ahead of the list (a lead just deleted): skip it.
        items = [summary(rows[lead_id]) for lead_id in ids if lead_id in rows]
        next_cursor = encode_cursor([shown[-1][0], str(shown[-1][1])]) if more else None
        return Page(items, next_cursor)

    def timeline(
        self, who: CallerOrScope, lead_id: UUID, *, cursor: str | None, limit: int
    ) -> Page[TimelineEntry]:
        """What happened to a lead, newest first: its own events and every activity
        source's entries, merged by (at, source, position), the cursor being the last
        entry's triple (ADR 0006). The lead itself (not the read model, which may lag
        behind a reassignment) says whether it is inside the scope."""
        tenant_id = self.leads.lead_in_scope(who, lead_id).tenant_id
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
        before = _timeline_mark(cursor) if cursor is not None else None
        where = "tenant_id = ? AND lead_id = ?"
        params: list[Any] = [str(tenant_id), str(lead_id)]
        if before is not None:
            mark, named, number = iso(before[0]), before[1], before[2]
            if named == LEAD_SOURCE:
                where += " AND (at < ? OR (at = ? AND position < ?))"
                params += [mark, mark, number]
            else:  # ties on `at` are ordered by source name
                where += " AND at < ?" if named < LEAD_SOURCE else " AND at <= ?"
                params.append(mark)
        rows = self.view.rows(
            f"SELECT * FROM leads_timeline WHERE {where} "
            f"ORDER BY at DESC, position DESC LIMIT {limit + 1}",
            params,
        )
        found: list[tuple[tuple[datetime, str, int], TimelineEntry]] = [
            (
                (parse_iso(row["at"]), LEAD_SOURCE, int(row["position"])),
                TimelineEntry(
                    at=parse_iso(row["at"]),
                    kind=row["kind"],
                    actor=json.loads(row["actor"]) if row["actor"] else None,
                    details=json.loads(row["details"]),
                ),
            )
            for row in rows
        ]
        for source in self.activity:
            for item in source.activity(tenant_id, lead_id, before=before, limit=limit + 1):
                entry = TimelineEntry(
                    at=item.at, kind=item.kind, actor=item.actor, details=item.details
                )
                found.append(((item.at, source.source, item.position), entry))
        found.sort(key=lambda pair: pair[0], reverse=True)
        next_cursor = None
        if len(found) > limit:
            at, source_name, position = found[limit - 1][0]
            next_cursor = encode_cursor([iso(at), source_name, position])
        return Page([entry for _, entry in found[:limit]], next_cursor)

    def counts(self, who: CallerOrScope, by: CountedBy) -> dict[str, int]:
        """How many live leads inside the caller's data scope have each value of `by`
        (the dashboard's figures), the most frequent first; no source counts as ''.
        Summed from the per-owner counters the lead_counts read model keeps, never by
        counting the leads themselves."""
        if by not in COUNTED_BY:
            raise ValueError(f"leads are not counted by {by!r}")
        scope = self.leads.scope_of(who)
        where, params = "tenant_id = ? AND dimension = ?", [str(scope.tenant_id), by]
        if scope.owners is not None:
            if not scope.owners:  # a scope of nobody counts nothing
                return {}
            owners = sorted(str(owner) for owner in scope.owners)
            where += f" AND owner_id IN ({', '.join('?' for _ in owners)})"
            params += owners
        rows = self.counted.rows(
            f"SELECT value, SUM(leads) AS leads FROM lead_counts WHERE {where} GROUP BY value",
            params,
        )
        counted = {str(row["value"]): int(row["leads"]) for row in rows if int(row["leads"])}
        return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))

    def claimed(self, tenant_id: UUID, claim_ids: Collection[UUID]) -> set[UUID]:
        """Which of the identity index ids are already stored (bulk intake asks first,
        so it loads only those; the event store still has the last word)."""
        found: set[UUID] = set()
        ids = [str(claim_id) for claim_id in claim_ids]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.view.rows(
                f"SELECT claim_id FROM leads_identities WHERE tenant_id = ? "
                f"AND claim_id IN ({marks})",
                [str(tenant_id), *chunk],
            )
            found.update(UUID(row["claim_id"]) for row in rows)
        return found


def _timeline_mark(cursor: str) -> tuple[datetime, str, int]:
    """The (at, source, position) a timeline cursor carries."""
    at, source, position = decode_cursor(cursor, width=3)
    try:
        return parse_iso(str(at)), str(source), int(position)
    except (TypeError, ValueError):
        raise InvalidInput("cursor is not one this API handed out", field="cursor") from None


def where_clause(scope: LeadScope, found: LeadFilter) -> tuple[str, list[Any]]:
    """SQL conditions for a filter, the tenant and the data scope first: every lead
    list goes through here, so none can leave the scope out."""
    clauses, params = ["tenant_id = ?", "live = 1"], [str(scope.tenant_id)]
    if scope.owners is not None:
        if not scope.owners:  # a scope of nobody: nothing, still asked of the tenant's rows
            return "tenant_id = ? AND 1 = 0", [str(scope.tenant_id)]
        owners = sorted(scope.owners)
        clauses.append(f"owner_id IN ({', '.join('?' for _ in owners)})")
        params += [str(owner) for owner in owners]
    exact = {  # identities as the index keeps them: `13800138000` finds `+8613800138000`
        "mobile": found.mobile and normalise_mobile(found.mobile),
        "email": found.email and normalise_email(found.email), "owner_id": found.owner_id,
        "status": found.status, "pool_state": found.pool_state,
        "source_level1": found.source_level1, "source_level2": found.source_level2,
        "user_type": found.user_type,
    }  # fmt: skip
    for column, value in exact.items():
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(str(value))
    if found.tag:
        clauses.append("tags LIKE ? ESCAPE '\\'")
        params.append(f"%,{_escape(found.tag)},%")
    if found.q:
        text = _escape(found.q.lower())
        clauses.append(
            "(LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(company) LIKE ? ESCAPE '\\' "
            "OR mobile LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\')"
        )
        params += [f"%{text}%", f"%{text}%", f"%{text}%", f"{text}%"]
    if found.created_from:
        clauses.append("created_at >= ?")
        params.append(iso(found.created_from))
    if found.created_to:
        clauses.append("created_at < ?")
        params.append(iso(found.created_to))
    return " AND ".join(clauses), params


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def summary(row: dict[str, Any]) -> LeadSummary:
    return LeadSummary(
        id=UUID(row["lead_id"]),
        user_type=row["user_type"],
        name=row["name"],
        mobile=row["mobile"],
        email=row["email"],
        company=row["company"],
        city=row["city"],
        title=row["title"],
        status=row["status"],
        pool_state=row["pool_state"],
        owner_id=UUID(row["owner_id"]) if row["owner_id"] else None,
        source_level1=row["source_level1"],
        source_level2=row["source_level2"],
        tags=[tag for tag in row["tags"].split(",") if tag],
        version=row["version"],
        created_at=parse_iso(row["created_at"]),
        updated_at=parse_iso(row["updated_at"]),
    )
