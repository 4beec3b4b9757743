"""The sandbox payment provider (embedded default): nothing leaves the machine.

Payments are confirmed by staff (`POST /api/v1/admin/orders/{id}/confirm-payment`) or
the CLI (`huoke payments confirm ORDER`); notifications, for tools that want to
exercise the callback, are JSON signed with HMAC-SHA256 like a real provider's. Every
request is appended to a ledger file so what "happened" can be inspected.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from application.tenancy.ports import (
    InvalidNotification,
    PaymentInstruction,
    PaymentNotice,
    PaymentRequest,
    RefundRequest,
    RefundResult,
)

SIGNATURE_HEADER = "x-sandbox-signature"


class SandboxPayments:
    """A PaymentGateway that records instead of charging."""

    provider = "sandbox"

    def __init__(self, ledger: Path, secret: bytes) -> None:
        self.ledger = ledger
        self._secret = secret
        self._lock = threading.Lock()

    def start(self, request: PaymentRequest) -> PaymentInstruction:
        self._record("payment_started", order=request.order_number, fen=request.amount_fen)
        return PaymentInstruction(
            provider=self.provider,
            kind="sandbox",
            value=f"huoke payments confirm {request.order_number}",
        )

    def sign(self, body: bytes) -> str:
        """The signature a sandbox notification carries (for the CLI and tests)."""
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest()

    def verify_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentNotice:
        given = {key.lower(): value for key, value in headers.items()}.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(given, self.sign(body)):
            raise InvalidNotification("sandbox signature does not match")
        try:
            data = json.loads(body)
            return PaymentNotice(
                provider=self.provider,
                order_number=str(data["order_number"]),
                transaction_id=str(data["transaction_id"]),
                amount_fen=int(data["amount_fen"]),
                succeeded=data.get("status", "SUCCESS") == "SUCCESS",
                status=str(data.get("status", "SUCCESS")),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidNotification(f"sandbox notification is malformed: {error}") from None

    def refund(self, request: RefundRequest) -> RefundResult:
        self._record(
            "refunded",
            order=request.order_number,
            refund=request.refund_number,
            fen=request.refund_fen,
        )
        return RefundResult(
            refund_number=request.refund_number,
            provider_refund_id=f"SANDBOX-{request.refund_number}",
            status="SUCCESS",
            accepted=True,
        )

    def _record(self, what: str, **details: Any) -> None:
        entry = {"at": datetime.now(UTC).isoformat(), "what": what, **details}
        with self._lock:
            self.ledger.parent.mkdir(parents=True, exist_ok=True)
            with self.ledger.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
