"""The plan catalogue file (TEN-2): versioned JSON beside this module, checked on load.

A new version is a new file; orders keep the version they were placed under, so
publishing one never rewrites what tenants already bought.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.tenancy.plans import AddOn, BillingUnit, Catalogue, Edition, Feature, ProductLine, Quota

CURRENT_CATALOGUE = Path(__file__).with_name("catalogue-2026-11.json")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _EditionEntry(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{2,63}$")
    product_line: ProductLine
    name: str = Field(min_length=1)
    price_fen: int = Field(gt=0)
    unit: BillingUnit
    minimum_units: int = Field(default=1, ge=1)
    trial_days: int = Field(default=0, ge=0, le=90)
    behaviour_retention_days: int = Field(default=365, ge=30, le=3650)
    quotas: dict[Quota, Annotated[int, Field(ge=0)] | None]
    features: list[Feature]


class _AddOnEntry(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{2,63}$")
    product_line: ProductLine
    name: str = Field(min_length=1)
    price_fen: int = Field(gt=0)
    grants: dict[Quota, Annotated[int, Field(gt=0)]]
    requires: str | None = None
    max_quantity: int = Field(default=1, ge=1)


class _CatalogueFile(_Strict):
    version: str = Field(min_length=1)
    sources: dict[str, str] = Field(default_factory=dict)
    editions: list[_EditionEntry] = Field(min_length=1)
    add_ons: list[_AddOnEntry] = Field(default_factory=list)


def load_catalogue(path: Path = CURRENT_CATALOGUE) -> Catalogue:
    """Read and check a catalogue file; a malformed file fails loudly at start-up."""
    entries = _CatalogueFile.model_validate_json(path.read_text(encoding="utf-8"))
    editions = {
        entry.code: Edition(
            code=entry.code,
            product_line=entry.product_line,
            name=entry.name,
            price_fen=entry.price_fen,
            unit=entry.unit,
            minimum_units=entry.minimum_units,
            trial_days=entry.trial_days,
            behaviour_retention_days=entry.behaviour_retention_days,
            quotas={quota.value: limit for quota, limit in entry.quotas.items()},
            features=frozenset(feature.value for feature in entry.features),
        )
        for entry in entries.editions
    }
    add_ons = {
        entry.code: AddOn(
            code=entry.code,
            product_line=entry.product_line,
            name=entry.name,
            price_fen=entry.price_fen,
            grants={quota.value: amount for quota, amount in entry.grants.items()},
            requires=entry.requires,
            max_quantity=entry.max_quantity,
        )
        for entry in entries.add_ons
    }
    if len(editions) != len(entries.editions) or len(add_ons) != len(entries.add_ons):
        raise ValueError(f"{path.name}: edition and add-on codes must be unique")
    for add_on in add_ons.values():
        required = add_ons.get(add_on.requires) if add_on.requires else None
        if add_on.requires is not None and (
            required is None or required.product_line != add_on.product_line
        ):
            raise ValueError(f"{path.name}: {add_on.code} requires unknown {add_on.requires}")
    units = {(e.product_line, e.unit) for e in editions.values()}
    if len(units) != len({line for line, _ in units}):
        # Upgrades price the difference per billing unit: a line has one unit.
        raise ValueError(f"{path.name}: every edition of a product line has the same unit")
    return Catalogue(version=entries.version, editions=editions, add_ons=add_ons)
