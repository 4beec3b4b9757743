"""The leads read model: the searchable list of leads, the identity index (for bulk
intake) and each lead's timeline (LEAD-8, LEAD-10)."""

from __future__ import annotations

import json
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.shared.views import ReadModel, Statement, iso
from domain.leads.identity import LeadIdentity
from domain.leads.lead import Lead

# What a timeline entry shows of each lead event (never identities: they are personal).
TIMELINE_FIELDS: dict[str, tuple[str, ...]] = {
    "Registered": ("status", "owner_id", "user_type"),
    "IdentityAttached": ("kind",),
    "ProfileUpdated": ("profile", "custom"),
    "SourceChanged": ("source",),
    "StatusChanged": ("status",),
    "Assigned": ("owner_id", "previous_owner_id", "reason"),
    "FollowedUp": ("note",),
    "Closed": ("outcome", "reason"),
    "ReleasedToPool": ("previous_owner_id", "reason"),
    "HandedOver": ("from_owner_id", "to_owner_id", "reason", "kind"),
    "Tagged": ("tags",),
    "Untagged": ("tags",),
    "ConsentChanged": ("channel", "state", "source"),
    "Absorbed": ("merged_id", "tags"),
    "MergedInto": ("survivor_id",),
    "Deleted": ("reason",),
}


LISTED_PROFILE = ("name", "company", "city", "title")


class LeadDirectory(ReadModel):
    """Keeps leads searchable, their identities indexed and their timelines in order."""

    name = "lead_directory"
    follows = ("leads",)
    tables = {
        "leads_leads": "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, user_type TEXT NOT NULL, "
        "name TEXT, mobile TEXT, email TEXT, company TEXT, city TEXT, title TEXT, "
        "status TEXT NOT NULL, pool_state TEXT NOT NULL, owner_id TEXT, source_level1 TEXT, "
        "source_level2 TEXT, tags TEXT NOT NULL, live INTEGER NOT NULL, "
        "version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, lead_id)",
        "leads_identities": "tenant_id TEXT NOT NULL, claim_id TEXT NOT NULL, "
        "lead_id TEXT, PRIMARY KEY (tenant_id, claim_id)",
        "leads_timeline": "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, "
        "position INTEGER NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL, "
        "actor TEXT, details TEXT NOT NULL, PRIMARY KEY (tenant_id, lead_id, position)",
        # One row per channel with a recorded choice; no row: nothing said, may contact
        # (LEAD-9). Senders ask it in batches through ConsentQueries.contactable.
        "leads_consent": "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, "
        "channel TEXT NOT NULL, state TEXT NOT NULL, source TEXT NOT NULL, at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, lead_id, channel)",
    }
    indexes = {
        "leads_leads_id": "leads_leads (lead_id)",
        "leads_leads_created": "leads_leads (tenant_id, live, created_at, lead_id)",
        # sort=updated_at: without it, every page sorts all the tenant's leads (EXPLAIN)
        "leads_leads_updated": "leads_leads (tenant_id, live, updated_at, lead_id)",
        "leads_leads_owner": "leads_leads (tenant_id, owner_id, created_at, lead_id)",
        "leads_leads_status": "leads_leads (tenant_id, status, created_at, lead_id)",
        "leads_leads_mobile": "leads_leads (tenant_id, mobile)",
        "leads_leads_email": "leads_leads (tenant_id, email)",
        "leads_identities_id": "leads_identities (claim_id)",
        "leads_consent_lead": "leads_consent (lead_id, channel)",
    }

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(Lead.Registered)
    def _(self, event: Any, tracking: Tracking) -> None:
        profile, source = event.profile, event.source
        row = (
            str(event.tenant_id),
            str(event.originator_id),
            event.user_type,
            profile.get("name"),
            _first(event.identities, "mobile"),
            _first(event.identities, "email"),
            profile.get("company"),
            profile.get("city"),
            profile.get("title"),
            event.status,
            "assigned" if event.owner_id else "pool",
            _text(event.owner_id),
            source.get("level1"),
            source.get("level2"),
            "",
            1,
            event.originator_version,
            iso(event.timestamp),
            iso(event.timestamp),
        )
        marks = ", ".join("?" for _ in row)
        self.view.write(
            tracking,
            [(f"INSERT INTO leads_leads VALUES ({marks})", row), _timeline(event, tracking)],
        )

    @process_event.register(Lead.IdentityAttached)
    def _(self, event: Any, tracking: Tracking) -> None:
        column = event.kind if event.kind in ("mobile", "email") else None
        changes = {column: event.value} if column else {}
        self._change(event, tracking, changes, only_if_empty=column)

    @process_event.register(Lead.ProfileUpdated)
    def _(self, event: Any, tracking: Tracking) -> None:
        profile = event.profile
        changes = {k: profile.get(k) for k in LISTED_PROFILE if k in profile}
        self._change(event, tracking, changes)

    @process_event.register(Lead.Absorbed)
    def _(self, event: Any, tracking: Tracking) -> None:
        lead_id = str(event.originator_id)
        changes: dict[str, Any] = {k: event.profile.get(k) for k in LISTED_PROFILE}
        extra: list[Statement] = []
        if event.owner_id is not None:
            changes["owner_id"] = str(event.owner_id)
            extra.append(
                (
                    "UPDATE leads_leads SET pool_state = 'assigned' "
                    "WHERE lead_id = ? AND pool_state = 'pool'",
                    (lead_id,),
                )
            )
        if event.tags:
            extra.append(
                (
                    "UPDATE leads_leads SET tags = ? WHERE lead_id = ?",
                    (self._tags_with(lead_id, set(event.tags)), lead_id),
                )
            )
        for channel, state in event.consent.items():
            extra += [
                ("DELETE FROM leads_consent WHERE lead_id = ? AND channel = ?", (lead_id, channel)),
                (
                    "INSERT INTO leads_consent (tenant_id, lead_id, channel, state, source, at) "
                    "SELECT tenant_id, lead_id, ?, ?, ?, ? FROM leads_leads WHERE lead_id = ?",
                    (channel, state["state"], state["source"], state["at"], lead_id),
                ),
            ]
        self._change(event, tracking, changes, extra=extra)

    def _tags_with(self, lead_id: str, added: set[str]) -> str:
        """The lead's tags text (",a,b,") with `added` joined."""
        current = self.view.rows("SELECT tags FROM leads_leads WHERE lead_id = ?", (lead_id,))
        held = set(filter(None, (current[0]["tags"] if current else "").split(","))) | added
        return "," + ",".join(sorted(held)) + "," if held else ""

    @process_event.register(Lead.SourceChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        source = event.source
        changes = {f"source_{k}": source[k] for k in ("level1", "level2") if k in source}
        self._change(event, tracking, changes)

    @process_event.register(Lead.StatusChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"status": event.status})

    @process_event.register(Lead.Assigned)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"owner_id": str(event.owner_id), "pool_state": "assigned"})

    @process_event.register(Lead.FollowedUp)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"pool_state": "following"})

    @process_event.register(Lead.Closed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"pool_state": event.outcome})

    @process_event.register(Lead.ReleasedToPool)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"owner_id": None, "pool_state": "pool"})

    @process_event.register(Lead.HandedOver)
    def _(self, event: Any, tracking: Tracking) -> None:
        # A won, lost or closed lead keeps its outcome when it changes hands (ORG-3).
        state = "assigned" if event.to_owner_id else "pool"
        sql = (
            "UPDATE leads_leads SET pool_state = CASE WHEN pool_state IN "
            "('won', 'lost', 'closed') THEN pool_state ELSE ? END WHERE lead_id = ?"
        )
        self._change(
            event,
            tracking,
            {"owner_id": _text(event.to_owner_id)},
            extra=[(sql, (state, str(event.originator_id)))],
        )

    @process_event.register(Lead.ConsentChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        lead_id = str(event.originator_id)
        self._change(
            event,
            tracking,
            {},
            extra=[
                (
                    "DELETE FROM leads_consent WHERE lead_id = ? AND channel = ?",
                    (lead_id, event.channel),
                ),
                (
                    "INSERT INTO leads_consent (tenant_id, lead_id, channel, state, source, at) "
                    "SELECT tenant_id, lead_id, ?, ?, ?, ? FROM leads_leads WHERE lead_id = ?",
                    (event.channel, event.state, event.source, event.at, lead_id),
                ),
            ],
        )

    @process_event.register(Lead.Tagged)
    @process_event.register(Lead.Untagged)
    def _(self, event: Any, tracking: Tracking) -> None:
        tags = getattr(event, "tags", None)
        if tags is None:
            self._change(event, tracking, {})
            return
        # Tags are kept as ",a,b," so `LIKE '%,tag,%'` finds a tag exactly.
        sql = "UPDATE leads_leads SET tags = ? WHERE lead_id = ?"
        current = self.view.rows(
            "SELECT tags FROM leads_leads WHERE lead_id = ?", (str(event.originator_id),)
        )
        held = set(filter(None, (current[0]["tags"] if current else "").split(",")))
        held = held | set(tags) if isinstance(event, Lead.Tagged) else held - set(tags)
        text = "," + ",".join(sorted(held)) + "," if held else ""
        self._change(event, tracking, {}, extra=[(sql, (text, str(event.originator_id)))])

    @process_event.register(Lead.MergedInto)
    @process_event.register(Lead.Deleted)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"live": 0})

    @process_event.register(LeadIdentity.Claimed)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = (str(event.tenant_id), str(event.originator_id), str(event.lead_id))
        self.view.write(tracking, [("INSERT INTO leads_identities VALUES (?, ?, ?)", row)])

    @process_event.register(LeadIdentity.Moved)
    @process_event.register(LeadIdentity.Released)
    @process_event.register(LeadIdentity.Reclaimed)
    def _(self, event: Any, tracking: Tracking) -> None:
        lead_id = _text(getattr(event, "lead_id", None))  # Released: no lead any more
        sql = "UPDATE leads_identities SET lead_id = ? WHERE claim_id = ?"
        self.view.write(tracking, [(sql, (lead_id, str(event.originator_id)))])

    def _change(
        self,
        event: Any,
        tracking: Tracking,
        changes: dict[str, Any],
        *,
        only_if_empty: str | None = None,
        extra: list[Statement] | None = None,
    ) -> None:
        assignments = "".join(f"{column} = ?, " for column in changes)
        if only_if_empty:  # the list shows the first mobile / e-mail a lead had
            assignments = f"{only_if_empty} = COALESCE({only_if_empty}, ?), "
        statement = (
            f"UPDATE leads_leads SET {assignments}version = ?, updated_at = ? WHERE lead_id = ?",
            (
                *changes.values(),
                event.originator_version,
                iso(event.timestamp),
                str(event.originator_id),
            ),
        )
        self.view.write(tracking, [statement, *(extra or []), _timeline(event, tracking)])


def _timeline(event: Any, tracking: Tracking) -> Statement:
    """One timeline row; the tenant comes from the lead's row (only creation events
    carry it), so the lead's row must exist first in the same transaction."""
    kind = type(event).__name__
    details = {key: _plain(getattr(event, key, None)) for key in TIMELINE_FIELDS.get(kind, ())}
    actor = (getattr(event, "_meta", None) or {}).get("actor")
    return (
        "INSERT INTO leads_timeline (tenant_id, lead_id, position, at, kind, actor, details) "
        "SELECT tenant_id, ?, ?, ?, ?, ?, ? FROM leads_leads WHERE lead_id = ?",
        (
            str(event.originator_id),
            tracking.notification_id,
            iso(event.timestamp),
            f"lead.{kind}",
            json.dumps(actor) if actor else None,
            json.dumps(details, ensure_ascii=False, default=str),
            str(event.originator_id),
        ),
    )


def _first(identities: list[dict[str, str]], kind: str) -> str | None:
    return next((i["value"] for i in identities if i["kind"] == kind), None)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, list | dict | str | int | float | bool) or value is None:
        return value
    return str(value)
