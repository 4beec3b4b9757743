"""Order (BIL-1, BIL-2, BIL-5): placing, paying once, delivering, cancelling, refunding."""

from __future__ import annotations

import copy
from typing import Any
from uuid import uuid4

import pytest

from adapters.tenancy.catalogue import load_catalogue
from domain.shared.errors import InvalidValue, StateConflict
from domain.tenancy.order import AmountMismatch, LineItem, Order, OrderKind
from domain.tenancy.plans import Catalogue
from domain.tenancy.pricing import edition_lines
from tests.unit.events import replay, topics

AMOUNT = 3_000


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def line(amount_fen: int = AMOUNT) -> LineItem:
    return {
        "sku": "qs_merchant_entry",
        "name": "天翼云快销（商客入门版） 订购",
        "unit": "month",
        "quantity": 1,
        "unit_price_fen": amount_fen,
        "amount_fen": amount_fen,
    }


def placed(lines: list[LineItem] | None = None, number: str = "HK0001") -> Order:
    return Order.place(
        tenant_id=uuid4(), number=number, kind=OrderKind.NEW, product_line="quick_sell",
        target="qs_merchant_entry", units=1, lines=[line()] if lines is None else lines,
        catalogue_version="2026-11",
    )  # fmt: skip


def paid(transaction_id: str = "wx-1") -> Order:
    order = placed()
    order.record_payment(provider="wechat", transaction_id=transaction_id, amount_fen=AMOUNT)
    return order


def delivered() -> Order:
    order = paid()
    order.deliver(subscription_id=uuid4(), covers_from="2026-11-15", covers_until="2026-12-15")
    return order


def test_placing_sums_the_lines_and_derives_the_id_from_the_number() -> None:
    order = placed([line(1_000), line(2_500)], number="HK42")

    assert (order.amount_fen, order.status, order.kind) == (3_500, "created", "new")
    assert order.id == Order.create_id("HK42")
    assert (order.paid_fen, order.refunded_fen, order.refundable_fen) == (0, 0, 0)
    assert topics(order.collect_events()) == ["tenancy.Order.Placed"]


@pytest.mark.parametrize(
    ("lines", "field"),
    [([], "lines"), ([line(0)], "amount_fen"), ([line(0), line(0)], "amount_fen")],
)
def test_placing_an_empty_or_free_order_is_refused(lines: list[LineItem], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        placed(lines)

    assert refused.value.field == field


def test_the_enterprise_minimum_term_is_priced_for_24_months_or_refused(
    catalogue: Catalogue,
) -> None:
    edition = catalogue.edition("qs_enterprise_min_term")

    with pytest.raises(InvalidValue) as refused:
        edition_lines(edition, 23)

    assert refused.value.field == "units"
    assert placed(edition_lines(edition, 24)).amount_fen == 24 * 10_000


def test_paying_the_exact_amount_marks_the_order_paid() -> None:
    order = placed()
    order.collect_events()

    assert order.record_payment(provider="wechat", transaction_id="wx-1", amount_fen=AMOUNT)

    assert (order.status, order.paid_fen, order.refundable_fen) == ("paid", AMOUNT, AMOUNT)
    assert (order.provider, order.transaction_id) == ("wechat", "wx-1")
    assert topics(order.collect_events()) == ["tenancy.Order.Paid"]


@pytest.mark.parametrize("amount", [AMOUNT - 1, AMOUNT + 1, 0, -AMOUNT])
def test_a_payment_of_another_amount_is_refused_and_changes_nothing(amount: int) -> None:
    order = placed()
    before = copy.deepcopy(order)

    with pytest.raises(AmountMismatch) as refused:
        order.record_payment(provider="alipay", transaction_id="ali-9", amount_fen=amount)

    assert refused.value.code == "amount_mismatch" and refused.value.field == "amount_fen"
    assert order == before and order.status == "created"


def test_the_same_payment_twice_answers_false_and_emits_nothing() -> None:
    order = paid("wx-1")
    order.collect_events()
    before = copy.deepcopy(order)

    assert (
        order.record_payment(provider="wechat", transaction_id="wx-1", amount_fen=AMOUNT) is False
    )

    assert order == before and order.collect_events() == []


@pytest.mark.parametrize(("provider", "transaction"), [("wechat", "wx-2"), ("alipay", "wx-1")])
def test_another_payment_of_a_paid_order_is_a_conflict(provider: str, transaction: str) -> None:
    order = paid("wx-1")
    before = copy.deepcopy(order)

    with pytest.raises(StateConflict):
        order.record_payment(provider=provider, transaction_id=transaction, amount_fen=AMOUNT)

    assert order == before


def test_delivering_needs_a_paid_order() -> None:
    order = placed()
    covers: dict[str, Any] = {"covers_from": "2026-11-15", "covers_until": "2026-12-15"}

    with pytest.raises(StateConflict):
        order.deliver(subscription_id=uuid4(), **covers)
    order.record_payment(provider="wechat", transaction_id="wx-1", amount_fen=AMOUNT)
    order.deliver(subscription_id=uuid4(), **covers)

    assert (order.status, order.covers_from, order.covers_until) == (
        "delivered",
        "2026-11-15",
        "2026-12-15",
    )
    with pytest.raises(StateConflict):
        order.deliver(subscription_id=uuid4(), **covers)


def test_cancelling_needs_a_reason_and_an_unpaid_order() -> None:
    order = placed()
    with pytest.raises(InvalidValue) as no_reason:
        order.cancel("  ")
    assert no_reason.value.field == "reason"

    order.cancel("changed my mind")

    assert order.status == "cancelled"
    assert topics(order.collect_events())[-1] == "tenancy.Order.Cancelled"
    with pytest.raises(StateConflict):
        order.record_payment(provider="wechat", transaction_id="wx-1", amount_fen=AMOUNT)
    with pytest.raises(StateConflict):
        paid().cancel("too late")


def test_a_refund_opens_only_on_a_delivered_order_and_one_at_a_time() -> None:
    with pytest.raises(StateConflict):
        paid().open_refund(uuid4())
    order = delivered()
    first = uuid4()

    order.open_refund(first)

    assert (order.status, order.open_refund_id) == ("refunding", first)
    with pytest.raises(StateConflict):
        order.open_refund(uuid4())
    assert order.open_refund_id == first


@pytest.mark.parametrize("amount", [-1, AMOUNT + 1])
def test_closing_a_refund_beyond_what_was_paid_is_refused(amount: int) -> None:
    order = delivered()
    refund_id = uuid4()
    order.open_refund(refund_id)
    before = copy.deepcopy(order)

    with pytest.raises(InvalidValue) as refused:
        order.close_refund(refund_id, amount)

    assert refused.value.field == "amount_fen" and order == before
    with pytest.raises(StateConflict):  # not the open ticket
        order.close_refund(uuid4(), 0)


def test_a_rejected_refund_returns_the_order_to_delivered() -> None:
    order = delivered()
    refund_id = uuid4()
    order.open_refund(refund_id)

    order.close_refund(refund_id, 0)

    assert (order.status, order.refunded_fen, order.open_refund_id) == ("delivered", 0, None)


def test_a_paid_back_refund_is_recorded_and_the_whole_history_replays() -> None:
    order = delivered()
    refund_id = uuid4()
    order.open_refund(refund_id)

    order.close_refund(refund_id, AMOUNT)

    assert (order.status, order.refunded_fen, order.refundable_fen) == ("refunded", AMOUNT, 0)
    events = order.collect_events()
    assert topics(events) == [
        "tenancy.Order.Placed", "tenancy.Order.Paid", "tenancy.Order.Delivered",
        "tenancy.Order.RefundOpened", "tenancy.Order.RefundClosed",
    ]  # fmt: skip
    assert replay(events, Order) == order
