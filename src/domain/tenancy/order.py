"""Orders: what a tenant buys, pays and gets delivered (BIL-1, BIL-2, BIL-5).

An order copies its line items and amounts from the catalogue when it is placed, so
later catalogue versions never change it. Its id derives from its number, so a payment
notification that names the number finds the order without a look-up table.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import DomainError, InvalidValue, StateConflict
from domain.shared.text import required_text

LineItem = dict[str, str | int]  # sku, name, unit, quantity, unit_price_fen, amount_fen


class OrderKind(StrEnum):
    NEW = "new"
    RENEW = "renew"
    UPGRADE = "upgrade"
    ADD_ON = "add_on"


class OrderStatus(StrEnum):
    CREATED = "created"
    PAID = "paid"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDING = "refunding"
    REFUNDED = "refunded"


class AmountMismatch(DomainError):
    """A payment for a different amount than the order's: never activates anything."""

    code = "amount_mismatch"


class Order(Aggregate):
    """One order of one tenant: line items, amount, payment and refund state."""

    TOPIC = "tenancy.Order"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Placed: ClassVar[type[AggregateEvent]]
        PaymentStarted: ClassVar[type[AggregateEvent]]
        Paid: ClassVar[type[AggregateEvent]]
        Delivered: ClassVar[type[AggregateEvent]]
        Cancelled: ClassVar[type[AggregateEvent]]
        RefundOpened: ClassVar[type[AggregateEvent]]
        RefundClosed: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(number: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/huoke/orders/{number}")

    @classmethod
    def place(
        cls,
        *,
        tenant_id: UUID,
        number: str,
        kind: OrderKind,
        product_line: str,
        target: str,
        units: int,
        lines: list[LineItem],
        catalogue_version: str,
    ) -> Order:
        """Place an order for a positive amount made of its line items."""
        if not lines:
            raise InvalidValue("an order has at least one line item", field="lines")
        amount = sum(int(line["amount_fen"]) for line in lines)
        if amount <= 0:
            raise InvalidValue("there is nothing to pay for this order", field="amount_fen")
        return cls(
            tenant_id=tenant_id,
            number=number,
            kind=kind.value,
            product_line=product_line,
            target=target,
            units=units,
            lines=[dict(line) for line in lines],
            amount_fen=amount,
            catalogue_version=catalogue_version,
        )

    @event("Placed", topic="tenancy.Order.Placed")
    def __init__(
        self,
        tenant_id: UUID,
        number: str,
        kind: str,
        product_line: str,
        target: str,
        units: int,
        lines: list[LineItem],
        amount_fen: int,
        catalogue_version: str,
    ) -> None:
        self.tenant_id = tenant_id
        self.number = number
        self.kind = kind
        self.product_line = product_line
        self.target = target  # the edition or add-on bought
        self.units = units
        self.lines = lines
        self.amount_fen = amount_fen
        self.catalogue_version = catalogue_version
        self.status = OrderStatus.CREATED.value
        self.provider: str | None = None
        self.transaction_id: str | None = None
        self.paid_fen = 0
        self.refunded_fen = 0
        self.open_refund_id: UUID | None = None
        self.covers_from: str | None = None
        self.covers_until: str | None = None

    def start_payment(self, provider: str) -> None:
        """Choose (or change) how the order will be paid while it is unpaid."""
        if self.status != OrderStatus.CREATED:
            raise StateConflict(f"a {self.status} order cannot be paid")
        if provider != self.provider:
            self._payment_started(provider=required_text(provider, field="provider"))

    @event("PaymentStarted", topic="tenancy.Order.PaymentStarted")
    def _payment_started(self, provider: str) -> None:
        self.provider = provider

    def record_payment(self, *, provider: str, transaction_id: str, amount_fen: int) -> bool:
        """Record the provider's confirmation. A repeat of the recorded payment changes
        nothing and answers False; any other payment of a non-open order, or of another
        amount, is refused."""
        if self.transaction_id == transaction_id and self.provider == provider:
            return False
        if self.status != OrderStatus.CREATED:
            raise StateConflict(f"order {self.number} is already {self.status}")
        if amount_fen != self.amount_fen:
            raise AmountMismatch(
                f"order {self.number} costs {self.amount_fen} fen, the payment was {amount_fen}",
                field="amount_fen",
            )
        self._paid(provider=provider, transaction_id=transaction_id, amount_fen=amount_fen)
        return True

    @event("Paid", topic="tenancy.Order.Paid")
    def _paid(self, provider: str, transaction_id: str, amount_fen: int) -> None:
        self.provider = provider
        self.transaction_id = transaction_id
        self.paid_fen = amount_fen
        self.status = OrderStatus.PAID.value

    def deliver(self, *, subscription_id: UUID, covers_from: str, covers_until: str) -> None:
        """The service was opened: record which subscription period this order pays for."""
        if self.status != OrderStatus.PAID:
            raise StateConflict(f"a {self.status} order cannot be delivered")
        self._delivered(
            subscription_id=subscription_id, covers_from=covers_from, covers_until=covers_until
        )

    @event("Delivered", topic="tenancy.Order.Delivered")
    def _delivered(self, subscription_id: UUID, covers_from: str, covers_until: str) -> None:
        self.subscription_id = subscription_id
        self.covers_from = covers_from
        self.covers_until = covers_until
        self.status = OrderStatus.DELIVERED.value

    def cancel(self, reason: str) -> None:
        """Withdraw an unpaid order."""
        reason = required_text(reason, field="reason", max_length=500)
        if self.status != OrderStatus.CREATED:
            raise StateConflict(f"a {self.status} order cannot be cancelled")
        self._cancelled(reason=reason)

    @event("Cancelled", topic="tenancy.Order.Cancelled")
    def _cancelled(self, reason: str) -> None:
        self.status = OrderStatus.CANCELLED.value

    @property
    def refundable_fen(self) -> int:
        return self.paid_fen - self.refunded_fen

    def open_refund(self, refund_id: UUID) -> None:
        """A refund ticket is open for this order; only one at a time, only once delivered."""
        if self.status != OrderStatus.DELIVERED:
            raise StateConflict(f"a {self.status} order cannot be refunded")
        if self.refundable_fen <= 0:
            raise StateConflict(f"order {self.number} has nothing left to refund")
        self._refund_opened(refund_id=refund_id)

    @event("RefundOpened", topic="tenancy.Order.RefundOpened")
    def _refund_opened(self, refund_id: UUID) -> None:
        self.open_refund_id = refund_id
        self.status = OrderStatus.REFUNDING.value

    def close_refund(self, refund_id: UUID, refunded_fen: int) -> None:
        """The open ticket ended: `refunded_fen` went back to the payer (0 if rejected).
        Never more than what was paid and not yet refunded."""
        if self.open_refund_id != refund_id:
            raise StateConflict(f"refund {refund_id} is not open on order {self.number}")
        if not 0 <= refunded_fen <= self.refundable_fen:
            raise InvalidValue(
                f"at most {self.refundable_fen} fen can be refunded on order {self.number}",
                field="amount_fen",
            )
        self._refund_closed(refund_id=refund_id, refunded_fen=refunded_fen)

    @event("RefundClosed", topic="tenancy.Order.RefundClosed")
    def _refund_closed(self, refund_id: UUID, refunded_fen: int) -> None:
        self.open_refund_id = None
        self.refunded_fen += refunded_fen
        self.status = (
            OrderStatus.REFUNDED.value if refunded_fen > 0 else OrderStatus.DELIVERED.value
        )
