"""Smart groups kept current as leads change (SEG-1): a policy over what the profile
read model follows (the leads' events, the scoring context's, the behaviour log and
tracking's visitors).

For each upstream event the policy finds the tenant and the leads it changes and what
about them (tags, consent, scores, fields, behaviours of some kind, or everything when
a lead is registered, merged or deleted); it waits until the profile read model
(`segment_profiles`) has applied that same event, reads each lead's facts from it, and
evaluates only the tenant's smart groups whose filter reads something the event can
change. Joining and leaving go through `Groups.reconsider`: the membership's state
decides, and its id is derived, so an event seen again after a crash (the batch it was
in was not recorded) changes nothing, and no lead is counted twice or missed.

Filters that depend on time (`within_days`) change without any event: the scheduled
pass (`refresh_time_relative`) evaluates those groups in full.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.segments.groups import Groups
from application.segments.profiles import SegmentProfiles
from application.shared.behaviours import Behaviour
from application.shared.clock import Clock
from application.shared.policies import Policy
from application.shared.stamping import tenant_of
from application.shared.views import View, require_applied
from domain.shared.filters import Filter, References

log = logging.getLogger("huoke.segments.smart_groups")
PASS_EVERY = timedelta(minutes=15)  # time-relative smart groups: one full pass this often
EVERYTHING = "*"
SCORES = frozenset(
    {"score", "behaviour_score", "profile_score", "behaviour_band", "profile_band", "stage",
     "temperature"}
)  # fmt: skip
# What a lead event can change, by the event's name (topic "leads.Lead.<name>").
LEAD_EVENTS: dict[str, frozenset[str]] = {
    "Tagged": frozenset({"tags"}),
    "Untagged": frozenset({"tags"}),
    "ConsentChanged": frozenset({"consent.*"}),
    "SourceChanged": frozenset({"source_level1", "source_level2"}),
    "StatusChanged": frozenset({"status"}),
    "Assigned": frozenset({"owner_id", "pool_state"}),
    "ReleasedToPool": frozenset({"owner_id", "pool_state"}),
    "HandedOver": frozenset({"owner_id", "pool_state"}),
    "Closed": frozenset({"status", "pool_state"}),
    "FollowedUp": frozenset({"status", "pool_state", "last_seen_at"}),
}
EVERYTHING_EVENTS = frozenset({"Registered", "Absorbed", "MergedInto", "Deleted"})
GONE_EVENTS = frozenset({"MergedInto", "Deleted"})  # the lead leaves static groups too


@dataclass(frozen=True)
class Change:
    """What one upstream event changed: some leads of a tenant, in some respects."""

    tenant_id: UUID
    lead_ids: tuple[UUID, ...]
    fields: frozenset[str]  # field names ("consent.*": any channel; "*": everything)
    kinds: frozenset[str] = frozenset()  # behaviour kinds (EVERYTHING: any)
    gone: bool = False  # the lead was deleted or merged into another

    def affects(self, references: References) -> bool:
        if EVERYTHING in self.fields:
            return True
        for name in references.fields:
            if name in self.fields or (name.startswith("consent.") and "consent.*" in self.fields):
                return True
            if name.startswith("custom.") and "custom.*" in self.fields:
                return True
        if self.kinds:
            wanted = references.behaviour_kinds
            if EVERYTHING in self.kinds and wanted:
                return True
            if EVERYTHING in wanted or wanted & self.kinds:
                return True
        return False


class SmartGroups(Policy):
    """Keeps smart groups' members current, lead by lead."""

    name = "segment_smart_groups"
    follows = SegmentProfiles.follows  # what the profile read model follows
    PARSED = 10_000  # filters this process keeps parsed

    def __init__(self, view: View, *, groups: Groups, profiles: View, clock: Clock) -> None:
        super().__init__(view)
        self.groups = groups
        self.profiles = profiles
        self.clock = clock
        self._parsed: OrderedDict[tuple[UUID, str], Filter] = OrderedDict()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        change = self.change_of(domain_event, tracking)
        if change is not None and change.lead_ids:
            self.apply(change, tracking)
        self.view.write(tracking, ())

    def apply(self, change: Change, tracking: Tracking | None) -> int:
        """Evaluate the affected smart groups for each changed lead (after the profile
        read model has applied the event)."""
        left = self._leave_static(change) if change.gone else 0
        candidates = [
            (group_id, selecting)
            for group_id, selecting in self._smart_groups(change.tenant_id)
            if change.affects(selecting.references())
        ]
        if not candidates:
            return left
        if tracking is not None:
            require_applied(self.profiles, tracking.application_name, tracking.notification_id)
        now = self.clock.now()
        return left + sum(
            self.groups.reconsider(change.tenant_id, lead_id, candidates, now=now)
            for lead_id in change.lead_ids
        )

    def _leave_static(self, change: Change) -> int:
        """A deleted or merged-away lead leaves the static groups it was listed in."""
        left = 0
        for lead_id in change.lead_ids:
            for group_id in self.groups.queries.groups_of(change.tenant_id, lead_id):
                left += self.groups.unlist(change.tenant_id, group_id, lead_id)
        return left

    # --- what an event changed ---------------------------------------------------------

    def change_of(self, event: Any, tracking: Tracking) -> Change | None:
        if isinstance(event, Behaviour):
            return self._behaviour(event, tracking)
        topic = get_topic(type(event))
        if topic.startswith("leads.Lead."):
            name = topic.removeprefix("leads.Lead.")
            fields = (
                frozenset({EVERYTHING})
                if name in EVERYTHING_EVENTS
                else LEAD_EVENTS.get(name, frozenset({"name", "mobile", "email", "company",
                                                       "city", "title", "user_type",
                                                       "custom.*"}))
            )  # fmt: skip
            tenant = tenant_of(event) or getattr(event, "tenant_id", None)
            if tenant is None:
                return None
            return Change(tenant, (event.originator_id,), fields, gone=name in GONE_EVENTS)
        if topic.startswith("scoring.LeadScore."):
            lead_id, tenant = getattr(event, "lead_id", None), getattr(event, "tenant_id", None)
            if lead_id is None or tenant is None:
                return None
            return Change(_uuid(tenant), (_uuid(lead_id),), SCORES)
        if topic.startswith("tracking.Visitor."):
            tenant = tenant_of(event) or getattr(event, "tenant_id", None)
            leads = [getattr(event, "lead_id", None), getattr(event, "previous_lead_id", None)]
            ids = tuple(_uuid(lead) for lead in leads if lead is not None)
            if tenant is None or not ids:
                return None
            return Change(tenant, ids, frozenset({"last_seen_at"}), frozenset({EVERYTHING}))
        return None

    def _behaviour(self, behaviour: Behaviour, tracking: Tracking) -> Change | None:
        kinds = frozenset({str(behaviour.kind)})
        lead_id = behaviour.lead_id
        if lead_id is None:  # whose it is, the profile read model's stitching knows
            require_applied(self.profiles, tracking.application_name, tracking.notification_id)
            rows = self.profiles.rows(
                "SELECT lead_id FROM segments_behaviours WHERE tenant_id = ? AND position = ?",
                (str(behaviour.tenant_id), behaviour.position or tracking.notification_id),
            )
            if not rows or rows[0]["lead_id"] is None:
                return None  # an anonymous visitor: when identified, tracking says so
            lead_id = UUID(str(rows[0]["lead_id"]))
        return Change(behaviour.tenant_id, (lead_id,), frozenset({"last_seen_at"}), kinds)

    # --- the tenant's smart groups -----------------------------------------------------

    def _smart_groups(self, tenant_id: UUID) -> list[tuple[UUID, Filter]]:
        found = []
        for group in self.groups.queries.smart_groups(tenant_id):
            if group.filter is None:
                continue
            key = (group.id, str(group.version))
            selecting = self._parsed.get(key)
            if selecting is None:
                selecting = Filter.parse(group.filter)
                self._parsed[key] = selecting
                while len(self._parsed) > self.PARSED:
                    self._parsed.popitem(last=False)
            found.append((group.id, selecting))
        return found


class TimeRelativePass:
    """The scheduler's duty for smart groups whose filter depends on time: at most once
    per `every`, evaluate each in full (`refresh_time_relative`). Repeating a pass
    changes nothing; a restart only runs the next one sooner."""

    def __init__(self, groups: Groups, clock: Clock, every: timedelta = PASS_EVERY) -> None:
        self.groups = groups
        self.clock = clock
        self.every = every
        self._last: datetime | None = None

    def sweep(self) -> int:
        now = self.clock.now()
        if self._last is not None and now - self._last < self.every:
            return 0
        self._last = now
        return refresh_time_relative(self.groups, now=now)


def refresh_time_relative(groups: Groups, *, now: datetime) -> int:
    """The scheduled pass: evaluate in full every smart group whose filter depends on
    time (active / new / dormant in the last N days). Answers how many groups."""
    done = 0
    for tenant_id, group_ids in _time_relative(groups).items():
        for group_id in group_ids:
            try:
                group = groups.live_group(tenant_id, group_id)
                if group.is_smart:
                    groups.evaluate(group, now=now)
                    done += 1
            except Exception:  # one group's failure must not stop the others
                log.exception("evaluating smart group %s failed", group_id)
    return done


def _time_relative(groups: Groups) -> dict[UUID, list[UUID]]:
    rows = groups.queries.view.rows(
        "SELECT tenant_id, group_id, tree FROM segments_groups "
        "WHERE kind = 'smart' AND deleted = 0 ORDER BY tenant_id, group_id"
    )
    found: dict[UUID, list[UUID]] = {}
    for row in rows:
        if row["tree"] and _relative(row["tree"]):
            found.setdefault(UUID(row["tenant_id"]), []).append(UUID(row["group_id"]))
    return found


def _relative(tree_json: str) -> bool:
    return Filter.parse(json.loads(tree_json)).references().time_relative


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
