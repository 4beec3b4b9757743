"""Commands and answers of billing: plans, orders, payments, subscriptions, refunds."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command
from domain.tenancy.order import Order
from domain.tenancy.plans import Catalogue
from domain.tenancy.refund import Refund
from domain.tenancy.subscription import Subscription

ProviderName = Literal["sandbox", "wechatpay", "alipay"]


class StartTrial(Command):
    edition: str = Field(min_length=1, max_length=64, examples=["qs_micro_entry"])


class PlaceOrder(Command):
    """`new` and `renew` name an edition and units (months or years, as the edition is
    priced); `upgrade` names the higher edition; `add_on` names an add-on and quantity."""

    kind: Literal["new", "renew", "upgrade", "add_on"]
    edition: str | None = Field(default=None, min_length=1, max_length=64)
    add_on: str | None = Field(default=None, min_length=1, max_length=64)
    units: int = Field(default=1, ge=1, le=120)
    quantity: int = Field(default=1, ge=1, le=100)


class PayOrder(Command):
    provider: ProviderName = "sandbox"
    channel: Literal["native", "jsapi", "page"] = "native"
    payer_openid: str | None = Field(default=None, max_length=128)
    return_url: str | None = Field(default=None, max_length=1000)


class CancelOrder(Command):
    reason: str = Field(min_length=1, max_length=500)


class RequestRefund(Command):
    order_id: UUID
    reason: str = Field(min_length=1, max_length=500)


class ApproveRefund(Command):
    amount_fen: int | None = Field(
        default=None, ge=1, description="omit to approve the prorated proposal"
    )
    override_reason: str | None = Field(default=None, min_length=1, max_length=500)


class RejectRefund(Command):
    reason: str = Field(min_length=1, max_length=500)


class ExtendSubscription(Command):
    days: int = Field(ge=1, le=366)
    reason: str = Field(min_length=1, max_length=500)


class EditionDetails(BaseModel):
    code: str
    product_line: str
    name: str
    price_fen: int
    unit: str
    minimum_units: int
    trial_days: int
    quotas: dict[str, int | None]
    features: list[str]


class AddOnDetails(BaseModel):
    code: str
    product_line: str
    name: str
    price_fen: int
    unit: str = "year"
    grants: dict[str, int | None]
    requires: str | None
    max_quantity: int


class CatalogueDetails(BaseModel):
    version: str
    editions: list[EditionDetails]
    add_ons: list[AddOnDetails]


class QuotaUse(BaseModel):
    quota: str
    limit: int | None = Field(description="null: unlimited")
    used: int
    period: str = Field(description="'YYYY-MM' for monthly quotas, 'current' for ceilings")


class SubscriptionDetails(BaseModel):
    id: UUID
    tenant_id: UUID
    product_line: str
    edition: str
    status: str
    starts_on: date
    ends_on: date
    add_ons: dict[str, int]
    features: list[str]
    usage: list[QuotaUse]
    version: int


class OrderDetails(BaseModel):
    id: UUID
    tenant_id: UUID
    number: str
    kind: str
    product_line: str
    target: str
    units: int
    lines: list[dict[str, str | int]]
    amount_fen: int
    catalogue_version: str
    status: str
    provider: str | None
    transaction_id: str | None
    paid_fen: int
    refunded_fen: int
    covers_from: date | None
    covers_until: date | None
    version: int
    created_at: datetime
    updated_at: datetime


class PaymentDetails(BaseModel):
    order: OrderDetails
    provider: str
    kind: str = Field(description="code_url | redirect_url | jsapi | sandbox")
    value: str | dict[str, str]


class RefundDetails(BaseModel):
    id: UUID
    tenant_id: UUID
    order_id: UUID
    order_number: str
    refund_number: str
    reason: str
    status: str
    proposed_fen: int
    amount_fen: int | None
    refundable_fen: int
    provider_refund_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime


# --- answers from aggregates -------------------------------------------------------------


def subscription_details(subscription: Subscription, usage: list[QuotaUse]) -> SubscriptionDetails:
    return SubscriptionDetails(
        id=subscription.id,
        tenant_id=subscription.tenant_id,
        product_line=subscription.product_line,
        edition=subscription.edition,
        status=subscription.status,
        starts_on=subscription.starts_on,
        ends_on=subscription.ends_on,
        add_ons=dict(subscription.add_ons),
        features=list(subscription.features),
        usage=usage,
        version=subscription.version,
    )


def catalogue_details(catalogue: Catalogue) -> CatalogueDetails:
    return CatalogueDetails(
        version=catalogue.version,
        editions=[
            EditionDetails(
                code=e.code,
                product_line=e.product_line.value,
                name=e.name,
                price_fen=e.price_fen,
                unit=e.unit.value,
                minimum_units=e.minimum_units,
                trial_days=e.trial_days,
                quotas=dict(e.quotas),
                features=sorted(e.features),
            )
            for e in catalogue.editions.values()
        ],
        add_ons=[
            AddOnDetails(
                code=a.code,
                product_line=a.product_line.value,
                name=a.name,
                price_fen=a.price_fen,
                grants=dict(a.grants),
                requires=a.requires,
                max_quantity=a.max_quantity,
            )
            for a in catalogue.add_ons.values()
        ],
    )


def order_details(order: Order) -> OrderDetails:
    return OrderDetails(
        id=order.id,
        tenant_id=order.tenant_id,
        number=order.number,
        kind=order.kind,
        product_line=order.product_line,
        target=order.target,
        units=order.units,
        lines=[dict(line) for line in order.lines],
        amount_fen=order.amount_fen,
        catalogue_version=order.catalogue_version,
        status=order.status,
        provider=order.provider,
        transaction_id=order.transaction_id,
        paid_fen=order.paid_fen,
        refunded_fen=order.refunded_fen,
        covers_from=date.fromisoformat(order.covers_from) if order.covers_from else None,
        covers_until=date.fromisoformat(order.covers_until) if order.covers_until else None,
        version=order.version,
        created_at=order.created_on,
        updated_at=order.modified_on,
    )


def refund_details(refund: Refund) -> RefundDetails:
    return RefundDetails(
        id=refund.id,
        tenant_id=refund.tenant_id,
        order_id=refund.order_id,
        order_number=refund.order_number,
        refund_number=refund.refund_number,
        reason=refund.reason,
        status=refund.status,
        proposed_fen=refund.proposed_fen,
        amount_fen=refund.amount_fen,
        refundable_fen=refund.refundable_fen,
        provider_refund_id=refund.provider_refund_id,
        version=refund.version,
        created_at=refund.created_on,
        updated_at=refund.modified_on,
    )
