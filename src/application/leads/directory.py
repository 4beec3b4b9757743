"""The leads read model: the searchable list of leads, the identity index (for bulk
intake) and each lead's timeline (LEAD-8, LEAD-10)."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.shared.tenant_rows import RecordTenants, insert, update
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
    version = 2  # 2: tenant-first statements, record tenants
    follows = ("leads",)
    tenants = RecordTenants("leads_record_tenants")
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
        **tenants.definition,
    }
    # Updates name the tenant and the id: only the primary key serves them. The list's
    # indexes hold live leads only (every list asks `live = 1`), so none of them can serve
    # `tenant_id = ? AND lead_id = ?`: as full indexes they tied with the primary key on a
    # small table without statistics (every rebuild starts so), PostgreSQL kept the plan
    # it prepared then, and each update read all of the tenant's index entries.
    indexes = {
        "leads_leads_created": "leads_leads (tenant_id, created_at, lead_id) WHERE live = 1",
        # sort=updated_at: without it, every page sorts all the tenant's leads (EXPLAIN)
        "leads_leads_updated": "leads_leads (tenant_id, updated_at, lead_id) WHERE live = 1",
        "leads_leads_owner": "leads_leads (tenant_id, owner_id, created_at, lead_id) "
        "WHERE live = 1",
        "leads_leads_status": "leads_leads (tenant_id, status, created_at, lead_id) WHERE live = 1",
        "leads_leads_mobile": "leads_leads (tenant_id, mobile) WHERE live = 1",
        "leads_leads_email": "leads_leads (tenant_id, email) WHERE live = 1",
    }
    platform_wide = {tenants.table: "whose record an id is, for events stored unstamped"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(Lead.Registered)
    def _(self, event: Any, tracking: Tracking) -> None:
        profile, source = event.profile, event.source
        tenant_id = str(event.tenant_id)
        row = {
            "tenant_id": tenant_id,
            "lead_id": str(event.originator_id),
            "user_type": event.user_type,
            "name": profile.get("name"),
            "mobile": _first(event.identities, "mobile"),
            "email": _first(event.identities, "email"),
            "company": profile.get("company"),
            "city": profile.get("city"),
            "title": profile.get("title"),
            "status": event.status,
            "pool_state": "assigned" if event.owner_id else "pool",
            "owner_id": _text(event.owner_id),
            "source_level1": source.get("level1"),
            "source_level2": source.get("level2"),
            "tags": "",
            "live": 1,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
            "updated_at": iso(event.timestamp),
        }
        self.view.write(
            tracking,
            [
                insert("leads_leads", row),
                *self.tenants.remember(self.view, event, event.tenant_id),
                _timeline(event, tracking, tenant_id),
            ],
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
        tenant_id, lead_id = self._key(event)
        changes: dict[str, Any] = {k: event.profile.get(k) for k in LISTED_PROFILE}
        extra: list[Statement] = []
        if event.owner_id is not None:
            changes["owner_id"] = str(event.owner_id)
            extra.append(
                (
                    "UPDATE leads_leads SET pool_state = 'assigned' "
                    "WHERE tenant_id = ? AND lead_id = ? AND pool_state = 'pool'",
                    (tenant_id, lead_id),
                )
            )
        if event.tags:
            changes["tags"] = self._tags(tenant_id, lead_id, added=event.tags)
        for channel, said in event.consent.items():
            extra += _consent(
                tenant_id, lead_id, channel, said["state"], said["source"], said["at"]
            )
        self._change(event, tracking, changes, extra=extra)

    def _tags(
        self,
        tenant_id: str,
        lead_id: str,
        *,
        added: Collection[str] = (),
        removed: Collection[str] = (),
    ) -> str:
        """The lead's tags text with `added` joined and `removed` taken out. Tags are kept
        as ",a,b," so `LIKE '%,tag,%'` finds a tag exactly."""
        current = self.view.rows(
            "SELECT tags FROM leads_leads WHERE tenant_id = ? AND lead_id = ?",
            (tenant_id, lead_id),
        )
        held = set(filter(None, (current[0]["tags"] if current else "").split(",")))
        held = (held | set(added)) - set(removed)
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
            "('won', 'lost', 'closed') THEN pool_state ELSE ? END "
            "WHERE tenant_id = ? AND lead_id = ?"
        )
        self._change(
            event,
            tracking,
            {"owner_id": _text(event.to_owner_id)},
            extra=[(sql, (state, *self._key(event)))],
        )

    @process_event.register(Lead.ConsentChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        tenant_id, lead_id = self._key(event)
        extra = _consent(tenant_id, lead_id, event.channel, event.state, event.source, event.at)
        self._change(event, tracking, {}, extra=extra)

    @process_event.register(Lead.Tagged)
    @process_event.register(Lead.Untagged)
    def _(self, event: Any, tracking: Tracking) -> None:
        tags = getattr(event, "tags", None)
        if tags is None:
            self._change(event, tracking, {})
            return
        tenant_id, lead_id = self._key(event)
        if isinstance(event, Lead.Tagged):
            text = self._tags(tenant_id, lead_id, added=tags)
        else:
            text = self._tags(tenant_id, lead_id, removed=tags)
        self._change(event, tracking, {"tags": text})

    @process_event.register(Lead.MergedInto)
    @process_event.register(Lead.Deleted)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"live": 0})

    @process_event.register(LeadIdentity.Claimed)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "claim_id": str(event.originator_id),
            "lead_id": str(event.lead_id),
        }
        self.view.write(
            tracking,
            [
                insert("leads_identities", row),
                *self.tenants.remember(self.view, event, event.tenant_id),
            ],
        )

    @process_event.register(LeadIdentity.Moved)
    @process_event.register(LeadIdentity.Released)
    @process_event.register(LeadIdentity.Reclaimed)
    def _(self, event: Any, tracking: Tracking) -> None:
        lead_id = _text(getattr(event, "lead_id", None))  # Released: no lead any more
        tenant_id, claim_id = self._key(event)
        where = {"tenant_id": tenant_id, "claim_id": claim_id}
        self.view.write(tracking, [update("leads_identities", {"lead_id": lead_id}, where=where)])

    def _key(self, event: Any) -> tuple[str, str]:
        """(tenant, record id) of the record `event` belongs to, as stored in rows."""
        return self.tenants.of(self.view, event), str(event.originator_id)

    def _change(
        self,
        event: Any,
        tracking: Tracking,
        changes: dict[str, Any],
        *,
        only_if_empty: str | None = None,
        extra: list[Statement] | None = None,
    ) -> None:
        tenant_id, lead_id = self._key(event)
        assignments = "".join(f"{column} = ?, " for column in changes)
        if only_if_empty:  # the list shows the first mobile / e-mail a lead had
            assignments = f"{only_if_empty} = COALESCE({only_if_empty}, ?), "
        statement = (
            f"UPDATE leads_leads SET {assignments}version = ?, updated_at = ? "
            "WHERE tenant_id = ? AND lead_id = ?",
            (
                *changes.values(),
                event.originator_version,
                iso(event.timestamp),
                tenant_id,
                lead_id,
            ),
        )
        self.view.write(
            tracking, [statement, *(extra or []), _timeline(event, tracking, tenant_id)]
        )


def _consent(
    tenant_id: str, lead_id: str, channel: str, state: str, source: str, at: str
) -> list[Statement]:
    """The lead's one row for `channel`, replaced."""
    return [
        (
            "DELETE FROM leads_consent WHERE tenant_id = ? AND lead_id = ? AND channel = ?",
            (tenant_id, lead_id, channel),
        ),
        insert(
            "leads_consent",
            {
                "tenant_id": tenant_id,
                "lead_id": lead_id,
                "channel": channel,
                "state": state,
                "source": source,
                "at": at,
            },
        ),
    ]


def _timeline(event: Any, tracking: Tracking, tenant_id: str) -> Statement:
    """One timeline row: the lead's event at its position in the application's order."""
    kind = type(event).__name__
    details = {key: _plain(getattr(event, key, None)) for key in TIMELINE_FIELDS.get(kind, ())}
    actor = (getattr(event, "_meta", None) or {}).get("actor")
    return insert(
        "leads_timeline",
        {
            "tenant_id": tenant_id,
            "lead_id": str(event.originator_id),
            "position": tracking.notification_id,
            "at": iso(event.timestamp),
            "kind": f"lead.{kind}",
            "actor": json.dumps(actor) if actor else None,
            "details": json.dumps(details, ensure_ascii=False, default=str),
        },
    )


def _first(identities: list[dict[str, str]], kind: str) -> str | None:
    return next((i["value"] for i in identities if i["kind"] == kind), None)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, list | dict | str | int | float | bool) or value is None:
        return value
    return str(value)
