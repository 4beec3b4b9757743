"""Ports the tenancy use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID


class SecretHasher(Protocol):
    """Slow, salted hashing of API-key and staff-token secrets (argon2 in production)."""

    def hash(self, secret: str) -> str:
        """A self-describing hash of `secret` (algorithm, parameters, salt)."""
        ...

    def verify(self, secret_hash: str, secret: str) -> bool:
        """Whether `secret` matches `secret_hash`."""
        ...


class EmployeeRoster(Protocol):
    """Tells whether an employee currently works for a tenant (the org context knows)."""

    def is_current_employee(self, tenant_id: UUID, employee_id: UUID) -> bool:
        """True for an employee of `tenant_id` who has not left."""
        ...


# --- payments (BIL-2) ----------------------------------------------------------------------


class InvalidNotification(Exception):
    """A payment notification whose signature, certificate or payload does not check out."""


@dataclass(frozen=True)
class PaymentRequest:
    """What the provider needs to collect one order's amount."""

    order_number: str
    description: str
    amount_fen: int
    notify_url: str
    channel: str = "native"  # wechatpay: native | jsapi; alipay: page
    return_url: str | None = None
    payer_openid: str | None = None  # wechatpay jsapi only


@dataclass(frozen=True)
class PaymentInstruction:
    """How the payer pays: a QR code URL, a page to redirect to, or JSAPI parameters."""

    provider: str
    kind: str  # "code_url" | "redirect_url" | "jsapi" | "sandbox"
    value: str | dict[str, str]


@dataclass(frozen=True)
class PaymentNotice:
    """A verified, decrypted payment notification."""

    provider: str
    order_number: str
    transaction_id: str
    amount_fen: int
    succeeded: bool
    status: str  # the provider's own trade state, e.g. SUCCESS, TRADE_SUCCESS


@dataclass(frozen=True)
class RefundRequest:
    order_number: str
    refund_number: str
    transaction_id: str
    refund_fen: int
    total_fen: int
    reason: str
    notify_url: str | None = None


@dataclass(frozen=True)
class RefundResult:
    refund_number: str
    provider_refund_id: str
    status: str  # the provider's own refund state
    accepted: bool


class PaymentGateway(Protocol):
    """One payment provider (sandbox, WeChat Pay v3, Alipay)."""

    provider: str

    def start(self, request: PaymentRequest) -> PaymentInstruction:
        """Create the provider-side order and say how the payer pays it."""
        ...

    def verify_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentNotice:
        """Check the signature of an inbound notification and decode it.

        Raises `InvalidNotification` for a bad signature or undecodable payload."""
        ...

    def refund(self, request: RefundRequest) -> RefundResult:
        """Ask the provider to refund part or all of a paid order."""
        ...


# --- what billing needs from tenancy, and what it offers every other context --------------


class TenantCalendar(Protocol):
    """The timezone a tenant's calendar rules use (quota months, period ends)."""

    def timezone_of(self, tenant_id: UUID) -> str:
        """An IANA timezone name such as Asia/Shanghai."""
        ...


class QuotaService(Protocol):
    """Plan limits (TEN-3), asked by every context whose commands consume a quota.

    Each method raises `QuotaExceeded` (429 `quota_exceeded`, naming quota, limit and
    use) or `SubscriptionInactive` (403: no subscription in service for the product line,
    e.g. expired: reading still works, publishing and sending do not)."""

    def check_quota(self, tenant_id: UUID, quota: str, amount: int = 1) -> None:
        """Refuse unless `amount` more uses fit in the limit."""
        ...

    def consume_quota(self, tenant_id: UUID, quota: str, amount: int, reference: str) -> None:
        """Count `amount` uses (refusing beyond the limit); `reference` names the user."""
        ...

    def release_quota(self, tenant_id: UUID, quota: str, amount: int, reference: str) -> None:
        """Give back uses of a ceiling quota (a campaign unpublished, a seat freed)."""
        ...

    def require_feature(self, tenant_id: UUID, feature: str) -> None:
        """Refuse unless a subscription in service includes `feature`."""
        ...
