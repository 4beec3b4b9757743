"""Local HTTP servers that answer like Aliyun SMS and Tencent Cloud SMS, so the adapters'
official SDKs talk their real protocol over a real socket (SMS-4).

Each stand-in checks the request's signature as its provider does (Aliyun ACS3-HMAC-
SHA256, Tencent TC3-HMAC-SHA256), reads the action (`x-acs-action` / `X-TC-Action`),
keeps the signatures and templates submitted with their review state (a test decides
it), and sends nothing: it records each text it "sent" (the template filled with the
parameters) and answers in the provider's documented JSON, error codes included. It
also writes the receipts (Aliyun SmsReport / SmsUp, Tencent status and reply callbacks)
for what it sent, in each provider's documented callback format.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit


@dataclass
class SentText:
    """One text the stand-in took: who, the signature, the template, the filled text."""

    mobile: str
    signature: str
    template: str
    params: Any
    text: str
    out_id: str  # Aliyun OutId / Tencent SessionContext
    provider_id: str  # Aliyun BizId / Tencent SerialNo


@dataclass
class Review:
    """A signature or template submitted for review, and where its review stands."""

    name: str
    content: str
    status: str = "pending"  # pending, approved, rejected
    reason: str = ""


@dataclass
class StandIn:
    """What both stand-ins share: the state a test sets and reads."""

    key_id: str
    secret: str
    url: str = ""
    sent: list[SentText] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    signatures: dict[str, Review] = field(default_factory=dict)
    templates: dict[str, Review] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)  # mobile -> the code to answer
    api_error: tuple[int, str] | None = None  # (HTTP status, code) for every request
    catch_all: str = ""  # a template approved from the start, one variable for the text
    lock: threading.Lock = field(default_factory=threading.Lock)
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def number(self) -> int:
        with self.lock:
            return next(self._numbers)

    def review(self, kind: str, ref: str, status: str, reason: str = "") -> None:
        book = self.signatures if kind == "signature" else self.templates
        book[ref].status = status
        book[ref].reason = reason


# --- Aliyun ----------------------------------------------------------------------------------

_ALIYUN_VARIABLE = re.compile(r"\$\{(\w+)\}")


class AliyunStandIn(StandIn):
    """Aliyun dysmsapi 2017-05-25: SendSms, AddSmsSign, QuerySmsSign, AddSmsTemplate,
    QuerySmsTemplate."""

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        query = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            query.update(parse_qsl(body.decode(), keep_blank_values=True))
        action = headers.get("x-acs-action") or query.get("Action", "")
        self.actions.append(action)
        request_id = str(uuid.uuid4()).upper()
        refused = self._authenticate(method, path, headers, body)
        if refused is not None:
            status, code = refused
            return status, {"RequestId": request_id, "Code": code, "Message": code}
        if self.api_error is not None:
            status, code = self.api_error
            return status, {"RequestId": request_id, "Code": code, "Message": "refused"}
        answer = getattr(self, f"_{action}", None)
        if answer is None:
            return 404, {"RequestId": request_id, "Code": "InvalidAction.NotFound"}
        return 200, {"RequestId": request_id, **answer(query)}

    def _authenticate(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str] | None:
        """ACS3-HMAC-SHA256 (the SDK's default signature, version 3)."""
        found = re.fullmatch(
            r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=(\w+)",
            headers.get("authorization", ""),
        )
        if found is None:
            return 400, "IncompleteSignature"
        key_id, signed_headers, signature = found.groups()
        if key_id != self.key_id:
            return 404, "InvalidAccessKeyId.NotFound"
        payload = hashlib.sha256(body).hexdigest()
        if headers.get("x-acs-content-sha256") != payload:
            return 400, "IncompleteSignature"
        parts = urlsplit(path)
        pairs = sorted(parse_qsl(parts.query, keep_blank_values=True))
        canonical_query = "&".join(f"{k}={quote(v, safe='~')}" for k, v in pairs)
        names = signed_headers.split(";")
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in names)
        canonical = "\n".join(
            [method, parts.path or "/", canonical_query, canonical_headers, signed_headers, payload]
        )
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        expected = hmac.new(self.secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return 400, "SignatureDoesNotMatch"
        return None

    def _SendSms(self, query: dict[str, str]) -> dict[str, Any]:
        mobile = query.get("PhoneNumbers", "")
        code = self.codes.get(mobile)
        if code:
            return {"Code": code, "Message": _ALIYUN_MESSAGES.get(code, code)}
        sign = query.get("SignName", "")
        if sign not in self.signatures or self.signatures[sign].status != "approved":
            return {"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "签名不合法"}
        template_code = query.get("TemplateCode", "")
        template = self.templates.get(template_code)
        if template is None or template.status != "approved":
            return {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法"}
        params = json.loads(query.get("TemplateParam") or "{}")
        missing = [v for v in _ALIYUN_VARIABLE.findall(template.content) if v not in params]
        if missing:
            return {"Code": "isv.TEMPLATE_MISSING_PARAMETERS", "Message": "模板缺少变量"}
        text = _ALIYUN_VARIABLE.sub(lambda m: str(params[m.group(1)]), template.content)
        biz_id = f"{self.number():06d}{uuid.uuid4().int % 10**10:010d}^0"
        with self.lock:
            self.sent.append(
                SentText(mobile, sign, template_code, params, text, query.get("OutId", ""), biz_id)
            )
        return {"Code": "OK", "Message": "OK", "BizId": biz_id}

    def _AddSmsSign(self, query: dict[str, str]) -> dict[str, Any]:
        name = query.get("SignName", "")
        if name in self.signatures:
            return {"Code": "isv.SMS_SIGN_NAME_DUPLICATE", "Message": "签名名称重复"}
        self.signatures[name] = Review(name, query.get("Remark", ""))
        return {"Code": "OK", "Message": "OK", "SignName": name}

    def _QuerySmsSign(self, query: dict[str, str]) -> dict[str, Any]:
        review = self.signatures.get(query.get("SignName", ""))
        if review is None:
            return {"Code": "isv.SMS_SIGN_ILLEGAL", "Message": "签名不存在"}
        status = {"pending": 0, "approved": 1, "rejected": 2}[review.status]
        return {
            "Code": "OK",
            "Message": "OK",
            "SignName": review.name,
            "SignStatus": status,
            "Reason": review.reason,
            "CreateDate": "2026-12-02 08:00:00",
        }

    def _AddSmsTemplate(self, query: dict[str, str]) -> dict[str, Any]:
        content = query.get("TemplateContent", "")
        if "退订" not in content and "拒收" not in content:
            return {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "营销短信需带退订方式"}
        code = f"SMS_{460000000 + self.number()}"
        self.templates[code] = Review(query.get("TemplateName", ""), content)
        return {"Code": "OK", "Message": "OK", "TemplateCode": code}

    def _QuerySmsTemplate(self, query: dict[str, str]) -> dict[str, Any]:
        code = query.get("TemplateCode", "")
        review = self.templates.get(code)
        if review is None:
            return {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不存在"}
        status = {"pending": 0, "approved": 1, "rejected": 2}[review.status]
        return {
            "Code": "OK",
            "Message": "OK",
            "TemplateCode": code,
            "TemplateStatus": status,
            "TemplateContent": review.content,
            "TemplateName": review.name,
            "TemplateType": 2,
            "Reason": review.reason,
            "CreateDate": "2026-12-02 08:00:00",
        }

    # receipts in Aliyun's callback format (SmsReport, SmsUp)

    def report(self, sent: SentText, *, success: bool, code: str = "DELIVERED") -> dict[str, Any]:
        return {
            "phone_number": sent.mobile.removeprefix("+86"),
            "send_time": "2026-12-02 08:00:00",
            "report_time": "2026-12-02 08:00:05",
            "success": success,
            "err_code": code,
            "err_msg": "用户接收成功" if success else "失败",
            "sms_size": "1",
            "biz_id": sent.provider_id,
            "out_id": sent.out_id,
        }

    @staticmethod
    def reply(mobile: str, content: str, *, sign: str, sequence: int = 1) -> dict[str, Any]:
        return {
            "phone_number": mobile.removeprefix("+86"),
            "send_time": "2026-12-02 09:00:00",
            "content": content,
            "sign_name": sign,
            "dest_code": "1234",
            "sequence_id": sequence,
        }


_ALIYUN_MESSAGES = {
    "isv.BUSINESS_LIMIT_CONTROL": "触发号码天级流控Permits:10",
    "isv.MOBILE_NUMBER_ILLEGAL": "手机号码格式错误",
    "isv.BLACK_KEY_CONTROL_LIMIT": "模板变量中存在黑名单关键字",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
}


# --- Tencent Cloud ---------------------------------------------------------------------------

_TENCENT_VARIABLE = re.compile(r"\{(\d+)\}")


@dataclass
class TencentStandIn(StandIn):
    """Tencent Cloud SMS 2021-01-11: SendSms, AddSmsSign, DescribeSmsSignList,
    AddSmsTemplate, DescribeSmsTemplateList."""

    app_id: str = "1400000001"
    sign_ids: dict[int, str] = field(default_factory=dict)

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        action = headers.get("x-tc-action", "")
        self.actions.append(action)
        request_id = str(uuid.uuid4())
        code = self._authenticate(headers, body)
        if code is None and self.api_error is not None:
            code = self.api_error[1]
        if code is not None:
            return 200, {
                "Response": {"Error": {"Code": code, "Message": code}, "RequestId": request_id}
            }
        answer = getattr(self, f"_{action}", None)
        if answer is None:
            error = {"Code": "InvalidAction", "Message": action}
            return 200, {"Response": {"Error": error, "RequestId": request_id}}
        params = json.loads(body or b"{}")
        return 200, {"Response": {**answer(params), "RequestId": request_id}}

    def _authenticate(self, headers: dict[str, str], body: bytes) -> str | None:
        found = re.fullmatch(
            r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/(\w+)/tc3_request, "
            r"SignedHeaders=([\w;-]+), Signature=(\w+)",
            headers.get("authorization", ""),
        )
        if found is None:
            return "AuthFailure.SignatureFailure"
        key_id, date, service, signed_headers, signature = found.groups()
        if key_id != self.key_id:
            return "AuthFailure.SecretIdNotFound"
        timestamp = headers.get("x-tc-timestamp", "")
        names = signed_headers.split(";")
        canonical_headers = "".join(f"{name}:{headers.get(name, '')}\n" for name in names)
        canonical = "\n".join(
            ["POST", "/", "", canonical_headers, signed_headers, hashlib.sha256(body).hexdigest()]
        )
        scope = f"{date}/{service}/tc3_request"
        to_sign = "\n".join(
            ["TC3-HMAC-SHA256", timestamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )

        def sign(key: bytes, message: str) -> bytes:
            return hmac.new(key, message.encode(), hashlib.sha256).digest()

        key = sign(sign(sign(("TC3" + self.secret).encode(), date), service), "tc3_request")
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return "AuthFailure.SignatureFailure"
        return None

    def _SendSms(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("SmsSdkAppId") != self.app_id:
            return {"Error": {"Code": "FailedOperation.SmsSdkAppIdVerifyFail", "Message": "-"}}
        statuses = []
        for mobile in params.get("PhoneNumberSet", []):
            statuses.append(self._send_one(mobile, params))
        return {"SendStatusSet": statuses}

    def _send_one(self, mobile: str, params: dict[str, Any]) -> dict[str, Any]:
        status = {
            "SerialNo": "",
            "PhoneNumber": mobile,
            "Fee": 0,
            "SessionContext": params.get("SessionContext", ""),
            "IsoCode": "CN",
        }
        code = self.codes.get(mobile)
        sign = params.get("SignName", "")
        template = self.templates.get(str(params.get("TemplateId", "")))
        values = params.get("TemplateParamSet") or []
        if not code and (sign not in self.signatures or self.signatures[sign].status != "approved"):
            code = "FailedOperation.SignatureIncorrectOrUnapproved"
        if not code and (template is None or template.status != "approved"):
            code = "FailedOperation.TemplateIncorrectOrUnapproved"
        if not code and template is not None:
            wanted = {int(n) for n in _TENCENT_VARIABLE.findall(template.content)}
            if wanted != set(range(1, len(values) + 1)):
                code = "InvalidParameterValue.TemplateParameterFormatError"
        if code:
            return {**status, "Code": code, "Message": code}
        assert template is not None
        text = _TENCENT_VARIABLE.sub(lambda m: str(values[int(m.group(1)) - 1]), template.content)
        serial = f"3369:{self.number():08d}{uuid.uuid4().int % 10**12:012d}"
        with self.lock:
            self.sent.append(
                SentText(
                    mobile,
                    sign,
                    str(params["TemplateId"]),
                    values,
                    text,
                    str(params.get("SessionContext", "")),
                    serial,
                )
            )
        fee = 1 + len(text) // 67 if len(text) > 70 else 1
        return {**status, "SerialNo": serial, "Fee": fee, "Code": "Ok", "Message": "send success"}

    def _AddSmsSign(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("SignName", "")
        if name in self.signatures:
            return {"Error": {"Code": "FailedOperation.SignNameAlreadyExist", "Message": name}}
        sign_id = 300000 + self.number()
        self.signatures[name] = Review(name, params.get("Remark", ""))
        self.sign_ids[sign_id] = name
        return {"AddSignStatus": {"SignId": sign_id}}

    def _DescribeSmsSignList(self, params: dict[str, Any]) -> dict[str, Any]:
        found = []
        for sign_id in params.get("SignIdSet", []):
            review = self.signatures[self.sign_ids[int(sign_id)]]
            found.append(
                {
                    "SignId": sign_id,
                    "International": 0,
                    "StatusCode": {"approved": 0, "pending": 1, "rejected": -1}[review.status],
                    "ReviewReply": review.reason,
                    "SignName": review.name,
                    "CreateTime": 1764662400,
                }
            )
        return {"DescribeSignListStatusSet": found}

    def _AddSmsTemplate(self, params: dict[str, Any]) -> dict[str, Any]:
        content = params.get("TemplateContent", "")
        if "退订" not in content:
            return {
                "Error": {"Code": "FailedOperation.MarketingSmsMissingUnsubscribe", "Message": "-"}
            }
        template_id = str(1_200_000 + self.number())
        self.templates[template_id] = Review(params.get("TemplateName", ""), content)
        return {"AddTemplateStatus": {"TemplateId": template_id}}

    def _DescribeSmsTemplateList(self, params: dict[str, Any]) -> dict[str, Any]:
        found = []
        for template_id in params.get("TemplateIdSet", []):
            review = self.templates[str(template_id)]
            found.append(
                {
                    "TemplateId": int(template_id),
                    "International": 0,
                    "StatusCode": {"approved": 0, "pending": 1, "rejected": -1}[review.status],
                    "ReviewReply": review.reason,
                    "TemplateName": review.name,
                    "TemplateContent": review.content,
                    "CreateTime": 1764662400,
                }
            )
        return {"DescribeTemplateStatusSet": found}

    # receipts in Tencent's callback format (status and reply callbacks)

    @staticmethod
    def report(sent: SentText, *, success: bool, errmsg: str = "DELIVRD") -> dict[str, Any]:
        return {
            "user_receive_time": "2026-12-02 08:00:05",
            "nationcode": "86",
            "mobile": sent.mobile.removeprefix("+86"),
            "report_status": "SUCCESS" if success else "FAIL",
            "errmsg": errmsg,
            "description": "用户短信送达成功" if success else "用户短信接收失败",
            "sid": sent.provider_id,
        }

    @staticmethod
    def reply(mobile: str, text: str, *, sign: str, at: int = 1764666000) -> dict[str, Any]:
        return {
            "extend": "",
            "mobile": mobile.removeprefix("+86"),
            "nationcode": "86",
            "sign": sign,
            "text": text,
            "time": at,
        }


# --- the server ------------------------------------------------------------------------------


def _handler(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, answer = stand_in.handle("POST", self.path, headers, body)
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serving(stand_in: StandIn) -> Iterator[StandIn]:
    """Run `stand_in` on a free local port (its `url`) until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stand_in))
    server.daemon_threads = True
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """A server that takes requests and never answers (the send's read times out)."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def aliyun(**values: Any) -> AliyunStandIn:
    return AliyunStandIn(key_id="LTAI5tStandIn", secret="aliyun-secret", **values)


def tencent(**values: Any) -> TencentStandIn:
    return TencentStandIn(key_id="AKIDStandIn", secret="tencent-secret", **values)
