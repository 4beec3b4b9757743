"""Refund tickets (BIL-5): a tenant asks with a reason, staff approve or reject, the
payment provider pays back, and every step records who and why."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    REFUNDED = "refunded"
    FAILED = "failed"


class Refund(Aggregate):
    """One refund ticket for one order, with the prorated amount proposed at request."""

    TOPIC = "tenancy.Refund"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Requested: ClassVar[type[AggregateEvent]]
        Approved: ClassVar[type[AggregateEvent]]
        Rejected: ClassVar[type[AggregateEvent]]
        Completed: ClassVar[type[AggregateEvent]]
        Failed: ClassVar[type[AggregateEvent]]
        Retried: ClassVar[type[AggregateEvent]]

    @classmethod
    def request(
        cls,
        *,
        refund_id: UUID,
        tenant_id: UUID,
        order_id: UUID,
        order_number: str,
        reason: str,
        proposed_fen: int,
        refundable_fen: int,
    ) -> Refund:
        """Open a ticket; the proposal is what the unused days are worth (≤ refundable)."""
        if not 0 <= proposed_fen <= refundable_fen:
            raise InvalidValue("the proposed refund exceeds what was paid", field="amount_fen")
        return cls(
            id=refund_id,
            tenant_id=tenant_id,
            order_id=order_id,
            order_number=order_number,
            reason=required_text(reason, field="reason", max_length=500),
            proposed_fen=proposed_fen,
            refundable_fen=refundable_fen,
        )

    @event("Requested", topic="tenancy.Refund.Requested")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        order_id: UUID,
        order_number: str,
        reason: str,
        proposed_fen: int,
        refundable_fen: int,
    ) -> None:
        self.tenant_id = tenant_id
        self.order_id = order_id
        self.order_number = order_number
        self.reason = reason
        self.proposed_fen = proposed_fen
        self.refundable_fen = refundable_fen
        self.amount_fen: int | None = None
        self.status = RefundStatus.REQUESTED.value
        self.provider_refund_id: str | None = None
        self.attempts = 0

    @property
    def refund_number(self) -> str:
        """The number the provider sees; the same on every attempt, so retries never
        refund twice."""
        return f"RF{self.id.hex[:20].upper()}"

    def approve(self, *, amount_fen: int | None = None, override_reason: str | None = None) -> None:
        """Approve the proposed amount, or another amount with a recorded reason."""
        if self.status != RefundStatus.REQUESTED:
            raise StateConflict(f"a {self.status} refund cannot be approved")
        amount = self.proposed_fen if amount_fen is None else amount_fen
        if not 0 < amount <= self.refundable_fen:
            raise InvalidValue(
                f"the refund must be 1 to {self.refundable_fen} fen", field="amount_fen"
            )
        if amount != self.proposed_fen:
            if not override_reason:
                raise InvalidValue(
                    "an amount other than the prorated proposal needs an override reason",
                    field="override_reason",
                )
            override_reason = required_text(
                override_reason, field="override_reason", max_length=500
            )
        self._approved(amount_fen=amount, override_reason=override_reason)

    @event("Approved", topic="tenancy.Refund.Approved")
    def _approved(self, amount_fen: int, override_reason: str | None) -> None:
        self.amount_fen = amount_fen
        self.status = RefundStatus.APPROVED.value

    def reject(self, reason: str) -> None:
        reason = required_text(reason, field="reason", max_length=500)
        if self.status != RefundStatus.REQUESTED:
            raise StateConflict(f"a {self.status} refund cannot be rejected")
        self._rejected(reason=reason)

    @event("Rejected", topic="tenancy.Refund.Rejected")
    def _rejected(self, reason: str) -> None:
        self.status = RefundStatus.REJECTED.value

    def complete(self, provider_refund_id: str) -> None:
        """The provider accepted the refund: the money is on its way back."""
        if self.status != RefundStatus.APPROVED:
            raise StateConflict(f"a {self.status} refund cannot complete")
        self._completed(provider_refund_id=provider_refund_id)

    @event("Completed", topic="tenancy.Refund.Completed")
    def _completed(self, provider_refund_id: str) -> None:
        self.provider_refund_id = provider_refund_id
        self.status = RefundStatus.REFUNDED.value

    def fail(self, error: str) -> None:
        """The provider refused or could not be reached; staff may retry."""
        if self.status != RefundStatus.APPROVED:
            raise StateConflict(f"a {self.status} refund cannot fail")
        self._failed(error=error[:500] or "unknown error")

    @event("Failed", topic="tenancy.Refund.Failed")
    def _failed(self, error: str) -> None:
        self.status = RefundStatus.FAILED.value
        self.attempts += 1

    def retry(self) -> None:
        if self.status != RefundStatus.FAILED:
            raise StateConflict(f"a {self.status} refund cannot be retried")
        self._retried()

    @event("Retried", topic="tenancy.Refund.Retried")
    def _retried(self) -> None:
        self.status = RefundStatus.APPROVED.value
