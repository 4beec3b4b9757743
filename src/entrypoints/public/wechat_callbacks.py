"""WeChat's pushes to an Official Account (WX-2), public, outside /api:

    GET  /callbacks/wechat/{account_id}   the server-address check (echostr)
    POST /callbacks/wechat/{account_id}   messages and events (plain or safe mode)

The account's signature is the proof (`signature`, and `msg_signature` in safe mode):
a push that is not the account's is 401 and stores nothing. Refusals are limited per
client address; a signed push always passes (WeChat retries until answered).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import anyio.to_thread
from litestar import Controller, Request, Response, get, post

from application.shared.errors import Unauthenticated
from application.wechat.callbacks import CallbackIntake
from entrypoints.public.refusals import RefusalLimit

MAX_BODY = 64 * 1024  # a pushed message is a few KB


class WechatCallbackController(Controller):
    path = "/callbacks/wechat"
    tags = ["callbacks"]
    security: list[dict[str, list[str]]] = [{}]  # no bearer token: the signature is the proof

    @get(
        "/{account_id:uuid}",
        operation_id="verifyWechatCallback",
        media_type="text/plain",
        opt={"errors": [401, 404, 429]},
    )
    async def verify(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_callbacks: CallbackIntake,
        wechat_refusals: RefusalLimit,
        signature: str = "",
        timestamp: str = "",
        nonce: str = "",
        echostr: str = "",
    ) -> str:
        """WeChat's check of the server address: answers `echostr` when `signature` is
        the account's."""
        try:
            return wechat_callbacks.verify_url(
                account_id, signature=signature, timestamp=timestamp, nonce=nonce, echostr=echostr
            )
        except Unauthenticated:
            wechat_refusals.refused(request.client.host if request.client else "-")
            raise

    @post(
        "/{account_id:uuid}",
        operation_id="wechatCallback",
        status_code=200,
        request_max_body_size=MAX_BODY,
        opt={"errors": [401, 404, 429]},
    )
    async def push(
        self,
        request: Request[Any, Any, Any],
        account_id: UUID,
        wechat_callbacks: CallbackIntake,
        wechat_refusals: RefusalLimit,
        signature: str = "",
        timestamp: str = "",
        nonce: str = "",
        msg_signature: str = "",
        encrypt_type: str = "",
    ) -> Response[bytes]:
        """A message or event pushed by WeChat (XML; `encrypt_type=aes` in safe mode).

        Answered `success`, or with the passive auto-reply (XML, encrypted in safe mode),
        once it is stored; the same push again stores nothing."""
        body = await request.body()
        try:
            answer = await anyio.to_thread.run_sync(
                lambda: wechat_callbacks.receive(
                    account_id,
                    body,
                    signature=signature,
                    timestamp=timestamp,
                    nonce=nonce,
                    msg_signature=msg_signature,
                    encrypted=encrypt_type == "aes",
                )
            )
        except Unauthenticated:
            wechat_refusals.refused(request.client.host if request.client else "-")
            raise
        media_type = "text/plain" if answer == b"success" else "application/xml"
        return Response(answer, media_type=media_type)
