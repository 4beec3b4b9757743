"""The segments' lead profiles (SEG-1…3): what filters read, kept as events arrive.

`SegmentProfiles` keeps one row per lead (the lead list's columns and the scores), its
custom fields, tags and consent, and every behaviour of the log with the lead it belongs
to (`LeadBehaviours`: stitched when a visitor is identified, moved to the survivor of a
merge). The tables are described in `profile_tables`. Filters compile to SQL over them,
and `ProfileQueries.facts_of` builds one lead's `LeadFacts` from the same rows for
in-memory evaluation, so both see the same data.

The contexts meet through events: the leads' events and the scoring context's are
recognised by their topics ("leads.Lead.Registered", any "scoring.LeadScore.*" that
carries the lead's scores), never by importing their classes. Upstreams are not ordered
with each other: scores or behaviours of a lead may come before its registration, and
the registration then takes them in.

Personal data: the lead row holds what the lead list holds (name, mobile, e-mail,
company, city, title); behaviours keep visitor ids, never the ids themselves, and of
their properties only short scalar values under names that are not personal (an
identify's traits and an alias's previous id are left out; URLs lose their query).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.segments.profile_tables import PREFIX, profile_indexes, profile_tables
from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.lead_behaviours import LeadBehaviours
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import RecordTenants, insert
from application.shared.views import Statement, View, iso, parse_iso
from domain.shared.filters import BehaviourFact, LeadFacts, custom_field_columns

LEAD = "leads.Lead."  # the leads' events, by topic
SCORE = "scoring.LeadScore."  # the scoring context's events that carry a lead's scores
SCORE_COLUMNS = (
    "behaviour_score",
    "profile_score",
    "score",
    "behaviour_band",
    "profile_band",
    "stage",
    "temperature",
)
LISTED_PROFILE = ("name", "company", "city", "title")
# The fields of `LeadFacts.fields` that come from the lead row as they are.
FACT_COLUMNS = (
    "name", "mobile", "email", "company", "city", "title", "user_type", "status",
    "pool_state", "owner_id", "source_level1", "source_level2", "stage", "temperature",
    "behaviour_band", "profile_band", "score", "behaviour_score", "profile_score",
    "created_at", "last_seen_at",
)  # fmt: skip

# Behaviour properties never kept (lower-cased): these names, and names holding a word
# below (the lead timeline's rule).
PERSONAL_NAMES = frozenset({"name", "firstname", "first_name", "lastname", "last_name",
    "fullname", "full_name", "username", "user_name", "nickname", "address", "ip", "birthday",
    "idcard", "id_card", "qq", "wechat", "user_id", "userid", "previous_id", "search"})  # fmt: skip
PERSONAL_WORDS = ("email", "mail", "phone", "mobile", "openid", "unionid", "password", "token")
URL_PROPERTIES = ("url", "referrer", "landing_url")
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
MAX_PROPERTIES = 30
MAX_PROPERTY_NAME = 100
MAX_TEXT = 500


class SegmentProfiles(LeadBehaviours):
    """Every lead's profile, tags, consent, scores and behaviours, for filters."""

    name = "segment_profiles"
    prefix: ClassVar[str] = PREFIX
    version = 1
    follows = ("leads", "scoring", BEHAVIOURS, "tracking")
    tenants: ClassVar[RecordTenants] = RecordTenants(f"{PREFIX}_record_tenants")
    tables = {**profile_tables(PREFIX), **tenants.definition}
    indexes = profile_indexes(PREFIX)
    platform_wide = {
        tenants.table: "whose record an id is, for events stored unstamped",
        f"{PREFIX}_leads_changed": "the change feed group maintenance reads by position, "
        "across tenants (changed_after)",
    }

    _changes: int | None = None  # the last `changed` position given out

    # --- dispatch ----------------------------------------------------------------------

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if not isinstance(domain_event, Behaviour):
            topic = get_topic(type(domain_event))
            if topic.startswith(LEAD):
                handler = LEAD_HANDLERS.get(topic.removeprefix(LEAD))
                if handler is not None:
                    handler(self, domain_event, tracking)
                    return
                if topic != "leads.Lead.MergedInto":
                    self.skip(tracking)
                    return
            elif topic.startswith(SCORE):
                self._scored(domain_event, tracking)
                return
        super().process_event(domain_event, tracking)  # behaviours, visitors, merges

    # --- behaviours (LeadBehaviours' hooks) ------------------------------------------------

    def row_of(self, behaviour: Behaviour) -> dict[str, Any]:
        properties = profile_properties(behaviour)
        return {
            "kind": str(behaviour.kind),
            "name": behaviour.name or "",
            "channel": str(behaviour.channel),
            "properties": None
            if properties is None
            else json.dumps(properties, ensure_ascii=False, sort_keys=True),
        }

    def added(self, tenant_id: str, lead_id: str, row: dict[str, Any]) -> list[Statement]:
        return [
            (
                f"UPDATE {self.prefix}_leads SET last_seen_at = CASE WHEN last_seen_at IS NULL "
                "OR last_seen_at < ? THEN ? ELSE last_seen_at END, changed = ? "
                "WHERE tenant_id = ? AND lead_id = ?",
                (row["at"], row["at"], self._next_change(), tenant_id, lead_id),
            )
        ]

    def moved(self, tenant_id: str, lead_ids: Iterable[str]) -> list[Statement]:
        return [
            (
                f"UPDATE {self.prefix}_leads SET last_seen_at = ({self._last_seen()}), "
                "changed = ? WHERE tenant_id = ? AND lead_id = ?",
                (tenant_id, lead_id, self._next_change(), tenant_id, lead_id),
            )
            for lead_id in lead_ids
        ]

    def merged(self, tenant_id: str, merged_id: str, survivor_id: str) -> list[Statement]:
        return [self._set(tenant_id, merged_id, {"live": 0})]

    # --- the leads' events -----------------------------------------------------------------

    def _registered(self, event: Any, tracking: Tracking) -> None:
        tenant_id, lead_id = str(event.tenant_id), str(event.originator_id)
        profile, source = event.profile, event.source
        row: dict[str, Any] = {
            "live": 1,
            "user_type": event.user_type,
            "status": event.status,
            "pool_state": "assigned" if event.owner_id else "pool",
            "owner_id": _text(event.owner_id),
            "source_level1": _text(source.get("level1")),
            "source_level2": _text(source.get("level2")),
            **{key: _text(profile.get(key)) for key in LISTED_PROFILE},
            "mobile": _first(event.identities, "mobile"),
            "email": _first(event.identities, "email"),
            "created_at": iso(event.timestamp),
        }
        statements: list[Statement] = [
            *self.tenants.remember(self.view, event, event.tenant_id),
            *self._fields(tenant_id, lead_id, event.custom),
        ]
        if self._exists(tenant_id, lead_id):  # its scores (or a replay) came first
            statements.append(self._set(tenant_id, lead_id, row))
        else:
            key = {"tenant_id": tenant_id, "lead_id": lead_id}
            row["changed"] = self._next_change()
            statements.append(insert(f"{self.prefix}_leads", {**key, **row}))
        # Behaviours stitched to it before it was registered (a recipient's click).
        statements.append(
            (
                f"UPDATE {self.prefix}_leads SET last_seen_at = ({self._last_seen()}) "
                "WHERE tenant_id = ? AND lead_id = ?",
                (tenant_id, lead_id, tenant_id, lead_id),
            )
        )
        self.view.write(tracking, statements)

    def _identity_attached(self, event: Any, tracking: Tracking) -> None:
        tenant_id, lead_id = self._key(event)
        statements: list[Statement] = []
        if event.kind in ("mobile", "email"):  # the list shows a lead's first of each
            statements.append(
                (
                    f"UPDATE {self.prefix}_leads SET {event.kind} = COALESCE({event.kind}, ?) "
                    "WHERE tenant_id = ? AND lead_id = ?",
                    (event.value, tenant_id, lead_id),
                )
            )
        self._write(tracking, tenant_id, lead_id, statements)

    def _profile_updated(self, event: Any, tracking: Tracking) -> None:
        tenant_id, lead_id = self._key(event)
        changes = {k: _text(event.profile.get(k)) for k in LISTED_PROFILE if k in event.profile}
        statements = self._fields(tenant_id, lead_id, event.custom)
        if changes:
            statements.append(self._set(tenant_id, lead_id, changes))
        self._write(tracking, tenant_id, lead_id, statements)

    def _absorbed(self, event: Any, tracking: Tracking) -> None:
        tenant_id, lead_id = self._key(event)
        changes: dict[str, Any] = {k: _text(event.profile.get(k)) for k in LISTED_PROFILE}
        statements: list[Statement] = [
            (
                f"DELETE FROM {self.prefix}_fields WHERE tenant_id = ? AND lead_id = ?",
                (tenant_id, lead_id),
            ),
            *self._fields(tenant_id, lead_id, event.custom),
            *self._tagged_rows(tenant_id, lead_id, event.tags),
        ]
        if event.owner_id is not None:
            changes["owner_id"] = str(event.owner_id)
            statements.append(
                (
                    f"UPDATE {self.prefix}_leads SET pool_state = 'assigned' "
                    "WHERE tenant_id = ? AND lead_id = ? AND pool_state = 'pool'",
                    (tenant_id, lead_id),
                )
            )
        for kind in ("mobile", "email"):
            value = _first(event.identities, kind)
            if value is not None:
                statements.append(
                    (
                        f"UPDATE {self.prefix}_leads SET {kind} = COALESCE({kind}, ?) "
                        "WHERE tenant_id = ? AND lead_id = ?",
                        (value, tenant_id, lead_id),
                    )
                )
        for channel, said in event.consent.items():
            statements += self._consent(tenant_id, lead_id, channel, said["state"])
        statements.insert(0, self._set(tenant_id, lead_id, changes))
        self._write(tracking, tenant_id, lead_id, statements)

    def _source_changed(self, event: Any, tracking: Tracking) -> None:
        source = event.source
        changes = {f"source_{k}": _text(source[k]) for k in ("level1", "level2") if k in source}
        self._change(event, tracking, changes)

    def _status_changed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"status": event.status})

    def _assigned(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"owner_id": str(event.owner_id), "pool_state": "assigned"})

    def _followed_up(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"pool_state": "following"})

    def _closed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"pool_state": event.outcome})

    def _released(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"owner_id": None, "pool_state": "pool"})

    def _handed_over(self, event: Any, tracking: Tracking) -> None:
        tenant_id, lead_id = self._key(event)
        # A won, lost or closed lead keeps its outcome when it changes hands (ORG-3).
        state = "assigned" if event.to_owner_id else "pool"
        statement = (
            f"UPDATE {self.prefix}_leads SET owner_id = ?, pool_state = CASE WHEN pool_state "
            "IN ('won', 'lost', 'closed') THEN pool_state ELSE ? END "
            "WHERE tenant_id = ? AND lead_id = ?",
            (_text(event.to_owner_id), state, tenant_id, lead_id),
        )
        self._write(tracking, tenant_id, lead_id, [statement])

    def _tagged(self, event: Any, tracking: Tracking) -> None:
        tenant_id, lead_id = self._key(event)
        self._write(
            tracking, tenant_id, lead_id, self._tagged_rows(tenant_id, lead_id, event.tags or ())
        )

    def _untagged(self, event: Any, tracking: Tracking) -> None:
        tenant_id, lead_id = self._key(event)
        statements: list[Statement] = [
            (
                f"DELETE FROM {self.prefix}_tags WHERE tenant_id = ? AND lead_id = ? AND tag = ?",
                (tenant_id, lead_id, tag),
            )
            for tag in event.tags or ()
        ]
        self._write(tracking, tenant_id, lead_id, statements)

    def _consent_changed(self, event: Any, tracking: Tracking) -> None:
        tenant_id, lead_id = self._key(event)
        statements = self._consent(tenant_id, lead_id, event.channel, event.state)
        self._write(tracking, tenant_id, lead_id, statements)

    def _deleted(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"live": 0})

    # --- the scoring context's events ------------------------------------------------------

    def _scored(self, event: Any, tracking: Tracking) -> None:
        """A lead's scores after a change, copied (events without them change nothing)."""
        if not all(hasattr(event, column) for column in ("lead_id", *SCORE_COLUMNS)):
            self.skip(tracking)
            return
        tenant = getattr(event, "tenant_id", None) or tenant_of(event)
        tenant_id, lead_id = str(tenant), str(event.lead_id)
        scores = {
            column: (_whole(value) if column.endswith("score") else _text(value))
            for column in SCORE_COLUMNS
            for value in [getattr(event, column)]
        }
        if self._exists(tenant_id, lead_id):
            statement = self._set(tenant_id, lead_id, scores)
        else:  # scored before the profile saw the lead: its registration fills the rest
            statement = insert(
                f"{self.prefix}_leads",
                {
                    "tenant_id": tenant_id,
                    "lead_id": lead_id,
                    "live": 0,
                    "created_at": iso(event.timestamp),
                    **scores,
                },
            )
        self._write(tracking, tenant_id, lead_id, [statement])

    # --- statements ------------------------------------------------------------------------

    def _key(self, event: Any) -> tuple[str, str]:
        return self.tenants.of(self.view, event), str(event.originator_id)

    def _change(self, event: Any, tracking: Tracking, changes: dict[str, Any]) -> None:
        tenant_id, lead_id = self._key(event)
        self.view.write(tracking, [self._set(tenant_id, lead_id, changes)])

    def _write(
        self, tracking: Tracking, tenant_id: str, lead_id: str, statements: list[Statement]
    ) -> None:
        """`statements`, and the lead's `changed` position moved on."""
        self.view.write(tracking, [*statements, self._set(tenant_id, lead_id, {})])

    def _set(self, tenant_id: str, lead_id: str, changes: Mapping[str, Any]) -> Statement:
        """The lead row's `changes`, and its `changed` position moved on."""
        assignments = "".join(f"{column} = ?, " for column in changes)
        return (
            f"UPDATE {self.prefix}_leads SET {assignments}changed = ? "
            "WHERE tenant_id = ? AND lead_id = ?",
            (*changes.values(), self._next_change(), tenant_id, lead_id),
        )

    def _fields(self, tenant_id: str, lead_id: str, custom: Mapping[str, Any]) -> list[Statement]:
        """The custom fields given replaced (a None value clears one)."""
        statements: list[Statement] = []
        for key, value in custom.items():
            statements.append(
                (
                    f"DELETE FROM {self.prefix}_fields "
                    "WHERE tenant_id = ? AND lead_id = ? AND key = ?",
                    (tenant_id, lead_id, key),
                )
            )
            text, number = custom_field_columns(value)
            if text is not None:
                row = {
                    "tenant_id": tenant_id,
                    "lead_id": lead_id,
                    "key": str(key),
                    "text_value": text,
                    "number_value": number,
                }
                statements.append(insert(f"{self.prefix}_fields", row))
        return statements

    def _tagged_rows(self, tenant_id: str, lead_id: str, tags: Iterable[str]) -> list[Statement]:
        statements: list[Statement] = []
        for tag in sorted(set(tags)):
            key = (tenant_id, lead_id, tag)
            statements += [
                (
                    f"DELETE FROM {self.prefix}_tags "
                    "WHERE tenant_id = ? AND lead_id = ? AND tag = ?",
                    key,
                ),
                insert(
                    f"{self.prefix}_tags", {"tenant_id": tenant_id, "lead_id": lead_id, "tag": tag}
                ),
            ]
        return statements

    def _consent(self, tenant_id: str, lead_id: str, channel: str, state: str) -> list[Statement]:
        key = (tenant_id, lead_id, channel)
        row = {
            "tenant_id": tenant_id,
            "lead_id": lead_id,
            "channel": channel,
            "state": state,
        }
        return [
            (
                f"DELETE FROM {self.prefix}_consent "
                "WHERE tenant_id = ? AND lead_id = ? AND channel = ?",
                key,
            ),
            insert(f"{self.prefix}_consent", row),
        ]

    def _last_seen(self) -> str:
        """The latest behaviour of a lead (parameters: tenant, lead)."""
        return f"SELECT MAX(at) FROM {self.prefix}_behaviours WHERE tenant_id = ? AND lead_id = ?"

    def _exists(self, tenant_id: str, lead_id: str) -> bool:
        return bool(
            self.view.rows(
                f"SELECT 1 AS found FROM {self.prefix}_leads WHERE tenant_id = ? AND lead_id = ?",
                (tenant_id, lead_id),
            )
        )

    def _next_change(self) -> int:
        """A new `changed` position, above any given out before: the current time in
        microseconds, or one more than the last when that is later. The view has one
        writer; positions of a rolled-back batch are skipped, never reused out of order;
        and a rebuilt view's positions come after the old ones, so a reader's cursor
        (`changed_after`) still sees every lead again."""
        if self._changes is None:
            rows = self.view.rows(f"SELECT MAX(changed) AS last FROM {self.prefix}_leads")
            self._changes = int(rows[0]["last"] or 0) if rows else 0
        self._changes = max(self._changes + 1, time.time_ns() // 1000)
        return self._changes


LEAD_HANDLERS: dict[str, Any] = {
    "Registered": SegmentProfiles._registered,
    "IdentityAttached": SegmentProfiles._identity_attached,
    "ProfileUpdated": SegmentProfiles._profile_updated,
    "Absorbed": SegmentProfiles._absorbed,
    "SourceChanged": SegmentProfiles._source_changed,
    "StatusChanged": SegmentProfiles._status_changed,
    "Assigned": SegmentProfiles._assigned,
    "FollowedUp": SegmentProfiles._followed_up,
    "Closed": SegmentProfiles._closed,
    "ReleasedToPool": SegmentProfiles._released,
    "HandedOver": SegmentProfiles._handed_over,
    "Tagged": SegmentProfiles._tagged,
    "Untagged": SegmentProfiles._untagged,
    "ConsentChanged": SegmentProfiles._consent_changed,
    "Deleted": SegmentProfiles._deleted,
    # "MergedInto": LeadBehaviours moves the behaviours, `merged` ends the lead.
}


# --- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileChange:
    """A lead whose profile changed, at a position of the view (`changed_after`)."""

    position: int
    tenant_id: str
    lead_id: str


class ProfileQueries:
    """One lead's facts for in-memory filters, and the leads that changed lately."""

    def __init__(self, view: View, *, prefix: str = PREFIX) -> None:
        self.view = view
        self.prefix = prefix

    def facts_of(self, tenant_id: Any, lead_id: Any) -> LeadFacts | None:
        """What filters read of a live lead (None: no such lead, or merged or deleted),
        from the rows filter SQL reads."""
        key = (str(tenant_id), str(lead_id))
        where = "WHERE tenant_id = ? AND lead_id = ?"
        rows = self.view.rows(
            f"SELECT {', '.join(FACT_COLUMNS)} FROM {self.prefix}_leads {where} AND live = 1", key
        )
        if not rows:
            return None
        fields: dict[str, str | int | float | None] = {c: rows[0][c] for c in FACT_COLUMNS}
        for row in self.view.rows(
            f"SELECT key, text_value FROM {self.prefix}_fields {where} ORDER BY key", key
        ):
            fields[f"custom.{row['key']}"] = row["text_value"]
        tags = self.view.rows(f"SELECT tag FROM {self.prefix}_tags {where}", key)
        consent = self.view.rows(f"SELECT channel, state FROM {self.prefix}_consent {where}", key)
        behaviours = self.view.rows(
            f"SELECT at, kind, name, channel, properties FROM {self.prefix}_behaviours {where} "
            "ORDER BY at, position",
            key,
        )
        return LeadFacts(
            fields=fields,
            tags=frozenset(str(row["tag"]) for row in tags),
            consent={str(row["channel"]): str(row["state"]) for row in consent},
            behaviours=tuple(
                BehaviourFact(
                    kind=row["kind"],
                    name=row["name"],
                    channel=row["channel"],
                    at=parse_iso(row["at"]),
                    properties=json.loads(row["properties"] or "{}"),
                )
                for row in behaviours
            ),
        )

    def changed_after(self, position: int, *, limit: int = 500) -> list[ProfileChange]:
        """The leads (of every tenant) whose latest change is after `position`, oldest
        change first: each lead once, however often it changed since."""
        rows = self.view.rows(
            f"SELECT changed, tenant_id, lead_id FROM {self.prefix}_leads WHERE changed > ? "
            f"ORDER BY changed LIMIT {int(limit)}",
            (int(position),),
        )
        return [
            ProfileChange(int(row["changed"]), str(row["tenant_id"]), str(row["lead_id"]))
            for row in rows
        ]


# --- what a profile keeps ------------------------------------------------------------------


def profile_properties(behaviour: Behaviour) -> dict[str, Any] | None:
    """The properties filters may test: scalar values under names that are not personal,
    URLs without query or fragment (their UTM parameters kept as `utm_*`). None for an
    identify (traits) or an alias (a previous id)."""
    if behaviour.kind in (BehaviourKind.IDENTIFY, BehaviourKind.ALIAS):
        return None
    kept: dict[str, Any] = {}
    for key, value in _candidates(behaviour):
        name = str(key)[:MAX_PROPERTY_NAME]
        if len(kept) >= MAX_PROPERTIES:
            break
        if name in kept or _personal(name):
            continue
        if name in URL_PROPERTIES and isinstance(value, str):
            value, utm = _public_url(value)
            for utm_key, utm_value in utm.items():
                kept.setdefault(utm_key, utm_value)
        if isinstance(value, bool):
            kept[name] = value
        elif isinstance(value, int | float):
            if math.isfinite(value):
                kept[name] = value
        elif isinstance(value, str) and value.strip() and len(value) <= MAX_TEXT:
            kept[name] = value.strip()
    return dict(list(kept.items())[:MAX_PROPERTIES])


def _candidates(behaviour: Behaviour) -> Sequence[tuple[Any, Any]]:
    found = list(behaviour.properties.items())
    page = behaviour.context.get("page")
    if isinstance(page, Mapping):  # the page a track or click happened on
        found += [(k, page[k]) for k in ("url", "path", "referrer", "title") if k in page]
    campaign = behaviour.context.get("campaign")
    if isinstance(campaign, Mapping):
        found += [(f"utm_{k}", v) for k, v in campaign.items() if f"utm_{k}" in UTM]
    return found


def _personal(name: str) -> bool:
    lowered = name.lower()
    return lowered in PERSONAL_NAMES or any(word in lowered for word in PERSONAL_WORDS)


def _public_url(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url[:2000])
    utm = {k: v[:MAX_TEXT] for k, v in parse_qsl(parts.query) if k in UTM and v}
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))[:MAX_TEXT], utm


def _first(identities: Sequence[Mapping[str, str]], kind: str) -> str | None:
    return next((i["value"] for i in identities if i["kind"] == kind), None)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _whole(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0
