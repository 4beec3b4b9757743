"""Behaviours by lead: what the read models over the behaviour log share (tracking's
timeline and activity reads, the segments' profiles). Each keeps, per tenant, every
behaviour of the log with the lead it belongs to, and moves it when that changes.

A behaviour belongs to a lead by, first to last: the lead its appender named
(`Behaviour.lead_id`, e.g. an e-mail click of a recipient), its user id's visitor, its
anonymous id's visitor (`Visitor` events of the tracking application, which identity
stitching records). A merged lead's behaviours belong to the survivor (the leads'
`leads.Lead.MergedInto`, recognised by its topic: the contexts meet through events).

Upstreams are not ordered with each other, so each fact is applied whichever comes
first: a behaviour looks up the links and merges already seen; a link or merge moves
the rows already stored (`linked_by` says which of the three placed a row, so a weaker
one never overrides a stronger one). Both orders end with the same rows.

Rows keep visitor ids (uuid5 of tenant and key), never the anonymous or user id
itself, and no identities: read models hold no personal data (ADR 0006).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.shared.behaviours import BEHAVIOURS, Behaviour
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import RecordTenants, insert
from application.shared.views import ReadModel, Statement, iso
from domain.shared.visitors import VisitorKind, visitor_id

# The leads' and the tracking context's events, by topic (shared code imports no context).
LEAD_REGISTERED = "leads.Lead.Registered"
LEAD_MERGED_INTO = "leads.Lead.MergedInto"
VISITOR_EVENTS = frozenset({"tracking.Visitor.Identified", "tracking.Visitor.Reidentified"})

BY_LEAD, BY_USER, BY_ANONYMOUS = "lead", "user", "anonymous"
# Which placements a visitor's link may replace: a user id's beats an anonymous id's,
# and the appender's own lead beats both.
REPLACES = {
    VisitorKind.USER.value: (BY_USER, BY_ANONYMOUS),
    VisitorKind.ANONYMOUS.value: (BY_ANONYMOUS,),
}


def stitched_tables(prefix: str, columns: str) -> dict[str, str]:
    """The tables of a behaviours-by-lead read model; `columns` are its own columns of
    each behaviour row (with a trailing comma)."""
    return {
        f"{prefix}_behaviours": "tenant_id TEXT NOT NULL, position INTEGER NOT NULL, "
        "at TEXT NOT NULL, user_visitor TEXT, anonymous_visitor TEXT, given_lead_id TEXT, "
        f"lead_id TEXT, linked_by TEXT, {columns} PRIMARY KEY (tenant_id, position)",
        f"{prefix}_visitors": "tenant_id TEXT NOT NULL, visitor_id TEXT NOT NULL, "
        "kind TEXT NOT NULL, lead_id TEXT NOT NULL, PRIMARY KEY (tenant_id, visitor_id)",
        f"{prefix}_merges": "tenant_id TEXT NOT NULL, merged_id TEXT NOT NULL, "
        "survivor_id TEXT NOT NULL, PRIMARY KEY (tenant_id, merged_id)",
    }


def stitched_indexes(prefix: str) -> dict[str, str]:
    table = f"{prefix}_behaviours"
    return {
        f"{prefix}_by_lead": f"{table} (tenant_id, lead_id, at, position)",
        f"{prefix}_by_user": f"{table} (tenant_id, user_visitor)",
        f"{prefix}_by_anonymous": f"{table} (tenant_id, anonymous_visitor)",
        f"{prefix}_visitors_lead": f"{prefix}_visitors (tenant_id, lead_id)",
        f"{prefix}_merges_survivor": f"{prefix}_merges (tenant_id, survivor_id)",
    }


class LeadBehaviours(ReadModel):
    """Base of the read models that keep behaviours by lead (see the module)."""

    prefix: ClassVar[str]
    follows: ClassVar[tuple[str, ...]] = (BEHAVIOURS, "tracking", "leads")
    tenants: ClassVar[RecordTenants]

    def row_of(self, behaviour: Behaviour) -> dict[str, Any]:
        """The read model's own columns of a behaviour's row."""
        return {}

    def added(self, tenant_id: str, lead_id: str, row: dict[str, Any]) -> list[Statement]:
        """What else changes when a behaviour of `lead_id` is stored."""
        return []

    def moved(self, tenant_id: str, lead_ids: Iterable[str]) -> list[Statement]:
        """What else changes after behaviours moved from or to these leads."""
        return []

    def merged(self, tenant_id: str, merged_id: str, survivor_id: str) -> list[Statement]:
        """What else changes when a lead is merged into another (after the moves)."""
        return []

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if isinstance(domain_event, Behaviour):
            self._behaviour(domain_event, tracking)
            return
        topic = get_topic(type(domain_event))
        if topic in VISITOR_EVENTS:
            self._visitor(domain_event, tracking)
        elif topic == LEAD_MERGED_INTO:
            self._merged(domain_event, tracking)
        elif topic == LEAD_REGISTERED:
            self.view.write(
                tracking, self.tenants.remember(self.view, domain_event, domain_event.tenant_id)
            )
        else:
            self.skip(tracking)

    # --- the three facts -----------------------------------------------------------------

    def _behaviour(self, behaviour: Behaviour, tracking: Tracking) -> None:
        tenant_id = str(behaviour.tenant_id)
        user = (
            str(visitor_id(behaviour.tenant_id, VisitorKind.USER, behaviour.user_id))
            if behaviour.user_id
            else None
        )
        anonymous = (
            str(visitor_id(behaviour.tenant_id, VisitorKind.ANONYMOUS, behaviour.anonymous_id))
            if behaviour.anonymous_id
            else None
        )
        lead_id, linked_by = None, None
        if behaviour.lead_id is not None:
            lead_id, linked_by = self._survivor(tenant_id, str(behaviour.lead_id)), BY_LEAD
        else:
            for visitor, by in ((user, BY_USER), (anonymous, BY_ANONYMOUS)):
                found = visitor and self._lead_of_visitor(tenant_id, visitor)
                if found:
                    lead_id, linked_by = found, by
                    break
        row = {
            "tenant_id": tenant_id,
            "position": tracking.notification_id,
            "at": iso(behaviour.occurred_at),
            "user_visitor": user,
            "anonymous_visitor": anonymous,
            "given_lead_id": str(behaviour.lead_id) if behaviour.lead_id else None,
            "lead_id": lead_id,
            "linked_by": linked_by,
            **self.row_of(behaviour),
        }
        statements = [insert(f"{self.prefix}_behaviours", row)]
        if lead_id is not None:
            statements += self.added(tenant_id, lead_id, row)
        self.view.write(tracking, statements)

    def _visitor(self, event: Any, tracking: Tracking) -> None:
        tenant_id = str(tenant_of(event) or event.tenant_id)
        visitor = str(event.originator_id)
        visitors = f"{self.prefix}_visitors"
        kind = getattr(event, "kind", None) or self._kind_of_visitor(tenant_id, visitor)
        lead_id = self._survivor(tenant_id, str(event.lead_id))
        column = "user_visitor" if kind == VisitorKind.USER else "anonymous_visitor"
        replaces = REPLACES[kind]
        condition = (
            f"tenant_id = ? AND {column} = ? AND (linked_by IS NULL OR linked_by IN "
            f"({', '.join('?' for _ in replaces)})) AND (lead_id IS NULL OR lead_id <> ?)"
        )
        params = (tenant_id, visitor, *replaces, lead_id)
        behaviours = f"{self.prefix}_behaviours"
        earlier = self.view.rows(
            f"SELECT DISTINCT lead_id FROM {behaviours} WHERE {condition}", params
        )
        statements: list[Statement] = [
            (
                f"DELETE FROM {visitors} WHERE tenant_id = ? AND visitor_id = ?",
                (tenant_id, visitor),
            ),
            insert(
                visitors,
                {"tenant_id": tenant_id, "visitor_id": visitor, "kind": kind, "lead_id": lead_id},
            ),
        ]
        if earlier:  # the visitor's behaviour so far now belongs to the lead
            kind_linked = BY_USER if kind == VisitorKind.USER else BY_ANONYMOUS
            statements.append(
                (
                    f"UPDATE {behaviours} SET lead_id = ?, linked_by = ? WHERE {condition}",
                    (lead_id, kind_linked, *params),
                )
            )
            leads = {row["lead_id"] for row in earlier if row["lead_id"]} | {lead_id}
            statements += self.moved(tenant_id, sorted(leads))
        self.view.write(tracking, statements)

    def _merged(self, event: Any, tracking: Tracking) -> None:
        tenant_id = self.tenants.of(self.view, event)
        merged = str(event.originator_id)
        survivor = self._survivor(tenant_id, str(event.survivor_id))
        merges, where = f"{self.prefix}_merges", "WHERE tenant_id = ? AND"
        statements: list[Statement] = [
            insert(merges, {"tenant_id": tenant_id, "merged_id": merged, "survivor_id": survivor}),
            # Merges are kept flat: whatever was merged into this lead now points further.
            (
                f"UPDATE {merges} SET survivor_id = ? {where} survivor_id = ?",
                (survivor, tenant_id, merged),
            ),
            (
                f"UPDATE {self.prefix}_visitors SET lead_id = ? {where} lead_id = ?",
                (survivor, tenant_id, merged),
            ),
            (
                f"UPDATE {self.prefix}_behaviours SET lead_id = ? {where} lead_id = ?",
                (survivor, tenant_id, merged),
            ),
            *self.moved(tenant_id, [merged, survivor]),
            *self.merged(tenant_id, merged, survivor),
        ]
        self.view.write(tracking, statements)

    # --- look-ups --------------------------------------------------------------------------

    def _survivor(self, tenant_id: str, lead_id: str) -> str:
        """The lead `lead_id` is now: itself, or the lead it was merged into."""
        rows = self.view.rows(
            f"SELECT survivor_id FROM {self.prefix}_merges WHERE tenant_id = ? AND merged_id = ?",
            (tenant_id, lead_id),
        )
        return str(rows[0]["survivor_id"]) if rows else lead_id

    def _lead_of_visitor(self, tenant_id: str, visitor: str) -> str | None:
        rows = self.view.rows(
            f"SELECT lead_id FROM {self.prefix}_visitors WHERE tenant_id = ? AND visitor_id = ?",
            (tenant_id, visitor),
        )
        return str(rows[0]["lead_id"]) if rows else None

    def _kind_of_visitor(self, tenant_id: str, visitor: str) -> str:
        rows = self.view.rows(
            f"SELECT kind FROM {self.prefix}_visitors WHERE tenant_id = ? AND visitor_id = ?",
            (tenant_id, visitor),
        )
        if not rows:  # a re-identification always follows the visitor's first event
            raise LookupError(f"visitor {visitor} of tenant {tenant_id} was never identified")
        return str(rows[0]["kind"])
