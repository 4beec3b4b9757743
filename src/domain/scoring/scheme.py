"""The score matrix, marketing stages and temperature (SCORE-3…5): how a lead's two
scores place it.

The behaviour score falls in one of four bands A–D, the profile score in one of 1–4
(default 0–25, 26–50, 51–75, 76+): the 16 cells A1…D4. Each cell belongs to one
marketing stage (default 初始线索 A1; 孵化中 A2 B2 B1; 培育中 A3 B3 C3 C2 C1; 市场认可 the
rest). The total score (at most 100) gives the temperature: hot from 90, warm from 60,
cold below (the seed leaves 50–59 unnamed; huoke closes the gap).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

from domain.shared.errors import InvalidValue

MAX_SCORE = 100
BEHAVIOUR_BANDS = ("A", "B", "C", "D")
PROFILE_BANDS = ("1", "2", "3", "4")
CELLS = tuple(f"{b}{p}" for b in BEHAVIOUR_BANDS for p in PROFILE_BANDS)
DEFAULT_BOUNDS = (0, 26, 51, 76)
DEFAULT_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("初始线索", ("A1",)),
    ("孵化中", ("A2", "B2", "B1")),
    ("培育中", ("A3", "B3", "C3", "C2", "C1")),
    ("市场认可", ("A4", "B4", "C4", "D4", "D3", "D2", "D1")),
)
HOT, WARM, COLD = "hot", "warm", "cold"
DEFAULT_HOT, DEFAULT_WARM = 90, 60
DEFAULT_UTC_OFFSET_MINUTES = 480  # China Standard Time: when a "day" begins (per_day)
MAX_STAGES = 8


def check_bounds(bounds: Sequence[Any], *, field: str) -> tuple[int, ...]:
    """Four lower bounds, the first 0, strictly increasing, the last at most 100."""
    values = tuple(bounds)
    if (
        len(values) != 4
        or any(isinstance(v, bool) or not isinstance(v, int) for v in values)
        or values[0] != 0
        or any(a >= b for a, b in pairwise(values))
        or values[-1] > MAX_SCORE
    ):
        raise InvalidValue(
            "bands are four lower bounds from 0, increasing, at most 100 (e.g. [0, 26, 51, 76])",
            field=field,
        )
    return values


def check_stages(
    stages: Sequence[Any], *, field: str = "stages"
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """1…8 named stages that share out the 16 cells, each cell to exactly one."""
    if not stages or len(stages) > MAX_STAGES:
        raise InvalidValue(f"give 1…{MAX_STAGES} stages", field=field)
    seen: dict[str, str] = {}
    names: set[str] = set()
    checked = []
    for index, stage in enumerate(stages):
        path = f"{field}[{index}]"
        if not isinstance(stage, Mapping):
            raise InvalidValue("a stage is {name, cells}", field=path)
        name = stage.get("name")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 40:
            raise InvalidValue("a stage's name is 1…40 characters", field=f"{path}.name")
        name = name.strip()
        if name in names:
            raise InvalidValue(f"two stages are named {name!r}", field=f"{path}.name")
        names.add(name)
        cells = stage.get("cells")
        if not isinstance(cells, list | tuple) or not cells:
            raise InvalidValue("a stage has at least one cell", field=f"{path}.cells")
        for cell in cells:
            if cell not in CELLS:
                raise InvalidValue(f"{cell!r} is not a cell (A1…D4)", field=f"{path}.cells")
            if cell in seen:
                raise InvalidValue(f"cell {cell} is in two stages", field=f"{path}.cells")
            seen[cell] = name
        checked.append((name, tuple(str(c) for c in cells)))
    missing = [cell for cell in CELLS if cell not in seen]
    if missing:
        raise InvalidValue(f"cells {', '.join(missing)} belong to no stage", field=field)
    return tuple(checked)


def check_temperature(hot: Any, warm: Any, *, field: str = "temperature") -> tuple[int, int]:
    if (
        any(isinstance(v, bool) or not isinstance(v, int) for v in (hot, warm))
        or not 0 < warm < hot <= MAX_SCORE
    ):
        raise InvalidValue("temperature needs 0 < warm < hot ≤ 100", field=field)
    return int(hot), int(warm)


def band_of(score: int, bounds: Sequence[int], names: Sequence[str]) -> str:
    band = names[0]
    for bound, name in zip(bounds, names, strict=True):
        if score >= bound:
            band = name
    return band


@dataclass(frozen=True)
class Placement:
    """Where a lead stands: its two scores, total, bands, stage and temperature."""

    behaviour_score: int
    profile_score: int
    score: int
    behaviour_band: str
    profile_band: str
    stage: str
    temperature: str

    @property
    def cell(self) -> str:
        return f"{self.behaviour_band}{self.profile_band}"

    def as_fields(self) -> dict[str, Any]:
        return {
            "behaviour_score": self.behaviour_score,
            "profile_score": self.profile_score,
            "score": self.score,
            "behaviour_band": self.behaviour_band,
            "profile_band": self.profile_band,
            "stage": self.stage,
            "temperature": self.temperature,
        }


@dataclass(frozen=True)
class Scheme:
    """A tenant's matrix, stages, temperature, category switches and caps, and its day."""

    behaviour_bounds: tuple[int, ...] = DEFAULT_BOUNDS
    profile_bounds: tuple[int, ...] = DEFAULT_BOUNDS
    stages: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_STAGES
    hot: int = DEFAULT_HOT
    warm: int = DEFAULT_WARM
    # category -> (enabled, cap or None); a category not listed is on with no cap
    categories: Mapping[str, tuple[bool, int | None]] = field(default_factory=dict)
    utc_offset_minutes: int = DEFAULT_UTC_OFFSET_MINUTES

    def stage_of(self, cell: str) -> str:
        for name, cells in self.stages:
            if cell in cells:
                return name
        return self.stages[0][0]

    def temperature_of(self, score: int) -> str:
        return HOT if score >= self.hot else WARM if score >= self.warm else COLD

    def place(self, behaviour_raw: int, profile_raw: int) -> Placement:
        """The placement of raw sums: each part kept within 0…100, the total at most 100."""
        behaviour = min(MAX_SCORE, max(0, behaviour_raw))
        profile = min(MAX_SCORE, max(0, profile_raw))
        score = min(MAX_SCORE, behaviour + profile)
        b_band = band_of(behaviour, self.behaviour_bounds, BEHAVIOUR_BANDS)
        p_band = band_of(profile, self.profile_bounds, PROFILE_BANDS)
        return Placement(
            behaviour_score=behaviour,
            profile_score=profile,
            score=score,
            behaviour_band=b_band,
            profile_band=p_band,
            stage=self.stage_of(f"{b_band}{p_band}"),
            temperature=self.temperature_of(score),
        )

    def enabled(self, category: str) -> bool:
        return self.categories.get(category, (True, None))[0]

    def category_cap(self, category: str) -> int | None:
        return self.categories.get(category, (True, None))[1]

    def day_of(self, moment: datetime) -> str:
        """The calendar day of `moment` in the tenant's time (for once-per-day rules)."""
        local = moment.astimezone(timezone(timedelta(minutes=self.utc_offset_minutes)))
        return local.date().isoformat()

    @property
    def stage_names(self) -> list[str]:
        return [name for name, _ in self.stages]
