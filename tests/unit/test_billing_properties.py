"""Billing properties (BIL-3, BIL-4, BIL-5, TEN-3): proration, refunds, renewals, quotas."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from adapters.tenancy.catalogue import load_catalogue
from domain.shared.errors import DomainError, InvalidValue
from domain.tenancy.order import LineItem, Order, OrderKind
from domain.tenancy.plans import Catalogue, Edition, add_months, split_by_days
from domain.tenancy.pricing import refund_proposal, upgrade_lines
from domain.tenancy.refund import Refund
from domain.tenancy.subscription import Subscription
from domain.tenancy.usage import QuotaExceeded, QuotaUsage

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
fen = st.integers(min_value=0, max_value=10**12)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def subscribe(catalogue: Catalogue, edition: Edition, units: int, today: date) -> Subscription:
    return Subscription.start(
        tenant_id=uuid4(), edition=edition, units=units, today=today, order_id=uuid4(),
        catalogue=catalogue,
    )  # fmt: skip


def units_of(edition: Edition) -> st.SearchStrategy[int]:
    return st.integers(edition.minimum_units, 120 // edition.unit.months)


# --- (a) proration ------------------------------------------------------------------------


@given(amount=fen, total=st.integers(1, 4000), used=st.integers(-10, 4010))
def test_a_split_by_days_sums_to_the_amount_and_rounds_the_unused_part_down(
    amount: int, total: int, used: int
) -> None:
    used_part, unused_part = split_by_days(amount, used, total)

    assert used_part + unused_part == amount
    assert 0 <= unused_part <= amount and used_part >= 0
    assert unused_part == amount * (total - min(max(used, 0), total)) // total


@given(amount=fen, total=st.integers(1, 4000), a=st.integers(0, 4000), b=st.integers(0, 4000))
def test_a_split_by_days_is_monotonic_in_the_days_used(
    amount: int, total: int, a: int, b: int
) -> None:
    fewer, more = sorted((a, b))

    assert split_by_days(amount, fewer, total)[0] <= split_by_days(amount, more, total)[0]
    assert split_by_days(amount, fewer, total)[1] >= split_by_days(amount, more, total)[1]


@pytest.mark.parametrize(("amount", "total"), [(-1, 30), (100, 0), (100, -5)])
def test_a_split_of_a_negative_amount_or_an_empty_period_is_refused(
    amount: int, total: int
) -> None:
    with pytest.raises(InvalidValue):
        split_by_days(amount, 1, total)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), start=days)
def test_an_upgrade_on_any_day_charges_the_unused_share_of_the_exact_difference(
    catalogue: Catalogue, data: st.DataObject, start: date
) -> None:
    editions = list(catalogue.editions.values())
    upgradable = [e for e in editions if any(t.is_higher_than(e) for t in editions)]
    current = data.draw(st.sampled_from(upgradable))
    target = data.draw(st.sampled_from([t for t in editions if t.is_higher_than(current)]))
    sub = subscribe(catalogue, current, data.draw(units_of(current)), start)
    for units in data.draw(st.lists(units_of(current), max_size=2)):
        sub.renew(edition=current, units=units, order_id=uuid4())
    total = (sub.ends_on - sub.starts_on).days
    used = data.draw(st.integers(0, total - 1))
    today = date.fromordinal(start.toordinal() + used)

    [item] = upgrade_lines(sub, current, target, today)

    exact = (target.price_fen - current.price_fen) * sub.paid_months
    assert exact % current.unit.months == 0  # no fen lost in the division
    difference = exact // current.unit.months
    used_share = -(-difference * used // total)
    assert item["amount_fen"] == difference - used_share
    assert 0 <= int(item["amount_fen"]) <= difference
    assert item["quantity"] == total - used and item["sku"] == target.code
    if used == 0:
        assert item["amount_fen"] == difference
    later = date.fromordinal(today.toordinal() + data.draw(st.integers(0, total - used - 1)))
    [later_item] = upgrade_lines(sub, current, target, later)
    assert int(later_item["amount_fen"]) <= int(item["amount_fen"])


# --- (b) refunds never exceed what was paid ----------------------------------------------

AMOUNT = 12_345
paying_amounts = st.sampled_from([AMOUNT, AMOUNT, AMOUNT, AMOUNT - 1, AMOUNT + 1, 0])
closing_amounts = st.one_of(
    st.sampled_from([AMOUNT + 1, -1, 0, AMOUNT // 3, AMOUNT]), st.integers(-AMOUNT, 2 * AMOUNT)
)


class OrderAndRefunds(RuleBasedStateMachine):
    """Pays, delivers, cancels and refunds one order with arbitrary (also invalid) values."""

    def __init__(self) -> None:
        super().__init__()
        line: LineItem = {"sku": "x", "name": "x", "quantity": 1, "amount_fen": AMOUNT}
        self.order = Order.place(
            tenant_id=uuid4(), number="HK1", kind=OrderKind.NEW, product_line="quick_sell",
            target="qs_micro_entry", units=1, lines=[line], catalogue_version="2026-11",
        )  # fmt: skip
        self.refund: Refund | None = None

    @initialize(unpaid=st.booleans(), start=days)
    def most_orders_start_paid_and_delivered(self, unpaid: bool, start: date) -> None:
        if not unpaid:  # the simplest example is a delivered order, where refunds happen
            self.order.record_payment(provider="p", transaction_id="a", amount_fen=AMOUNT)
            self.deliver(start, 12)

    def attempt(self, command: Callable[[], object]) -> bool:
        before = copy.deepcopy(self.order)
        try:
            command()
        except DomainError:
            assert self.order == before
            return False
        return True

    @rule(amount=paying_amounts, tx=st.sampled_from("ab"))
    def pay(self, amount: int, tx: str) -> None:
        self.attempt(
            lambda: self.order.record_payment(provider="p", transaction_id=tx, amount_fen=amount)
        )
        assert self.order.paid_fen in (0, AMOUNT)

    @rule(start=days, months=st.integers(0, 24))
    def deliver(self, start: date, months: int) -> None:
        period = {
            "covers_from": start.isoformat(),
            "covers_until": add_months(start, months).isoformat(),
        }
        self.attempt(lambda: self.order.deliver(subscription_id=uuid4(), **period))

    @rule(dice=st.integers(0, 9))
    def cancel(self, dice: int) -> None:
        if dice == 7:  # rarely, so that most orders get paid and refunded
            self.attempt(lambda: self.order.cancel("no longer needed"))

    @rule(today=days)
    def open_refund(self, today: date) -> None:
        refund_id = uuid4()
        if self.attempt(lambda: self.order.open_refund(refund_id)):
            self.refund = Refund.request(
                refund_id=refund_id, tenant_id=uuid4(), order_id=self.order.id, order_number="HK1",
                reason="closing the shop", proposed_fen=refund_proposal(self.order, today),
                refundable_fen=self.order.refundable_fen,
            )  # fmt: skip

    @precondition(lambda self: self.refund is not None)
    @rule(
        amount=st.one_of(st.none(), st.integers(-1, AMOUNT + 1)), reason=st.sampled_from(["", "x"])
    )
    def approve(self, amount: int | None, reason: str) -> None:
        assert self.refund is not None
        try:
            self.refund.approve(amount_fen=amount, override_reason=reason or None)
        except DomainError:
            return
        assert self.refund.amount_fen is not None
        assert 0 < self.refund.amount_fen <= self.refund.refundable_fen

    @rule(amount=closing_amounts, stranger=st.booleans(), as_approved=st.booleans())
    def close_refund(self, amount: int, stranger: bool, as_approved: bool) -> None:
        refund_id = uuid4() if stranger or self.refund is None else self.refund.id
        if as_approved and self.refund is not None and self.refund.amount_fen is not None:
            amount = self.refund.amount_fen
        before = copy.deepcopy(self.order)
        refundable, open_id = self.order.refundable_fen, self.order.open_refund_id
        try:
            self.order.close_refund(refund_id, amount)
        except InvalidValue:
            assert refund_id == open_id and not 0 <= amount <= refundable
            assert self.order == before
            return
        except DomainError:
            assert refund_id != open_id and self.order == before
            return
        assert 0 <= amount <= refundable
        self.refund = None

    @rule(today=days)
    def propose(self, today: date) -> None:
        assert 0 <= refund_proposal(self.order, today) <= self.order.refundable_fen

    @invariant()
    def refunds_never_exceed_what_was_paid(self) -> None:
        assert 0 <= self.order.refunded_fen <= self.order.paid_fen <= self.order.amount_fen
        assert self.order.refundable_fen == self.order.paid_fen - self.order.refunded_fen


OrderAndRefunds.TestCase.settings = settings(
    max_examples=200, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
TestRefundsNeverExceedWhatWasPaid = OrderAndRefunds.TestCase


@given(refundable=st.integers(0, 10**9), data=st.data())
def test_a_refund_approval_never_exceeds_the_refundable_amount(
    refundable: int, data: st.DataObject
) -> None:
    proposed = data.draw(st.integers(0, refundable))
    amount = data.draw(st.one_of(st.none(), st.integers(-5, refundable + 5)))
    refund = Refund.request(
        refund_id=uuid4(), tenant_id=uuid4(), order_id=uuid4(), order_number="HK1",
        reason="moving away", proposed_fen=proposed, refundable_fen=refundable,
    )  # fmt: skip
    wanted = proposed if amount is None else amount

    if not 0 < wanted <= refundable:
        with pytest.raises(InvalidValue):
            refund.approve(amount_fen=amount, override_reason="staff decision")
        assert refund.status == "requested" and refund.amount_fen is None
    else:
        refund.approve(amount_fen=amount, override_reason="staff decision")
        assert refund.amount_fen == wanted


# --- (c) renewals follow each other ------------------------------------------------------


@settings(deadline=None)
@given(data=st.data(), start=days)
def test_renewals_extend_the_period_end_to_end_without_gaps_or_overlaps(
    catalogue: Catalogue, data: st.DataObject, start: date
) -> None:
    edition = data.draw(st.sampled_from(sorted(catalogue.editions.values(), key=lambda e: e.code)))
    first = data.draw(units_of(edition))
    sub = subscribe(catalogue, edition, first, start)
    paid_months = first * edition.unit.months

    for units in data.draw(st.lists(units_of(edition), max_size=8)):
        before = sub.ends_on
        sub.renew(edition=edition, units=units, order_id=uuid4())
        months = units * edition.unit.months
        paid_months += months
        assert sub.ends_on == add_months(before, months) > before
        assert (sub.starts_on, sub.edition, sub.paid_months) == (start, edition.code, paid_months)


@given(day=st.dates(), a=st.integers(-240, 240), b=st.integers(-240, 240))
def test_adding_months_in_steps_lands_in_the_same_month(day: date, a: int, b: int) -> None:
    try:
        at_once, in_steps = add_months(day, a + b), add_months(add_months(day, a), b)
    except ValueError:  # beyond year 1 or 9999
        return
    assert (at_once.year, at_once.month) == (in_steps.year, in_steps.month)
    assert at_once.day <= day.day and (at_once.day == day.day or at_once.day >= 28)


@given(d1=days, d2=days, m1=st.integers(0, 240), m2=st.integers(0, 240))
def test_adding_months_is_monotonic(d1: date, d2: date, m1: int, m2: int) -> None:
    (early, late), (fewer, more) = sorted((d1, d2)), sorted((m1, m2))

    assert add_months(early, fewer) <= add_months(late, fewer)
    assert add_months(early, fewer) <= add_months(early, more)
    assert add_months(early, 0) == early
    assert add_months(early, more) > early or more == 0


# --- (d) quota usage ----------------------------------------------------------------------


@given(
    limit=st.one_of(st.none(), st.integers(0, 20)),
    steps=st.lists(st.tuples(st.booleans(), st.integers(-1, 8)), max_size=40),
)
def test_quota_usage_stays_within_zero_and_the_limit(
    limit: int | None, steps: list[tuple[bool, int]]
) -> None:
    usage = QuotaUsage(tenant_id=UUID(int=1), quota="campaigns_per_month", period="2026-11")
    model = 0
    for consuming, amount in steps:
        before = copy.deepcopy(usage)
        try:
            if consuming:
                usage.consume(amount, limit, "campaign")
            else:
                usage.release(amount, "campaign")
        except QuotaExceeded as exceeded:
            assert consuming and limit is not None and model + amount > limit
            assert (exceeded.quota, exceeded.limit, exceeded.used) == (usage.quota, limit, model)
            assert f"quota {usage.quota} allows {limit}" in str(exceeded) and usage == before
            continue
        except InvalidValue:
            assert amount < 1 and usage == before
            continue
        model = model + amount if consuming else max(model - amount, 0)
        assert usage.used == model
        assert usage.used >= 0 and (limit is None or usage.used <= limit)
