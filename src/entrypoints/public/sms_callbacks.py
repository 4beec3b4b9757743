"""The SMS providers' callbacks (SMS-4): delivery receipts and replies, public, outside
/api, one URL per provider, tenant and kind:

    POST /callbacks/sms/aliyun/{tenant_id}/reports    Aliyun SmsReport
    POST /callbacks/sms/aliyun/{tenant_id}/replies    Aliyun SmsUp
    POST /callbacks/sms/tencent/{tenant_id}/reports   Tencent status callback
    POST /callbacks/sms/tencent/{tenant_id}/replies   Tencent reply callback

Each is configured at the provider with `?token=<HUOKE_SMS_CALLBACK_TOKEN>`: the
providers sign nothing, so the shared secret in the URL is the proof (compared in
constant time; without a configured token every callback is refused). Refused tokens
are rate-limited per client address, while the right token always passes: the
callbacks stay outside the API's per-client limit (ADR 0011: a provider pushes from a
few addresses and retries until answered). Each provider is answered with its
documented success JSON, so it stops retrying; a repeat changes nothing.
"""

from __future__ import annotations

import hmac
from typing import Any
from uuid import UUID

import anyio.to_thread
from litestar import Controller, Request, Response, post

from application.messaging.sms_receipts import SmsReceipts
from application.shared.errors import NotFound, PermissionDenied
from entrypoints.public.refusals import RefusalLimit

PROVIDERS = ("aliyun", "tencent")
KINDS = ("reports", "replies")
MAX_BODY = 1024 * 1024  # a push of 100 receipts is about 30 KB
ACKNOWLEDGEMENTS: dict[str, dict[str, Any]] = {
    "aliyun": {"code": 0, "msg": "接收成功"},
    "tencent": {"result": 0, "errmsg": "OK"},
}


class CallbackGate:
    """The shared secret, and the limit on refused attempts per client address (a
    fixed one-minute window in this process)."""

    def __init__(self, token: str | None, refusals_per_minute: int = 20) -> None:
        self.token = token
        self.refusals = RefusalLimit(refusals_per_minute, "SMS callbacks")

    def admit(self, token: str | None, address: str) -> None:
        """Pass the configured token, always (a genuine provider is never held back);
        otherwise 403, and 429 once `address` was refused too often this minute."""
        if self.token and token and hmac.compare_digest(token.encode(), self.token.encode()):
            return
        self.refusals.refused(address)
        if not self.token:
            raise PermissionDenied("SMS callbacks are not configured (HUOKE_SMS_CALLBACK_TOKEN)")
        raise PermissionDenied("the callback's token is not huoke's")


class SmsCallbackController(Controller):
    path = "/callbacks/sms"
    tags = ["callbacks"]
    security: list[dict[str, list[str]]] = [{}]  # no bearer token: the URL's token is the proof

    @post(
        "/{provider:str}/{tenant_id:uuid}/{kind:str}",
        operation_id="smsProviderCallback",
        status_code=200,
        request_max_body_size=MAX_BODY,
        opt={"errors": [403, 404, 429]},
    )
    async def callback(
        self,
        request: Request[Any, Any, Any],
        provider: str,
        tenant_id: UUID,
        kind: str,
        sms_receipts: SmsReceipts,
        sms_callback_gate: CallbackGate,
        token: str | None = None,
    ) -> Response[dict[str, Any]]:
        """An SMS provider's delivery receipts or replies for a tenant.

        `provider` is `aliyun` or `tencent`, `kind` `reports` or `replies`; the body is the
        provider's own JSON (SmsReport / SmsUp, Tencent's status and reply callbacks) and
        `token` the secret configured with the URL (403 otherwise). A reply "TD" / "退订"
        unsubscribes the lead from SMS. Repeats change nothing."""
        if provider not in PROVIDERS or kind not in KINDS:
            raise NotFound(f"no SMS callback {provider}/{kind}")
        address = request.client.host if request.client else "-"
        sms_callback_gate.admit(token, address)
        body = await request.body()
        apply = sms_receipts.reports if kind == "reports" else sms_receipts.replies
        await anyio.to_thread.run_sync(apply, tenant_id, provider, body)
        return Response(ACKNOWLEDGEMENTS[provider], media_type="application/json")
