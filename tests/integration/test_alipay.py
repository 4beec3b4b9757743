"""Alipay adapter against a local gateway that signs its answers like Alipay, and
notifications signed the way Alipay signs them (RSA2 over the sorted fields)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from adapters.tenancy.alipay import AlipayError, AlipayGateway
from application.tenancy.ports import InvalidNotification, PaymentRequest, RefundRequest
from tests.integration.payment_servers import (
    KeyPair,
    ProviderServer,
    Reply,
    key_pair,
    provider_server,
)

APP_ID = "2021000117601234"
NOTIFY_URL = "https://huoke.example.com/pay/alipay/notify"
RETURN_URL = "https://huoke.example.com/billing/orders/HK202611250001"
APP = key_pair("alipay app")
ALIPAY = key_pair("alipay platform")
STRANGER = key_pair("someone else")
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderServer]:
    # urllib would send 127.0.0.1 through a proxy configured in the environment.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with provider_server() as running:
        yield running


@pytest.fixture
def gateway(server: ProviderServer) -> AlipayGateway:
    return AlipayGateway(
        app_id=APP_ID,
        app_private_key=APP.private_pem,
        alipay_public_key=ALIPAY.public_base64,  # as Alipay's console shows it
        notify_url=NOTIFY_URL,
        gateway_url=f"{server.url}/gateway.do",
    )


def signed_content(fields: dict[str, str], *, leave_out: tuple[str, ...]) -> str:
    """Alipay's string to sign: key=value pairs sorted by key, joined by &, unescaped."""
    return "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k not in leave_out)


# --- what Alipay sends -----------------------------------------------------------------------


def notification_fields(**changes: str) -> dict[str, str]:
    """A trade_status_sync notification as Alipay posts it (before signing)."""
    return {
        "gmt_create": "2026-11-25 10:34:50",
        "charset": "utf-8",
        "seller_email": "finance@huoke.example.com",
        "subject": "获客 专业版 1年",
        "buyer_id": "2088102177846880",
        "invoice_amount": "583.33",
        "notify_id": "2026112500222103456078401416573591",
        "fund_bill_list": '[{"amount":"583.33","fundChannel":"ALIPAYACCOUNT"}]',
        "notify_type": "trade_status_sync",
        "trade_status": "TRADE_SUCCESS",
        "receipt_amount": "583.33",
        "app_id": APP_ID,
        "buyer_pay_amount": "583.33",
        "sign_type": "RSA2",
        "seller_id": "2088102177296610",
        "gmt_payment": "2026-11-25 10:34:56",
        "notify_time": "2026-11-25 10:34:57",
        "version": "1.0",
        "out_trade_no": "HK202611250001",
        "total_amount": "583.33",
        "trade_no": "2026112522001446880501234567",
        "auth_app_id": APP_ID,
        "buyer_logon_id": "159****5620",
        "point_amount": "0.00",
        **changes,
    }


def signed_notification(fields: dict[str, str], key: KeyPair = ALIPAY) -> bytes:
    """The form body Alipay posts: `sign` covers every field but sign and sign_type."""
    sign = key.sign(signed_content(fields, leave_out=("sign", "sign_type")))
    return urlencode(fields | {"sign": sign}).encode()


def signed_answer(response_type: str, payload: dict[str, Any], key: KeyPair = ALIPAY) -> Reply:
    """A gateway answer: `sign` covers the response object's JSON text exactly as sent."""
    content = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    body = f'{{"{response_type}":{content},"sign":"{key.sign(content)}"}}'
    return Reply(200, body.encode(), {"Content-Type": "text/html;charset=utf-8"})


# --- what our adapter sends ------------------------------------------------------------------


def verified_parameters(query: dict[str, str]) -> dict[str, str]:
    """The request parameters, after checking their `sign` with the app's public key: every
    parameter but sign, sorted (sign_type included, as Alipay specifies for requests)."""
    parameters = dict(query)
    sign = parameters.pop("sign")
    content = signed_content(parameters, leave_out=())
    assert APP.verifies(content, sign)
    assert not STRANGER.verifies(content, sign)
    return parameters


def assert_beijing_time(timestamp: str) -> None:
    sent = datetime.strptime(timestamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    assert abs(sent - datetime.now(BEIJING)) < timedelta(minutes=2)


# --- paying ----------------------------------------------------------------------------------


def test_page_pay_redirects_to_the_gateway_with_a_signed_order(
    gateway: AlipayGateway, server: ProviderServer
) -> None:
    request = PaymentRequest(
        order_number="HK202611250001",
        description="获客 专业版 1年",
        amount_fen=58333,
        notify_url=NOTIFY_URL,
        channel="page",
        return_url=RETURN_URL,
    )

    instruction = gateway.start(request)

    assert (instruction.provider, instruction.kind) == ("alipay", "redirect_url")
    assert isinstance(instruction.value, str)
    url = urlsplit(instruction.value)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{server.url}/gateway.do"
    parameters = verified_parameters(dict(parse_qsl(url.query)))
    assert parameters["method"] == "alipay.trade.page.pay"
    assert (parameters["app_id"], parameters["sign_type"]) == (APP_ID, "RSA2")
    assert (parameters["notify_url"], parameters["return_url"]) == (NOTIFY_URL, RETURN_URL)
    assert_beijing_time(parameters["timestamp"])
    assert json.loads(parameters["biz_content"]) == {
        "subject": "获客 专业版 1年",
        "out_trade_no": "HK202611250001",
        "total_amount": "583.33",
        "product_code": "FAST_INSTANT_TRADE_PAY",
    }
    assert server.received == []  # the browser, not our server, goes to Alipay


def test_page_pay_is_the_only_alipay_channel(gateway: AlipayGateway) -> None:
    request = PaymentRequest("HK202611250001", "专业版", 58333, NOTIFY_URL, channel="native")

    with pytest.raises(ValueError, match="native"):
        gateway.start(request)


# --- notifications ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total_amount", "fen"),
    [("583.33", 58333), ("0.01", 1), ("19.9", 1990), ("100", 10000), ("0.29", 29)],
)
def test_a_paid_notification_is_verified_and_the_amount_is_exact_fen(
    gateway: AlipayGateway, total_amount: str, fen: int
) -> None:
    body = signed_notification(notification_fields(total_amount=total_amount))

    notice = gateway.verify_notification(
        {"Content-Type": "application/x-www-form-urlencoded"}, body
    )

    assert notice.provider == "alipay"
    assert notice.order_number == "HK202611250001"
    assert notice.transaction_id == "2026112522001446880501234567"
    assert notice.amount_fen == fen
    assert (notice.succeeded, notice.status) == (True, "TRADE_SUCCESS")


@pytest.mark.parametrize(
    ("status", "paid"),
    [("TRADE_FINISHED", True), ("WAIT_BUYER_PAY", False), ("TRADE_CLOSED", False)],
)
def test_only_success_and_finished_trades_count_as_paid(
    gateway: AlipayGateway, status: str, paid: bool
) -> None:
    body = signed_notification(notification_fields(trade_status=status))

    notice = gateway.verify_notification({}, body)

    assert (notice.succeeded, notice.status) == (paid, status)


def test_a_tampered_amount_is_rejected(gateway: AlipayGateway) -> None:
    body = signed_notification(notification_fields())
    tampered = body.replace(b"total_amount=583.33", b"total_amount=5833.30")
    assert tampered != body

    with pytest.raises(InvalidNotification, match="signature"):
        gateway.verify_notification({}, tampered)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(signed_notification(notification_fields(), STRANGER), id="another-key"),
        pytest.param(urlencode(notification_fields()).encode(), id="unsigned"),
        pytest.param(
            signed_notification(notification_fields(sign_type="RSA")), id="weaker-sign-type"
        ),
        pytest.param(
            signed_notification(notification_fields(app_id="2021000000000000")), id="other-app"
        ),
        pytest.param(
            signed_notification(notification_fields(total_amount="583.335")), id="third-decimal"
        ),
        pytest.param(signed_notification(notification_fields(total_amount="5.8e2")), id="exponent"),
        pytest.param(b"\xff\xfe not a form", id="not-utf8"),
    ],
)
def test_a_notification_that_does_not_check_out_is_rejected(
    gateway: AlipayGateway, body: bytes
) -> None:
    with pytest.raises(InvalidNotification):
        gateway.verify_notification({}, body)


# --- refunds ---------------------------------------------------------------------------------


def refund_request(refund_fen: int = 58333) -> RefundRequest:
    return RefundRequest(
        order_number="HK202611250001",
        refund_number="RF202611250001",
        transaction_id="2026112522001446880501234567",
        refund_fen=refund_fen,
        total_fen=58333,
        reason="降级退款",
    )


def refund_payload(**changes: str) -> dict[str, str]:
    """The documented alipay_trade_refund_response of a successful refund."""
    return {
        "code": "10000",
        "msg": "Success",
        "buyer_logon_id": "159****5620",
        "buyer_user_id": "2088102177846880",
        "fund_change": "Y",
        "gmt_refund_pay": "2026-11-25 15:45:57",
        "out_trade_no": "HK202611250001",
        "refund_fee": "583.33",
        "send_back_fee": "583.33",
        "trade_no": "2026112522001446880501234567",
        **changes,
    }


def test_a_refund_sends_yuan_and_trusts_only_a_signed_answer(
    gateway: AlipayGateway, server: ProviderServer
) -> None:
    server.answer = lambda _: signed_answer("alipay_trade_refund_response", refund_payload())

    result = gateway.refund(refund_request())

    assert result.refund_number == "RF202611250001"
    assert result.provider_refund_id == "2026112522001446880501234567"
    assert (result.status, result.accepted) == ("REFUND_SUCCESS", True)
    sent = server.last
    assert sent.path == "/gateway.do"
    parameters = verified_parameters(sent.query)
    assert (parameters["method"], parameters["app_id"]) == ("alipay.trade.refund", APP_ID)
    assert_beijing_time(parameters["timestamp"])
    assert json.loads(parameters["biz_content"]) == {
        "refund_amount": "583.33",
        "out_request_no": "RF202611250001",
        "refund_reason": "降级退款",
        "trade_no": "2026112522001446880501234567",
    }


def test_a_partial_refund_of_whole_yuan_keeps_two_decimals(
    gateway: AlipayGateway, server: ProviderServer
) -> None:
    server.answer = lambda _: signed_answer("alipay_trade_refund_response", refund_payload())

    gateway.refund(refund_request(refund_fen=10000))

    biz_content = json.loads(verified_parameters(server.last.query)["biz_content"])
    assert biz_content["refund_amount"] == "100.00"


def test_an_accepted_refund_without_fund_change_is_unconfirmed(
    gateway: AlipayGateway, server: ProviderServer
) -> None:
    server.answer = lambda _: signed_answer(
        "alipay_trade_refund_response", refund_payload(fund_change="N")
    )

    result = gateway.refund(refund_request())

    assert (result.status, result.accepted) == ("REFUND_UNCONFIRMED", True)


def test_a_refund_alipay_refuses_is_a_result_not_an_error(
    gateway: AlipayGateway, server: ProviderServer
) -> None:
    refused = {
        "code": "40004",
        "msg": "Business Failed",
        "sub_code": "ACQ.TRADE_NOT_ALLOW_REFUND",
        "sub_msg": "当前交易不允许退款",
    }
    server.answer = lambda _: signed_answer("alipay_trade_refund_response", refused)

    result = gateway.refund(refund_request())

    assert (result.accepted, result.status) == (False, "ACQ.TRADE_NOT_ALLOW_REFUND")


def test_a_refund_answer_signed_by_someone_else_is_not_trusted(
    gateway: AlipayGateway, server: ProviderServer
) -> None:
    server.answer = lambda _: signed_answer(
        "alipay_trade_refund_response", refund_payload(), key=STRANGER
    )

    with pytest.raises(AlipayError, match="could not refund"):
        gateway.refund(refund_request())


def test_an_unsigned_gateway_error_raises(gateway: AlipayGateway, server: ProviderServer) -> None:
    error = {
        "error_response": {
            "code": "40002",
            "msg": "Invalid Arguments",
            "sub_code": "isv.invalid-app-id",
            "sub_msg": "无效的AppID参数",
        }
    }
    server.answer = lambda _: Reply(200, json.dumps(error, ensure_ascii=False).encode())

    with pytest.raises(AlipayError, match=r"isv\.invalid-app-id"):
        gateway.refund(refund_request())
