"""The plan catalogue file (TEN-2): the seed editions and add-ons, and malformed files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.tenancy.catalogue import CURRENT_CATALOGUE, load_catalogue
from domain.shared.errors import InvalidValue
from domain.tenancy.plans import BillingUnit, Catalogue, ProductLine

# seed 000 §1.3 天翼云快销产品价格 (元/月), in fen
QUICK_SELL_PRICES_FEN = {
    "天翼云快销（小微特惠版）": 800,
    "天翼云快销（小微入门版）": 1_000,
    "天翼云快销（小微基础版）": 1_500,
    "天翼云快销（小微起订版）": 2_000,
    "天翼云快销（商客入门版）": 3_000,
    "天翼云快销（商客基础版）": 5_000,
    "天翼云快销（企业起订版）": 10_000,
    "天翼云快销（企业入门版）": 12_000,
    "天翼云快销（企业基础版）": 120_000,
    "天翼云快销（企业视频版）": 199_900,
    "天翼云快销（企业标准版）": 216_000,
    "天翼云快销（企业高级版）": 288_000,
    "天翼云快销（企业定制版）": 500_000,
    "天翼云快销（企业方案版）": 1_000_000,
    "天翼云快销（企业融云版）": 5_000_000,
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def test_the_catalogue_holds_all_fifteen_quick_sell_editions_at_their_monthly_price(
    catalogue: Catalogue,
) -> None:
    quick_sell = [
        e for e in catalogue.editions.values() if e.product_line is ProductLine.QUICK_SELL
    ]

    assert {e.name: e.price_fen for e in quick_sell} == QUICK_SELL_PRICES_FEN
    assert len(quick_sell) == 15
    assert {e.unit for e in quick_sell} == {BillingUnit.MONTH}
    assert catalogue.version == "2026-11"


def test_the_enterprise_minimum_term_edition_is_ordered_for_at_least_24_months(
    catalogue: Catalogue,
) -> None:
    edition = catalogue.edition("qs_enterprise_min_term")

    assert edition.minimum_units == 24
    assert edition.price_for(24) == 240_000
    with pytest.raises(InvalidValue) as refused:
        edition.price_for(23)
    assert refused.value.field == "units"
    others = [e for e in catalogue.editions.values() if e.code != "qs_enterprise_min_term"]
    assert {e.minimum_units for e in others} == {1}


def test_quick_sell_quotas_follow_the_seed_table(catalogue: Catalogue) -> None:
    micro = catalogue.edition("qs_micro_special").quotas
    merchant = catalogue.edition("qs_merchant_basic").quotas
    video = catalogue.edition("qs_enterprise_video")

    assert micro == {
        "concurrent_campaigns": 1,
        "campaigns_per_month": 1,
        "interactive_campaigns_per_month": 1,
        "card_seats": 8,
    }
    assert (merchant["campaigns_per_month"], merchant["card_seats"]) == (4, 50)
    assert video.quotas["campaigns_per_month"] is None  # 不限次数
    assert "video_campaigns" in video.features
    assert "video_campaigns" not in catalogue.edition("qs_enterprise_advanced").features


def test_the_scrm_editions_are_yearly_with_their_accounts_and_session_archive(
    catalogue: Catalogue,
) -> None:
    advanced = catalogue.edition("scrm_advanced")
    ten_seats = catalogue.edition("scrm_ten_seats")

    assert (advanced.price_fen, advanced.unit) == (700_000, BillingUnit.YEAR)
    assert advanced.quotas["managed_accounts"] == 60
    assert "session_archive" not in advanced.features
    assert (ten_seats.price_fen, ten_seats.unit) == (800_000, BillingUnit.YEAR)
    assert ten_seats.quotas["managed_accounts"] == 10
    assert "session_archive" in ten_seats.features
    assert ten_seats.is_higher_than(advanced) and not advanced.is_higher_than(ten_seats)


def test_no_scrm_edition_can_be_tried(catalogue: Catalogue) -> None:
    scrm = [e for e in catalogue.editions.values() if e.product_line is ProductLine.SCRM]

    assert sorted(e.code for e in scrm) == ["scrm_advanced", "scrm_ten_seats"]
    assert [e.trial_days for e in scrm] == [0, 0]


def test_the_wecom_registration_add_ons_grant_accounts_and_expansion_needs_standard(
    catalogue: Catalogue,
) -> None:
    standard = catalogue.add_on("scrm_wecom_registration_standard")
    expansion = catalogue.add_on("scrm_wecom_registration_expansion")

    assert (standard.price_fen, dict(standard.grants), standard.requires) == (
        50_000,
        {"wecom_accounts": 5},
        None,
    )
    assert standard.max_quantity == 1
    assert (expansion.price_fen, dict(expansion.grants)) == (60_000, {"wecom_accounts": 10})
    assert expansion.requires == "scrm_wecom_registration_standard"
    assert {a.product_line for a in catalogue.add_ons.values()} == {ProductLine.SCRM}


def test_unknown_codes_are_refused_naming_the_field(catalogue: Catalogue) -> None:
    with pytest.raises(InvalidValue) as no_edition:
        catalogue.edition("qs_gold")
    with pytest.raises(InvalidValue) as no_add_on:
        catalogue.add_on("scrm_coffee")

    assert (no_edition.value.field, no_add_on.value.field) == ("edition", "add_on")


# --- malformed files --------------------------------------------------------------------


def _write_variant(tmp_path: Path, change: Any) -> Path:
    data = json.loads(CURRENT_CATALOGUE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "catalogue-bad.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _set(*keys: Any, value: Any) -> Any:
    def change(data: Any) -> None:
        for key in keys[:-1]:
            data = data[key]
        data[keys[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_set("editions", 0, "quotas", "coffee_cups", value=3), "coffee_cups"),
        (_set("editions", 1, "price_fen", value=-100), "price_fen"),
        (_set("editions", 2, "discount", value=10), "discount"),
        (_set("editions", 3, "features", value=["teleport"]), "teleport"),
        (_set("editions", 4, "unit", value="week"), "unit"),
        (_set("editions", 6, "minimum_units", value=0), "minimum_units"),
        (_set("add_ons", 0, "grants", "wecom_accounts", value=None), "wecom_accounts"),
        (_set("add_ons", 1, "requires", value="scrm_missing"), "scrm_missing"),
        (_set("editions", 1, "code", value="qs_micro_special"), "unique"),
    ],
)
def test_a_malformed_catalogue_file_is_refused_naming_the_problem(
    tmp_path: Path, change: Any, named: str
) -> None:
    path = _write_variant(tmp_path, change)

    with pytest.raises(ValueError, match=named):
        load_catalogue(path)


def test_an_unchanged_copy_of_the_catalogue_loads(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, lambda data: None)

    assert load_catalogue(path) == load_catalogue()
