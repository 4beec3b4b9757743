"""The Aliyun and Tencent Cloud adapters (SMS-4) through their official SDKs against local
stand-ins that check the SDKs' request signatures and answer in each provider's format:
accepted texts with the provider's id, permanent refusals with the provider's code,
throttling as soft, no answer never retried; the providers' own reviews of signatures
and templates; and the receipts and replies they call back with, parsed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.messaging.aliyun_sms import AliyunSms, aliyun_template
from adapters.messaging.sandbox_sms import SandboxSms
from adapters.messaging.tencent_sms import TencentSms, tencent_template
from application.messaging.ports import OutgoingSms
from application.messaging.sms_receipts import (
    aliyun_replies,
    aliyun_reports,
    is_stop,
    tencent_replies,
    tencent_reports,
)
from application.messaging.sms_reviews import APPROVED, PENDING, REJECTED, TemplatedSms
from application.shared.errors import ProviderUnavailable
from domain.messaging.sms_content import template_pieces
from tests.integration.sms_providers import (
    AliyunStandIn,
    Review,
    TencentStandIn,
    aliyun,
    serving,
    silent_server,
    tencent,
)

SIGN = "获客科技"
TEXT = "{{name}}您好，会员5折 https://www.acme.cn/promotions/double-eleven 回T退订"
MOBILE = "+8613800138000"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


@pytest.fixture
def ali() -> Iterator[AliyunStandIn]:
    with serving(aliyun()) as stand_in:
        yield stand_in


@pytest.fixture
def ten() -> Iterator[TencentStandIn]:
    with serving(tencent()) as stand_in:
        yield stand_in


def _aliyun(stand_in: AliyunStandIn, secret: str | None = None, **options: Any) -> AliyunSms:
    return AliyunSms(stand_in.key_id, secret or stand_in.secret, stand_in.url, **options)


def _tencent(stand_in: TencentStandIn, secret: str | None = None, **options: Any) -> TencentSms:
    return TencentSms(
        stand_in.key_id,
        secret or stand_in.secret,
        stand_in.app_id,
        stand_in.url,
        **options,
    )


def _sms(template: str, params: tuple[tuple[str, str], ...], mobile: str = MOBILE) -> TemplatedSms:
    return TemplatedSms(
        message_id=str(uuid.uuid4()),
        mobile=mobile,
        signature=SIGN,
        text="".join(value for _, value in params),
        template=template,
        params=params,
    )


PARAMS = (("name", "张伟"), ("link1", "https://hk.test/s/Ab3dE"))


# --- Aliyun ----------------------------------------------------------------------------------


def _approved_aliyun(ali: AliyunStandIn, provider: AliyunSms) -> str:
    """Submit the signature and the text as a template through the SDK, then let the
    stand-in approve both; answers the template code."""
    assert provider.submit_signature(SIGN, "公司简称").status == PENDING
    review = provider.submit_template("双十一", template_pieces(TEXT), "会员营销")
    assert review.status == PENDING and review.ref.startswith("SMS_")
    assert ali.templates[review.ref].content == ("${name}您好，会员5折 ${link1} 回T退订")
    assert provider.signature_review(SIGN, SIGN).status == PENDING
    ali.review("signature", SIGN, "approved")
    ali.review("template", review.ref, "approved")
    assert provider.signature_review(SIGN, SIGN).status == APPROVED
    assert provider.template_review(review.ref).status == APPROVED
    return review.ref


def test_aliyun_sends_through_the_approved_template_with_out_id(ali: AliyunStandIn) -> None:
    provider = _aliyun(ali)
    code = _approved_aliyun(ali, provider)
    sms = _sms(code, PARAMS)

    [outcome] = provider.send([sms])

    assert outcome.accepted and outcome.code == "OK" and outcome.provider_id.endswith("^0")
    [sent] = ali.sent
    assert (sent.mobile, sent.signature, sent.template) == (MOBILE, SIGN, code)
    assert sent.out_id == sms.message_id and sent.provider_id == outcome.provider_id
    assert sent.params == dict(PARAMS)
    assert sent.text == "张伟您好，会员5折 https://hk.test/s/Ab3dE 回T退订"
    assert ali.actions == [
        "AddSmsSign",
        "AddSmsTemplate",
        "QuerySmsSign",
        "QuerySmsSign",
        "QuerySmsTemplate",
        "SendSms",
    ]


def test_aliyun_refusals_are_permanent_with_their_code_and_throttling_is_soft(
    ali: AliyunStandIn,
) -> None:
    provider = _aliyun(ali, concurrency=4)
    code = _approved_aliyun(ali, provider)
    ali.codes = {
        "+8613800000001": "isv.MOBILE_NUMBER_ILLEGAL",
        "+8613800000002": "isv.BUSINESS_LIMIT_CONTROL",
        "+8613800000003": "isv.BLACK_KEY_CONTROL_LIMIT",
        "+8613800000004": "isv.AMOUNT_NOT_ENOUGH",
    }
    texts = [_sms(code, PARAMS, f"+861380000000{n}") for n in range(5)]

    outcomes = provider.send(texts)

    assert [o.message_id for o in outcomes] == [t.message_id for t in texts]  # in order
    assert [(o.accepted, o.permanent, o.code) for o in outcomes] == [
        (True, False, "OK"),
        (False, True, "isv.MOBILE_NUMBER_ILLEGAL"),
        (False, False, "isv.BUSINESS_LIMIT_CONTROL"),
        (False, True, "isv.BLACK_KEY_CONTROL_LIMIT"),
        (False, False, "isv.AMOUNT_NOT_ENOUGH"),
    ]
    assert "天级流控" in outcomes[2].detail
    assert len(ali.sent) == 1


def test_aliyun_unapproved_template_and_missing_variables_are_refused(ali: AliyunStandIn) -> None:
    provider = _aliyun(ali)
    code = _approved_aliyun(ali, provider)
    ali.templates["SMS_PENDING"] = Review("x", "${content}")
    [unapproved, missing] = provider.send(
        [_sms("SMS_PENDING", (("content", "x"),)), _sms(code, (("name", "张伟"),))]
    )
    assert (unapproved.permanent, unapproved.code) == (True, "isv.SMS_TEMPLATE_ILLEGAL")
    assert (missing.permanent, missing.code) == (True, "isv.TEMPLATE_MISSING_PARAMETERS")
    assert ali.sent == []


def test_aliyun_catch_all_template_carries_the_whole_text(ali: AliyunStandIn) -> None:
    ali.signatures[SIGN] = Review(SIGN, "", status="approved")
    ali.templates["SMS_ALL"] = Review("通用", "${content}", status="approved")
    plain = OutgoingSms(str(uuid.uuid4()), MOBILE, SIGN, "会员日全场5折，回T退订")
    [without] = _aliyun(ali).send([plain])
    assert (without.accepted, without.permanent, without.code) == (False, True, "NoTemplate")
    [sent] = _aliyun(ali, catch_all_template="SMS_ALL").send([plain])
    assert sent.accepted and ali.sent[0].text == "会员日全场5折，回T退订"


def test_aliyun_checks_the_request_signature(ali: AliyunStandIn) -> None:
    """A wrong secret is refused by the stand-in's signature check (the SDK's signing
    is really verified), as an HTTP error that leaves the text to be sent later."""
    ali.signatures[SIGN] = Review(SIGN, "", status="approved")
    [outcome] = _aliyun(ali, secret="wrong").send([_sms("SMS_1", PARAMS)])
    assert (outcome.accepted, outcome.permanent, outcome.code) == (
        False,
        False,
        "SignatureDoesNotMatch",
    )
    ali.api_error = (400, "Throttling.User")
    [throttled] = _aliyun(ali).send([_sms("SMS_1", PARAMS)])
    assert (throttled.permanent, throttled.code) == (False, "Throttling.User")
    with pytest.raises(ProviderUnavailable):
        _aliyun(ali).template_review("SMS_1")


def test_aliyun_review_rejections_carry_the_providers_reason(ali: AliyunStandIn) -> None:
    provider = _aliyun(ali)
    provider.submit_signature(SIGN, "公司简称")
    ali.review("signature", SIGN, "rejected", "证明材料不全")
    again = provider.submit_signature(SIGN, "公司简称")  # known to the account: its review
    assert (again.status, again.reason) == (REJECTED, "证明材料不全")
    assert ali.actions[-2:] == ["AddSmsSign", "QuerySmsSign"]
    refused = provider.submit_template("无退订", template_pieces("会员5折"), "营销")
    assert refused.status == REJECTED and "isv.SMS_TEMPLATE_ILLEGAL" in refused.reason
    review = provider.submit_template("双十一", template_pieces(TEXT), "营销")
    ali.review("template", review.ref, "rejected", "含有营销敏感词")
    assert provider.template_review(review.ref) == type(review)(
        REJECTED, ref=review.ref, reason="含有营销敏感词"
    )


def test_aliyun_receipts_and_replies_parse(ali: AliyunStandIn) -> None:
    provider = _aliyun(ali)
    code = _approved_aliyun(ali, provider)
    texts = [_sms(code, PARAMS, f"+861380000000{n}") for n in range(2)]
    provider.send(texts)
    # The texts go out in parallel: the stand-in's records are paired by mobile.
    first, second = sorted(ali.sent, key=lambda sent: sent.mobile)
    body = json.dumps(
        [
            ali.report(first, success=True),
            ali.report(second, success=False, code="MK:0012"),
        ],
        ensure_ascii=False,
    ).encode()
    [delivered, failed] = aliyun_reports(body)
    assert (delivered.message_id, delivered.delivered) == (texts[0].message_id, True)
    assert delivered.provider_id == first.provider_id
    assert (failed.delivered, failed.detail) == (False, "MK:0012 失败")
    [reply] = aliyun_replies(json.dumps([ali.reply(MOBILE, "TD", sign=SIGN)]).encode())
    assert (reply.mobile, reply.text, reply.sign) == (MOBILE, "TD", SIGN)
    assert is_stop(reply.text)


# --- Tencent Cloud ---------------------------------------------------------------------------


def _approved_tencent(ten: TencentStandIn, provider: TencentSms) -> str:
    signature = provider.submit_signature(SIGN, "公司简称")
    assert signature.status == PENDING and signature.ref.isdigit()
    review = provider.submit_template("双十一", template_pieces(TEXT), "会员营销")
    assert ten.templates[review.ref].content == "{1}您好，会员5折 {2} 回T退订"
    assert provider.template_review(review.ref).status == PENDING
    ten.review("signature", SIGN, "approved")
    ten.review("template", review.ref, "approved")
    assert provider.signature_review(signature.ref, SIGN).status == APPROVED
    assert provider.template_review(review.ref).status == APPROVED
    return review.ref


def test_tencent_sends_with_session_context_and_the_template_params_in_order(
    ten: TencentStandIn,
) -> None:
    provider = _tencent(ten)
    template = _approved_tencent(ten, provider)
    sms = _sms(template, PARAMS)

    [outcome] = provider.send([sms])

    assert outcome.accepted and outcome.code == "Ok" and outcome.provider_id.startswith("3369:")
    [sent] = ten.sent
    assert (sent.mobile, sent.signature, sent.template) == (MOBILE, SIGN, template)
    assert sent.out_id == sms.message_id and sent.params == ["张伟", "https://hk.test/s/Ab3dE"]
    assert sent.text == "张伟您好，会员5折 https://hk.test/s/Ab3dE 回T退订"


def test_tencent_codes_limit_exceeded_is_soft_failed_operation_permanent(
    ten: TencentStandIn,
) -> None:
    provider = _tencent(ten, concurrency=3)
    template = _approved_tencent(ten, provider)
    ten.codes = {
        "+8613800000001": "LimitExceeded.PhoneNumberDailyLimit",
        "+8613800000002": "FailedOperation.PhoneNumberInBlacklist",
        "+8613800000003": "InvalidParameterValue.IncorrectPhoneNumber",
        "+8613800000004": "FailedOperation.InsufficientBalanceInSmsPackage",
    }
    texts = [_sms(template, PARAMS, f"+861380000000{n}") for n in range(5)]

    outcomes = provider.send(texts)

    assert [(o.accepted, o.permanent, o.code) for o in outcomes] == [
        (True, False, "Ok"),
        (False, False, "LimitExceeded.PhoneNumberDailyLimit"),
        (False, True, "FailedOperation.PhoneNumberInBlacklist"),
        (False, True, "InvalidParameterValue.IncorrectPhoneNumber"),
        (False, False, "FailedOperation.InsufficientBalanceInSmsPackage"),
    ]
    [wrong_count] = provider.send([_sms(template, (("name", "张伟"),))])
    assert (wrong_count.permanent, wrong_count.code) == (
        True,
        "InvalidParameterValue.TemplateParameterFormatError",
    )


def test_tencent_checks_the_tc3_signature_and_whole_request_errors_are_soft(
    ten: TencentStandIn,
) -> None:
    ten.signatures[SIGN] = Review(SIGN, "", status="approved")
    ten.templates["1"] = Review("通用", "{1}", status="approved")
    [forged] = _tencent(ten, secret="wrong").send([_sms("1", (("c", "x"),))])
    assert (forged.accepted, forged.permanent, forged.code) == (
        False,
        False,
        "AuthFailure.SignatureFailure",
    )
    [good] = _tencent(ten).send([_sms("1", (("c", "会员日，回T退订"),))])
    assert good.accepted and ten.sent[0].text == "会员日，回T退订"
    ten.api_error = (200, "RequestLimitExceeded")
    [limited] = _tencent(ten).send([_sms("1", (("c", "x"),))])
    assert (limited.permanent, limited.code) == (False, "RequestLimitExceeded")
    ten.api_error = None
    [plain] = _tencent(ten, catch_all_template="1").send(
        [OutgoingSms(str(uuid.uuid4()), "13800138000", SIGN, "会员日全场5折，回T退订")]
    )
    assert plain.accepted and ten.sent[-1].mobile == MOBILE  # a bare number gets +86


def test_tencent_receipts_and_replies_parse(ten: TencentStandIn) -> None:
    provider = _tencent(ten)
    template = _approved_tencent(ten, provider)
    provider.send([_sms(template, PARAMS)])
    sent = ten.sent[0]
    reports = [ten.report(sent, success=True), ten.report(sent, success=False, errmsg="MK:0005")]
    body = json.dumps(reports).encode()
    [delivered, failed] = tencent_reports(body)
    assert (delivered.provider_id, delivered.delivered, delivered.message_id) == (
        ten.sent[0].provider_id,
        True,
        "",  # Tencent's status callback names the send only by its SerialNo
    )
    assert not failed.delivered and failed.detail.startswith("MK:0005")
    one = json.dumps(ten.reply(MOBILE, "退订。", sign=SIGN)).encode()  # one object, not a list
    [reply] = tencent_replies(one)
    assert (reply.mobile, reply.text) == (MOBILE, "退订。") and is_stop(reply.text)
    assert not is_stop("请问退订后还能参加活动吗")


# --- both: no answer, sandbox ----------------------------------------------------------------


def test_a_request_that_gets_no_answer_is_never_sent_again() -> None:
    with silent_server() as url:
        aliyun_sms = AliyunSms("id", "secret", url, catch_all_template="SMS_1", timeout_seconds=1)
        tencent_sms = TencentSms(
            "id", "secret", "app", url, catch_all_template="1", timeout_seconds=1
        )
        for provider in (aliyun_sms, tencent_sms):
            [lost] = provider.send([OutgoingSms("m1", MOBILE, SIGN, "回T退订")])
            assert (lost.accepted, lost.permanent, lost.code) == (False, True, "NoAnswer")


def test_an_unreachable_provider_is_soft() -> None:
    with silent_server() as url:
        pass  # the port is closed again: nothing listens
    for provider in (
        AliyunSms("id", "secret", url, catch_all_template="SMS_1", timeout_seconds=1),
        TencentSms("id", "secret", "app", url, catch_all_template="1", timeout_seconds=1),
    ):
        [refused] = provider.send([OutgoingSms("m1", MOBILE, SIGN, "回T退订")])
        assert (refused.accepted, refused.permanent, refused.code) == (False, False, "Unreachable")


def test_the_sandbox_writes_json_lines(tmp_path: Path) -> None:
    sandbox = SandboxSms(tmp_path / "sms-outbox")
    texts = [OutgoingSms(f"m{n}", MOBILE, SIGN, "会员日5折，回T退订" * (n + 1)) for n in range(2)]
    outcomes = sandbox.send(texts)
    assert all(o.accepted for o in outcomes) and outcomes[0].provider_id == "sandbox-m0"
    lines = sandbox.sent()
    assert [line["message_id"] for line in lines] == ["m0", "m1"]
    assert lines[0]["text"] == "【获客科技】会员日5折，回T退订"
    assert (lines[0]["segments"], lines[1]["length"]) == (1, 26)


def test_template_syntax_per_provider() -> None:
    pieces = template_pieces(
        "{{name}}，{{city}}的{{name}}，详情 https://www.acme.cn/a/long/link 回T退订"
    )
    assert aliyun_template(pieces) == "${name}，${city}的${name}，详情 ${link1} 回T退订"
    assert tencent_template(pieces) == (
        "{1}，{2}的{1}，详情 {3} 回T退订",
        ["name", "city", "link1"],
    )
