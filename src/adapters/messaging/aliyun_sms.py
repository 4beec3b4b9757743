"""Aliyun SMS (dysmsapi 2017-05-25) through its official SDK, alibabacloud-dysmsapi20170525.

Sending: one `SendSms` per text (each recipient's text differs, and `OutId` — our
message id, which the SmsReport receipt carries back — is per request), several at once
on a small thread pool. A text goes through the approved template of its content
(`TemplateCode`, its variables in `TemplateParam`); a text without one through the
configured catch-all template whose only variable `${content}` is the whole text.

Answers (https://help.aliyun.com/document_detail/101346.html): `Code` "OK" is accepted
(`BizId` is the provider's id); `isv.BUSINESS_LIMIT_CONTROL` (the per-number throttle),
the account's day limit, balance and service state are soft (sent again later); every
other `isv.*` is a permanent refusal of that text (bad number, banned words, unknown
template…). An HTTP error (credentials, throttling of the API, the provider's own
failure) is soft. No answer at all after the request left is *not* retried: the
provider may have sent it, and SMS promises never twice (ADR 0015).

Review: `AddSmsSign` / `QuerySmsSign` (SignStatus 0 reviewing, 1 approved, 2 rejected)
and `AddSmsTemplate` (TemplateType 2, promotion) / `QuerySmsTemplate`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from alibabacloud_dysmsapi20170525 import models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.exceptions import UnretryableException
from darabonba.runtime import RuntimeOptions

from application.messaging.ports import OutgoingSms, SmsOutcome
from application.messaging.sms_reviews import APPROVED, PENDING, REJECTED, ProviderReview
from application.shared.errors import ProviderUnavailable
from domain.messaging.sms_content import Piece

DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"
# Account-wide states that pass: sent again later, not the recipient's fault.
SOFT_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",  # the per-number throttle (1/min, 5/h, 10/day)
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
        "isv.ACCOUNT_ABNORMAL",
        "isp.SYSTEM_ERROR",
        "isp.RAM_PERMISSION_DENY",
        "SignatureNonceUsed",
    }
)
_SIGN_STATUS = {0: PENDING, 1: APPROVED, 2: REJECTED}
_TEMPLATE_STATUS = {0: PENDING, 1: APPROVED, 2: REJECTED, 10: REJECTED}
PROMOTION_TEMPLATE = 2
COMPANY_SIGN_SOURCE = 0  # 企事业单位的全称或简称


def aliyun_template(pieces: Sequence[Piece]) -> str:
    """A text's pieces in Aliyun's template syntax: `${name}`, `${link1}`."""
    return "".join(p.value if p.kind == "text" else "${" + p.variable + "}" for p in pieces)


def _host(endpoint: str) -> tuple[str, str]:
    """`host[:port]` and the protocol of an endpoint given with or without a scheme."""
    if "://" not in endpoint:
        return endpoint, "https"
    parts = urlsplit(endpoint)
    return parts.netloc, parts.scheme


class AliyunSms:
    """`SmsProvider` and `SmsReviews` over Aliyun's SDK."""

    name = "aliyun"

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        endpoint: str | None = None,
        *,
        catch_all_template: str = "",
        concurrency: int = 8,
        timeout_seconds: float = 10.0,
    ) -> None:
        host, protocol = _host(endpoint or DEFAULT_ENDPOINT)
        self._config = Config(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            endpoint=host,
            protocol=protocol,
            connect_timeout=int(timeout_seconds * 1000),
            read_timeout=int(timeout_seconds * 1000),
        )
        self.catch_all_template = catch_all_template
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="sms")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    @property
    def _client(self) -> Client:
        # One SDK client per thread: the SDK keeps per-client request state.
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = Client(self._config)
        return client

    # --- sending ---------------------------------------------------------------------

    def send(self, messages: Sequence[OutgoingSms]) -> list[SmsOutcome]:
        if len(messages) == 1:
            return [self._send_one(messages[0])]
        return list(self._pool.map(self._send_one, messages))

    def _send_one(self, message: OutgoingSms) -> SmsOutcome:
        template = getattr(message, "template", "")
        params: dict[str, str] = dict(getattr(message, "params", ()))
        if not template:
            template, params = self.catch_all_template, {"content": message.text}
        if not template:
            return SmsOutcome(
                message.message_id,
                accepted=False,
                permanent=True,
                code="NoTemplate",
                detail="no approved Aliyun template for this text",
            )
        request = models.SendSmsRequest(
            phone_numbers=message.mobile,
            sign_name=message.signature,
            template_code=template,
            template_param=json.dumps(params, ensure_ascii=False),
            out_id=message.message_id,
        )
        try:
            body = self._client.send_sms_with_options(request, RuntimeOptions()).body
        except AlibabaCloudException as refused:
            # The API itself refused (credentials, its throttle, its own failure): the
            # text was not taken; send it again later.
            code = str(getattr(refused, "code", "") or "")
            return SmsOutcome(
                message.message_id,
                accepted=False,
                code=code,
                detail=f"{code} {getattr(refused, 'message', '')}".strip()[:300],
            )
        except UnretryableException as failed:
            return _no_answer(message.message_id, str(failed))
        code = str(body.code or "")
        if code == "OK":
            return SmsOutcome(
                message.message_id, accepted=True, provider_id=str(body.biz_id or ""), code=code
            )
        return SmsOutcome(
            message.message_id,
            accepted=False,
            permanent=code not in SOFT_CODES,
            code=code,
            detail=f"{code} {body.message or ''}".strip()[:300],
        )

    # --- review ----------------------------------------------------------------------

    def submit_signature(self, text: str, purpose: str) -> ProviderReview:
        request = models.AddSmsSignRequest(
            sign_name=text, sign_source=COMPANY_SIGN_SOURCE, remark=purpose, sign_type=1
        )
        body = self._call(self._client.add_sms_sign_with_options, request)
        if "DUPLICATE" in str(body.code):  # submitted before (the account's): where it stands
            return self.signature_review(text, text)
        if body.code != "OK":
            return ProviderReview(REJECTED, ref=text, reason=f"{body.code}: {body.message}")
        return ProviderReview(PENDING, ref=text)

    def signature_review(self, ref: str, text: str) -> ProviderReview:
        body = self._call(
            self._client.query_sms_sign_with_options, models.QuerySmsSignRequest(sign_name=text)
        )
        if body.code != "OK":
            raise ProviderUnavailable(f"Aliyun QuerySmsSign: {body.code} {body.message}")
        status = _SIGN_STATUS.get(int(body.sign_status), PENDING)
        return ProviderReview(status, ref=text, reason=body.reason or "")

    def submit_template(self, name: str, pieces: Sequence[Piece], purpose: str) -> ProviderReview:
        request = models.AddSmsTemplateRequest(
            template_type=PROMOTION_TEMPLATE,
            template_name=name[:30],
            template_content=aliyun_template(pieces),
            remark=purpose[:100],
        )
        body = self._call(self._client.add_sms_template_with_options, request)
        if body.code != "OK":
            return ProviderReview(REJECTED, reason=f"{body.code}: {body.message}")
        return ProviderReview(PENDING, ref=str(body.template_code))

    def template_review(self, ref: str) -> ProviderReview:
        body = self._call(
            self._client.query_sms_template_with_options,
            models.QuerySmsTemplateRequest(template_code=ref),
        )
        if body.code != "OK":
            raise ProviderUnavailable(f"Aliyun QuerySmsTemplate: {body.code} {body.message}")
        status = _TEMPLATE_STATUS.get(int(body.template_status), PENDING)
        return ProviderReview(status, ref=ref, reason=body.reason or "")

    def _call(self, method: Any, request: Any) -> Any:
        try:
            return method(request, RuntimeOptions()).body
        except (AlibabaCloudException, UnretryableException) as failed:
            raise ProviderUnavailable(f"Aliyun SMS did not answer: {failed}"[:300]) from None


def _no_answer(message_id: str, error: str) -> SmsOutcome:
    """A request that got no answer: refused before it left (soft, safe to send again)
    or lost after it left (the provider may have sent it: never again)."""
    unsent = "Connection refused" in error or "NewConnectionError" in error
    return SmsOutcome(
        message_id,
        accepted=False,
        permanent=not unsent,
        code="Unreachable" if unsent else "NoAnswer",
        detail=(
            "the provider could not be reached"
            if unsent
            else "no answer from the provider; not sent again, so nobody gets it twice"
        ),
    )
