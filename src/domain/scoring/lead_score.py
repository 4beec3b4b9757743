"""A lead's score (SCORE-1…5): the points its rules awarded, each until it expires,
manual adjustments, and where that places the lead.

One record per lead (its id uuid5 of tenant and lead), made when something first
scores. Every event that changes it names its rule (or the adjustment's reason) and
carries the lead's state after it: tenant_id, lead_id, behaviour_score,
profile_score, score, behaviour_band, profile_band, stage, temperature (other contexts
copy those, recognising the topics `scoring.LeadScore.*`). A stage change is its own
event right after the change that caused it.

Rules are enforced here, given the time of each occurrence (the domain reads no
clock): how often a rule may score (once / per day / unlimited), its cap, its
category's cap and switch. A behaviour seen again (a follower's replay after a crash)
scores nothing twice: each award remembers its cause, an upstream position, and
positions of one upstream only grow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.scoring.rules import Frequency, LeadAttributes, Part, ScoreRule
from domain.scoring.scheme import Placement, Scheme
from domain.shared.errors import InvalidValue
from domain.shared.text import required_text

MAX_ADJUSTMENT = 100
MAX_GIVEN_KEYS = 200  # the flow steps remembered, so a step redone gives nothing twice
PLACEMENT_FIELDS = (
    "behaviour_score",
    "profile_score",
    "score",
    "behaviour_band",
    "profile_band",
    "stage",
    "temperature",
)


def moment_text(moment: datetime) -> str:
    """A time as stored in events: ISO-8601 in UTC."""
    return moment.astimezone(UTC).isoformat()


def moment_of(text: str) -> datetime:
    return datetime.fromisoformat(text)


class ScoreChange(Aggregate.Event):
    """The state every LeadScore event carries: the lead's placement after it."""

    tenant_id: UUID
    lead_id: UUID
    behaviour_score: int
    profile_score: int
    score: int
    behaviour_band: str
    profile_band: str
    stage: str
    temperature: str
    next_expiry: str | None  # when the next points expire (None: none will)

    def apply(self, aggregate: Any) -> None:
        self.change(aggregate)
        aggregate.standing = {name: getattr(self, name) for name in PLACEMENT_FIELDS}

    def change(self, aggregate: Any) -> None:
        """What the event does besides the placement."""


def _cause_seen(aggregate: Any, cause: str | None) -> None:
    if cause:
        upstream, _, position = cause.rpartition(":")
        aggregate.seen[upstream] = max(aggregate.seen.get(upstream, 0), int(position))


class LeadScore(Aggregate):
    """The points of one lead and where they place it."""

    TOPIC = "scoring.LeadScore"
    Created = None  # type: ignore[assignment]  # the creation event is named below

    class PointsAwarded(ScoreChange):
        TOPIC = "scoring.LeadScore.PointsAwarded"
        rule_id: str
        category: str
        part: str
        points: int
        at: str
        expires_at: str | None
        cause: str | None  # "<upstream>:<position>" of what scored
        covers: str | None  # the behaviour's own position, when the cause is another

        def change(self, aggregate: Any) -> None:
            aggregate.entries.append(
                {
                    "rule_id": self.rule_id,
                    "category": self.category,
                    "part": self.part,
                    "points": self.points,
                    "at": self.at,
                    "expires_at": self.expires_at,
                }
            )
            aggregate.fired[self.rule_id] = self.at
            if self.part == Part.PROFILE:
                aggregate.held.append(self.rule_id)
            _cause_seen(aggregate, self.cause)
            _cause_seen(aggregate, self.covers)

    class PointsWithdrawn(ScoreChange):
        """An attribute rule the lead no longer matches gives its points back."""

        TOPIC = "scoring.LeadScore.PointsWithdrawn"
        rule_id: str
        points: int
        at: str
        cause: str | None

        def change(self, aggregate: Any) -> None:
            aggregate.entries = [e for e in aggregate.entries if e["rule_id"] != self.rule_id]
            aggregate.held = [r for r in aggregate.held if r != self.rule_id]
            _cause_seen(aggregate, self.cause)

    class PointsExpired(ScoreChange):
        """Exactly the points whose validity ended at or before `at`."""

        TOPIC = "scoring.LeadScore.PointsExpired"
        at: str
        expired: list[dict[str, Any]]

        def change(self, aggregate: Any) -> None:
            now = moment_of(self.at)
            aggregate.entries = [e for e in aggregate.entries if not _expired(e, now)]

    class PointsAdjusted(ScoreChange):
        """Points added or taken by hand, with the reason."""

        TOPIC = "scoring.LeadScore.PointsAdjusted"
        part: str
        points: int
        reason: str
        at: str

        def change(self, aggregate: Any) -> None:
            aggregate.adjustments[self.part] = aggregate.adjustments.get(self.part, 0) + self.points

    class PointsGiven(ScoreChange):
        """Points a marketing flow gave or took (FLOW-3): `key` is the flow step's effect
        key, so a step done again after a crash gives nothing twice; positive points with
        a validity expire like a rule's."""

        TOPIC = "scoring.LeadScore.PointsGiven"
        part: str
        points: int
        reason: str
        at: str
        expires_at: str | None
        key: str

        def change(self, aggregate: Any) -> None:
            if self.expires_at is not None:
                aggregate.entries.append(
                    {
                        "rule_id": "flow",
                        "category": "flow",
                        "part": self.part,
                        "points": self.points,
                        "at": self.at,
                        "expires_at": self.expires_at,
                    }
                )
            else:
                aggregate.adjustments[self.part] = (
                    aggregate.adjustments.get(self.part, 0) + self.points
                )
            aggregate.given = [*getattr(aggregate, "given", []), self.key][-MAX_GIVEN_KEYS:]

    class PointsAbsorbed(ScoreChange):
        """A duplicate merged into this lead brought its behaviour points and manual
        adjustments (its profile points follow from this lead's attributes)."""

        TOPIC = "scoring.LeadScore.PointsAbsorbed"
        merged_lead_id: UUID
        entries: list[dict[str, Any]]
        adjustments: dict[str, int]
        cause: str | None

        def change(self, aggregate: Any) -> None:
            aggregate.entries.extend(dict(e) for e in self.entries)
            for part, points in self.adjustments.items():
                aggregate.adjustments[part] = aggregate.adjustments.get(part, 0) + points
            for entry in self.entries:
                if entry["at"] > aggregate.fired.get(entry["rule_id"], ""):
                    aggregate.fired[entry["rule_id"]] = entry["at"]
            _cause_seen(aggregate, self.cause)

    class Restated(ScoreChange):
        """The tenant's bands, stages or temperature changed: the same points place the
        lead elsewhere."""

        TOPIC = "scoring.LeadScore.Restated"
        at: str

    class StageChanged(ScoreChange):
        """A marketing stage transition (a "conversion"), after the change that caused it."""

        TOPIC = "scoring.LeadScore.StageChanged"
        from_stage: str
        to_stage: str
        from_cell: str
        to_cell: str
        rule_id: str | None
        reason: str | None
        at: str

    @staticmethod
    def create_id(tenant_id: UUID, lead_id: UUID) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE_URL, f"/huoke/scoring/lead-scores/{tenant_id}/{lead_id}")

    @classmethod
    def start(cls, tenant_id: UUID, lead_id: UUID, scheme: Scheme) -> LeadScore:
        """A lead with no points yet (stored with its first change)."""
        return cls(tenant_id=tenant_id, lead_id=lead_id, **scheme.place(0, 0).as_fields())

    @event("Started", topic="scoring.LeadScore.Started")
    def __init__(
        self,
        tenant_id: UUID,
        lead_id: UUID,
        behaviour_score: int,
        profile_score: int,
        score: int,
        behaviour_band: str,
        profile_band: str,
        stage: str,
        temperature: str,
    ) -> None:
        self.tenant_id = tenant_id
        self.lead_id = lead_id
        self.entries: list[dict[str, Any]] = []
        self.adjustments: dict[str, int] = {}
        self.fired: dict[str, str] = {}  # rule id -> when it last scored
        self.held: list[str] = []  # attribute rules scored while the lead still matches
        self.seen: dict[str, int] = {}  # upstream -> the last position that scored
        self.given: list[str] = []  # the flow steps that gave points (PointsGiven.key)
        # The placement as primitives (snapshots store the aggregate's attributes).
        self.standing: dict[str, Any] = {
            "behaviour_score": behaviour_score,
            "profile_score": profile_score,
            "score": score,
            "behaviour_band": behaviour_band,
            "profile_band": profile_band,
            "stage": stage,
            "temperature": temperature,
        }

    @property
    def placement(self) -> Placement:
        return Placement(**self.standing)

    # --- reading ------------------------------------------------------------------------

    def has_seen(self, cause: str) -> bool:
        """Whether an award of this cause ("<upstream>:<position>") or a later one of the
        same upstream is already recorded."""
        upstream, _, position = cause.rpartition(":")
        return self.seen.get(upstream, 0) >= int(position)

    def live_points(self, *, rule_id: str | None = None, category: str | None = None) -> int:
        return sum(
            int(e["points"])
            for e in self.entries
            if (rule_id is None or e["rule_id"] == rule_id)
            and (category is None or e["category"] == category)
        )

    def raw(self, part: str) -> int:
        """The part's points before they are kept within 0…100."""
        points = sum(int(e["points"]) for e in self.entries if e["part"] == part)
        return points + self.adjustments.get(part, 0)

    @property
    def next_expiry(self) -> str | None:
        dates = [moment_of(e["expires_at"]) for e in self.entries if e["expires_at"]]
        return moment_text(min(dates)) if dates else None

    # --- commands -----------------------------------------------------------------------

    def score_behaviour(
        self, rules: Iterable[ScoreRule], scheme: Scheme, *, at: datetime, cause: str | None
    ) -> list[str]:
        """Award every rule (they matched one behaviour at `at`) that may score now;
        answers the rule ids that scored."""
        return self.score_behaviours([(rules, at, None)], scheme, cause=cause)

    def score_behaviours(
        self,
        matches: Iterable[tuple[Iterable[ScoreRule], datetime, str | None]],
        scheme: Scheme,
        *,
        cause: str | None,
    ) -> list[str]:
        """`score_behaviour` for several behaviours of one cause (a visitor's earlier
        behaviours, scored when it is identified), nothing if the cause was seen. Each
        may name its own position (`covers`), remembered too: a replay in which that
        behaviour reaches the lead directly scores it no more."""
        if cause is not None and self.has_seen(cause):
            return []
        scored = []
        for rules, at, covers in matches:
            for rule in rules:
                if rule.attribute is not None:
                    continue
                points = self._allowed(rule, scheme, at)
                if points:
                    self._award(rule, points, scheme, at=at, cause=cause, covers=covers)
                    scored.append(rule.rule_id)
        return scored

    def match_attributes(
        self,
        rules: Iterable[ScoreRule],
        lead: LeadAttributes,
        scheme: Scheme,
        *,
        at: datetime,
        cause: str | None = None,
    ) -> None:
        """Hold the points of every attribute rule the lead matches now, give back those
        of rules it no longer matches (or that are gone or switched off). Idempotent."""
        rules = [r for r in rules if r.attribute is not None]
        matching = {
            r.rule_id: r
            for r in rules
            if r.active and scheme.enabled(r.category) and r.attribute and r.attribute.matches(lead)
        }
        for rule_id in list(self.held):
            if rule_id not in matching:
                self._withdraw(rule_id, scheme, at=at, cause=cause)
        for rule_id, rule in matching.items():
            if rule_id in self.held:
                continue  # held (or expired while the lead still matched)
            points = self._capped(rule, rule.points, scheme)
            if points:
                self._award(rule, points, scheme, at=at, cause=cause)

    def expire(self, scheme: Scheme, *, now: datetime) -> int:
        """Remove exactly the points whose validity ended by `now`; answers how many
        entries expired."""
        expired = [dict(e) for e in self.entries if _expired(e, now)]
        if not expired:
            return 0
        after = [e for e in self.entries if not _expired(e, now)]
        placement = self._placement_with(scheme, after, self.adjustments)
        before = self.placement
        self._trigger(
            self.PointsExpired,
            placement,
            next_expiry=_next_expiry(after),
            at=moment_text(now),
            expired=expired,
        )
        self._stage_after(before, placement, rule_id=None, reason="expired", at=now)
        return len(expired)

    def adjust(self, points: int, reason: str, part: str, scheme: Scheme, *, at: datetime) -> None:
        """Add (or with negative points take) points by hand, saying why."""
        if isinstance(points, bool) or not isinstance(points, int) or points == 0:
            raise InvalidValue("points must be a whole number other than 0", field="points")
        if abs(points) > MAX_ADJUSTMENT:
            raise InvalidValue(f"points must be within ±{MAX_ADJUSTMENT}", field="points")
        if part not in Part.__members__.values():
            raise InvalidValue("part must be behaviour or profile", field="part")
        reason = required_text(reason, field="reason", max_length=200)
        adjustments = {**self.adjustments, part: self.adjustments.get(part, 0) + points}
        placement = self._placement_with(scheme, self.entries, adjustments)
        before = self.placement
        self._trigger(
            self.PointsAdjusted,
            placement,
            next_expiry=self.next_expiry,
            part=part,
            points=points,
            reason=reason,
            at=moment_text(at),
        )
        self._stage_after(before, placement, rule_id=None, reason=reason, at=at)

    def give(
        self,
        points: int,
        reason: str,
        scheme: Scheme,
        *,
        at: datetime,
        key: str,
        valid_days: int | None = None,
    ) -> bool:
        """Points from a flow step (negative: taken), once per `key`; positive points
        with `valid_days` expire then. False when this key already gave its points."""
        if key in getattr(self, "given", []):
            return False
        if isinstance(points, bool) or not isinstance(points, int) or points == 0:
            raise InvalidValue("points must be a whole number other than 0", field="points")
        expires = (
            moment_text(at + timedelta(days=valid_days)) if valid_days and points > 0 else None
        )
        part = Part.BEHAVIOUR.value
        if expires is not None:
            entries = [*self.entries, {"part": part, "points": points, "expires_at": expires}]
            placement = self._placement_with(scheme, entries, self.adjustments)
            next_expiry = _next_expiry(entries)
        else:
            adjustments = {**self.adjustments, part: self.adjustments.get(part, 0) + points}
            placement = self._placement_with(scheme, self.entries, adjustments)
            next_expiry = self.next_expiry
        before = self.placement
        self._trigger(
            self.PointsGiven,
            placement,
            next_expiry=next_expiry,
            part=part,
            points=points,
            reason=required_text(reason, field="reason", max_length=200),
            at=moment_text(at),
            expires_at=expires,
            key=key,
        )
        self._stage_after(before, placement, rule_id=None, reason=reason, at=at)
        return True

    def absorb(self, merged: LeadScore, scheme: Scheme, *, at: datetime, cause: str) -> bool:
        """Take in the behaviour points and adjustments of a lead merged into this one
        (once per cause); False when there was nothing to take or it was taken."""
        if self.has_seen(cause) or merged.lead_id == self.lead_id:
            return False
        entries = [dict(e) for e in merged.entries if e["part"] == Part.BEHAVIOUR]
        adjustments = {part: n for part, n in merged.adjustments.items() if n}
        if not entries and not adjustments:
            return False
        after = [*self.entries, *entries]
        total = {p.value: self.adjustments.get(p, 0) + adjustments.get(p, 0) for p in Part}
        placement = self._placement_with(scheme, after, total)
        before = self.placement
        self._trigger(
            self.PointsAbsorbed,
            placement,
            next_expiry=_next_expiry(after),
            merged_lead_id=merged.lead_id,
            entries=entries,
            adjustments=adjustments,
            cause=cause,
        )
        self._stage_after(before, placement, rule_id=None, reason="merged", at=at)
        return True

    def restate(self, scheme: Scheme, *, at: datetime) -> bool:
        """Place the lead by `scheme` (the tenant changed it); False when nothing moved."""
        placement = self._placement_with(scheme, self.entries, self.adjustments)
        if placement == self.placement:
            return False
        before = self.placement
        self._trigger(self.Restated, placement, next_expiry=self.next_expiry, at=moment_text(at))
        self._stage_after(before, placement, rule_id=None, reason="settings", at=at)
        return True

    # --- the rules of scoring -----------------------------------------------------------

    def _allowed(self, rule: ScoreRule, scheme: Scheme, at: datetime) -> int:
        """The points `rule` may award at `at` (0: none) by its switch, frequency and caps."""
        if not rule.active or not scheme.enabled(rule.category):
            return 0
        last = self.fired.get(rule.rule_id)
        if rule.frequency == Frequency.ONCE and last is not None:
            return 0
        if (
            rule.frequency == Frequency.PER_DAY
            and last is not None
            and scheme.day_of(moment_of(last)) == scheme.day_of(at)
        ):
            return 0
        return self._capped(rule, rule.points, scheme)

    def _capped(self, rule: ScoreRule, points: int, scheme: Scheme) -> int:
        """`points` cut to what the rule's cap and (for gains) its category's cap leave."""
        if rule.cap is not None:
            room = max(0, rule.cap - abs(self.live_points(rule_id=rule.rule_id)))
            points = max(-room, min(room, points))
        cap = scheme.category_cap(rule.category)
        if cap is not None and points > 0:
            gained = sum(
                e["points"]
                for e in self.entries
                if e["category"] == rule.category and e["points"] > 0
            )
            points = min(points, max(0, cap - gained))
        return points

    def _award(
        self,
        rule: ScoreRule,
        points: int,
        scheme: Scheme,
        *,
        at: datetime,
        cause: str | None,
        covers: str | None = None,
    ) -> None:
        expires = (
            moment_text(at + timedelta(days=rule.validity_days)) if rule.validity_days else None
        )
        entry = {"part": rule.part.value, "points": points, "expires_at": expires}
        after = [*self.entries, entry]
        placement = self._placement_with(scheme, after, self.adjustments)
        before = self.placement
        self._trigger(
            self.PointsAwarded,
            placement,
            next_expiry=_next_expiry(after),
            rule_id=rule.rule_id,
            category=rule.category,
            part=rule.part.value,
            points=points,
            at=moment_text(at),
            expires_at=expires,
            cause=cause,
            covers=covers,
        )
        self._stage_after(before, placement, rule_id=rule.rule_id, reason=None, at=at)

    def _withdraw(self, rule_id: str, scheme: Scheme, *, at: datetime, cause: str | None) -> None:
        after = [e for e in self.entries if e["rule_id"] != rule_id]
        placement = self._placement_with(scheme, after, self.adjustments)
        before = self.placement
        self._trigger(
            self.PointsWithdrawn,
            placement,
            next_expiry=_next_expiry(after),
            rule_id=rule_id,
            points=self.live_points(rule_id=rule_id),
            at=moment_text(at),
            cause=cause,
        )
        self._stage_after(before, placement, rule_id=rule_id, reason=None, at=at)

    def _stage_after(
        self,
        before: Placement,
        after: Placement,
        *,
        rule_id: str | None,
        reason: str | None,
        at: datetime,
    ) -> None:
        if before.stage != after.stage:
            self._trigger(
                self.StageChanged,
                after,
                next_expiry=self.next_expiry,
                from_stage=before.stage,
                to_stage=after.stage,
                from_cell=before.cell,
                to_cell=after.cell,
                rule_id=rule_id,
                reason=reason,
                at=moment_text(at),
            )

    def _placement_with(
        self, scheme: Scheme, entries: Sequence[Mapping[str, Any]], adjustments: Mapping[str, int]
    ) -> Placement:
        def raw(part: str) -> int:
            return sum(int(e["points"]) for e in entries if e["part"] == part) + adjustments.get(
                part, 0
            )

        return scheme.place(raw(Part.BEHAVIOUR), raw(Part.PROFILE))

    def _trigger(self, event_class: type[ScoreChange], placement: Placement, **fields: Any) -> None:
        self.trigger_event(
            cast(Any, event_class),
            tenant_id=self.tenant_id,
            lead_id=self.lead_id,
            **placement.as_fields(),
            **fields,
        )


def _expired(entry: Mapping[str, Any], now: datetime) -> bool:
    return bool(entry["expires_at"]) and moment_of(entry["expires_at"]) <= now


def _next_expiry(entries: Sequence[Mapping[str, Any]]) -> str | None:
    dates = [moment_of(e["expires_at"]) for e in entries if e.get("expires_at")]
    return moment_text(min(dates)) if dates else None
