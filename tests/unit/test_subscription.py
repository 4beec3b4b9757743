"""Subscription (TEN-3, BIL-3, BIL-4, BIL-5): periods, trials, renewals, upgrades, add-ons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.tenancy.catalogue import load_catalogue
from domain.shared.errors import DomainError, InvalidValue, StateConflict
from domain.tenancy.plans import Catalogue
from domain.tenancy.subscription import Subscription
from tests.unit.events import replay, topics

TODAY = date(2026, 11, 15)
STANDARD = "scrm_wecom_registration_standard"
EXPANSION = "scrm_wecom_registration_expansion"


@dataclass
class Shop:
    """Subscription commands with the catalogue's editions and add-ons looked up by code."""

    catalogue: Catalogue

    def start(self, code: str = "qs_micro_entry", units: int = 3) -> Subscription:
        return Subscription.start(
            tenant_id=uuid4(), edition=self.catalogue.edition(code), units=units, today=TODAY,
            order_id=uuid4(), catalogue=self.catalogue,
        )  # fmt: skip

    def trial(self, code: str = "qs_micro_entry") -> Subscription:
        edition, catalogue = self.catalogue.edition(code), self.catalogue
        return Subscription.start_trial(
            tenant_id=uuid4(), edition=edition, today=TODAY, catalogue=catalogue
        )

    def restart(self, sub: Subscription, code: str, units: int, today: date) -> None:
        sub.restart(
            edition=self.catalogue.edition(code), units=units, today=today, order_id=uuid4(),
            catalogue=self.catalogue,
        )  # fmt: skip

    def renew(self, sub: Subscription, code: str, units: int = 1) -> None:
        sub.renew(edition=self.catalogue.edition(code), units=units, order_id=uuid4())

    def upgrade(self, sub: Subscription, code: str, today: date = TODAY) -> None:
        sub.upgrade_to(
            target=self.catalogue.edition(code), current=self.catalogue.edition(sub.edition),
            today=today, order_id=uuid4(), catalogue=self.catalogue,
        )  # fmt: skip

    def add(self, sub: Subscription, code: str, quantity: int = 1) -> None:
        sub.add(
            add_on=self.catalogue.add_on(code), quantity=quantity,
            current=self.catalogue.edition(sub.edition), order_id=uuid4(),
            catalogue=self.catalogue,
        )  # fmt: skip


@pytest.fixture(scope="module")
def shop() -> Shop:
    return Shop(load_catalogue())


def test_starting_opens_a_paid_period_of_whole_months_from_today(shop: Shop) -> None:
    sub = shop.start("qs_micro_entry", units=3)

    assert (sub.status, sub.edition, sub.product_line) == ("active", "qs_micro_entry", "quick_sell")
    assert (sub.starts_on, sub.ends_on, sub.paid_months) == (TODAY, date(2027, 2, 15), 3)
    assert sub.quotas["card_seats"] == 10 and sub.features == ["h5_campaigns"]
    assert topics(sub.collect_events()) == ["tenancy.Subscription.Started"]
    yearly = shop.start("scrm_advanced", units=2)
    assert (yearly.ends_on, yearly.paid_months) == (date(2028, 11, 15), 24)


def test_a_trial_runs_unpaid_for_its_days_and_a_restart_ends_it(shop: Shop) -> None:
    sub = shop.trial("qs_micro_entry")

    assert (sub.status, sub.ends_on, sub.paid_months) == ("trial", date(2026, 11, 22), 0)
    assert sub.trial_used and sub.in_service and sub.orders == []
    assert topics(sub.collect_events()) == ["tenancy.Subscription.Started"]
    shop.restart(sub, "qs_micro_basic", 1, date(2026, 11, 20))  # ends the trial
    assert (sub.status, sub.edition, sub.paid_months) == ("active", "qs_micro_basic", 1)
    assert sub.ends_on == date(2026, 12, 20) and sub.trial_used


@pytest.mark.parametrize("code", ["scrm_advanced", "scrm_ten_seats", "qs_enterprise_private"])
def test_editions_without_trial_days_cannot_be_tried(shop: Shop, code: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        shop.trial(code)

    assert refused.value.field == "edition"


def test_restarting_is_refused_while_active_and_allowed_after_expiry(shop: Shop) -> None:
    sub = shop.start("qs_micro_entry", units=1)

    with pytest.raises(StateConflict):
        shop.restart(sub, "qs_merchant_basic", 2, TODAY)
    sub.expire(date(2026, 12, 15))
    shop.restart(sub, "qs_merchant_basic", 2, date(2027, 1, 10))

    assert (sub.status, sub.edition, sub.paid_months) == ("active", "qs_merchant_basic", 2)
    assert (sub.starts_on, sub.ends_on) == (date(2027, 1, 10), date(2027, 3, 10))
    assert topics(sub.collect_events())[-2:] == [
        "tenancy.Subscription.Expired",
        "tenancy.Subscription.Restarted",
    ]


def test_renewing_extends_from_the_current_end_keeps_the_edition_and_needs_active(
    shop: Shop,
) -> None:
    sub = shop.start("qs_micro_entry", units=3)
    sub.collect_events()

    shop.renew(sub, "qs_micro_entry", units=2)

    assert (sub.starts_on, sub.ends_on, sub.paid_months) == (TODAY, date(2027, 4, 15), 5)
    assert topics(sub.collect_events()) == ["tenancy.Subscription.Renewed"]
    with pytest.raises(InvalidValue) as other_edition:
        shop.renew(sub, "qs_micro_basic")
    assert other_edition.value.field == "edition"
    sub.expire(date(2027, 4, 15))
    with pytest.raises(StateConflict):
        shop.renew(sub, "qs_micro_entry")


def test_upgrading_moves_to_a_higher_edition_of_the_same_line(shop: Shop) -> None:
    sub = shop.start("qs_micro_entry")
    sub.collect_events()

    shop.upgrade(sub, "qs_enterprise_video")

    assert (sub.edition, sub.quotas["card_seats"]) == ("qs_enterprise_video", 1999)
    assert sub.features == ["h5_campaigns", "video_campaigns"]
    assert sub.ends_on == date(2027, 2, 15)  # the period is unchanged
    assert topics(sub.collect_events()) == ["tenancy.Subscription.Upgraded"]


@pytest.mark.parametrize(
    ("target", "today", "error", "field"),
    [
        ("qs_micro_special", TODAY, StateConflict, None),  # lower: a downgrade
        ("qs_merchant_entry", TODAY, StateConflict, None),  # the same edition
        ("scrm_ten_seats", TODAY, InvalidValue, "edition"),  # another product line
        ("qs_merchant_basic", date(2027, 2, 15), StateConflict, None),  # the period ended
        ("qs_merchant_basic", None, StateConflict, None),  # expired
    ],
)
def test_upgrading_to_a_lower_equal_or_foreign_edition_or_when_ended_is_refused(
    shop: Shop, target: str, today: date | None, error: type[DomainError], field: str | None
) -> None:
    sub = shop.start("qs_merchant_entry")
    if today is None:
        sub.expire(date(2027, 2, 15))
    sub.collect_events()

    with pytest.raises(error) as refused:
        shop.upgrade(sub, target, today or date(2027, 1, 1))

    assert type(refused.value) is error and refused.value.field == field
    assert sub.edition == "qs_merchant_entry" and sub.collect_events() == []


def test_add_ons_raise_wecom_accounts_and_expansion_needs_standard(shop: Shop) -> None:
    sub = shop.start("scrm_advanced", units=1)
    sub.collect_events()

    with pytest.raises(StateConflict, match=STANDARD):
        shop.add(sub, EXPANSION)
    shop.add(sub, STANDARD)
    assert sub.limit_of("wecom_accounts") == 5
    shop.add(sub, EXPANSION, quantity=3)

    assert sub.limit_of("wecom_accounts") == 5 + 30
    assert sub.limit_of("managed_accounts") == 60
    assert sub.add_ons == {STANDARD: 1, EXPANSION: 3}
    assert topics(sub.collect_events()) == ["tenancy.Subscription.AddOnPurchased"] * 2


def test_add_ons_are_limited_in_quantity_to_active_subscriptions_of_their_line(shop: Shop) -> None:
    sub = shop.start("scrm_advanced", units=1)
    shop.add(sub, STANDARD)
    shop.add(sub, EXPANSION, quantity=99)

    for code, quantity in [(STANDARD, 1), (EXPANSION, 2), (EXPANSION, 0)]:
        with pytest.raises(InvalidValue) as refused:
            shop.add(sub, code, quantity)
        assert refused.value.field == "quantity"
    shop.add(sub, EXPANSION, quantity=1)
    assert sub.limit_of("wecom_accounts") == 5 + 1000
    sub.expire(date(2027, 11, 15))
    with pytest.raises(StateConflict):  # add-ons are bought while active
        shop.add(sub, EXPANSION)
    with pytest.raises(InvalidValue) as other_line:
        shop.add(shop.start("qs_micro_entry"), STANDARD)
    assert other_line.value.field == "add_on"


def test_an_upgrade_keeps_the_add_ons_in_the_quota_snapshot(shop: Shop) -> None:
    sub = shop.start("scrm_advanced", units=1)
    shop.add(sub, STANDARD)
    shop.add(sub, EXPANSION, quantity=2)

    shop.upgrade(sub, "scrm_ten_seats")

    assert sub.quotas == {"managed_accounts": 10, "wecom_accounts": 25}
    assert "session_archive" in sub.features


def test_extending_needs_a_reason_and_reactivates_an_expired_subscription(shop: Shop) -> None:
    sub = shop.start("qs_micro_entry", units=1)
    sub.expire(date(2026, 12, 20))
    sub.collect_events()

    with pytest.raises(InvalidValue) as no_reason:
        sub.extend(10, "   ")
    assert no_reason.value.field == "reason"
    for days in (0, 367):
        with pytest.raises(InvalidValue):
            sub.extend(days, "outage compensation")
    sub.extend(10, "outage compensation")

    assert (sub.status, sub.ends_on) == ("active", date(2026, 12, 25))
    assert topics(sub.collect_events()) == ["tenancy.Subscription.Extended"]


def test_extending_an_expired_trial_resumes_the_trial_not_a_paid_period(shop: Shop) -> None:
    sub = shop.trial("qs_micro_entry")
    sub.expire(date(2026, 11, 22))

    sub.extend(7, "sales asked for a longer trial")

    assert (sub.status, sub.ends_on, sub.paid_months) == ("trial", date(2026, 11, 29), 0)


def test_expiring_is_refused_before_the_period_ends(shop: Shop) -> None:
    sub = shop.start("qs_micro_entry", units=1)

    with pytest.raises(StateConflict):
        sub.expire(date(2026, 12, 14))
    sub.expire(date(2026, 12, 15))

    assert sub.status == "expired" and not sub.in_service
    assert topics(sub.collect_events())[-1] == "tenancy.Subscription.Expired"
    with pytest.raises(StateConflict):
        sub.expire(date(2027, 1, 1))


def test_cancelling_is_final(shop: Shop) -> None:
    sub = shop.start("qs_micro_entry")
    sub.collect_events()

    sub.cancel(reason="refunded", refund_id=uuid4())

    assert sub.status == "cancelled"
    assert topics(sub.collect_events()) == ["tenancy.Subscription.Cancelled"]
    for command in (
        lambda: sub.cancel(reason="again", refund_id=uuid4()),
        lambda: sub.extend(5, "goodwill"),
        lambda: shop.renew(sub, "qs_micro_entry"),
        lambda: shop.upgrade(sub, "qs_merchant_basic"),
        lambda: sub.expire(date(2030, 1, 1)),
    ):
        with pytest.raises(StateConflict):
            command()
    assert sub.collect_events() == []


PRIMITIVES = (str, int, bool, type(None), UUID, datetime)


def _assert_primitive(value: Any, where: str) -> None:
    if isinstance(value, list):
        for item in value:
            _assert_primitive(item, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, f"{where}: key {key!r}"
            _assert_primitive(item, f"{where}.{key}")
    else:
        assert type(value) in PRIMITIVES, f"{where} is a {type(value).__name__}"


def test_every_event_carries_primitives_only_and_replays(shop: Shop) -> None:
    sub = shop.start("scrm_advanced", units=1)
    shop.add(sub, STANDARD)
    shop.renew(sub, "scrm_advanced")
    shop.upgrade(sub, "scrm_ten_seats")
    sub.extend(3, "goodwill")
    sub.expire(date(2029, 1, 1))
    shop.restart(sub, "scrm_ten_seats", 1, date(2029, 1, 2))
    sub.cancel(reason="refunded", refund_id=uuid4())
    events = sub.collect_events()

    names = ["Started", "AddOnPurchased", "Renewed", "Upgraded", "Extended", "Expired"]
    names += ["Restarted", "Cancelled"]
    assert topics(events) == [f"tenancy.Subscription.{name}" for name in names]
    for topic, event in zip(topics(events), events, strict=True):
        _assert_primitive(vars(event), topic)
    rebuilt = replay(events, Subscription)
    assert (rebuilt.status, rebuilt.ends_on) == ("cancelled", date(2030, 1, 2))
    assert rebuilt.add_ons == {} and len(rebuilt.orders) == 5
    assert rebuilt == sub
