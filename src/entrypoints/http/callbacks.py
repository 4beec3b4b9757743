"""Inbound payment notifications (BIL-2): public, outside /api, verified by signature.

Each provider wants its own acknowledgement: WeChat Pay a 200 with a JSON code,
Alipay the literal text `success`. Anything else makes the provider retry, which is
safe: applying a notification twice changes nothing.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, post

from application.tenancy.billing import Billing

_ACKNOWLEDGEMENTS: dict[str, tuple[Any, str]] = {
    "wechatpay": ({"code": "SUCCESS", "message": "成功"}, "application/json"),
    "alipay": ("success", "text/plain"),
    "sandbox": ({"status": "ok"}, "application/json"),
}


class PaymentCallbackController(Controller):
    path = "/callbacks/payments"
    tags = ["callbacks"]
    security: list[dict[str, list[str]]] = [{}]  # no bearer token: the signature is the proof

    @post(
        "/{provider:str}",
        operation_id="paymentNotification",
        status_code=200,
        # Each provider wants its own acknowledgement; a forged signature answers 401.
        opt={"media_types": ["application/json", "text/plain"], "errors": [401]},
    )
    async def notify(
        self, request: Request[Any, Any, Any], provider: str, billing: Billing
    ) -> Response[Any]:
        """A payment provider tells huoke that an order was paid.

        `provider` is `wechatpay`, `alipay` or `sandbox`; the body and headers are the
        provider's own. The signature is checked: a forged notification answers 401 and is
        recorded as a security incident. Repeats are harmless. WeChat Pay is answered with
        JSON, Alipay with the text `success`."""
        body = await request.body()
        headers = dict(request.headers.items())
        await anyio.to_thread.run_sync(billing.accept_notification, provider, headers, body)
        content, media_type = _ACKNOWLEDGEMENTS.get(provider, _ACKNOWLEDGEMENTS["sandbox"])
        return Response(content, media_type=media_type)
