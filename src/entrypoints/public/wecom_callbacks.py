"""WeCom's event callbacks to a bound corp (WECOM-1, WECOM-3), public, outside /api:

    GET  /callbacks/wecom/{callback_key}   the URL check (an encrypted echostr)
    POST /callbacks/wecom/{callback_key}   events (signed and AES-encrypted XML)

The corp's `msg_signature` is the proof: a callback that is not the corp's is 401 and
stores nothing. Refusals are limited per client address; a signed callback always
passes (WeCom retries until answered).
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from application.shared.errors import Unauthenticated
from application.wecom.callbacks import WecomCallbackIntake
from entrypoints.public.refusals import RefusalLimit

MAX_BODY = 64 * 1024  # a callback is well under a KB
CallbackKey = Annotated[str, Parameter(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class WecomCallbackController(Controller):
    path = "/callbacks/wecom"
    tags = ["callbacks"]
    security: list[dict[str, list[str]]] = [{}]  # no bearer token: the signature is the proof

    @get(
        "/{callback_key:str}",
        operation_id="verifyWecomCallback",
        media_type="text/plain",
        opt={"errors": [401, 404, 429]},
    )
    async def verify(
        self,
        request: Request[Any, Any, Any],
        callback_key: CallbackKey,
        wecom_callbacks: WecomCallbackIntake,
        wecom_refusals: RefusalLimit,
        msg_signature: str = "",
        timestamp: str = "",
        nonce: str = "",
        echostr: str = "",
    ) -> str:
        """WeCom's check of the callback URL: answers the decrypted `echostr`.

        Only when `msg_signature` is the corp's (401 otherwise)."""
        try:
            return wecom_callbacks.verify_url(
                callback_key,
                msg_signature=msg_signature,
                timestamp=timestamp,
                nonce=nonce,
                echostr=echostr,
            )
        except Unauthenticated:
            wecom_refusals.refused(request.client.host if request.client else "-")
            raise

    @post(
        "/{callback_key:str}",
        operation_id="wecomCallback",
        status_code=200,
        request_max_body_size=MAX_BODY,
        opt={"errors": [401, 404, 429]},
    )
    async def event(
        self,
        request: Request[Any, Any, Any],
        callback_key: CallbackKey,
        wecom_callbacks: WecomCallbackIntake,
        wecom_refusals: RefusalLimit,
        msg_signature: str = "",
        timestamp: str = "",
        nonce: str = "",
    ) -> Response[bytes]:
        """An event of the corp, as WeCom's encrypted XML envelope.

        Customers added, deleted or edited, groups changed: answered `success` once
        stored; the same callback again stores nothing."""
        body = await request.body()
        try:
            answer = await anyio.to_thread.run_sync(
                lambda: wecom_callbacks.receive(
                    callback_key,
                    body,
                    msg_signature=msg_signature,
                    timestamp=timestamp,
                    nonce=nonce,
                )
            )
        except Unauthenticated:
            wecom_refusals.refused(request.client.host if request.client else "-")
            raise
        return Response(answer, media_type="text/plain")
