"""Score keeping (SCORE-1, SCORE-2): the policy that applies the rules as things happen.

Behaviour rules: the policy keeps the behaviour log by lead (`LeadBehaviours`: a
behaviour belongs to the lead its appender named, or its visitor's lead once stitching
identified the visitor) and scores each behaviour of a known lead as it arrives; an
anonymous visitor's behaviours are scored when the visitor is identified, all in one
change. Attribute rules: the policy keeps each lead's attributes (profile, custom
fields, source, status, user type, tags) from the leads' events, recognised by their
topics (the contexts meet through events), and after each change holds the points of
the attribute rules the lead matches.

Exactly once: every award remembers its cause (the upstream and position of the
behaviour or visitor event), so a replay after a crash scores nothing twice; holding
attribute points is a state (matching or not), the same however often it is applied.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.scoring.scoring import BehaviourFact, Scoring
from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.lead_behaviours import (
    LEAD_MERGED_INTO,
    LEAD_REGISTERED,
    VISITOR_EVENTS,
    LeadBehaviours,
    stitched_indexes,
    stitched_tables,
)
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import RecordTenants, insert
from application.shared.views import Statement, View, parse_iso
from domain.scoring.rules import CUSTOM_PREFIX, PROFILE_FIELDS, LeadAttributes
from domain.shared.visitors import VisitorKind

PREFIX = "scoring_keeping"
COLUMNS = "kind TEXT NOT NULL, name TEXT NOT NULL, channel TEXT NOT NULL, properties TEXT NOT NULL,"
LEADS = f"{PREFIX}_leads"
MAX_PROPERTY_TEXT = 200
# Property names never kept (lower-cased): these, and any name containing a word below.
PERSONAL_NAMES = frozenset({"name", "firstname", "first_name", "lastname", "last_name",
    "fullname", "full_name", "username", "user_name", "nickname", "address", "ip", "birthday",
    "idcard", "id_card", "qq", "wechat", "user_id", "userid", "previous_id"})  # fmt: skip
PERSONAL_WORDS = ("email", "mail", "phone", "mobile", "openid", "unionid", "password", "token")
# The leads' events that change what attribute rules read.
LEAD_CHANGES = frozenset(
    {
        "leads.Lead.ProfileUpdated",
        "leads.Lead.SourceChanged",
        "leads.Lead.StatusChanged",
        "leads.Lead.Tagged",
        "leads.Lead.Untagged",
        "leads.Lead.Absorbed",
    }
)


class ScoreKeeping(LeadBehaviours):
    """Scores behaviours and lead attributes by the tenant's rules (see the module)."""

    name = "scoring_keeping"
    prefix = PREFIX
    follows = (BEHAVIOURS, "tracking", "leads")
    tenants = RecordTenants(f"{PREFIX}_record_tenants")
    tables = {
        **stitched_tables(PREFIX, COLUMNS),
        LEADS: "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, attributes TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, lead_id)",
        **tenants.definition,
    }
    indexes = stitched_indexes(PREFIX)
    platform_wide = {tenants.table: "whose record an id is, for events stored unstamped"}

    def __init__(self, view: View, *, scoring: Scoring) -> None:
        super().__init__(view)
        self.scoring = scoring

    # --- behaviours ---------------------------------------------------------------------

    def row_of(self, behaviour: Behaviour) -> dict[str, Any]:
        return {
            "kind": behaviour.kind,
            "name": behaviour.name,
            "channel": behaviour.channel,
            "properties": json.dumps(_scalars(behaviour), ensure_ascii=False),
        }

    def added(self, tenant_id: str, lead_id: str, row: dict[str, Any]) -> list[Statement]:
        self.scoring.score_behaviours(
            _uuid(tenant_id),
            _uuid(lead_id),
            [_fact(row)],
            cause=f"{BEHAVIOURS}:{row['position']}",
        )
        return []

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if isinstance(domain_event, Behaviour):
            super().process_event(domain_event, tracking)
            return
        topic = get_topic(type(domain_event))
        if topic in VISITOR_EVENTS:
            self._score_identified(domain_event, tracking)
            super().process_event(domain_event, tracking)
        elif topic == LEAD_REGISTERED:
            self._registered(domain_event, tracking)
        elif topic in LEAD_CHANGES:
            self._lead_changed(topic, domain_event, tracking)
        elif topic == LEAD_MERGED_INTO:
            tenant_id = self.tenants.of(self.view, domain_event)
            self.scoring.absorb_merged(
                UUID(tenant_id),
                domain_event.originator_id,
                UUID(self._survivor(tenant_id, str(domain_event.survivor_id))),
                at=domain_event.timestamp,
                cause=f"{tracking.application_name}:{tracking.notification_id}",
            )
            super().process_event(domain_event, tracking)
        else:
            self.skip(tracking)

    def _score_identified(self, event: Any, tracking: Tracking) -> None:
        """The visitor's behaviours that belonged to no lead now score for its lead."""
        tenant_id = str(tenant_of(event) or event.tenant_id)
        kind = getattr(event, "kind", None)
        visitor = str(event.originator_id)
        if kind is None:
            rows = self.view.rows(
                f"SELECT kind FROM {self.prefix}_visitors WHERE tenant_id = ? AND visitor_id = ?",
                (tenant_id, visitor),
            )
            kind = rows[0]["kind"] if rows else None
        column = "user_visitor" if kind == VisitorKind.USER else "anonymous_visitor"
        rows = self.view.rows(
            f"SELECT position, at, kind, name, channel, properties FROM {self.prefix}_behaviours "
            f"WHERE tenant_id = ? AND {column} = ? AND lead_id IS NULL ORDER BY position",
            (tenant_id, visitor),
        )
        if not rows:
            return
        lead_id = self._survivor(tenant_id, str(event.lead_id))
        self.scoring.score_behaviours(
            _uuid(tenant_id),
            _uuid(lead_id),
            [_fact(row, covers=f"{BEHAVIOURS}:{row['position']}") for row in rows],
            cause=f"{tracking.application_name}:{tracking.notification_id}",
        )

    # --- lead attributes ----------------------------------------------------------------

    def _registered(self, event: Any, tracking: Tracking) -> None:
        tenant_id = str(event.tenant_id)
        attributes: dict[str, Any] = {"fields": {}, "tags": []}
        _apply_change("leads.Lead.Registered", event, attributes)
        statements = [
            *self.tenants.remember(self.view, event, event.tenant_id),
            (
                f"DELETE FROM {self.prefix}_leads WHERE tenant_id = ? AND lead_id = ?",
                (tenant_id, str(event.originator_id)),
            ),
            insert(
                f"{self.prefix}_leads",
                {
                    "tenant_id": tenant_id,
                    "lead_id": str(event.originator_id),
                    "attributes": json.dumps(attributes, ensure_ascii=False),
                },
            ),
        ]
        self._match(tenant_id, str(event.originator_id), attributes, event)
        self.view.write(tracking, statements)

    def _lead_changed(self, topic: str, event: Any, tracking: Tracking) -> None:
        tenant_id = self.tenants.of(self.view, event)
        lead_id = str(event.originator_id)
        rows = self.view.rows(
            f"SELECT attributes FROM {self.prefix}_leads WHERE tenant_id = ? AND lead_id = ?",
            (tenant_id, lead_id),
        )
        if not rows:  # registered before this follower existed? never: it reads from 0
            self.skip(tracking)
            return
        attributes = json.loads(rows[0]["attributes"])
        _apply_change(topic, event, attributes)
        self._match(tenant_id, lead_id, attributes, event)
        self.view.write(
            tracking,
            [
                (
                    f"UPDATE {self.prefix}_leads SET attributes = ? "
                    "WHERE tenant_id = ? AND lead_id = ?",
                    (json.dumps(attributes, ensure_ascii=False), tenant_id, lead_id),
                )
            ],
        )

    def _match(
        self, tenant_id: str, lead_id: str, attributes: Mapping[str, Any], event: Any
    ) -> None:
        self.scoring.match_attributes(
            _uuid(tenant_id), _uuid(lead_id), lead_attributes(attributes), at=event.timestamp
        )


class ScoringLeads:
    """The leads the keeping policy knows, with their attributes (the restating policy
    walks a tenant's leads when its rules or scheme change)."""

    def __init__(self, view: View) -> None:
        self.view = view

    def leads_of(
        self, tenant_id: Any, *, after: str = "", limit: int = 500
    ) -> list[tuple[str, LeadAttributes]]:
        rows = self.view.rows(
            f"SELECT lead_id, attributes FROM {LEADS} WHERE tenant_id = ? AND lead_id > ? "
            f"ORDER BY lead_id LIMIT {int(limit)}",
            (str(tenant_id), after),
        )
        return [(r["lead_id"], lead_attributes(json.loads(r["attributes"]))) for r in rows]


def lead_attributes(attributes: Mapping[str, Any]) -> LeadAttributes:
    return LeadAttributes(fields=dict(attributes["fields"]), tags=frozenset(attributes["tags"]))


def _apply_change(topic: str, event: Any, attributes: dict[str, Any]) -> None:
    """Apply one lead event to the attributes rules read (deltas; None clears)."""
    fields: dict[str, Any] = attributes["fields"]

    def put(key: str, value: Any) -> None:
        if value is None or value == "":
            fields.pop(key, None)
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            fields[key] = value

    if topic in ("leads.Lead.Registered", "leads.Lead.ProfileUpdated", "leads.Lead.Absorbed"):
        profile = getattr(event, "profile", {}) or {}
        custom = getattr(event, "custom", {}) or {}
        if topic == "leads.Lead.Absorbed":  # the whole profile, chosen field by field
            for key in [k for k in fields if k in PROFILE_FIELDS or k.startswith(CUSTOM_PREFIX)]:
                del fields[key]
        for key, value in profile.items():
            if key in PROFILE_FIELDS:
                put(key, value)
        for key, value in custom.items():
            put(f"{CUSTOM_PREFIX}{key}", value)
    if topic in ("leads.Lead.Registered", "leads.Lead.SourceChanged"):
        source = getattr(event, "source", {}) or {}
        for key in ("level1", "level2"):
            if key in source or topic == "leads.Lead.Registered":
                put(f"source_{key}", source.get(key))
    if topic in ("leads.Lead.Registered", "leads.Lead.StatusChanged"):
        put("status", getattr(event, "status", None))
    if topic == "leads.Lead.Registered":
        put("user_type", getattr(event, "user_type", None))
    if topic in ("leads.Lead.Tagged", "leads.Lead.Absorbed"):
        attributes["tags"] = sorted({*attributes["tags"], *(getattr(event, "tags", []) or [])})
    if topic == "leads.Lead.Untagged":
        gone = set(getattr(event, "tags", []) or [])
        attributes["tags"] = [t for t in attributes["tags"] if t not in gone]


def _fact(row: Mapping[str, Any], *, covers: str | None = None) -> BehaviourFact:
    return BehaviourFact(
        covers=covers,
        kind=row["kind"],
        name=row["name"],
        channel=row["channel"],
        properties=json.loads(row["properties"]),
        at=parse_iso(row["at"]),
    )


def _scalars(behaviour: Behaviour) -> dict[str, Any]:
    """The properties rules can compare: plain values, text cut short; none of an
    identify (traits are personal) and none under a personal name (ADR 0006)."""
    kept: dict[str, Any] = {}
    if behaviour.kind == BehaviourKind.IDENTIFY:
        return kept
    for key, value in list(behaviour.properties.items())[:50]:
        lowered = str(key).lower()
        if lowered in PERSONAL_NAMES or any(word in lowered for word in PERSONAL_WORDS):
            continue
        if isinstance(value, str):
            kept[str(key)[:64]] = value[:MAX_PROPERTY_TEXT]
        elif isinstance(value, bool | int | float):
            kept[str(key)[:64]] = value
    return kept


def _uuid(value: str) -> UUID:
    return UUID(value)


__all__ = ["ScoreKeeping", "ScoringLeads"]
