"""The plan catalogue (TEN-2): editions and add-ons of each product line, with the
calendar and money arithmetic every billing rule shares (BIL-3, BIL-4, BIL-5).

Money is integer fen. Periods are calendar dates in the tenant's timezone, the end
exclusive. Fractions of a fen never go to the customer's disadvantage silently: each
split states who gets the remainder (see `split_by_days`).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from domain.shared.errors import InvalidValue


class ProductLine(StrEnum):
    QUICK_SELL = "quick_sell"  # 天翼云快销: H5 campaigns and cloud business cards
    SCRM = "scrm"  # 翼有群 SCRM: WeCom customer management and session archive


class BillingUnit(StrEnum):
    MONTH = "month"
    YEAR = "year"

    @property
    def months(self) -> int:
        return 12 if self is BillingUnit.YEAR else 1


class Quota(StrEnum):
    """What a plan limits. Monthly quotas count uses per calendar month in the tenant's
    timezone; the others are a ceiling on what exists at once."""

    CONCURRENT_CAMPAIGNS = "concurrent_campaigns"
    CAMPAIGNS_PER_MONTH = "campaigns_per_month"
    INTERACTIVE_CAMPAIGNS_PER_MONTH = "interactive_campaigns_per_month"
    CARD_SEATS = "card_seats"
    MANAGED_ACCOUNTS = "managed_accounts"
    WECOM_ACCOUNTS = "wecom_accounts"

    @property
    def is_monthly(self) -> bool:
        return self in (Quota.CAMPAIGNS_PER_MONTH, Quota.INTERACTIVE_CAMPAIGNS_PER_MONTH)


class Feature(StrEnum):
    """What an edition switches on (TEN-3 feature gates)."""

    H5_CAMPAIGNS = "h5_campaigns"
    VIDEO_CAMPAIGNS = "video_campaigns"
    CUSTOM_TEMPLATE = "custom_template"
    PRIVATE_DEPLOYMENT = "private_deployment"
    SCRM_TOOLS = "scrm_tools"
    SESSION_ARCHIVE = "session_archive"
    CUSTOM_DOMAIN = "custom_domain"


# A limit of None means unlimited.
Limits = Mapping[str, int | None]


@dataclass(frozen=True)
class Edition:
    """One orderable edition of a product line, as the catalogue describes it."""

    code: str
    product_line: ProductLine
    name: str
    price_fen: int  # per billing unit
    unit: BillingUnit
    quotas: Limits
    features: frozenset[str]
    minimum_units: int = 1  # 起订: e.g. 企业起订版 at least 24 months
    trial_days: int = 0  # 0: the edition cannot be tried (翼有群: 本产品不支持试用)
    # How long the tenant's behaviours (page views, clicks, messages) are kept (ADR 0013).
    behaviour_retention_days: int = 365

    @property
    def monthly_price_fen(self) -> int:
        """Price per month, used to rank editions of a line (the higher, the higher)."""
        return self.price_fen // self.unit.months

    def price_for(self, units: int) -> int:
        """The price of `units` billing units, refusing fewer than the minimum term."""
        if units < self.minimum_units:
            raise InvalidValue(
                f"{self.name} is ordered for at least {self.minimum_units} "
                f"{self.unit.value}s, not {units}",
                field="units",
            )
        if units > 10 * 12 // self.unit.months:
            raise InvalidValue("an order covers at most 10 years", field="units")
        return self.price_fen * units

    def is_higher_than(self, other: Edition) -> bool:
        return (
            self.product_line == other.product_line
            and self.monthly_price_fen > other.monthly_price_fen
        )


@dataclass(frozen=True)
class AddOn:
    """A yearly add-on of a product line that raises quotas (企微注册服务)."""

    code: str
    product_line: ProductLine
    name: str
    price_fen: int  # per unit per year
    grants: Limits  # quota increments per unit
    requires: str | None = None  # another add-on that must be held first
    max_quantity: int = 1


@dataclass(frozen=True)
class Catalogue:
    """A versioned catalogue. Orders copy what they need from it, so a later version
    never rewrites a past order or subscription."""

    version: str
    editions: Mapping[str, Edition]
    add_ons: Mapping[str, AddOn] = field(default_factory=dict)

    def edition(self, code: str) -> Edition:
        if code not in self.editions:
            raise InvalidValue(f"no edition {code!r} in catalogue {self.version}", field="edition")
        return self.editions[code]

    def add_on(self, code: str) -> AddOn:
        if code not in self.add_ons:
            raise InvalidValue(f"no add-on {code!r} in catalogue {self.version}", field="add_on")
        return self.add_ons[code]


def quotas_for(
    edition: Edition, add_ons: Mapping[str, int], catalogue: Catalogue
) -> dict[str, int | None]:
    """The limits an edition plus held add-ons grant (add-ons add to the edition's)."""
    limits: dict[str, int | None] = dict(edition.quotas)
    for code, quantity in add_ons.items():
        for quota, per_unit in catalogue.add_on(code).grants.items():
            current = limits.get(quota, 0)
            if current is not None and per_unit is not None:
                limits[quota] = current + per_unit * quantity
    return limits


# --- calendar and money --------------------------------------------------------------------


def add_months(start: date, months: int) -> date:
    """`start` moved by whole months, the day clamped to the month (Jan 31 + 1 = Feb 28)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def split_by_days(amount_fen: int, used_days: int, total_days: int) -> tuple[int, int]:
    """Split `amount_fen` of a period into (used part, unused part) by days.

    The unused part is rounded down to the fen and the used part is the rest, so the two
    always sum to the amount exactly. An upgrade charges the unused part of the price
    difference and a refund returns the unused part of what was paid: one rule, no fen
    lost or invented.
    """
    if total_days <= 0 or amount_fen < 0:
        raise InvalidValue("a period has at least one day and amounts are not negative")
    used_days = min(max(used_days, 0), total_days)
    used = -(-amount_fen * used_days // total_days)  # ceiling division, integers only
    return used, amount_fen - used


def days_between(start: date, end: date) -> int:
    return (end - start).days
