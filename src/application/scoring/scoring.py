"""The scoring application (SCORE-1…5): each tenant's rules and matrix, and each lead's
score.

Settings are read for every behaviour the policy scores, so they are remembered for a
few seconds per tenant; a change made through this process is seen at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.scoring.commands import (
    AddRule,
    AdjustScore,
    CategoryDetails,
    ChangeRule,
    ChangeSettings,
    LeadScoreDetails,
    RuleDetails,
    ScoreEntry,
    SettingsDetails,
)
from application.shared.clock import Clock
from application.shared.errors import InvalidInput, NotFound, VersionConflict
from application.shared.event_sourced import EventSourcedContext, Infrastructure
from domain.scoring.lead_score import LeadScore, moment_of
from domain.scoring.rules import CATEGORIES, LeadAttributes, ScoreRule
from domain.scoring.scheme import Scheme
from domain.scoring.settings import ScoringSettings
from domain.shared.errors import InvalidValue

REMEMBER_SECONDS = 5.0
RETRIES = 5
T = TypeVar("T")


@dataclass(frozen=True)
class BehaviourFact:
    """What a behaviour rule reads of one behaviour."""

    kind: str
    name: str
    channel: str
    properties: Mapping[str, Any]
    at: datetime
    covers: str | None = None  # its own position, when scored for another cause


@dataclass(frozen=True)
class Rulebook:
    """A tenant's rules and scheme as the policies use them."""

    scheme: Scheme
    attribute_rules: tuple[ScoreRule, ...]
    behaviour_rules: tuple[ScoreRule, ...]

    def matching(self, fact: BehaviourFact) -> list[ScoreRule]:
        return [
            rule
            for rule in self.behaviour_rules
            if rule.behaviour is not None
            and rule.behaviour.matches(
                kind=fact.kind, name=fact.name, channel=fact.channel, properties=fact.properties
            )
        ]


class Scoring(EventSourcedContext):
    """Keeps each tenant's score rules and matrix and each lead's points."""

    name = "scoring"
    # A lead scored daily for years, or a tenant's many rule changes, load from a snapshot.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {LeadScore: 50, ScoringSettings: 50}

    def __init__(
        self,
        infrastructure: Infrastructure,
        clock: Clock,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(infrastructure)
        self.clock = clock
        self._monotonic = monotonic
        self._remembered: dict[UUID, tuple[float, Rulebook]] = {}
        self._lock = threading.Lock()

    # --- settings -----------------------------------------------------------------------

    def settings(self, tenant_id: UUID) -> SettingsDetails:
        """The tenant's bands, stages, temperature and categories (defaults until changed)."""
        return settings_details(self._settings(tenant_id))

    def change_settings(
        self, tenant_id: UUID, command: ChangeSettings, *, expected_version: int | None
    ) -> SettingsDetails:
        """Change the bands, stages, temperature or category switches and caps; leads are
        placed anew by the restating policy. Without If-Match the last change wins."""
        settings = self._settings(tenant_id)
        if expected_version is not None and settings.settings_version != expected_version:
            raise VersionConflict(
                f"the scoring settings are at version {settings.settings_version}, "
                f"not {expected_version}"
            )
        if command.behaviour_bands is not None or command.profile_bands is not None:
            settings.change_bands(
                command.behaviour_bands or settings.behaviour_bounds,
                command.profile_bands or settings.profile_bounds,
            )
        if command.stages is not None:
            settings.change_stages([s.model_dump() for s in command.stages])
        if command.temperature is not None:
            settings.change_temperature(hot=command.temperature.hot, warm=command.temperature.warm)
        for index, category in enumerate(command.categories or ()):
            try:
                settings.change_category(category.key, enabled=category.enabled, cap=category.cap)
            except InvalidValue as error:
                raise InvalidValue(
                    error.message, field=f"categories[{index}].{error.field}"
                ) from None
        self._save(settings)
        return settings_details(settings)

    # --- rules --------------------------------------------------------------------------

    def rules(self, tenant_id: UUID) -> list[RuleDetails]:
        """Every rule of the tenant, attribute rules first, then by title."""
        settings = self._settings(tenant_id)
        rules = sorted(settings.all_rules(), key=lambda r: (r.part != "profile", r.title))
        return [rule_details(rule, settings.revisions.get(rule.rule_id, 1)) for rule in rules]

    def rule(self, tenant_id: UUID, rule_id: UUID) -> RuleDetails:
        settings = self._settings(tenant_id)
        rule = settings.rule(str(rule_id))
        if rule is None:
            raise NotFound(f"no score rule {rule_id}")
        return rule_details(rule, settings.revisions.get(rule.rule_id, 1))

    def add_rule(self, tenant_id: UUID, command: AddRule) -> RuleDetails:
        """Add a rule; it scores what arrives from now on (attribute rules: every lead
        that matches now, as the restating policy reaches it)."""
        rule_id = str(self.new_id("score-rule"))
        settings = self._settings(tenant_id)
        existing = settings.rule(rule_id)
        if existing is not None:  # the same request again (Idempotency-Key)
            return rule_details(existing, settings.revisions.get(rule_id, 1))
        rule = ScoreRule.define(
            rule_id=rule_id,
            title=command.title,
            category=command.category,
            points=command.points,
            frequency=command.frequency,
            validity_days=command.validity_days,
            cap=command.cap,
            active=command.active,
            attribute=command.attribute.model_dump(exclude_none=True)
            if command.attribute
            else None,
            behaviour=command.behaviour.model_dump(exclude_none=True)
            if command.behaviour
            else None,
        )
        settings.add_rule(rule)
        self._save(settings)
        return rule_details(rule, settings.revisions[rule_id])

    def change_rule(
        self,
        tenant_id: UUID,
        rule_id: UUID,
        command: ChangeRule,
        *,
        expected_version: int | None,
    ) -> RuleDetails:
        """Change a rule's fields; points already awarded keep what they were given."""
        settings = self._settings(tenant_id)
        current = self._rule_at(settings, rule_id, expected_version)
        changes = {
            key: getattr(command, key)
            for key in command.model_fields_set
            if key not in ("attribute", "behaviour")
        }
        fields: dict[str, Any] = {**current.to_primitive(), **changes}
        if "attribute" in command.model_fields_set and command.attribute is not None:
            fields["attribute"] = command.attribute.model_dump(exclude_none=True)
        if "behaviour" in command.model_fields_set and command.behaviour is not None:
            fields["behaviour"] = command.behaviour.model_dump(exclude_none=True)
        if fields.get("title") is None or fields.get("points") is None:
            raise InvalidInput("title and points cannot be removed", field="title")
        rule = ScoreRule.define(**fields)
        settings.change_rule(rule)
        self._save(settings)
        return rule_details(rule, settings.revisions[rule.rule_id])

    def remove_rule(
        self, tenant_id: UUID, rule_id: UUID, *, expected_version: int | None
    ) -> RuleDetails:
        """Retire a rule: it scores no more (an attribute rule's points are given back)."""
        settings = self._settings(tenant_id)
        current = self._rule_at(settings, rule_id, expected_version)
        revision = settings.revisions.get(current.rule_id, 1)
        settings.remove_rule(str(rule_id))
        self._save(settings)
        return rule_details(current, revision + 1)

    def rulebook(self, tenant_id: UUID) -> Rulebook:
        """The tenant's rules and scheme, remembered briefly (the policies ask often)."""
        now = self._monotonic()
        with self._lock:
            remembered = self._remembered.get(tenant_id)
        if remembered is not None and now - remembered[0] < REMEMBER_SECONDS:
            return remembered[1]
        settings = self._settings(tenant_id)
        rules = settings.all_rules()
        book = Rulebook(
            scheme=settings.scheme(),
            attribute_rules=tuple(r for r in rules if r.attribute is not None),
            behaviour_rules=tuple(r for r in rules if r.behaviour is not None),
        )
        with self._lock:
            self._remembered[tenant_id] = (now, book)
        return book

    def forget_rulebook(self, tenant_id: UUID) -> None:
        with self._lock:
            self._remembered.pop(tenant_id, None)

    # --- lead scores --------------------------------------------------------------------

    def lead_score(self, tenant_id: UUID, lead_id: UUID) -> LeadScoreDetails:
        """The lead's score (all zero, in the first cell, until it first scores); the
        caller has checked that the lead is the tenant's and in its scope."""
        found = self._lead_score(tenant_id, lead_id)
        if found is None:
            return lead_score_details(
                LeadScore.start(tenant_id, lead_id, self.rulebook(tenant_id).scheme), version=0
            )
        return lead_score_details(found)

    def adjust(self, tenant_id: UUID, lead_id: UUID, command: AdjustScore) -> LeadScoreDetails:
        """Add or take points by hand with the reason (on the lead's score history)."""
        scheme = self.rulebook(tenant_id).scheme
        now = self.clock.now()
        score = self._change(
            tenant_id,
            lead_id,
            lambda s: s.adjust(command.points, command.reason, command.part, scheme, at=now),
        )
        return lead_score_details(score)

    def give(
        self,
        tenant_id: UUID,
        lead_id: UUID,
        points: int,
        *,
        reason: str,
        key: str,
        valid_days: int | None = None,
    ) -> bool:
        """Points a flow step gives (negative: takes), once per step `key` (FLOW-3);
        False when that step already gave them."""
        scheme = self.rulebook(tenant_id).scheme
        now = self.clock.now()
        given = False

        def apply(score: LeadScore) -> None:
            nonlocal given
            given = score.give(points, reason, scheme, at=now, key=key, valid_days=valid_days)

        self._change(tenant_id, lead_id, apply)
        return given

    def score_behaviours(
        self, tenant_id: UUID, lead_id: UUID, facts: Sequence[BehaviourFact], *, cause: str
    ) -> int:
        """Apply the behaviour rules to behaviours of one lead, in one commit (the policy
        calls it; `cause`, and each fact's own position, make a replay score nothing
        twice). Answers the awards made."""
        book = self.rulebook(tenant_id)
        matched = [(fact, book.matching(fact)) for fact in facts]
        if not any(rules for _, rules in matched):
            return 0
        awarded = 0

        def apply(score: LeadScore) -> None:
            nonlocal awarded
            awarded = len(
                score.score_behaviours(
                    [(rules, fact.at, fact.covers) for fact, rules in matched],
                    book.scheme,
                    cause=cause,
                )
            )

        self._change(tenant_id, lead_id, apply)
        return awarded

    def match_attributes(
        self,
        tenant_id: UUID,
        lead_id: UUID,
        attributes: LeadAttributes,
        *,
        at: datetime,
        force: bool = False,
    ) -> None:
        """Hold the points of the attribute rules the lead matches now, and only those."""
        book = self.rulebook(tenant_id)
        if not book.attribute_rules and not force:
            return
        self._change(
            tenant_id,
            lead_id,
            lambda s: s.match_attributes(book.attribute_rules, attributes, book.scheme, at=at),
            create=bool(book.attribute_rules),
        )

    def absorb_merged(
        self, tenant_id: UUID, merged_id: UUID, survivor_id: UUID, *, at: datetime, cause: str
    ) -> None:
        """The survivor of a merge takes the merged lead's behaviour points (once)."""
        merged = self._lead_score(tenant_id, merged_id)
        if merged is None:
            return
        scheme = self.rulebook(tenant_id).scheme
        self._change(tenant_id, survivor_id, lambda s: s.absorb(merged, scheme, at=at, cause=cause))

    def expire(self, tenant_id: UUID, lead_id: UUID, *, now: datetime) -> int:
        """Remove the lead's points whose validity ended by `now`; answers how many."""
        expired = 0
        scheme = self.rulebook(tenant_id).scheme

        def apply(score: LeadScore) -> None:
            nonlocal expired
            expired = score.expire(scheme, now=now)

        self._change(tenant_id, lead_id, apply, create=False)
        return expired

    def restate(self, tenant_id: UUID, lead_id: UUID, *, at: datetime) -> None:
        """Place the lead by the tenant's current scheme."""
        scheme = self.rulebook(tenant_id).scheme
        self._change(tenant_id, lead_id, lambda s: s.restate(scheme, at=at), create=False)

    # --- helpers ------------------------------------------------------------------------

    def _settings(self, tenant_id: UUID, *, expected_version: int | None = None) -> ScoringSettings:
        try:
            found: ScoringSettings = self.repository.get(ScoringSettings.create_id(tenant_id))
        except AggregateNotFoundError:
            found = ScoringSettings.start(tenant_id)
        if expected_version is not None and found.version != expected_version:
            raise VersionConflict(
                f"the scoring settings are at version {found.version}, not {expected_version}"
            )
        return found

    @staticmethod
    def _rule_at(
        settings: ScoringSettings, rule_id: UUID, expected_version: int | None
    ) -> ScoreRule:
        current = settings.rule(str(rule_id))
        if current is None:
            raise NotFound(f"no score rule {rule_id}")
        revision = settings.revisions.get(current.rule_id, 1)
        if expected_version is not None and revision != expected_version:
            raise VersionConflict(f"the rule is at version {revision}, not {expected_version}")
        return current

    def _save(self, settings: ScoringSettings) -> None:
        self.commit(settings)
        self.forget_rulebook(settings.tenant_id)

    def _lead_score(self, tenant_id: UUID, lead_id: UUID) -> LeadScore | None:
        try:
            found: LeadScore = self.repository.get(LeadScore.create_id(tenant_id, lead_id))
        except AggregateNotFoundError:
            return None
        return found

    def _change(
        self,
        tenant_id: UUID,
        lead_id: UUID,
        change: Callable[[LeadScore], Any],
        *,
        create: bool = True,
    ) -> LeadScore:
        """Load (or start) the lead's score, change it and commit, again on a concurrent
        change; a new score is stored only when the change did something."""
        for _ in range(RETRIES):
            score = self._lead_score(tenant_id, lead_id)
            if score is None:
                scheme = self.rulebook(tenant_id).scheme
                score = LeadScore.start(tenant_id, lead_id, scheme)
                change(score)
                if score.version == 1 or not create:
                    return score  # nothing happened: nothing to store
            else:
                change(score)
            try:
                self.commit(score)
            except VersionConflict:
                continue
            return score
        raise VersionConflict(f"the score of lead {lead_id} is busy; retry")


def settings_details(settings: ScoringSettings) -> SettingsDetails:
    return SettingsDetails(
        behaviour_bands=list(settings.behaviour_bounds),
        profile_bands=list(settings.profile_bounds),
        stages=[dict(s) for s in settings.stages],
        temperature={"hot": settings.hot, "warm": settings.warm},
        categories=[
            CategoryDetails(key=key, title=CATEGORIES[key], enabled=v["enabled"], cap=v["cap"])
            for key, v in settings.categories.items()
        ],
        rules=len(settings.rules),
        version=settings.settings_version,
    )


def rule_details(rule: ScoreRule, version: int) -> RuleDetails:
    data = rule.to_primitive()
    return RuleDetails(id=data.pop("rule_id"), part=rule.part.value, version=version, **data)


def lead_score_details(score: LeadScore, *, version: int | None = None) -> LeadScoreDetails:
    placement = score.placement
    return LeadScoreDetails(
        lead_id=score.lead_id,
        cell=placement.cell,
        **placement.as_fields(),
        entries=[
            ScoreEntry(
                rule_id=e["rule_id"],
                category=e["category"],
                part=e["part"],
                points=e["points"],
                at=moment_of(e["at"]),
                expires_at=moment_of(e["expires_at"]) if e["expires_at"] else None,
            )
            for e in score.entries
        ],
        adjustments=dict(score.adjustments),
        version=score.version if version is None else version,
    )


def unique(values: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(values))
