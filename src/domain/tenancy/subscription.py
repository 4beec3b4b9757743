"""A tenant's subscription to one product line (TEN-1, TEN-3, BIL-3, BIL-4, BIL-5).

There is one Subscription per tenant and product line (its id derives from both), so
"one active subscription at a time per product line" holds by construction. Its
periods follow each other: a renewal starts where the current period ends.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import DomainError, InvalidValue, StateConflict
from domain.shared.text import required_text
from domain.tenancy.plans import AddOn, Catalogue, Edition, add_months, quotas_for

MAX_EXTENSION_DAYS = 366


class SubscriptionStatus(StrEnum):
    TRIAL = "trial"
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


def _paid_period(edition: Edition, units: int, today: date, catalogue: Catalogue) -> dict[str, Any]:
    """The fields of a paid period of `units` starting today (refusing a term below
    the edition's minimum)."""
    edition.price_for(units)
    months = units * edition.unit.months
    return {
        "edition": edition.code,
        "status": SubscriptionStatus.ACTIVE.value,
        "starts_on": today.isoformat(),
        "ends_on": add_months(today, months).isoformat(),
        "paid_months": months,
        "quotas": quotas_for(edition, {}, catalogue),
        "features": sorted(edition.features),
    }


class SubscriptionInactive(DomainError):
    """No subscription of the product line is in service: reading works, consuming not."""

    code = "subscription_inactive"


_IN_SERVICE = (SubscriptionStatus.TRIAL, SubscriptionStatus.ACTIVE)


class Subscription(Aggregate):
    """The edition, period, add-ons and the quota snapshot a tenant has on one line."""

    TOPIC = "tenancy.Subscription"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Started: ClassVar[type[AggregateEvent]]
        Restarted: ClassVar[type[AggregateEvent]]
        Renewed: ClassVar[type[AggregateEvent]]
        Upgraded: ClassVar[type[AggregateEvent]]
        AddOnPurchased: ClassVar[type[AggregateEvent]]
        Extended: ClassVar[type[AggregateEvent]]
        Expired: ClassVar[type[AggregateEvent]]
        Cancelled: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID, product_line: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/subscriptions/{product_line}")

    # --- starting ----------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        tenant_id: UUID,
        edition: Edition,
        units: int,
        today: date,
        order_id: UUID,
        catalogue: Catalogue,
    ) -> Subscription:
        """Open the line for a tenant with a paid first period starting today."""
        return cls(
            tenant_id=tenant_id,
            product_line=edition.product_line.value,
            **_paid_period(edition, units, today, catalogue),
            order_id=order_id,
        )

    @classmethod
    def start_trial(
        cls, *, tenant_id: UUID, edition: Edition, today: date, catalogue: Catalogue
    ) -> Subscription:
        """Try an edition for its trial days; editions without trial days refuse."""
        if edition.trial_days <= 0:
            raise InvalidValue(f"{edition.name} cannot be tried", field="edition")
        return cls(
            tenant_id=tenant_id,
            product_line=edition.product_line.value,
            edition=edition.code,
            status=SubscriptionStatus.TRIAL.value,
            starts_on=today.isoformat(),
            ends_on=(today + timedelta(days=edition.trial_days)).isoformat(),
            paid_months=0,
            quotas=quotas_for(edition, {}, catalogue),
            features=sorted(edition.features),
            order_id=None,
        )

    @event("Started", topic="tenancy.Subscription.Started")
    def __init__(
        self,
        tenant_id: UUID,
        product_line: str,
        edition: str,
        status: str,
        starts_on: str,
        ends_on: str,
        paid_months: int,
        quotas: dict[str, int | None],
        features: list[str],
        order_id: UUID | None,
    ) -> None:
        self.tenant_id = tenant_id
        self.product_line = product_line
        self.add_ons: dict[str, int] = {}
        self.orders: list[UUID] = []
        self.trial_used = False
        self._begin(edition, status, starts_on, ends_on, paid_months, quotas, features, order_id)

    def _begin(
        self,
        edition: str,
        status: str,
        starts_on: str,
        ends_on: str,
        paid_months: int,
        quotas: dict[str, int | None],
        features: list[str],
        order_id: UUID | None,
    ) -> None:
        self.edition = edition
        self.status = status
        self.starts_on = date.fromisoformat(starts_on)
        self.ends_on = date.fromisoformat(ends_on)
        self.paid_months = paid_months  # months bought for [starts_on, ends_on)
        self.quotas = dict(quotas)
        self.features = list(features)
        self.trial_used = self.trial_used or status == SubscriptionStatus.TRIAL
        self.add_ons = {}
        if order_id is not None:
            self.orders.append(order_id)

    # --- commands ------------------------------------------------------------------------

    @property
    def in_service(self) -> bool:
        return self.status in _IN_SERVICE

    def restart(
        self, *, edition: Edition, units: int, today: date, order_id: UUID, catalogue: Catalogue
    ) -> None:
        """A new paid period after the line expired or was cancelled (or ends a trial)."""
        if self.status == SubscriptionStatus.ACTIVE:
            raise StateConflict("the subscription is active: renew or upgrade it instead")
        self._restarted(**_paid_period(edition, units, today, catalogue), order_id=order_id)

    @event("Restarted", topic="tenancy.Subscription.Restarted")
    def _restarted(
        self,
        edition: str,
        status: str,
        starts_on: str,
        ends_on: str,
        paid_months: int,
        quotas: dict[str, int | None],
        features: list[str],
        order_id: UUID,
    ) -> None:
        self._begin(edition, status, starts_on, ends_on, paid_months, quotas, features, order_id)

    def renew(self, *, edition: Edition, units: int, order_id: UUID) -> None:
        """Extend the paid period by `units` from its current end (BIL-3)."""
        if self.status != SubscriptionStatus.ACTIVE:
            raise StateConflict(f"a {self.status} subscription cannot be renewed; order anew")
        if edition.code != self.edition:
            raise InvalidValue("a renewal keeps the current edition", field="edition")
        edition.price_for(units)
        months = units * edition.unit.months
        new_end = add_months(self.ends_on, months)
        self._renewed(ends_on=new_end.isoformat(), months=months, order_id=order_id)

    @event("Renewed", topic="tenancy.Subscription.Renewed")
    def _renewed(self, ends_on: str, months: int, order_id: UUID) -> None:
        self.ends_on = date.fromisoformat(ends_on)
        self.paid_months += months
        self.orders.append(order_id)

    def check_upgrade(self, target: Edition, current: Edition, today: date) -> None:
        """Refuse an upgrade that is not to a higher edition of this line while active."""
        if self.status != SubscriptionStatus.ACTIVE or today >= self.ends_on:
            raise StateConflict("only an active subscription can be upgraded")
        if target.product_line != self.product_line:
            raise InvalidValue(
                f"{target.name} belongs to another product line than {current.name}",
                field="edition",
            )
        if not target.is_higher_than(current):
            raise StateConflict(
                f"{target.name} is not a higher edition than {current.name}; "
                "downgrades are not offered"
            )

    def upgrade_to(
        self,
        *,
        target: Edition,
        current: Edition,
        today: date,
        order_id: UUID,
        catalogue: Catalogue,
    ) -> None:
        """Move to a higher edition for the rest of the period (BIL-4)."""
        self.check_upgrade(target, current, today)
        self._upgraded(
            edition=target.code,
            quotas=quotas_for(target, self.add_ons, catalogue),
            features=sorted(target.features),
            order_id=order_id,
        )

    @event("Upgraded", topic="tenancy.Subscription.Upgraded")
    def _upgraded(
        self, edition: str, quotas: dict[str, int | None], features: list[str], order_id: UUID
    ) -> None:
        self.edition = edition
        self.quotas = dict(quotas)
        self.features = list(features)
        self.orders.append(order_id)

    def check_add_on(self, add_on: AddOn, quantity: int) -> None:
        """Refuse an add-on the line does not hold the prerequisite for, or too many."""
        if self.status != SubscriptionStatus.ACTIVE:
            raise StateConflict("add-ons are bought for an active subscription")
        if add_on.product_line != self.product_line:
            raise InvalidValue(f"{add_on.name} is for another product line", field="add_on")
        if add_on.requires and add_on.requires not in self.add_ons:
            raise StateConflict(f"{add_on.name} needs {add_on.requires} first")
        if quantity < 1 or self.add_ons.get(add_on.code, 0) + quantity > add_on.max_quantity:
            raise InvalidValue(
                f"{add_on.name} can be held at most {add_on.max_quantity} times",
                field="quantity",
            )

    def add(
        self,
        *,
        add_on: AddOn,
        quantity: int,
        current: Edition,
        order_id: UUID,
        catalogue: Catalogue,
    ) -> None:
        """Hold `quantity` more of an add-on until the period ends."""
        self.check_add_on(add_on, quantity)
        held = {**self.add_ons, add_on.code: self.add_ons.get(add_on.code, 0) + quantity}
        self._add_on_purchased(
            add_on=add_on.code,
            quantity=quantity,
            quotas=quotas_for(current, held, catalogue),
            order_id=order_id,
        )

    @event("AddOnPurchased", topic="tenancy.Subscription.AddOnPurchased")
    def _add_on_purchased(
        self, add_on: str, quantity: int, quotas: dict[str, int | None], order_id: UUID
    ) -> None:
        self.add_ons[add_on] = self.add_ons.get(add_on, 0) + quantity
        self.quotas = dict(quotas)
        self.orders.append(order_id)

    def extend(self, days: int, reason: str) -> None:
        """Staff give extra days (a goodwill extension), always with a reason."""
        reason = required_text(reason, field="reason", max_length=500)
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise InvalidValue(f"days must be 1 to {MAX_EXTENSION_DAYS}", field="days")
        if self.status == SubscriptionStatus.CANCELLED:
            raise StateConflict("a cancelled subscription cannot be extended")
        status = self.status
        if status == SubscriptionStatus.EXPIRED:
            # A period nobody paid for (paid_months 0) was a trial and resumes as one; as
            # "active" it would refuse a new order and could only be renewed.
            unpaid = self.paid_months == 0
            status = (SubscriptionStatus.TRIAL if unpaid else SubscriptionStatus.ACTIVE).value
        ends_on = (self.ends_on + timedelta(days=days)).isoformat()
        self._extended(ends_on=ends_on, reason=reason, status=status)

    @event("Extended", topic="tenancy.Subscription.Extended")
    def _extended(self, ends_on: str, reason: str, status: str) -> None:
        self.ends_on = date.fromisoformat(ends_on)
        self.status = status

    def is_due_to_expire(self, today: date) -> bool:
        return self.in_service and today >= self.ends_on

    def expire(self, today: date) -> None:
        """End service at the period's end; read access stays, publishing stops."""
        if not self.is_due_to_expire(today):
            raise StateConflict(f"the subscription runs until {self.ends_on.isoformat()}")
        self._expired()

    @event("Expired", topic="tenancy.Subscription.Expired")
    def _expired(self) -> None:
        self.status = SubscriptionStatus.EXPIRED.value

    def cancel(self, *, reason: str, refund_id: UUID) -> None:
        """End the subscription because its payment was refunded (BIL-5)."""
        if self.status == SubscriptionStatus.CANCELLED:
            raise StateConflict("the subscription is already cancelled")
        self._cancelled(
            reason=required_text(reason, field="reason", max_length=500), refund_id=refund_id
        )

    @event("Cancelled", topic="tenancy.Subscription.Cancelled")
    def _cancelled(self, reason: str, refund_id: UUID) -> None:
        self.status = SubscriptionStatus.CANCELLED.value

    # --- questions -------------------------------------------------------------------------

    def limit_of(self, quota: str) -> int | None:
        """The limit of `quota` in the current snapshot (None: unlimited; absent: 0)."""
        return self.quotas.get(quota, 0)
