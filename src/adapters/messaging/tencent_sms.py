"""Tencent Cloud SMS (API 2021-01-11) through its official SDK, tencentcloud-sdk-python-sms.

Sending: one `SendSms` per text (each recipient's text differs), several at once on a
small thread pool, `SessionContext` = our message id. A text goes through the approved
template of its content (`TemplateId`, its variables `{1}`, `{2}` … in
`TemplateParamSet`); a text without one through the configured catch-all template
whose only variable `{1}` is the whole text.

Answers (https://cloud.tencent.com/document/product/382/55981): the number's
`SendStatus.Code` "Ok" is accepted (`SerialNo` is the provider's id, which the status
callback names as `sid`); `LimitExceeded.*` (per-number and per-day limits) and the
package running out are soft; `FailedOperation.*`, `InvalidParameter*`,
`UnauthorizedOperation.*` and `UnsupportedOperation.*` are permanent refusals of the
text. A whole-request error (`AuthFailure.*`, `InternalError.*`,
`RequestLimitExceeded`) is soft. No answer at all after the request left is not
retried: the provider may have sent it, and SMS promises never twice (ADR 0015).

Review: `AddSmsSign` / `DescribeSmsSignList` and `AddSmsTemplate` (SmsType 1,
marketing) / `DescribeSmsTemplateList` (StatusCode 0 approved, 1 reviewing, -1
rejected). Tencent wants proof (a business licence image) with a company signature:
`proof_image` (base64) is sent with every signature submitted.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models
from tencentcloud.sms.v20210111.sms_client import SmsClient

from application.messaging.ports import OutgoingSms, SmsOutcome
from application.messaging.sms_reviews import APPROVED, PENDING, REJECTED, ProviderReview
from application.shared.errors import ProviderUnavailable
from domain.messaging.sms_content import Piece

DEFAULT_ENDPOINT = "sms.tencentcloudapi.com"
DEFAULT_REGION = "ap-guangzhou"
PERMANENT_PREFIXES = (
    "FailedOperation.",
    "InvalidParameter",
    "UnauthorizedOperation.",
    "UnsupportedOperation.",
)
# Account-wide states that pass (the package is topped up): not the recipient's fault.
SOFT_CODES = frozenset({"FailedOperation.InsufficientBalanceInSmsPackage"})
_STATUS = {0: APPROVED, 1: PENDING, -1: REJECTED}
MARKETING = 1
COMPANY_SIGN = 0  # SignType 0: 公司
LICENCE_DOCUMENT = 1  # DocumentType 1: 营业执照


def tencent_template(pieces: Sequence[Piece]) -> tuple[str, list[str]]:
    """A text's pieces in Tencent's template syntax (`{1}`, `{2}` … numbered by first
    use) and the variables in that order."""
    order: list[str] = []
    out = []
    for piece in pieces:
        if piece.kind == "text":
            out.append(piece.value)
            continue
        if piece.variable not in order:
            order.append(piece.variable)
        out.append("{" + str(order.index(piece.variable) + 1) + "}")
    return "".join(out), order


def e164(mobile: str) -> str:
    """Tencent wants +country: a bare mainland number gets +86."""
    text = mobile.strip()
    if text.startswith("+"):
        return text
    if text.startswith("00"):
        return "+" + text[2:]
    return "+86" + text if len(text) == 11 else "+" + text


class TencentSms:
    """`SmsProvider` and `SmsReviews` over Tencent Cloud's SDK."""

    name = "tencent"

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        endpoint: str | None = None,
        *,
        region: str = DEFAULT_REGION,
        catch_all_template: str = "",
        proof_image: str = "",
        concurrency: int = 8,
        timeout_seconds: int = 10,
    ) -> None:
        self.sdk_app_id = sdk_app_id
        self.catch_all_template = catch_all_template
        self.proof_image = proof_image
        address = endpoint or DEFAULT_ENDPOINT
        scheme = "https"
        if "://" in address:
            parts = urlsplit(address)
            address, scheme = parts.netloc, parts.scheme
        self._credential = Credential(secret_id, secret_key)
        self._region = region
        self._profile = ClientProfile(
            httpProfile=HttpProfile(protocol=scheme, endpoint=address, reqTimeout=timeout_seconds)
        )
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="sms")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    @property
    def _client(self) -> SmsClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = SmsClient(self._credential, self._region, self._profile)
        return client

    # --- sending ---------------------------------------------------------------------

    def send(self, messages: Sequence[OutgoingSms]) -> list[SmsOutcome]:
        if len(messages) == 1:
            return [self._send_one(messages[0])]
        return list(self._pool.map(self._send_one, messages))

    def _send_one(self, message: OutgoingSms) -> SmsOutcome:
        template = getattr(message, "template", "")
        params = [value for _, value in getattr(message, "params", ())]
        if not template:
            template, params = self.catch_all_template, [message.text]
        if not template:
            return SmsOutcome(
                message.message_id,
                accepted=False,
                permanent=True,
                code="NoTemplate",
                detail="no approved Tencent Cloud template for this text",
            )
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [e164(message.mobile)]
        request.SmsSdkAppId = self.sdk_app_id
        request.SignName = message.signature
        request.TemplateId = template
        request.TemplateParamSet = params
        request.SessionContext = message.message_id
        try:
            response = self._client.SendSms(request)
        except TencentCloudSDKException as failed:
            code = str(failed.get_code() or "")
            if code == "ClientNetworkError":
                return _no_answer(message.message_id, str(failed.get_message()))
            return SmsOutcome(
                message.message_id,
                accepted=False,
                permanent=_permanent(code),
                code=code,
                detail=f"{code} {failed.get_message()}".strip()[:300],
            )
        statuses = response.SendStatusSet or []
        if not statuses:
            return SmsOutcome(
                message.message_id, accepted=False, code="NoStatus", detail="no send status"
            )
        status = statuses[0]
        code = str(status.Code or "")
        if code == "Ok":
            return SmsOutcome(
                message.message_id, accepted=True, provider_id=str(status.SerialNo), code=code
            )
        return SmsOutcome(
            message.message_id,
            accepted=False,
            permanent=_permanent(code),
            code=code,
            detail=f"{code} {status.Message or ''}".strip()[:300],
        )

    # --- review ----------------------------------------------------------------------

    def submit_signature(self, text: str, purpose: str) -> ProviderReview:
        request = models.AddSmsSignRequest()
        request.SignName = text
        request.SignType = COMPANY_SIGN
        request.DocumentType = LICENCE_DOCUMENT
        request.International = 0
        request.SignPurpose = 0  # for the account's own use
        request.ProofImage = self.proof_image
        request.Remark = purpose
        try:
            status = self._call(self._client.AddSmsSign, request).AddSignStatus
        except _Refused as refused:
            return ProviderReview(REJECTED, reason=str(refused))
        return ProviderReview(PENDING, ref=str(status.SignId))

    def signature_review(self, ref: str, text: str) -> ProviderReview:
        request = models.DescribeSmsSignListRequest()
        request.SignIdSet = [int(ref)]
        request.International = 0
        try:
            found = self._call(self._client.DescribeSmsSignList, request)
        except _Refused as refused:
            raise ProviderUnavailable(f"Tencent Cloud SMS: {refused}") from None
        return _review(found.DescribeSignListStatusSet, ref)

    def submit_template(self, name: str, pieces: Sequence[Piece], purpose: str) -> ProviderReview:
        request = models.AddSmsTemplateRequest()
        request.TemplateName = name[:30]
        request.TemplateContent = tencent_template(pieces)[0]
        request.SmsType = MARKETING
        request.International = 0
        request.Remark = purpose[:100]
        try:
            status = self._call(self._client.AddSmsTemplate, request).AddTemplateStatus
        except _Refused as refused:
            return ProviderReview(REJECTED, reason=str(refused))
        return ProviderReview(PENDING, ref=str(status.TemplateId))

    def template_review(self, ref: str) -> ProviderReview:
        request = models.DescribeSmsTemplateListRequest()
        request.TemplateIdSet = [int(ref)]
        request.International = 0
        try:
            found = self._call(self._client.DescribeSmsTemplateList, request)
        except _Refused as refused:
            raise ProviderUnavailable(f"Tencent Cloud SMS: {refused}") from None
        return _review(found.DescribeTemplateStatusSet, ref)

    def _call(self, method: Any, request: Any) -> Any:
        try:
            return method(request)
        except TencentCloudSDKException as failed:
            code = str(failed.get_code() or "")
            if _permanent(code):  # the provider refused what was submitted
                raise _Refused(f"{code}: {failed.get_message()}"[:300]) from None
            raise ProviderUnavailable(f"Tencent Cloud SMS did not answer: {code}") from None


class _Refused(Exception):
    """The provider refused a submission (its code and message)."""


def _review(found: Any, ref: str) -> ProviderReview:
    if not found:
        raise ProviderUnavailable(f"Tencent Cloud SMS knows no review {ref}")
    status = found[0]
    return ProviderReview(
        _STATUS.get(int(status.StatusCode), PENDING), ref=ref, reason=status.ReviewReply or ""
    )


def _permanent(code: str) -> bool:
    return code.startswith(PERMANENT_PREFIXES) and code not in SOFT_CODES


def _no_answer(message_id: str, error: str) -> SmsOutcome:
    """No answer: refused before it left (soft) or lost after it left (never again)."""
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
