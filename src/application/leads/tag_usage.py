"""How many live leads carry each tag (SEG-4 usage counts), kept current as lead events
arrive, so the tag catalogue shows them without reading every lead.

`tag_usage` holds one counter per tenant and tag; `tag_usage_members` which tags each
live lead was counted under, which is what a merge or a deletion needs to know which
counters it leaves (those events do not name the lead's tags). A lead event moves the
lead in and out of counters as `counts.py` does for the dashboard.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.shared.tenant_rows import RecordTenants, insert
from application.shared.views import ReadModel, Statement, View
from domain.leads.lead import Lead

# `leads` goes up and down by the same statement: a counter row is made on its first lead.
_ADD = " ON CONFLICT (tenant_id, tag) DO UPDATE SET leads = tag_usage.leads + excluded.leads"


class TagUsageCounts(Protocol):
    """How many live leads carry each of a tenant's tags (the tag catalogue asks)."""

    def leads_per_tag(self, tenant_id: UUID) -> dict[str, int]:
        """Tag -> live leads carrying it; a tag no live lead carries is absent."""
        ...


class TagUsage(ReadModel):
    """Keeps, per tenant and tag, how many live leads carry the tag."""

    name = "tag_usage"
    version = 1
    follows = ("leads",)
    tenants = RecordTenants("tag_usage_record_tenants")
    tables = {
        "tag_usage_members": "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, "
        "tag TEXT NOT NULL, PRIMARY KEY (tenant_id, lead_id, tag)",
        "tag_usage": "tenant_id TEXT NOT NULL, tag TEXT NOT NULL, leads INTEGER NOT NULL, "
        "PRIMARY KEY (tenant_id, tag)",
        **tenants.definition,
    }
    platform_wide = {tenants.table: "whose record an id is, for events stored unstamped"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(Lead.Registered)
    def _(self, event: Any, tracking: Tracking) -> None:
        # A new lead carries no tags yet; its tags arrive as Tagged (same commit or later).
        remembered = self.tenants.remember(self.view, event, event.tenant_id)
        if remembered:
            self.view.write(tracking, remembered)
        else:
            self.skip(tracking)

    @process_event.register(Lead.Tagged)
    @process_event.register(Lead.Absorbed)  # the survivor takes the duplicate's other tags
    def _(self, event: Any, tracking: Tracking) -> None:
        if not event.tags:
            self.skip(tracking)
            return
        tenant_id, lead_id = self.tenants.of(self.view, event), str(event.originator_id)
        self.view.write(tracking, _joined(tenant_id, lead_id, event.tags))

    @process_event.register(Lead.Untagged)
    def _(self, event: Any, tracking: Tracking) -> None:
        tenant_id, lead_id = self.tenants.of(self.view, event), str(event.originator_id)
        self._leave(tracking, tenant_id, lead_id, event.tags)

    @process_event.register(Lead.MergedInto)
    @process_event.register(Lead.Deleted)
    def _(self, event: Any, tracking: Tracking) -> None:
        tenant_id, lead_id = self.tenants.of(self.view, event), str(event.originator_id)
        self._leave(tracking, tenant_id, lead_id, None)  # no longer live: out of every one

    def _leave(
        self, tracking: Tracking, tenant_id: str, lead_id: str, tags: Iterable[str] | None
    ) -> None:
        """The lead out of the counters of `tags` (None: all) it was counted under."""
        counted = {
            row["tag"]
            for row in self.view.rows(
                "SELECT tag FROM tag_usage_members WHERE tenant_id = ? AND lead_id = ?",
                (tenant_id, lead_id),
            )
        }
        left = sorted(counted if tags is None else set(tags) & counted)
        if not left:
            self.skip(tracking)
            return
        statements: list[Statement] = []
        for tag in left:
            statements += [
                (
                    "DELETE FROM tag_usage_members WHERE tenant_id = ? AND lead_id = ? AND tag = ?",
                    (tenant_id, lead_id, tag),
                ),
                _add(tenant_id, tag, -1),
                (
                    "DELETE FROM tag_usage WHERE tenant_id = ? AND tag = ? AND leads <= 0",
                    (tenant_id, tag),
                ),
            ]
        self.view.write(tracking, statements)


def _joined(tenant_id: str, lead_id: str, tags: Iterable[str]) -> list[Statement]:
    """The lead into the counters of `tags` (an event names only tags it did not have)."""
    statements: list[Statement] = []
    for tag in sorted(set(tags)):
        statements += [
            insert("tag_usage_members", {"tenant_id": tenant_id, "lead_id": lead_id, "tag": tag}),
            _add(tenant_id, tag, 1),
        ]
    return statements


def _add(tenant_id: str, tag: str, leads: int) -> Statement:
    sql, params = insert("tag_usage", {"tenant_id": tenant_id, "tag": tag, "leads": leads})
    return sql + _ADD, params


class TagUsageQueries:
    """Reads the usage counts (the `TagUsageCounts` the lead settings answer with)."""

    def __init__(self, view: View) -> None:
        self.view = view

    def leads_per_tag(self, tenant_id: UUID) -> dict[str, int]:
        rows = self.view.rows(
            "SELECT tag, leads FROM tag_usage WHERE tenant_id = ?", (str(tenant_id),)
        )
        return {row["tag"]: int(row["leads"]) for row in rows}
