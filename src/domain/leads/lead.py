"""The Lead: one marketing user per person of a tenant (LEAD-1…9).

It carries the person's identities, profile, custom fields, source, sales status,
place in the pool (unassigned, owned, followed up, closed), tags and consent per
channel. Merging moves one lead's identities and history into another; the merged-away
lead keeps a pointer to the survivor.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.leads.identity import identity
from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

BASE_FIELDS = ("name", "gender", "birthday", "city", "company", "title", "industry")
SOURCE_FIELDS = (
    "level1",
    "level2",
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "landing_url",
    "user_agent",
    "ip",
)
MAX_TAGS = 200
MAX_TEXT = 500
Value = str | int | float | bool | None


class PoolState(StrEnum):
    """Where a lead is in the pool workflow (LEAD-7)."""

    POOL = "pool"  # unassigned, in the shared pool
    ASSIGNED = "assigned"
    FOLLOWING = "following"
    WON = "won"
    LOST = "lost"
    CLOSED = "closed"


class Handover(StrEnum):
    """Why a lead changes hands between employees (ORG-3)."""

    LEAVING = "leaving"  # 离职继承: the owner has left the company
    IN_SERVICE = "in_service"  # 在职继承: the owner is still employed


class ConsentState(StrEnum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    SUPPRESSED = "suppressed"  # e.g. a hard-bounced e-mail address


CHANNELS = ("email", "sms", "wechat")
_CLOSED = (PoolState.WON, PoolState.LOST, PoolState.CLOSED)


def _texts(values: dict[str, Value], allowed: tuple[str, ...], *, field: str) -> dict[str, Value]:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise InvalidValue(f"unknown {field} field {unknown[0]!r}", field=f"{field}.{unknown[0]}")
    for key, value in values.items():
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise InvalidValue(f"{key} is longer than {MAX_TEXT} characters", field=key)
    return {
        key: (value.strip() if isinstance(value, str) else value) for key, value in values.items()
    }


class Lead(Aggregate):
    """A marketing user: identities, profile, source, status, owner, tags, consent."""

    TOPIC = "leads.Lead"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Registered: ClassVar[type[AggregateEvent]]
        IdentityAttached: ClassVar[type[AggregateEvent]]
        ProfileUpdated: ClassVar[type[AggregateEvent]]
        SourceChanged: ClassVar[type[AggregateEvent]]
        StatusChanged: ClassVar[type[AggregateEvent]]
        Assigned: ClassVar[type[AggregateEvent]]
        FollowedUp: ClassVar[type[AggregateEvent]]
        Closed: ClassVar[type[AggregateEvent]]
        ReleasedToPool: ClassVar[type[AggregateEvent]]
        HandedOver: ClassVar[type[AggregateEvent]]
        Tagged: ClassVar[type[AggregateEvent]]
        Untagged: ClassVar[type[AggregateEvent]]
        ConsentChanged: ClassVar[type[AggregateEvent]]
        Absorbed: ClassVar[type[AggregateEvent]]
        MergedInto: ClassVar[type[AggregateEvent]]
        Deleted: ClassVar[type[AggregateEvent]]

    @classmethod
    def register(
        cls,
        *,
        lead_id: UUID,
        tenant_id: UUID,
        identities: list[dict[str, str]],
        profile: dict[str, Value],
        custom: dict[str, Value],
        source: dict[str, Value],
        status: str,
        owner_id: UUID | None,
        user_type: str = "person",
    ) -> Lead:
        """A new lead; at least one identity (a mobile or e-mail for people)."""
        if not identities:
            raise InvalidValue("a lead needs a mobile, e-mail or other identity", field="mobile")
        return cls(
            id=lead_id,
            tenant_id=tenant_id,
            user_type=user_type,
            identities=[identity(i["kind"], i["value"]) for i in identities],
            profile=_texts(profile, BASE_FIELDS, field="profile"),
            custom=dict(custom),
            source=_texts(source, SOURCE_FIELDS, field="source"),
            status=required_text(status, field="status", max_length=64),
            owner_id=owner_id,
        )

    @event("Registered", topic="leads.Lead.Registered")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        user_type: str,
        identities: list[dict[str, str]],
        profile: dict[str, Value],
        custom: dict[str, Value],
        source: dict[str, Value],
        status: str,
        owner_id: UUID | None,
    ) -> None:
        self.tenant_id = tenant_id
        self.user_type = user_type
        self.identities = [dict(i) for i in identities]
        self.profile = dict(profile)
        self.custom = dict(custom)
        self.source = dict(source)
        self.status = status
        self.owner_id = owner_id
        self.pool_state = PoolState.ASSIGNED.value if owner_id else PoolState.POOL.value
        self.tags: list[str] = []
        self.consent: dict[str, dict[str, str]] = {}
        self.merged_into: UUID | None = None
        self.is_deleted = False

    # --- identities and profile ----------------------------------------------------------

    @property
    def is_live(self) -> bool:
        return not self.is_deleted and self.merged_into is None

    def _require_live(self) -> None:
        if self.merged_into is not None:
            raise StateConflict(f"the lead was merged into {self.merged_into}")
        if self.is_deleted:
            raise StateConflict("the lead was deleted")

    def has_identity(self, kind: str, value: str) -> bool:
        return {"kind": kind, "value": value} in self.identities

    def identity_of(self, kind: str) -> str | None:
        """The first identity of a kind (e.g. the mobile shown in lists)."""
        return next((i["value"] for i in self.identities if i["kind"] == kind), None)

    def attach_identity(self, kind: str, value: str) -> None:
        """Add an identity the index has just claimed for this lead."""
        self._require_live()
        checked = identity(kind, value)
        if checked not in self.identities:
            self._identity_attached(kind=checked["kind"], value=checked["value"])

    @event("IdentityAttached", topic="leads.Lead.IdentityAttached")
    def _identity_attached(self, kind: str, value: str) -> None:
        self.identities.append({"kind": kind, "value": value})

    def update_profile(
        self, profile: dict[str, Value], custom: dict[str, Value], *, only_empty: bool = False
    ) -> None:
        """Change base and custom fields (a None value clears one). With `only_empty`,
        fields that already hold a value keep it (an import that must not overwrite)."""
        self._require_live()
        profile = _texts(profile, BASE_FIELDS, field="profile")
        if only_empty:
            profile = {k: v for k, v in profile.items() if self.profile.get(k) in (None, "")}
            custom = {k: v for k, v in custom.items() if self.custom.get(k) in (None, "")}
        profile = {k: v for k, v in profile.items() if self.profile.get(k) != v}
        custom = {k: v for k, v in custom.items() if self.custom.get(k) != v}
        if profile or custom:
            self._profile_updated(profile=profile, custom=dict(custom))

    @event("ProfileUpdated", topic="leads.Lead.ProfileUpdated")
    def _profile_updated(self, profile: dict[str, Value], custom: dict[str, Value]) -> None:
        self.profile = {k: v for k, v in {**self.profile, **profile}.items() if v is not None}
        self.custom = {k: v for k, v in {**self.custom, **custom}.items() if v is not None}

    def change_source(self, source: dict[str, Value]) -> None:
        self._require_live()
        source = _texts(source, SOURCE_FIELDS, field="source")
        if any(self.source.get(k) != v for k, v in source.items()):
            self._source_changed(source=source)

    @event("SourceChanged", topic="leads.Lead.SourceChanged")
    def _source_changed(self, source: dict[str, Value]) -> None:
        self.source = {k: v for k, v in {**self.source, **source}.items() if v is not None}

    def change_status(self, status: str) -> None:
        """Move to a tenant-defined sales status (LEAD-6); the caller checks it exists."""
        self._require_live()
        status = required_text(status, field="status", max_length=64)
        if status != self.status:
            self._status_changed(status=status)

    @event("StatusChanged", topic="leads.Lead.StatusChanged")
    def _status_changed(self, status: str) -> None:
        self.status = status

    # --- the pool ------------------------------------------------------------------------

    def assign_owner(self, owner_id: UUID, *, reason: str | None = None) -> None:
        """Give the lead to an employee (from the pool, or from another owner)."""
        self._require_live()
        if self.pool_state in _CLOSED:
            raise StateConflict(f"a {self.pool_state} lead cannot be assigned")
        if owner_id != self.owner_id:
            self._assigned(owner_id=owner_id, previous_owner_id=self.owner_id, reason=reason)

    @event("Assigned", topic="leads.Lead.Assigned")
    def _assigned(self, owner_id: UUID, previous_owner_id: UUID | None, reason: str | None) -> None:
        self.owner_id = owner_id
        self.pool_state = PoolState.ASSIGNED.value

    def follow_up(self, note: str) -> None:
        """The owner worked on the lead."""
        self._require_live()
        note = required_text(note, field="note", max_length=2000)
        if self.owner_id is None or self.pool_state in _CLOSED:
            raise StateConflict("only an owned, open lead is followed up")
        self._followed_up(note=note)

    @event("FollowedUp", topic="leads.Lead.FollowedUp")
    def _followed_up(self, note: str) -> None:
        self.pool_state = PoolState.FOLLOWING.value

    def close(self, outcome: str, reason: str) -> None:
        """Won, lost or closed: the lead leaves the working pool."""
        self._require_live()
        reason = required_text(reason, field="reason", max_length=500)
        if outcome not in (PoolState.WON, PoolState.LOST, PoolState.CLOSED):
            raise InvalidValue("outcome must be won, lost or closed", field="outcome")
        if self.pool_state in _CLOSED:
            raise StateConflict(f"the lead is already {self.pool_state}")
        self._closed(outcome=outcome, reason=reason)

    @event("Closed", topic="leads.Lead.Closed")
    def _closed(self, outcome: str, reason: str) -> None:
        self.pool_state = outcome

    def release_to_pool(self, reason: str) -> None:
        """Back to the shared pool for someone else (or an employee left, ORG-3)."""
        self._require_live()
        reason = required_text(reason, field="reason", max_length=500)
        if self.owner_id is None and self.pool_state == PoolState.POOL:
            raise StateConflict("the lead is already in the pool")
        self._released_to_pool(previous_owner_id=self.owner_id, reason=reason)

    @event("ReleasedToPool", topic="leads.Lead.ReleasedToPool")
    def _released_to_pool(self, previous_owner_id: UUID | None, reason: str) -> None:
        self.owner_id = None
        self.pool_state = PoolState.POOL.value

    def hand_over(
        self, from_owner_id: UUID, to_owner_id: UUID | None, *, reason: str, kind: str
    ) -> None:
        """Move the lead from one employee to another, or to the shared pool when
        `to_owner_id` is None (ORG-3). Won, lost and closed leads change hands too (a
        customer still needs someone) and keep their outcome."""
        self._require_live()
        reason = required_text(reason, field="reason", max_length=500)
        if kind not in Handover.__members__.values():
            raise InvalidValue("kind must be leaving or in_service", field="kind")
        if to_owner_id == from_owner_id:
            raise InvalidValue("a lead is handed over to someone else", field="to_employee_id")
        if self.owner_id != from_owner_id:
            raise StateConflict(f"the lead is not owned by {from_owner_id}")
        self._handed_over(
            from_owner_id=from_owner_id, to_owner_id=to_owner_id, reason=reason, kind=kind
        )

    @event("HandedOver", topic="leads.Lead.HandedOver")
    def _handed_over(
        self, from_owner_id: UUID, to_owner_id: UUID | None, reason: str, kind: str
    ) -> None:
        self.owner_id = to_owner_id
        if self.pool_state not in _CLOSED:
            self.pool_state = (PoolState.ASSIGNED if to_owner_id else PoolState.POOL).value

    # --- tags and consent ----------------------------------------------------------------

    def tag(self, tags: list[str]) -> None:
        self._require_live()
        new = sorted({t for t in tags if t not in self.tags})
        if len(self.tags) + len(new) > MAX_TAGS:
            raise InvalidValue(f"a lead has at most {MAX_TAGS} tags", field="tags")
        if new:
            self._tagged(tags=new)

    @event("Tagged", topic="leads.Lead.Tagged")
    def _tagged(self, tags: list[str]) -> None:
        self.tags = sorted({*self.tags, *tags})

    def untag(self, tags: list[str]) -> None:
        self._require_live()
        gone = sorted({t for t in tags if t in self.tags})
        if gone:
            self._untagged(tags=gone)

    @event("Untagged", topic="leads.Lead.Untagged")
    def _untagged(self, tags: list[str]) -> None:
        self.tags = [t for t in self.tags if t not in tags]

    def record_consent(self, channel: str, state: str, *, source: str, at: str) -> None:
        """Subscribed, unsubscribed or suppressed on one channel (LEAD-9); `at` is when
        the person said so (ISO-8601), `source` how we learnt it."""
        self._require_live()
        if channel not in CHANNELS:
            raise InvalidValue(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
        if state not in ConsentState.__members__.values():
            raise InvalidValue(
                "state must be subscribed, unsubscribed or suppressed", field="state"
            )
        source = required_text(source, field="source", max_length=200)
        if self.consent.get(channel, {}).get("state") != state:
            self._consent_changed(channel=channel, state=state, source=source, at=at)

    @event("ConsentChanged", topic="leads.Lead.ConsentChanged")
    def _consent_changed(self, channel: str, state: str, source: str, at: str) -> None:
        self.consent[channel] = {"state": state, "source": source, "at": at}

    def may_contact(self, channel: str) -> bool:
        """Whether a send on `channel` is allowed: never when unsubscribed or suppressed."""
        return self.is_live and self.consent.get(channel, {}).get("state") not in (
            ConsentState.UNSUBSCRIBED,
            ConsentState.SUPPRESSED,
        )

    # --- cleaning ------------------------------------------------------------------------

    def absorb(self, other: Lead, *, chosen: dict[str, Value]) -> None:
        """Take in a duplicate (LEAD-4): its identities and tags join this lead's, the
        profile takes the values `chosen` field by field (others keep this lead's, or the
        duplicate's where this one has none), and the earlier owner wins if this has none."""
        self._require_live()
        other._require_live()
        if other.id == self.id or other.tenant_id != self.tenant_id:
            raise InvalidValue(
                "a lead merges with another lead of the same tenant", field="lead_id"
            )
        unknown = sorted(set(chosen) - set(BASE_FIELDS) - set(other.custom) - set(self.custom))
        if unknown:
            raise InvalidValue(f"no field {unknown[0]!r} to choose", field=f"chosen.{unknown[0]}")
        profile = {**other.profile, **self.profile}
        custom = {**other.custom, **self.custom}
        for key, value in chosen.items():
            (profile if key in BASE_FIELDS else custom)[key] = value
        self._absorbed(
            merged_id=other.id,
            identities=[i for i in other.identities if i not in self.identities],
            tags=sorted(set(other.tags) - set(self.tags)),
            profile=profile,
            custom=custom,
            owner_id=self.owner_id or other.owner_id,
            # An opt-out travels with the person: the stricter consent of the two wins.
            consent={
                channel: dict(state)
                for channel, state in other.consent.items()
                if not other.may_contact(channel) and self.may_contact(channel)
            },
        )

    @event("Absorbed", topic="leads.Lead.Absorbed")
    def _absorbed(
        self,
        merged_id: UUID,
        identities: list[dict[str, str]],
        tags: list[str],
        profile: dict[str, Value],
        custom: dict[str, Value],
        owner_id: UUID | None,
        consent: dict[str, dict[str, str]],
    ) -> None:
        self.consent.update({channel: dict(state) for channel, state in consent.items()})
        self.identities.extend(dict(i) for i in identities)
        self.tags = sorted({*self.tags, *tags})
        self.profile = {k: v for k, v in profile.items() if v is not None}
        self.custom = {k: v for k, v in custom.items() if v is not None}
        if self.owner_id is None and owner_id is not None:
            self.owner_id = owner_id
            self.pool_state = PoolState.ASSIGNED.value

    def merge_into(self, survivor: Lead) -> None:
        """This lead is a duplicate of `survivor`; it answers with a pointer from now on."""
        self._require_live()
        self._merged_into(survivor_id=survivor.id)

    @event("MergedInto", topic="leads.Lead.MergedInto")
    def _merged_into(self, survivor_id: UUID) -> None:
        self.merged_into = survivor_id

    def delete(self, reason: str) -> None:
        """Remove the lead; its identities become free (the history stays)."""
        self._require_live()
        self._deleted(reason=required_text(reason, field="reason", max_length=500))

    @event("Deleted", topic="leads.Lead.Deleted")
    def _deleted(self, reason: str) -> None:
        self.is_deleted = True
