"""WeChat Pay v3 adapter against a local server that signs its answers like WeChat Pay, and
notifications built (encrypted and signed) exactly as WeChat Pay sends them."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.tenancy.wechat_pay import WeChatPayError, WeChatPayGateway
from application.tenancy.ports import InvalidNotification, PaymentRequest, RefundRequest
from tests.integration.payment_servers import (
    KeyPair,
    ProviderServer,
    Received,
    Reply,
    key_pair,
    provider_server,
)

MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
MERCHANT_SERIAL = "444F4864EA9B34415CBB6BA6C40A0DAE"
APIV3_KEY = "a12d3924fd499edac8a5efc0c4a1b2c3"
PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092025010100000000001"
NOTIFY_URL = "https://huoke.example.com/pay/wechatpay/notify"
MERCHANT = key_pair("wechat merchant")
PLATFORM = key_pair("wechat pay platform")
STRANGER = key_pair("someone else")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderServer]:
    # requests would send 127.0.0.1 through a proxy configured in the environment.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with provider_server() as running:
        yield running


@pytest.fixture
def gateway(server: ProviderServer) -> WeChatPayGateway:
    return WeChatPayGateway(
        mchid=MCHID,
        appid=APPID,
        private_key=MERCHANT.private_pem,
        cert_serial_no=MERCHANT_SERIAL,
        apiv3_key=APIV3_KEY,
        notify_url=NOTIFY_URL,
        public_key=PLATFORM.public_pem,
        public_key_id=PUBLIC_KEY_ID,
        base_url=server.url,
    )


# --- what WeChat Pay sends -------------------------------------------------------------------


def signed_headers(body: str, key: KeyPair = PLATFORM, timestamp: int | None = None) -> dict:
    """Wechatpay-* headers: SHA256withRSA over "timestamp\\nnonce\\nbody\\n"."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    return {
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": key.sign(f"{stamp}\n{nonce}\n{body}\n"),
        "Wechatpay-Serial": PUBLIC_KEY_ID,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def platform_reply(payload: dict[str, Any], status: int = 200, key: KeyPair = PLATFORM) -> Reply:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Request-ID": "08F78BB5AF0610D1C1F2A20618D4F50A2E9E8C0",
        **signed_headers(body, key),
    }
    return Reply(status, body.encode(), headers)


def transaction(**changes: Any) -> dict[str, Any]:
    """The decrypted resource of a TRANSACTION.SUCCESS notification, as documented."""
    return {
        "mchid": MCHID,
        "appid": APPID,
        "out_trade_no": "HK202611250001",
        "transaction_id": "4200001234202611250123456789",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "CMC",
        "attach": "",
        "success_time": "2026-11-25T10:34:56+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {
            "total": 58333,
            "payer_total": 58333,
            "currency": "CNY",
            "payer_currency": "CNY",
        },
        **changes,
    }


def notification(
    resource: dict[str, Any],
    *,
    apiv3_key: str = APIV3_KEY,
    event_type: str = "TRANSACTION.SUCCESS",
) -> str:
    """The notification body: the resource sealed with AEAD_AES_256_GCM under the APIv3 key."""
    nonce, associated_data = secrets.token_hex(6), "transaction"
    sealed = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), json.dumps(resource).encode(), associated_data.encode()
    )
    return json.dumps(
        {
            "id": "EV-2018022511223320873",
            "create_time": "2026-11-25T10:34:57+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功",
            "resource": {
                "original_type": "transaction",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(sealed).decode(),
                "associated_data": associated_data,
                "nonce": nonce,
            },
        },
        ensure_ascii=False,
    )


# --- what our adapter sends ------------------------------------------------------------------


def verified_authorization(request: Received) -> dict[str, str]:
    """The Authorization header's fields, after checking its signature with the merchant's
    public key over "METHOD\\npath\\ntimestamp\\nnonce\\nbody\\n" as WeChat Pay does."""
    scheme, _, parameters = request.headers["authorization"].partition(" ")
    assert scheme == "WECHATPAY2-SHA256-RSA2048"
    fields = dict(re.findall(r'(\w+)="([^"]*)"', parameters))
    message = (
        "\n".join([request.method, request.path, fields["timestamp"], fields["nonce_str"], ""])
        + request.body.decode()
        + "\n"
    )
    assert MERCHANT.verifies(message, fields["signature"])
    assert not STRANGER.verifies(message, fields["signature"])
    return fields


def order(**changes: Any) -> PaymentRequest:
    values: dict[str, Any] = {
        "order_number": "HK202611250001",
        "description": "获客 专业版 1年",
        "amount_fen": 58333,
        "notify_url": NOTIFY_URL,
    }
    return PaymentRequest(**(values | changes))


# --- paying ----------------------------------------------------------------------------------


def test_native_pay_returns_the_code_url_wechat_pay_signed(
    gateway: WeChatPayGateway, server: ProviderServer
) -> None:
    code_url = "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"
    server.answer = lambda _: platform_reply({"code_url": code_url})

    instruction = gateway.start(order())

    assert (instruction.provider, instruction.kind, instruction.value) == (
        "wechatpay",
        "code_url",
        code_url,
    )
    sent = server.last
    assert (sent.method, sent.path) == ("POST", "/v3/pay/transactions/native")
    authorization = verified_authorization(sent)
    assert (authorization["mchid"], authorization["serial_no"]) == (MCHID, MERCHANT_SERIAL)
    assert sent.headers["wechatpay-serial"] == PUBLIC_KEY_ID
    assert json.loads(sent.body) == {
        "appid": APPID,
        "mchid": MCHID,
        "description": "获客 专业版 1年",
        "out_trade_no": "HK202611250001",
        "notify_url": NOTIFY_URL,
        "amount": {"total": 58333, "currency": "CNY"},
    }


def test_jsapi_pay_returns_parameters_signed_for_the_page(
    gateway: WeChatPayGateway, server: ProviderServer
) -> None:
    server.answer = lambda _: platform_reply({"prepay_id": "wx201410272009395522657a690389"})

    instruction = gateway.start(order(channel="jsapi", payer_openid="oUpF8uMuAJO_M2pxb1Q9zNjW"))

    assert instruction.kind == "jsapi"
    parameters = instruction.value
    assert isinstance(parameters, dict)
    assert parameters["appId"] == APPID
    assert parameters["package"] == "prepay_id=wx201410272009395522657a690389"
    assert parameters["signType"] == "RSA"
    signed = "".join(
        f"{parameters[name]}\n" for name in ("appId", "timeStamp", "nonceStr", "package")
    )
    assert MERCHANT.verifies(signed, parameters["paySign"])
    assert server.last.path == "/v3/pay/transactions/jsapi"
    assert json.loads(server.last.body)["payer"] == {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjW"}
    verified_authorization(server.last)


def test_jsapi_without_an_openid_is_refused_before_calling_wechat_pay(
    gateway: WeChatPayGateway, server: ProviderServer
) -> None:
    with pytest.raises(ValueError, match="openid"):
        gateway.start(order(channel="jsapi"))
    assert server.received == []


def test_an_answer_not_signed_with_the_wechat_pay_key_is_not_trusted(
    gateway: WeChatPayGateway, server: ProviderServer
) -> None:
    server.answer = lambda _: platform_reply({"code_url": "weixin://evil"}, key=STRANGER)

    with pytest.raises(WeChatPayError, match="signature"):
        gateway.start(order())


def test_an_error_answer_raises_with_wechat_pays_code(
    gateway: WeChatPayGateway, server: ProviderServer
) -> None:
    server.answer = lambda _: platform_reply(
        {"code": "ORDER_CLOSED", "message": "当前订单已关闭，请重新下单"}, status=400
    )

    with pytest.raises(WeChatPayError, match="ORDER_CLOSED") as raised:
        gateway.start(order())
    assert (raised.value.status, raised.value.code) == (400, "ORDER_CLOSED")


def test_an_unreachable_wechat_pay_raises_a_clear_error(server: ProviderServer) -> None:
    with provider_server() as gone:
        url = gone.url  # a port on which nobody listens once the block ends
    gateway = WeChatPayGateway(
        mchid=MCHID,
        appid=APPID,
        private_key=MERCHANT.private_pem,
        cert_serial_no=MERCHANT_SERIAL,
        apiv3_key=APIV3_KEY,
        notify_url=NOTIFY_URL,
        public_key=PLATFORM.public_pem,
        public_key_id=PUBLIC_KEY_ID,
        base_url=url,
    )
    with pytest.raises(WeChatPayError, match="could not create the order"):
        gateway.start(order())


# --- notifications ---------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", [str, str.lower], ids=["as-sent", "lower-case"])
def test_a_payment_notification_is_verified_and_decrypted(
    gateway: WeChatPayGateway, spelling: Any
) -> None:
    body = notification(transaction())
    headers = {spelling(name): value for name, value in signed_headers(body).items()}

    notice = gateway.verify_notification(headers, body.encode())

    assert notice.provider == "wechatpay"
    assert notice.order_number == "HK202611250001"
    assert notice.transaction_id == "4200001234202611250123456789"
    assert notice.amount_fen == 58333
    assert (notice.succeeded, notice.status) == (True, "SUCCESS")


def test_a_transaction_that_is_not_paid_is_not_a_success(gateway: WeChatPayGateway) -> None:
    body = notification(transaction(trade_state="PAYERROR"))

    notice = gateway.verify_notification(signed_headers(body), body.encode())

    assert (notice.succeeded, notice.status) == (False, "PAYERROR")


def test_a_tampered_body_is_rejected(gateway: WeChatPayGateway) -> None:
    body = notification(transaction())
    headers = signed_headers(body)
    tampered = body.replace("encrypt-resource", "encrypt-resourcE")

    with pytest.raises(InvalidNotification):
        gateway.verify_notification(headers, tampered.encode())


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda body: signed_headers(body, STRANGER), id="signed-by-another-key"),
        pytest.param(
            lambda body: signed_headers(body) | {"Wechatpay-Signature": "bm90IGEgc2lnbmF0dXJl"},
            id="garbage-signature",
        ),
        pytest.param(
            lambda body: {k: v for k, v in signed_headers(body).items() if k != "Wechatpay-Nonce"},
            id="missing-header",
        ),
        pytest.param(
            lambda body: signed_headers(body, timestamp=int(time.time()) - 3600), id="an-hour-old"
        ),
    ],
)
def test_a_notification_with_bad_signature_headers_is_rejected(
    gateway: WeChatPayGateway, forge: Any
) -> None:
    body = notification(transaction())

    with pytest.raises(InvalidNotification):
        gateway.verify_notification(forge(body), body.encode())


def test_an_unknown_key_id_is_rejected_without_fetching_certificates(
    gateway: WeChatPayGateway, server: ProviderServer
) -> None:
    body = notification(transaction())
    headers = signed_headers(body, STRANGER) | {
        "Wechatpay-Serial": "5157F09EFDC096DE15EBE81A47057A72"
    }

    with pytest.raises(InvalidNotification, match="not the WeChat Pay public key"):
        gateway.verify_notification(headers, body.encode())
    assert server.received == []  # the SDK alone would have asked for /v3/certificates


def test_a_resource_sealed_with_another_apiv3_key_is_rejected(gateway: WeChatPayGateway) -> None:
    body = notification(transaction(), apiv3_key="0" * 32)

    with pytest.raises(InvalidNotification, match="decrypt"):
        gateway.verify_notification(signed_headers(body), body.encode())


@pytest.mark.parametrize(
    "resource",
    [transaction(mchid="1900000999"), transaction(appid="wx0000000000000000")],
    ids=["other-merchant", "other-app"],
)
def test_a_genuine_notification_for_someone_else_is_rejected(
    gateway: WeChatPayGateway, resource: dict[str, Any]
) -> None:
    body = notification(resource)

    with pytest.raises(InvalidNotification, match="another merchant"):
        gateway.verify_notification(signed_headers(body), body.encode())


def test_a_refund_notification_is_not_taken_for_a_payment(gateway: WeChatPayGateway) -> None:
    body = notification(transaction(), event_type="REFUND.SUCCESS")

    with pytest.raises(InvalidNotification, match="not a payment notification"):
        gateway.verify_notification(signed_headers(body), body.encode())


# --- refunds ---------------------------------------------------------------------------------


def refund_request() -> RefundRequest:
    return RefundRequest(
        order_number="HK202611250001",
        refund_number="RF202611250001",
        transaction_id="4200001234202611250123456789",
        refund_fen=10000,
        total_fen=58333,
        reason="降级退款",
    )


def refund_answer(status: str) -> dict[str, Any]:
    """The documented answer of POST /v3/refund/domestic/refunds."""
    return {
        "refund_id": "50000000382019052709732678859",
        "out_refund_no": "RF202611250001",
        "transaction_id": "4200001234202611250123456789",
        "out_trade_no": "HK202611250001",
        "channel": "ORIGINAL",
        "user_received_account": "招商银行信用卡0403",
        "create_time": "2026-11-25T16:18:12+08:00",
        "status": status,
        "funds_account": "AVAILABLE",
        "amount": {
            "total": 58333,
            "refund": 10000,
            "payer_total": 58333,
            "payer_refund": 10000,
            "settlement_refund": 10000,
            "settlement_total": 58333,
            "discount_refund": 0,
            "currency": "CNY",
        },
        "promotion_detail": [],
    }


def test_a_refund_sends_fen_and_returns_wechat_pays_refund_id(
    gateway: WeChatPayGateway, server: ProviderServer
) -> None:
    server.answer = lambda _: platform_reply(refund_answer("PROCESSING"))

    result = gateway.refund(refund_request())

    assert result.refund_number == "RF202611250001"
    assert result.provider_refund_id == "50000000382019052709732678859"
    assert (result.status, result.accepted) == ("PROCESSING", True)
    sent = server.last
    assert (sent.method, sent.path) == ("POST", "/v3/refund/domestic/refunds")
    verified_authorization(sent)
    assert json.loads(sent.body) == {
        "out_refund_no": "RF202611250001",
        "transaction_id": "4200001234202611250123456789",
        "reason": "降级退款",
        "amount": {"refund": 10000, "total": 58333, "currency": "CNY"},
    }  # no notify_url: refund notifications must not reach the payment endpoint


def test_a_closed_refund_is_not_accepted(gateway: WeChatPayGateway, server: ProviderServer) -> None:
    server.answer = lambda _: platform_reply(refund_answer("CLOSED"))

    assert gateway.refund(refund_request()).accepted is False


def test_a_refund_wechat_pay_refuses_is_a_result_not_an_error(
    gateway: WeChatPayGateway, server: ProviderServer
) -> None:
    server.answer = lambda _: platform_reply(
        {"code": "NOT_ENOUGH", "message": "基本账户余额不足，请充值后重新发起"}, status=403
    )

    result = gateway.refund(refund_request())

    assert (result.accepted, result.status, result.provider_refund_id) == (False, "NOT_ENOUGH", "")


def test_a_wechat_pay_system_error_on_refund_raises(
    gateway: WeChatPayGateway, server: ProviderServer
) -> None:
    server.answer = lambda _: platform_reply(
        {"code": "SYSTEM_ERROR", "message": "系统错误"}, status=500
    )

    with pytest.raises(WeChatPayError, match="SYSTEM_ERROR"):
        gateway.refund(refund_request())
