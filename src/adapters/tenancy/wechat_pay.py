"""WeChat Pay API v3 (direct merchant) on the `wechatpayv3` SDK: Native and JSAPI pay,
payment notifications and refunds.

The platform's signatures are checked with the "WeChat Pay public key" (微信支付公钥) and
its id, so no platform certificate is ever downloaded.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from wechatpayv3 import WeChatPay, WeChatPayType

from application.tenancy.ports import (
    InvalidNotification,
    PaymentInstruction,
    PaymentNotice,
    PaymentRequest,
    RefundRequest,
    RefundResult,
)

PRODUCTION_BASE_URL = "https://api.mch.weixin.qq.com"
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
# WeChat Pay's own advice: reject notifications whose timestamp is more than 5 minutes off,
# so that a captured notification cannot be replayed later.
MAX_CLOCK_SKEW_SECONDS = 300
# Refund states in which WeChat Pay has taken the refund on (PROCESSING ends in SUCCESS or
# ABNORMAL later); CLOSED and ABNORMAL mean the money did not go back.
ACCEPTED_REFUND_STATES = frozenset({"SUCCESS", "PROCESSING"})
# Statuses with which WeChat Pay refuses this refund for a business reason (NOT_ENOUGH,
# INVALID_REQUEST, RESOURCE_NOT_EXISTS, ...). 401 (our signature) and 429 (rate limit) are
# not about the refund: they raise like 5xx, so that the caller retries or fixes its setup.
REFUND_REFUSAL_STATUSES = frozenset({400, 403, 404})
NOTIFICATION_HEADERS = (
    "Wechatpay-Signature",
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Serial",
    "Wechatpay-Signature-Type",
)


class WeChatPayError(RuntimeError):
    """WeChat Pay was unreachable, refused a call, or answered something we cannot trust."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code  # WeChat Pay's error code, e.g. PARAM_ERROR, SIGN_ERROR


class WeChatPayGateway:
    """The PaymentGateway for WeChat Pay v3: QR codes (Native), JSAPI, notices and refunds."""

    provider = "wechatpay"

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        private_key: str,
        cert_serial_no: str,
        apiv3_key: str,
        notify_url: str,
        public_key: str,
        public_key_id: str,
        base_url: str = PRODUCTION_BASE_URL,
        timeout: tuple[float, float] = (5.0, 15.0),
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`private_key` is the merchant's PKCS#8 PEM (apiclient_key.pem), `cert_serial_no` the
        serial of its certificate; `public_key`/`public_key_id` are the WeChat Pay public key
        and its id (PUB_KEY_ID_...); `timeout` is (connect, read) seconds."""
        if len(apiv3_key.encode()) != 32:
            raise ValueError("the APIv3 key must be 32 bytes (it is an AES-256 key)")
        self._mchid = mchid
        self._appid = appid
        self._notify_url = notify_url
        self._public_key_id = public_key_id
        self._clock = clock
        try:
            self._sdk = WeChatPay(
                wechatpay_type=WeChatPayType.NATIVE,  # the default; each call names its own
                mchid=mchid,
                private_key=private_key,
                cert_serial_no=cert_serial_no,
                appid=appid,
                apiv3_key=apiv3_key,
                # No SDK-wide notify URL: the SDK would also put it on refunds, sending refund
                # notifications to the payment endpoint. Each call passes its own.
                notify_url=None,
                # Without a timeout, requests would wait forever on a stuck connection.
                timeout=timeout,
                public_key=public_key,
                public_key_id=public_key_id,
            )
        except Exception as exc:  # the SDK raises bare Exception for unreadable keys
            raise WeChatPayError(f"WeChat Pay keys are not usable: {exc}") from exc
        self._point_at(base_url)

    def _point_at(self, base_url: str) -> None:
        # The SDK has no base-URL option: its Core joins the fixed attribute `_gate_way` with
        # each API path (self._gate_way + path). Replacing that one attribute is smaller and
        # safer than subclassing Core, which WeChatPay builds internally. Check it is still
        # there so that an SDK upgrade that renames it fails here, not by calling production.
        core = self._sdk._core
        if not isinstance(getattr(core, "_gate_way", None), str):
            raise RuntimeError("wechatpayv3 no longer has Core._gate_way; update base_url")
        core._gate_way = base_url.rstrip("/")

    # --- paying --------------------------------------------------------------------------

    def start(self, request: PaymentRequest) -> PaymentInstruction:
        """Create the WeChat Pay order: a `code_url` for a QR code (channel "native") or the
        signed parameters for WeixinJSBridge / wx.requestPayment (channel "jsapi")."""
        if request.amount_fen <= 0:
            raise ValueError("the amount to collect must be positive")
        if request.channel == "native":
            pay_type, payer = WeChatPayType.NATIVE, None
        elif request.channel == "jsapi":
            if not request.payer_openid:
                raise ValueError("WeChat Pay JSAPI needs the payer's openid")
            pay_type, payer = WeChatPayType.JSAPI, {"openid": request.payer_openid}
        else:
            raise ValueError(f"WeChat Pay has no channel {request.channel!r} (native, jsapi)")
        status, answer = self._send(
            "create the order",
            lambda: self._sdk.pay(
                description=request.description,
                out_trade_no=request.order_number,
                amount={"total": request.amount_fen, "currency": "CNY"},
                payer=payer,
                notify_url=request.notify_url or self._notify_url,
                pay_type=pay_type,
            ),
        )
        self._raise_unless_ok("create the order", status, answer)
        if pay_type is WeChatPayType.NATIVE:
            return PaymentInstruction(self.provider, "code_url", _field(answer, "code_url"))
        return PaymentInstruction(self.provider, "jsapi", self._jsapi(_field(answer, "prepay_id")))

    def _jsapi(self, prepay_id: str) -> dict[str, str]:
        """The parameters the page passes to WeChat, signed with the merchant key over
        "appId\\ntimeStamp\\nnonceStr\\npackage\\n" as WeChat Pay specifies."""
        timestamp = str(int(self._clock()))
        nonce = secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        signature = self._sdk.sign([self._appid, timestamp, nonce, package])
        return {
            "appId": self._appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": signature,
        }

    # --- notifications -------------------------------------------------------------------

    def verify_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentNotice:
        """Check the Wechatpay-* signature headers over the raw body, decrypt the resource
        with the APIv3 key and decode the transaction it describes."""
        signed = _notification_headers(headers)
        # Anything but our public key id would make the SDK download platform certificates
        # (an outbound call an anonymous sender could trigger); we only trust the key.
        if signed["Wechatpay-Serial"] != self._public_key_id:
            raise InvalidNotification(
                f"signed with key {signed['Wechatpay-Serial']!r}, not the WeChat Pay public key"
            )
        self._check_fresh(signed["Wechatpay-Timestamp"])
        try:
            text = body.decode("utf-8")
            event = self._sdk.callback(signed, text)
        except Exception as exc:  # undecodable body, unsupported algorithm (bare Exception)
            raise InvalidNotification(f"unreadable WeChat Pay notification: {exc}") from exc
        if event is None:  # the SDK's answer for a bad signature or an undecryptable resource
            raise InvalidNotification(
                "signature does not verify or the resource does not decrypt with the APIv3 key"
            )
        return self._notice(event)

    def _check_fresh(self, timestamp: str) -> None:
        try:
            skew = abs(self._clock() - int(timestamp))
        except ValueError:
            raise InvalidNotification(f"bad Wechatpay-Timestamp {timestamp!r}") from None
        if skew > MAX_CLOCK_SKEW_SECONDS:
            raise InvalidNotification(f"notification timestamp is {int(skew)} s off")

    def _notice(self, event: dict[str, Any]) -> PaymentNotice:
        event_type = str(event.get("event_type", ""))
        if not event_type.startswith("TRANSACTION."):
            raise InvalidNotification(f"not a payment notification: {event_type or 'no type'}")
        transaction = event.get("resource")
        if not isinstance(transaction, dict):
            raise InvalidNotification("the notification carries no transaction")
        # A valid signature proves WeChat Pay sent it, not that it is about our merchant/app.
        if transaction.get("mchid") != self._mchid or transaction.get("appid") != self._appid:
            raise InvalidNotification("the transaction belongs to another merchant or app")
        try:
            amount = transaction["amount"]["total"]
            state = str(transaction["trade_state"])
            notice = PaymentNotice(
                provider=self.provider,
                order_number=str(transaction["out_trade_no"]),
                transaction_id=str(transaction["transaction_id"]),
                amount_fen=amount,
                succeeded=state == "SUCCESS",
                status=state,
            )
        except (KeyError, TypeError) as exc:
            raise InvalidNotification(f"the transaction lacks {exc}") from exc
        if type(amount) is not int:  # fen are whole numbers; refuse 1.5 or "100"
            raise InvalidNotification(f"amount.total is not a whole number of fen: {amount!r}")
        return notice

    # --- refunds -------------------------------------------------------------------------

    def refund(self, request: RefundRequest) -> RefundResult:
        """Ask for a refund (POST /v3/refund/domestic/refunds, amounts in fen).

        A business refusal (e.g. NOT_ENOUGH) is a result with `accepted=False` and WeChat
        Pay's code as status; transport, signature and server errors raise WeChatPayError."""
        status, answer = self._send(
            "refund",
            lambda: self._sdk.refund(
                out_refund_no=request.refund_number,
                amount={
                    "refund": request.refund_fen,
                    "total": request.total_fen,
                    "currency": "CNY",
                },
                transaction_id=request.transaction_id or None,
                out_trade_no=request.order_number,
                reason=request.reason or None,
                notify_url=request.notify_url,
            ),
        )
        if status in REFUND_REFUSAL_STATUSES and "code" in answer:
            return RefundResult(request.refund_number, "", str(answer["code"]), accepted=False)
        self._raise_unless_ok("refund", status, answer)
        state = _field(answer, "status")
        return RefundResult(
            refund_number=request.refund_number,
            provider_refund_id=_field(answer, "refund_id"),
            status=state,
            accepted=state in ACCEPTED_REFUND_STATES,
        )

    # --- talking to the SDK --------------------------------------------------------------

    def _send(self, action: str, call: Callable[[], tuple[int, Any]]) -> tuple[int, dict[str, Any]]:
        """Run one SDK call; the SDK has already checked the answer's signature (2xx only)."""
        try:
            status, text = call()
        except Exception as exc:  # requests errors, and bare Exception for a bad signature
            raise WeChatPayError(f"WeChat Pay: could not {action}: {exc}") from exc
        try:
            answer = json.loads(text)
        except (TypeError, ValueError) as exc:  # TypeError: non-JSON answers come as bytes
            raise WeChatPayError(
                f"WeChat Pay: could not {action}: HTTP {status}, not JSON", status=status
            ) from exc
        if not isinstance(answer, dict):
            raise WeChatPayError(f"WeChat Pay: could not {action}: unexpected JSON", status=status)
        return status, answer

    @staticmethod
    def _raise_unless_ok(action: str, status: int, answer: dict[str, Any]) -> None:
        if 200 <= status < 300:
            return
        code = str(answer.get("code", "")) or None
        raise WeChatPayError(
            f"WeChat Pay refused to {action}: HTTP {status} {code}: {answer.get('message', '')}",
            status=status,
            code=code,
        )


def _field(answer: Mapping[str, Any], name: str) -> str:
    value = answer.get(name)
    if not isinstance(value, str) or not value:
        raise WeChatPayError(f"WeChat Pay answered without {name}")
    return value


def _notification_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The Wechatpay-* headers under the exact names the SDK looks up, whatever case the web
    framework delivered them in (HTTP header names are case-insensitive)."""
    by_lower_name = {name.lower(): value for name, value in headers.items()}
    found = {name: by_lower_name.get(name.lower(), "") for name in NOTIFICATION_HEADERS}
    missing = [name for name, value in found.items() if not value]
    if missing:
        raise InvalidNotification(f"missing headers: {', '.join(missing)}")
    if found["Wechatpay-Signature-Type"] != SIGNATURE_TYPE:
        raise InvalidNotification(f"unsupported {found['Wechatpay-Signature-Type']!r}")
    return found
