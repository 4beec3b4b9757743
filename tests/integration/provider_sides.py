"""WeChat Pay v3 and Alipay as seen from the provider's side: the local server's signed
answers, and payment notifications built, encrypted and signed as the provider does, with
the providers' SDK primitives and the throwaway keys of payment_servers.py."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from alipay import AliPay
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpayv3.utils import load_private_key, rsa_sign

from adapters.tenancy.alipay import AlipayGateway
from adapters.tenancy.wechat_pay import WeChatPayGateway
from tests.integration.payment_servers import KeyPair, ProviderServer, Received, Reply, key_pair

Notification = tuple[dict[str, str], bytes]  # the headers and raw body the provider POSTs
STRANGER = key_pair("someone else")


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _transaction_id(prefix: str, order_number: str) -> str:
    return prefix + order_number.removeprefix("HK")


class WeChatPaySide:
    name, channel, instruction = "wechatpay", "native", "code_url"
    unusable_channel = "jsapi"  # without the payer's openid
    not_paid = ("NOTPAY", "CLOSED")
    MCHID, APPID = "1900000109", "wxd678efh567hg6787"
    APIV3_KEY = "a12d3924fd499edac8a5efc0c4a1b2c3"
    PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092025010100000000001"
    MERCHANT, PLATFORM = key_pair("wechat merchant"), key_pair("wechat pay platform")

    def gateway(self, server_url: str, notify_url: str) -> WeChatPayGateway:
        return WeChatPayGateway(
            mchid=self.MCHID,
            appid=self.APPID,
            private_key=self.MERCHANT.private_pem,
            cert_serial_no="444F4864EA9B34415CBB6BA6C40A0DAE",
            apiv3_key=self.APIV3_KEY,
            notify_url=notify_url,
            public_key=self.PLATFORM.public_pem,
            public_key_id=self.PUBLIC_KEY_ID,
            base_url=server_url,
        )

    def _signed(self, body: str, key: KeyPair) -> dict[str, str]:
        """Wechatpay-* headers: SHA256withRSA over "timestamp\\nnonce\\nbody\\n"."""
        stamp, nonce = str(int(time.time())), secrets.token_hex(16)
        signature = rsa_sign(load_private_key(key.private_pem), f"{stamp}\n{nonce}\n{body}\n")
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": self.PUBLIC_KEY_ID,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    def notification(
        self, order_number: str, amount_fen: int, state: str = "SUCCESS", key: KeyPair | None = None
    ) -> Notification:
        """TRANSACTION.* with its resource sealed (AEAD_AES_256_GCM) under the APIv3 key."""
        resource = {
            "mchid": self.MCHID,
            "appid": self.APPID,
            "out_trade_no": order_number,
            "transaction_id": _transaction_id("42000", order_number),
            "trade_type": "NATIVE",
            "trade_state": state,
            "bank_type": "OTHERS",
            "success_time": "2026-11-25T10:34:56+08:00",
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY"},
        }
        nonce = secrets.token_hex(6)
        sealed = AESGCM(self.APIV3_KEY.encode()).encrypt(
            nonce.encode(), json.dumps(resource).encode(), b"transaction"
        )
        body = json.dumps(
            {
                "id": f"EV-{secrets.token_hex(8)}",
                "create_time": "2026-11-25T10:34:57+08:00",
                "resource_type": "encrypt-resource",
                "event_type": f"TRANSACTION.{state}",
                "summary": "支付成功" if state == "SUCCESS" else state,
                "resource": {
                    "original_type": "transaction",
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(sealed).decode(),
                    "associated_data": "transaction",
                    "nonce": nonce,
                },
            },
            ensure_ascii=False,
        )
        return self._signed(body, key or self.PLATFORM), body.encode()

    def tampered(self, order_number: str, amount_fen: int) -> Notification:
        """A genuine success notification whose body was changed after signing."""
        headers, body = self.notification(order_number, amount_fen)
        return headers, body.replace(b'"id": "EV-', b'"id": "EX-', 1)

    def acknowledged(self, answer: Any) -> bool:
        return bool(answer.status_code == 200 and answer.json()["code"] == "SUCCESS")

    def _reply(self, payload: dict[str, Any], status: int = 200) -> Reply:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        headers = {"Content-Type": "application/json", **self._signed(body, self.PLATFORM)}
        return Reply(status, body.encode(), headers)

    def answers(self, *, refuse_refunds: bool) -> Callable[[Received], Reply]:
        def answer(request: Received) -> Reply:
            if request.path == "/v3/pay/transactions/native":
                return self._reply({"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})
            assert request.path == "/v3/refund/domestic/refunds", request.path
            if refuse_refunds:
                return self._reply({"code": "NOT_ENOUGH", "message": "基本账户余额不足"}, 403)
            sent = json.loads(request.body)
            return self._reply(
                {"refund_id": "50000000382019052709732678859", "status": "SUCCESS"}
                | {"out_refund_no": sent["out_refund_no"], "amount": sent["amount"]}
            )

        return answer

    def amount_as_sent(self, fen: int) -> Any:
        return fen  # WeChat Pay speaks whole fen

    def payment_started(self, instruction: str, server: ProviderServer) -> tuple[str, Any]:
        """The order number and amount of the WeChat Pay order the adapter created."""
        sent = json.loads(server.last.body)
        assert server.last.path == "/v3/pay/transactions/native"
        return sent["out_trade_no"], sent["amount"]["total"]

    def refund_sent(self, request: Received) -> tuple[str, Any]:
        """The refund number and the amount the adapter asked WeChat Pay to refund (fen)."""
        sent = json.loads(request.body)
        return sent["out_refund_no"], sent["amount"]["refund"]


class AlipaySide:
    name, channel, instruction = "alipay", "page", "redirect_url"
    unusable_channel = "native"  # Alipay offers page pay only
    not_paid = ("WAIT_BUYER_PAY", "TRADE_CLOSED")
    APP_ID = "2021000117601234"
    APP, ALIPAY = key_pair("alipay app"), key_pair("alipay platform")

    def gateway(self, server_url: str, notify_url: str) -> AlipayGateway:
        return AlipayGateway(
            app_id=self.APP_ID,
            app_private_key=self.APP.private_pem,
            alipay_public_key=self.ALIPAY.public_base64,
            notify_url=notify_url,
            gateway_url=f"{server_url}/gateway.do",
        )

    def _sdk(self, key: KeyPair) -> AliPay:
        """The SDK in Alipay's seat: it signs with Alipay's private key."""
        return AliPay(
            appid=self.APP_ID,
            app_notify_url=None,
            app_private_key_string=key.private_pem,
            alipay_public_key_string=self.APP.public_pem,
            sign_type="RSA2",
        )

    def notification(
        self,
        order_number: str,
        amount_fen: int,
        state: str = "TRADE_SUCCESS",
        key: KeyPair | None = None,
    ) -> Notification:
        """A trade_status_sync form; `sign` covers every field but sign and sign_type."""
        yuan = _yuan(amount_fen)
        fields = {
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16),
            "notify_time": "2026-11-25 10:34:57",
            "charset": "utf-8",
            "version": "1.0",
            "app_id": self.APP_ID,
            "auth_app_id": self.APP_ID,
            "trade_no": _transaction_id("2026", order_number),
            "out_trade_no": order_number,
            "trade_status": state,
            "total_amount": yuan,
            "receipt_amount": yuan,
            "subject": "获客 专业版",
            "buyer_id": "2088102177846880",
            "seller_id": "2088102177296610",
            "gmt_payment": "2026-11-25 10:34:56",
        }
        body = self._sdk(key or self.ALIPAY).sign_data(fields) + "&sign_type=RSA2"
        return {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, body.encode()

    def tampered(self, order_number: str, amount_fen: int) -> Notification:
        """A genuine WAIT_BUYER_PAY notification turned into a success after signing."""
        headers, body = self.notification(order_number, amount_fen, "WAIT_BUYER_PAY")
        return headers, body.replace(b"=WAIT_BUYER_PAY", b"=TRADE_SUCCESS", 1)

    def acknowledged(self, answer: Any) -> bool:
        return bool(answer.status_code == 200 and answer.text == "success")

    def answers(self, *, refuse_refunds: bool) -> Callable[[Received], Reply]:
        def answer(request: Received) -> Reply:
            assert request.query.get("method") == "alipay.trade.refund", request.query
            if refuse_refunds:
                payload = {"code": "40004", "msg": "Business Failed"} | {
                    "sub_code": "ACQ.TRADE_NOT_ALLOW_REFUND",
                    "sub_msg": "当前交易不允许退款",
                }
            else:
                biz = json.loads(request.query["biz_content"])
                payload = {"code": "10000", "msg": "Success", "fund_change": "Y"} | {
                    "trade_no": biz.get("trade_no", ""),
                    "refund_fee": biz["refund_amount"],
                }
            content = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
            sign = self._sdk(self.ALIPAY)._sign(content)
            body = f'{{"alipay_trade_refund_response":{content},"sign":"{sign}"}}'
            return Reply(200, body.encode(), {"Content-Type": "text/html;charset=utf-8"})

        return answer

    def amount_as_sent(self, fen: int) -> Any:
        return _yuan(fen)  # Alipay speaks yuan with two decimals

    def payment_started(self, instruction: str, server: ProviderServer) -> tuple[str, Any]:
        """The order number and amount of the page the payer is sent to (no server call)."""
        url = urlsplit(instruction)
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"{server.url}/gateway.do"
        biz = json.loads(dict(parse_qsl(url.query))["biz_content"])
        return biz["out_trade_no"], biz["total_amount"]

    def refund_sent(self, request: Received) -> tuple[str, Any]:
        """The refund number and the amount the adapter asked Alipay to refund (yuan)."""
        biz = json.loads(request.query["biz_content"])
        return biz["out_request_no"], biz["refund_amount"]


ProviderSide = WeChatPaySide | AlipaySide
SIDES: dict[str, ProviderSide] = {"wechatpay": WeChatPaySide(), "alipay": AlipaySide()}
