"""The billing application: orders, payments, subscriptions, refunds and quotas
(TEN-2, TEN-3, BIL-1…5). Back-office staff and tenants act on it; every other context
asks it whether a quota allows a command."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate

from application.shared.clock import Clock
from application.shared.errors import (
    InvalidInput,
    NotFound,
    ProviderUnavailable,
    Unauthenticated,
    VersionConflict,
)
from application.shared.event_sourced import EventSourcedContext, Infrastructure
from application.tenancy.billing_commands import (
    ApproveRefund,
    CatalogueDetails,
    ExtendSubscription,
    OrderDetails,
    PaymentDetails,
    PayOrder,
    PlaceOrder,
    RefundDetails,
    RequestRefund,
    SubscriptionDetails,
    catalogue_details,
    order_details,
    refund_details,
    subscription_details,
)
from application.tenancy.ports import (
    InvalidNotification,
    PaymentGateway,
    PaymentNotice,
    PaymentRequest,
    RefundRequest,
    TenantCalendar,
)
from application.tenancy.quotas import PlanQuotas
from domain.shared.errors import DomainError, InvalidValue, StateConflict
from domain.tenancy.incident import SecurityIncident
from domain.tenancy.order import AmountMismatch, Order, OrderKind
from domain.tenancy.plans import Catalogue
from domain.tenancy.pricing import add_on_lines, edition_lines, refund_proposal, upgrade_lines
from domain.tenancy.refund import Refund, RefundStatus
from domain.tenancy.subscription import Subscription, SubscriptionInactive
from domain.tenancy.usage import QuotaUsage

log = logging.getLogger("huoke.billing")
CONFLICT_RETRIES = 5


class Billing(EventSourcedContext):
    """Sells editions and add-ons, opens and ends subscriptions, refunds, and keeps
    quota usage."""

    name = "billing"
    # A quota ledger takes an event per use (every lead, every send): load it from a
    # snapshot and the events after it (ADR 0009).
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {QuotaUsage: 100}

    def __init__(
        self,
        infrastructure: Infrastructure,
        *,
        catalogue: Catalogue,
        clock: Clock,
        calendar: TenantCalendar,
        gateways: Mapping[str, PaymentGateway],
        public_url: str = "http://127.0.0.1:8000",
    ) -> None:
        super().__init__(infrastructure)
        self.catalogue = catalogue
        self.clock = clock
        self.calendar = calendar
        self.gateways = dict(gateways)
        self.public_url = public_url.rstrip("/")
        self.quotas = PlanQuotas(self)

    # --- catalogue ---------------------------------------------------------------------

    def plans(self) -> CatalogueDetails:
        """The catalogue in force: every edition and add-on with prices and quotas."""
        return catalogue_details(self.catalogue)

    # --- subscriptions -------------------------------------------------------------------

    def subscriptions(self, tenant_id: UUID) -> list[SubscriptionDetails]:
        """The tenant's subscription on each product line it ever used, with usage."""
        found = []
        for line in sorted({e.product_line.value for e in self.catalogue.editions.values()}):
            subscription = self.subscription_of(tenant_id, line)
            if subscription is not None:
                found.append(self._details(subscription))
        return found

    def subscription(self, subscription_id: UUID, *, tenant_id: UUID | None) -> SubscriptionDetails:
        return self._details(self.load(subscription_id, Subscription, tenant_id=tenant_id))

    def start_trial(self, tenant_id: UUID, edition_code: str) -> SubscriptionDetails:
        """Try an edition once per product line; editions that forbid trials refuse."""
        edition = self.catalogue.edition(edition_code)
        if self.subscription_of(tenant_id, edition.product_line.value) is not None:
            raise StateConflict(f"{edition.product_line.value} was already tried or subscribed")
        subscription = Subscription.start_trial(
            tenant_id=tenant_id,
            edition=edition,
            today=self.today(tenant_id),
            catalogue=self.catalogue,
        )
        try:
            self.commit(subscription)
        except VersionConflict:
            raise StateConflict(f"{edition.product_line.value} was just started") from None
        return self._details(subscription)

    def extend_subscription(
        self, subscription_id: UUID, command: ExtendSubscription, *, expected_version: int | None
    ) -> SubscriptionDetails:
        """Staff add days to a period, with a reason (manual extension)."""
        subscription = self.load(
            subscription_id, Subscription, tenant_id=None, expected_version=expected_version
        )
        subscription.extend(command.days, command.reason)
        self.commit(subscription)
        return self._details(subscription)

    # --- orders --------------------------------------------------------------------------

    def place_order(self, tenant_id: UUID, command: PlaceOrder) -> OrderDetails:
        """Price an order from the catalogue in force and the tenant's subscription."""
        today = self.today(tenant_id)
        kind = OrderKind(command.kind)
        if kind is OrderKind.ADD_ON:
            if command.add_on is None:
                raise InvalidInput("an add-on order names the add-on", field="add_on")
            add_on = self.catalogue.add_on(command.add_on)
            subscription = self._in_service(tenant_id, add_on.product_line.value)
            lines = add_on_lines(subscription, add_on, command.quantity, today)
            line, target, units = add_on.product_line.value, add_on.code, command.quantity
        else:
            if command.edition is None:
                raise InvalidInput(f"a {kind.value} order names the edition", field="edition")
            edition = self.catalogue.edition(command.edition)
            line, target, units = edition.product_line.value, edition.code, command.units
            current = self.subscription_of(tenant_id, line)
            if kind is OrderKind.NEW:
                if current is not None and current.status == "active":
                    raise StateConflict(f"{line} is already subscribed: renew or upgrade it")
                lines = edition_lines(edition, units)
            elif kind is OrderKind.RENEW:
                subscription = self._in_service(tenant_id, line)
                if subscription.edition != edition.code:
                    raise InvalidValue("a renewal keeps the current edition", field="edition")
                lines = edition_lines(edition, units, renewal=True)
            else:
                subscription = self._upgradable(tenant_id, line)
                held = self.catalogue.edition(subscription.edition)
                lines = upgrade_lines(subscription, held, edition, today)
        number = "HK" + str(self.new_id("order").int)[:18]
        order = Order.place(
            tenant_id=tenant_id,
            number=number,
            kind=kind,
            product_line=line,
            target=target,
            units=units,
            lines=lines,
            catalogue_version=self.catalogue.version,
        )
        return order_details(self.create(order))

    def order(self, order_id: UUID, *, tenant_id: UUID | None) -> OrderDetails:
        return order_details(self.load(order_id, Order, tenant_id=tenant_id))

    def cancel_order(self, tenant_id: UUID | None, order_id: UUID, reason: str) -> OrderDetails:
        order = self.load(order_id, Order, tenant_id=tenant_id)
        order.cancel(reason)
        self.commit(order)
        return order_details(order)

    def pay_order(self, tenant_id: UUID, order_id: UUID, command: PayOrder) -> PaymentDetails:
        """Open the payment with a provider; the order is paid when it notifies us."""
        gateway = self.gateways.get(command.provider)
        if gateway is None:
            raise InvalidInput(
                f"payment provider {command.provider} is not set up", field="provider"
            )
        order = self.load(order_id, Order, tenant_id=tenant_id)
        order.start_payment(command.provider)
        try:
            instruction = gateway.start(
                PaymentRequest(
                    order_number=order.number,
                    description=str(order.lines[0]["name"])[:120],
                    amount_fen=order.amount_fen,
                    notify_url=f"{self.public_url}/callbacks/payments/{command.provider}",
                    channel=command.channel,
                    return_url=command.return_url,
                    payer_openid=command.payer_openid,
                )
            )
        except ValueError as refusal:  # a channel the provider lacks, JSAPI without openid
            raise InvalidInput(str(refusal), field="channel") from None
        except Exception as error:  # the provider is down or answered nonsense
            log.warning("%s could not start paying %s: %s", command.provider, order.number, error)
            raise ProviderUnavailable(f"{command.provider} is unavailable; retry") from None
        self.commit(order)
        return PaymentDetails(
            order=order_details(order),
            provider=instruction.provider,
            kind=instruction.kind,
            value=instruction.value,
        )

    # --- payments ------------------------------------------------------------------------

    def accept_notification(
        self, provider: str, headers: Mapping[str, str], body: bytes
    ) -> OrderDetails | None:
        """Verify and apply a provider's payment notification (idempotent).

        A bad signature is recorded as a security incident and refused (`Unauthenticated`).
        A notification for another amount is recorded and refused, activating nothing.
        """
        gateway = self.gateways.get(provider)
        if gateway is None:
            raise NotFound(f"no payment provider {provider}")
        try:
            notice = gateway.verify_notification(headers, body)
        except InvalidNotification as error:
            self._record_incident("payment_notification_forged", provider, str(error))
            raise Unauthenticated(f"{provider} notification failed verification") from None
        if not notice.succeeded:
            return None  # e.g. a closed or pending trade: nothing to do
        return self.confirm_payment(notice)

    def confirm_payment(self, notice: PaymentNotice) -> OrderDetails:
        """Mark the order paid and open the service it bought, in one transaction.

        Repeats change nothing. Concurrent repeats conflict and are retried, then find
        the payment already recorded."""
        for _ in range(CONFLICT_RETRIES):
            try:
                return self._confirm_payment(notice)
            except VersionConflict:
                continue
        raise VersionConflict(f"order {notice.order_number} is busy; the provider will retry")

    def _confirm_payment(self, notice: PaymentNotice) -> OrderDetails:
        order = self.load(Order.create_id(notice.order_number), Order, tenant_id=None)
        try:
            if not order.record_payment(
                provider=notice.provider,
                transaction_id=notice.transaction_id,
                amount_fen=notice.amount_fen,
            ):
                return order_details(order)  # already recorded: a duplicate
        except AmountMismatch as mismatch:
            self._record_incident("payment_amount_mismatch", notice.provider, mismatch.message)
            raise
        changed = self._deliver(order)
        self.commit(order, *changed)
        return order_details(order)

    def confirm_sandbox_payment(self, order_id: UUID) -> OrderDetails:
        """Staff or the CLI confirm a sandbox order as paid (embedded default)."""
        if "sandbox" not in self.gateways:
            raise InvalidInput("the sandbox payment provider is not enabled", field="provider")
        order = self.load(order_id, Order, tenant_id=None)
        if order.provider not in (None, "sandbox"):
            raise StateConflict(f"order {order.number} is being paid with {order.provider}")
        return self.confirm_payment(
            PaymentNotice(
                provider="sandbox",
                order_number=order.number,
                transaction_id=f"SANDBOX-{order.number}",
                amount_fen=order.amount_fen,
                succeeded=True,
                status="SUCCESS",
            )
        )

    def _deliver(self, order: Order) -> list[Aggregate]:
        """Open, renew, upgrade or extend the subscription an order paid for.

        When the subscription changed meanwhile (e.g. it expired before an upgrade was
        paid), the payment is still recorded and the order waits, paid, for staff."""
        today = self.today(order.tenant_id)
        covers_from = today  # what the order pays for starts today, a renewal's at the end
        subscription = self.subscription_of(order.tenant_id, order.product_line)
        try:
            if order.kind == OrderKind.ADD_ON:
                subscription = self._required(subscription, order.product_line)
                subscription.add(
                    add_on=self.catalogue.add_on(order.target),
                    quantity=order.units,
                    current=self.catalogue.edition(subscription.edition),
                    order_id=order.id,
                    catalogue=self.catalogue,
                )
            else:
                edition = self.catalogue.edition(order.target)
                if order.kind == OrderKind.UPGRADE:
                    subscription = self._required(subscription, order.product_line)
                    held = self.catalogue.edition(subscription.edition)
                    # priced for the period as it was: a renewal paid meanwhile must not
                    # carry the higher edition into months nobody paid the difference for
                    due = upgrade_lines(subscription, held, edition, today)[0]["amount_fen"]
                    if int(due) > order.paid_fen:
                        raise StateConflict(f"the period changed since {order.number} was priced")
                    subscription.upgrade_to(
                        target=edition,
                        current=self.catalogue.edition(subscription.edition),
                        today=today,
                        order_id=order.id,
                        catalogue=self.catalogue,
                    )
                elif order.kind == OrderKind.RENEW:
                    subscription = self._required(subscription, order.product_line)
                    covers_from = subscription.ends_on  # contiguous with the current period
                    subscription.renew(edition=edition, units=order.units, order_id=order.id)
                elif subscription is None:
                    subscription = Subscription.start(
                        tenant_id=order.tenant_id,
                        edition=edition,
                        units=order.units,
                        today=today,
                        order_id=order.id,
                        catalogue=self.catalogue,
                    )
                else:
                    subscription.restart(
                        edition=edition,
                        units=order.units,
                        today=today,
                        order_id=order.id,
                        catalogue=self.catalogue,
                    )
        except DomainError as refusal:
            log.warning("order %s paid but not delivered: %s", order.number, refusal.message)
            if subscription is not None:
                subscription.collect_events()  # nothing half-applied is saved
            return []
        order.deliver(
            subscription_id=subscription.id,
            covers_from=covers_from.isoformat(),
            covers_until=subscription.ends_on.isoformat(),
        )
        return [subscription]

    # --- refunds -------------------------------------------------------------------------

    def request_refund(self, tenant_id: UUID, command: RequestRefund) -> RefundDetails:
        """Open a refund ticket with a reason; it proposes the unused days' worth."""
        order = self.load(command.order_id, Order, tenant_id=tenant_id)
        refund_id = self.new_id("refund")
        order.open_refund(refund_id)
        refund = Refund.request(
            refund_id=refund_id,
            tenant_id=tenant_id,
            order_id=order.id,
            order_number=order.number,
            reason=command.reason,
            proposed_fen=refund_proposal(order, self.today(tenant_id)),
            refundable_fen=order.refundable_fen,
        )
        return refund_details(self.create(refund, order))

    def refund(self, refund_id: UUID, *, tenant_id: UUID | None) -> RefundDetails:
        return refund_details(self.load(refund_id, Refund, tenant_id=tenant_id))

    def approve_refund(
        self, refund_id: UUID, command: ApproveRefund, *, expected_version: int | None
    ) -> RefundDetails:
        """Staff approve (the proposal, or another amount with a reason); the refund is
        then sent through the payment provider."""
        refund = self.load(refund_id, Refund, tenant_id=None, expected_version=expected_version)
        refund.approve(amount_fen=command.amount_fen, override_reason=command.override_reason)
        self.commit(refund)
        return refund_details(self._dispatch(refund))

    def reject_refund(
        self, refund_id: UUID, reason: str, *, expected_version: int | None
    ) -> RefundDetails:
        """Staff reject: the order is back to delivered and the service goes on."""
        refund = self.load(refund_id, Refund, tenant_id=None, expected_version=expected_version)
        order = self.load(refund.order_id, Order, tenant_id=None)
        refund.reject(reason)
        order.close_refund(refund.id, 0)
        self.commit(refund, order)
        return refund_details(refund)

    def retry_refund(self, refund_id: UUID) -> RefundDetails:
        """Send a failed refund to the provider again (same refund number)."""
        refund = self.load(refund_id, Refund, tenant_id=None)
        refund.retry()
        self.commit(refund)
        return refund_details(self._dispatch(refund))

    def dispatch_approved_refunds(self, refund_ids: list[UUID]) -> int:
        """Send approved refunds that a crash left unsent (the scheduler finds them)."""
        sent = 0
        for refund_id in refund_ids:
            refund = self.load(refund_id, Refund, tenant_id=None)
            if refund.status == RefundStatus.APPROVED:
                self._dispatch(refund)
                sent += 1
        return sent

    def _dispatch(self, refund: Refund) -> Refund:
        order = self.load(refund.order_id, Order, tenant_id=None)
        gateway = self.gateways.get(order.provider or "")
        assert refund.amount_fen is not None
        try:
            if gateway is None:
                raise RuntimeError(f"payment provider {order.provider} is not set up")
            result = gateway.refund(
                RefundRequest(
                    order_number=order.number,
                    refund_number=refund.refund_number,
                    transaction_id=order.transaction_id or "",
                    refund_fen=refund.amount_fen,
                    total_fen=order.paid_fen,
                    reason=refund.reason,
                )
            )
            if not result.accepted:
                raise RuntimeError(f"{order.provider} refused the refund: {result.status}")
        except Exception as error:  # the provider said no or was unreachable: staff retry
            log.warning("refund %s failed: %s", refund.refund_number, error)
            refund.fail(str(error))
            self.commit(refund)
            return refund
        refund.complete(result.provider_refund_id)
        order.close_refund(refund.id, refund.amount_fen)
        changed: list[Aggregate] = [refund, order]
        subscription = self.subscription_of(order.tenant_id, order.product_line)
        if subscription is not None and subscription.status != "cancelled":
            subscription.cancel(reason=refund.reason, refund_id=refund.id)
            changed.append(subscription)
        self.commit(*changed)
        return refund

    # --- expiry --------------------------------------------------------------------------

    def expire_due(self, subscription_ids: list[UUID]) -> int:
        """Expire those of `subscription_ids` whose period has ended in their tenant's
        calendar; safe to repeat (the scheduler calls it with candidates)."""
        expired = 0
        for subscription_id in subscription_ids:
            subscription = self.load(subscription_id, Subscription, tenant_id=None)
            if subscription.is_due_to_expire(self.today(subscription.tenant_id)):
                subscription.expire(self.today(subscription.tenant_id))
                try:
                    self.commit(subscription)
                    expired += 1
                except VersionConflict:
                    continue  # renewed meanwhile: the next round looks again
        return expired

    # --- helpers -------------------------------------------------------------------------

    def today(self, tenant_id: UUID) -> date:
        """The date in the tenant's timezone (periods and quota months follow it)."""
        zone = ZoneInfo(self.calendar.timezone_of(tenant_id))
        return self.clock.now().astimezone(zone).date()

    def subscription_of(self, tenant_id: UUID, product_line: str) -> Subscription | None:
        """The tenant's subscription on a product line, if it ever had one."""
        subscription_id = Subscription.create_id(tenant_id, product_line)
        if subscription_id not in self.repository:
            return None
        return self.load(subscription_id, Subscription, tenant_id=tenant_id)

    def _in_service(self, tenant_id: UUID, product_line: str) -> Subscription:
        subscription = self.subscription_of(tenant_id, product_line)
        if subscription is None or not subscription.in_service:
            raise SubscriptionInactive(f"no {product_line} subscription is in service")
        return subscription

    def _upgradable(self, tenant_id: UUID, product_line: str) -> Subscription:
        subscription = self.subscription_of(tenant_id, product_line)
        if subscription is None:
            raise InvalidValue(
                f"there is no {product_line} subscription to upgrade; upgrades stay within "
                "the product line of the subscription",
                field="edition",
            )
        if subscription.status != "active":
            raise StateConflict("only an active subscription can be upgraded")
        return subscription

    @staticmethod
    def _required(subscription: Subscription | None, product_line: str) -> Subscription:
        if subscription is None:
            raise SubscriptionInactive(f"no {product_line} subscription to change")
        return subscription

    def _record_incident(self, kind: str, source: str, detail: str) -> None:
        incident = SecurityIncident(
            id=self.new_id("incident"), kind=kind, source=source, detail=detail
        )
        with contextlib.suppress(VersionConflict):  # an Idempotency-Key repeat: recorded
            self.commit(incident)

    def _details(self, subscription: Subscription) -> SubscriptionDetails:
        return subscription_details(subscription, self.quotas.usage(subscription))
