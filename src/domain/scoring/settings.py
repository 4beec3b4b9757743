"""A tenant's scoring settings (SCORE-1…5): its score rules, the category catalogue's
switches and caps, the matrix bands, the stage of each cell and the temperature.

One aggregate per tenant, its id uuid5 of the tenant; until the tenant changes
something the defaults hold (no rules, every category on and uncapped, bands
0/26/51/76, the seed's stages, hot 90 and warm 60).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.scoring.rules import CATEGORIES, MAX_RULES, ScoreRule
from domain.scoring.scheme import (
    DEFAULT_BOUNDS,
    DEFAULT_HOT,
    DEFAULT_STAGES,
    DEFAULT_UTC_OFFSET_MINUTES,
    DEFAULT_WARM,
    Scheme,
    check_bounds,
    check_stages,
    check_temperature,
)
from domain.shared.errors import InvalidValue, StateConflict


class ScoringSettings(Aggregate):
    """The tenant's rules and matrix."""

    TOPIC = "scoring.Settings"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:
        Started: ClassVar[type[AggregateEvent]]
        RuleAdded: ClassVar[type[AggregateEvent]]
        RuleChanged: ClassVar[type[AggregateEvent]]
        RuleRemoved: ClassVar[type[AggregateEvent]]
        CategoryChanged: ClassVar[type[AggregateEvent]]
        BandsChanged: ClassVar[type[AggregateEvent]]
        StagesChanged: ClassVar[type[AggregateEvent]]
        TemperatureChanged: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE_URL, f"/huoke/scoring/settings/{tenant_id}")

    @classmethod
    def start(cls, tenant_id: UUID) -> ScoringSettings:
        """The defaults of a tenant that never changed them (stored with the first change)."""
        return cls(tenant_id=tenant_id)

    @event("Started", topic="scoring.Settings.Started")
    def __init__(self, tenant_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.rules: dict[str, dict[str, Any]] = {}
        self.categories: dict[str, dict[str, Any]] = {
            key: {"enabled": True, "cap": None} for key in CATEGORIES
        }
        self.behaviour_bounds = list(DEFAULT_BOUNDS)
        self.profile_bounds = list(DEFAULT_BOUNDS)
        self.stages: list[dict[str, Any]] = [
            {"name": name, "cells": list(cells)} for name, cells in DEFAULT_STAGES
        ]
        self.hot, self.warm = DEFAULT_HOT, DEFAULT_WARM
        self.utc_offset_minutes = DEFAULT_UTC_OFFSET_MINUTES
        # Versions callers see (ETag): the matrix settings' and each rule's own, so that
        # editing one rule never conflicts with another rule or the settings.
        self.settings_version = 1
        self.revisions: dict[str, int] = {}

    # --- reading ------------------------------------------------------------------------

    def scheme(self) -> Scheme:
        return Scheme(
            behaviour_bounds=tuple(self.behaviour_bounds),
            profile_bounds=tuple(self.profile_bounds),
            stages=tuple((str(s["name"]), tuple(s["cells"])) for s in self.stages),
            hot=self.hot,
            warm=self.warm,
            categories={k: (bool(v["enabled"]), v["cap"]) for k, v in self.categories.items()},
            utc_offset_minutes=self.utc_offset_minutes,
        )

    def rule(self, rule_id: str) -> ScoreRule | None:
        found = self.rules.get(rule_id)
        return ScoreRule.from_primitive(found) if found is not None else None

    def all_rules(self) -> list[ScoreRule]:
        return [ScoreRule.from_primitive(r) for r in self.rules.values()]

    # --- rules --------------------------------------------------------------------------

    def add_rule(self, rule: ScoreRule) -> None:
        if rule.rule_id in self.rules:
            raise StateConflict(f"rule {rule.rule_id} exists")
        if len(self.rules) >= MAX_RULES:
            raise StateConflict(f"a tenant has at most {MAX_RULES} score rules")
        self._rule_added(rule=rule.to_primitive())

    @event("RuleAdded", topic="scoring.Settings.RuleAdded")
    def _rule_added(self, rule: dict[str, Any]) -> None:
        self.rules[rule["rule_id"]] = dict(rule)
        self.revisions[rule["rule_id"]] = 1

    def change_rule(self, rule: ScoreRule) -> None:
        """Replace a rule (points already awarded keep what they were given)."""
        current = self.rules.get(rule.rule_id)
        if current is None:
            raise StateConflict(f"no rule {rule.rule_id}")
        if (current["attribute"] is None) != (rule.attribute is None):
            raise InvalidValue(
                "a rule stays an attribute rule or a behaviour rule", field="attribute"
            )
        if rule.to_primitive() != current:
            self._rule_changed(rule=rule.to_primitive())

    @event("RuleChanged", topic="scoring.Settings.RuleChanged")
    def _rule_changed(self, rule: dict[str, Any]) -> None:
        self.rules[rule["rule_id"]] = dict(rule)
        self.revisions[rule["rule_id"]] = self.revisions.get(rule["rule_id"], 1) + 1

    def remove_rule(self, rule_id: str) -> None:
        """Retire a rule: it scores no more; an attribute rule's points are given back."""
        if rule_id not in self.rules:
            raise StateConflict(f"no rule {rule_id}")
        self._rule_removed(rule_id=rule_id)

    @event("RuleRemoved", topic="scoring.Settings.RuleRemoved")
    def _rule_removed(self, rule_id: str) -> None:
        del self.rules[rule_id]
        self.revisions.pop(rule_id, None)

    # --- the catalogue, the matrix, stages, temperature ---------------------------------

    def change_category(self, key: str, *, enabled: bool, cap: int | None) -> None:
        """Switch a category of the catalogue on or off and cap its points (None: no cap)."""
        if key not in CATEGORIES:
            raise InvalidValue(f"category must be one of {', '.join(CATEGORIES)}", field="key")
        if cap is not None and (isinstance(cap, bool) or not 1 <= cap <= 1000):
            raise InvalidValue("a category's cap is 1…1000 points (or null)", field="cap")
        wanted = {"enabled": bool(enabled), "cap": cap}
        if self.categories.get(key) != wanted:
            self._category_changed(key=key, enabled=bool(enabled), cap=cap)

    @event("CategoryChanged", topic="scoring.Settings.CategoryChanged")
    def _category_changed(self, key: str, enabled: bool, cap: int | None) -> None:
        self.categories[key] = {"enabled": enabled, "cap": cap}
        self.settings_version += 1

    def change_bands(self, behaviour: Sequence[int], profile: Sequence[int]) -> None:
        """The lower bounds of the behaviour bands A–D and profile bands 1–4."""
        b = list(check_bounds(behaviour, field="behaviour_bands"))
        p = list(check_bounds(profile, field="profile_bands"))
        if (b, p) != (self.behaviour_bounds, self.profile_bounds):
            self._bands_changed(behaviour=b, profile=p)

    @event("BandsChanged", topic="scoring.Settings.BandsChanged")
    def _bands_changed(self, behaviour: list[int], profile: list[int]) -> None:
        self.behaviour_bounds, self.profile_bounds = list(behaviour), list(profile)
        self.settings_version += 1

    def change_stages(self, stages: Sequence[Mapping[str, Any]]) -> None:
        """The marketing stages in funnel order, each with its cells (all 16, once each)."""
        checked = [{"name": n, "cells": list(c)} for n, c in check_stages(stages)]
        if checked != self.stages:
            self._stages_changed(stages=checked)

    @event("StagesChanged", topic="scoring.Settings.StagesChanged")
    def _stages_changed(self, stages: list[dict[str, Any]]) -> None:
        self.stages = [dict(s) for s in stages]
        self.settings_version += 1

    def change_temperature(self, *, hot: int, warm: int) -> None:
        hot, warm = check_temperature(hot, warm)
        if (hot, warm) != (self.hot, self.warm):
            self._temperature_changed(hot=hot, warm=warm)

    @event("TemperatureChanged", topic="scoring.Settings.TemperatureChanged")
    def _temperature_changed(self, hot: int, warm: int) -> None:
        self.hot, self.warm = hot, warm
        self.settings_version += 1
