"""Alipay (open platform, RSA2 keys) on `python-alipay-sdk`: computer-website page pay,
asynchronous notifications and refunds.

Alipay speaks yuan as decimal strings ("583.33"); the port speaks whole fen. Conversions go
through Decimal both ways so that no amount ever passes through a float.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from alipay import AliPay, AliPayConfig

from application.tenancy.ports import (
    InvalidNotification,
    PaymentInstruction,
    PaymentNotice,
    PaymentRequest,
    RefundRequest,
    RefundResult,
)

PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
SANDBOX_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
SIGN_TYPE = "RSA2"  # SHA256withRSA; the older "RSA" (SHA1) is not offered
PAID_STATES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
# Alipay's gateway checks `timestamp` against its own clock, which is Beijing time; the SDK
# stamps the server's local time, which is 8 hours off on a UTC server.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
YUAN = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]{1,2})?")
OK = "10000"
BUSINESS_FAILURE = "40004"  # the call was fine but Alipay refuses it (sub_code says why)


class AlipayError(RuntimeError):
    """Alipay was unreachable, rejected a call, or answered something we cannot trust."""

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.code = code  # Alipay's sub_code or code, when it gave one


class AlipayGateway:
    """The PaymentGateway for Alipay: page pay redirects, notifications and refunds."""

    provider = "alipay"

    def __init__(
        self,
        *,
        app_id: str,
        app_private_key: str,
        alipay_public_key: str,
        notify_url: str,
        gateway_url: str = PRODUCTION_GATEWAY,
        timeout: float = 15.0,
        clock: Callable[[], datetime] = lambda: datetime.now(BEIJING),
    ) -> None:
        """Keys are PEM or the bare base64 that Alipay's console shows; `gateway_url` is the
        full gateway address (SANDBOX_GATEWAY, or a local server in tests)."""
        self._app_id = app_id
        self._notify_url = notify_url
        self._gateway_url = gateway_url
        self._clock = clock
        try:
            self._sdk = AliPay(
                appid=app_id,
                app_notify_url=None,  # each page pay passes its own
                app_private_key_string=_pem(app_private_key, "PRIVATE KEY"),
                alipay_public_key_string=_pem(alipay_public_key, "PUBLIC KEY"),
                sign_type=SIGN_TYPE,
                config=AliPayConfig(timeout=timeout),
            )
        except Exception as exc:  # pycryptodome's ValueError/IndexError for unreadable keys
            raise AlipayError(f"Alipay keys are not usable: {exc}") from exc
        # The SDK has no gateway option besides debug=True (its fixed sandbox URL): it keeps
        # the URL in `_gateway` and appends the signed query to it. Setting that one attribute
        # is all a subclass would do. Check it is still there so that an SDK upgrade that
        # renames it fails here rather than by calling production.
        if not isinstance(getattr(self._sdk, "_gateway", None), str):
            raise RuntimeError("python-alipay-sdk no longer has AliPay._gateway")
        self._sdk._gateway = gateway_url

    # --- paying --------------------------------------------------------------------------

    def start(self, request: PaymentRequest) -> PaymentInstruction:
        """The gateway URL with a signed alipay.trade.page.pay query; the payer's browser is
        redirected there (channel "page")."""
        if request.channel != "page":
            raise ValueError(f"Alipay has no channel {request.channel!r} (page)")
        if request.amount_fen <= 0:
            raise ValueError("the amount to collect must be positive")
        body = self._sdk.build_body(
            "alipay.trade.page.pay",
            {
                "subject": request.description,
                "out_trade_no": request.order_number,
                "total_amount": fen_to_yuan(request.amount_fen),
                "product_code": "FAST_INSTANT_TRADE_PAY",
            },
            return_url=request.return_url,
            notify_url=request.notify_url or self._notify_url,
            timestamp=self._timestamp(),
        )
        query = self._sdk.sign_data(body)
        return PaymentInstruction(self.provider, "redirect_url", f"{self._gateway_url}?{query}")

    # --- notifications -------------------------------------------------------------------

    def verify_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentNotice:
        """Check the `sign` of a form-encoded asynchronous notification with the Alipay public
        key (every other field but sign_type, sorted, is what Alipay signed) and decode it."""
        fields = _form_fields(body)
        signature = fields.pop("sign", "")
        if not signature:
            raise InvalidNotification("the notification is not signed")
        try:
            # verify() pops sign_type (and refuses one that is not ours), so give it a copy.
            valid = self._sdk.verify(dict(fields), signature)
        except Exception as exc:  # bad base64 in sign, another sign_type
            raise InvalidNotification(f"unverifiable Alipay notification: {exc}") from exc
        if not valid:
            raise InvalidNotification("the signature does not verify with the Alipay public key")
        # A valid signature proves Alipay sent it, not that it is about our app.
        if fields.get("app_id") != self._app_id:
            raise InvalidNotification("the notification is for another Alipay app")
        try:
            state = fields["trade_status"]
            return PaymentNotice(
                provider=self.provider,
                order_number=fields["out_trade_no"],
                transaction_id=fields["trade_no"],
                amount_fen=yuan_to_fen(fields["total_amount"]),
                succeeded=state in PAID_STATES,
                status=state,
            )
        except KeyError as exc:
            raise InvalidNotification(f"the notification lacks {exc}") from exc
        except ValueError as exc:
            raise InvalidNotification(str(exc)) from exc

    # --- refunds -------------------------------------------------------------------------

    def refund(self, request: RefundRequest) -> RefundResult:
        """Ask for a refund (alipay.trade.refund, `refund_amount` in yuan).

        `out_request_no` is our refund number, so that a retried call refunds once. Alipay has
        no refund id of its own: `provider_refund_id` is the trade number. Status is
        REFUND_SUCCESS when Alipay reports the money moved (fund_change Y), REFUND_UNCONFIRMED
        when it accepted without moving money yet (ask alipay.trade.fastpay.refund.query), or
        the sub_code of a business refusal (accepted False). Anything else raises."""
        biz_content = {
            "refund_amount": fen_to_yuan(request.refund_fen),
            "out_request_no": request.refund_number,
        }
        if request.reason:
            biz_content["refund_reason"] = request.reason
        if request.transaction_id:
            biz_content["trade_no"] = request.transaction_id
        else:
            biz_content["out_trade_no"] = request.order_number
        body = self._sdk.build_body("alipay.trade.refund", biz_content, timestamp=self._timestamp())
        answer = self._call("refund", body, "alipay_trade_refund_response")
        code = str(answer.get("code", ""))
        if code == BUSINESS_FAILURE:
            return RefundResult(request.refund_number, "", _sub_code(answer), accepted=False)
        if code != OK:
            raise AlipayError(f"Alipay refused the refund: {answer}", code=_sub_code(answer))
        return RefundResult(
            refund_number=request.refund_number,
            provider_refund_id=str(answer.get("trade_no", "")),
            status="REFUND_SUCCESS" if answer.get("fund_change") == "Y" else "REFUND_UNCONFIRMED",
            accepted=True,
        )

    # --- talking to the SDK --------------------------------------------------------------

    def _call(self, action: str, body: dict[str, Any], response_type: str) -> dict[str, Any]:
        """One gateway call; the SDK checks the answer's `sign` with the Alipay public key."""
        try:
            answer = self._sdk.verified_sync_response(body, response_type)
        except Exception as exc:
            # The SDK raises AliPayValidationError (bad sign), AliPayException (unsigned or
            # error_response), urllib's URLError/HTTPError, or JSON errors: one error for all.
            reason = str(exc) or type(exc).__name__
            raise AlipayError(f"Alipay: could not {action}: {reason}") from exc
        if not isinstance(answer, dict):
            raise AlipayError(f"Alipay: could not {action}: unexpected answer {answer!r}")
        return answer

    def _timestamp(self) -> str:
        return self._clock().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def fen_to_yuan(fen: int) -> str:
    """58333 -> "583.33": Alipay's two-decimal yuan string."""
    if isinstance(fen, bool) or not isinstance(fen, int) or fen < 0:
        raise ValueError(f"not a whole, non-negative number of fen: {fen!r}")
    return str(Decimal(fen).scaleb(-2).quantize(Decimal("0.01")))


def yuan_to_fen(yuan: str) -> int:
    """ "583.33" -> 58333, exactly; refuses anything that is not a plain amount of at most two
    decimals (no exponent, sign, or third decimal that would need rounding)."""
    if not YUAN.fullmatch(yuan):
        raise ValueError(f"not an amount in yuan: {yuan!r}")
    return int(Decimal(yuan).scaleb(2))


def _form_fields(body: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=True,
            encoding="utf-8",
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidNotification(f"not a form-encoded notification: {exc}") from exc
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a repeated field could mean two different things
        raise InvalidNotification("a field appears twice")
    return fields


def _sub_code(answer: Mapping[str, Any]) -> str:
    return str(answer.get("sub_code") or answer.get("code") or "UNKNOWN")


def _pem(key: str, label: str) -> str:
    """PEM as is; bare base64 (what Alipay's key tool and console show) wrapped as PEM.
    pycryptodome reads PKCS#1 and PKCS#8 alike whatever the label says."""
    key = key.strip()
    if key.startswith("-----BEGIN"):
        return key
    body = "".join(key.split())
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----\n"
