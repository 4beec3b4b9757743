"""What an order costs and what a refund returns (BIL-4, BIL-5): pure arithmetic on
the catalogue, a subscription and a date, every amount in integer fen."""

from __future__ import annotations

from datetime import date

from domain.shared.errors import InvalidValue
from domain.tenancy.order import LineItem, Order
from domain.tenancy.plans import AddOn, Edition, days_between, split_by_days
from domain.tenancy.subscription import Subscription

DAYS_PER_YEAR = 365


def edition_lines(edition: Edition, units: int, *, renewal: bool = False) -> list[LineItem]:
    """The single line of a new or renewing order for `units` billing units."""
    verb = "续订" if renewal else "订购"
    return [
        {
            "sku": edition.code,
            "name": f"{edition.name} {verb}",
            "unit": edition.unit.value,
            "quantity": units,
            "unit_price_fen": edition.price_fen,
            "amount_fen": edition.price_for(units),
        }
    ]


def upgrade_lines(
    subscription: Subscription, current: Edition, target: Edition, today: date
) -> list[LineItem]:
    """The price difference of the two editions over the paid period, of which the
    unused days' share is charged (rounded down to the fen, see `split_by_days`)."""
    subscription.check_upgrade(target, current, today)
    difference = (target.price_fen - current.price_fen) * subscription.paid_months
    difference //= target.unit.months  # same line, same unit: an exact division
    total_days = days_between(subscription.starts_on, subscription.ends_on)
    used_days = days_between(subscription.starts_on, today)
    _, charge = split_by_days(difference, used_days, total_days)
    remaining = total_days - min(max(used_days, 0), total_days)
    return [
        {
            "sku": target.code,
            "name": f"{current.name} → {target.name} 升级差价（剩余 {remaining} 天）",
            "unit": "day",
            "quantity": remaining,
            "unit_price_fen": 0,
            "amount_fen": charge,
        }
    ]


def add_on_lines(
    subscription: Subscription, add_on: AddOn, quantity: int, today: date
) -> list[LineItem]:
    """An add-on runs until the subscription's period ends: its yearly price times the
    remaining days over 365, rounded down to the fen."""
    subscription.check_add_on(add_on, quantity)
    remaining = days_between(today, subscription.ends_on)
    if remaining <= 0:
        raise InvalidValue("the subscription period has ended", field="add_on")
    amount = add_on.price_fen * quantity * remaining // DAYS_PER_YEAR
    return [
        {
            "sku": add_on.code,
            "name": f"{add_on.name}（剩余 {remaining} 天）",
            "unit": "day",
            "quantity": quantity,
            "unit_price_fen": add_on.price_fen,
            "amount_fen": amount,
        }
    ]


def refund_proposal(order: Order, today: date) -> int:
    """What the unused days of the period an order paid for are worth (≤ refundable).

    A period that has not started yet is refunded in full."""
    if order.covers_from is None or order.covers_until is None:
        return order.refundable_fen
    start, end = date.fromisoformat(order.covers_from), date.fromisoformat(order.covers_until)
    total = max(days_between(start, end), 1)
    _, unused = split_by_days(order.paid_fen, days_between(start, today), total)
    return min(unused, order.refundable_fen)
