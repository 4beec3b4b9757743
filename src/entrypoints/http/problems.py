"""Every error leaves as application/problem+json with a stable `code` (DESIGN.md)."""

from __future__ import annotations

import logging
import re
from typing import Any, NamedTuple

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from application.shared.errors import (
    AlreadyExists,
    ApplicationError,
    Busy,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ProviderUnavailable,
    Unauthenticated,
    VersionConflict,
)
from domain.shared.errors import DomainError, InvalidValue, StateConflict
from domain.tenancy.order import AmountMismatch
from domain.tenancy.subscription import SubscriptionInactive
from domain.tenancy.usage import QuotaExceeded
from entrypoints.http.languages import Catalogue, preferred_language

log = logging.getLogger("huoke.http")
PROBLEM_JSON = "application/problem+json"

_APPLICATION_STATUS: dict[type[ApplicationError], int] = {
    NotFound: 404,
    VersionConflict: 409,
    AlreadyExists: 409,
    PermissionDenied: 403,
    Unauthenticated: 401,
    InvalidInput: 422,
    ProviderUnavailable: 502,
    Busy: 429,
}
_HTTP_CODES = {
    400: "malformed_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    428: "if_match_required",
    502: "provider_unavailable",
    429: "rate_limited",
    503: "unavailable",
}


class PreconditionRequired(HTTPException):
    status_code = 428


# Placeholders of these names hold English words of the catalogue themselves (a record's
# kind, a state, an action...), translated in turn; all others hold values (ids, numbers,
# names, keys) that stay as they are.
_WORDS = frozenset(("thing", "things", "kind", "op", "action", "resource", "state", "message"))
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_WORD = r"[\w.\[\]-]+"


class DetailShape(NamedTuple):
    """An English message made from a template: `pattern` reads its parts, `msgid` is the
    template (python-format) in the catalogue."""

    pattern: re.Pattern[str]
    msgid: str

    @classmethod
    def of(cls, msgid: str, pattern: str | None = None) -> DetailShape:
        """The shape of `msgid`, read by `pattern`; by default each placeholder reads any text."""
        if pattern is None:
            pieces = _PLACEHOLDER.split(msgid)  # text, name, text, name, ..., text
            pattern = "".join(
                re.escape(piece) if index % 2 == 0 else f"(?P<{piece}>.+?)"
                for index, piece in enumerate(pieces)
            )
        return cls(re.compile(pattern), msgid)


# Templates whose parts need a narrower reading than "any text"; tried first, in order.
# Every other python-format msgid of the catalogue is a shape of its own, read the default way.
_NARROW_SHAPES = tuple(
    DetailShape.of(msgid, pattern)
    for pattern, msgid in (
        (
            r"String should have at most (?P<max>\d+) characters?",
            "String should have at most %(max)s characters",
        ),
        (
            r"String should have at least (?P<min>\d+) characters?",
            "String should have at least %(min)s characters",
        ),
        (
            r"List should have at most (?P<max>\d+) items? after validation, not (?P<got>\d+)",
            "List should have at most %(max)s items after validation, not %(got)s",
        ),
        (
            r"List should have at least (?P<min>\d+) items? after validation, not (?P<got>\d+)",
            "List should have at least %(min)s items after validation, not %(got)s",
        ),
        (r"Input should be a valid (?P<kind>[\w ]+?)(?:, .*)?", "Input should be a valid %(kind)s"),
        (
            r"Input should be (?P<op>(?:greater|less) than(?: or equal to)?) (?P<bound>\S+)",
            "Input should be %(op)s %(bound)s",
        ),
        (r"Input should be (?P<choices>'.+)", "Input should be %(choices)s"),
        (rf"(?P<field>{_WORD}) must not be empty", "%(field)s must not be empty"),
        (rf"(?P<field>{_WORD}) is required", "%(field)s is required"),
        (r"no (?P<thing>[A-Z]\w*) (?P<id>\S+)", "no %(thing)s %(id)s"),
        (r"no (?P<thing>[a-z][a-z -]*?) (?P<id>'[^']*'|[\w-]+)", "no %(thing)s %(id)s"),
        (r"unknown (?P<thing>[a-z][a-z -]*?) (?P<value>'[^']*')", "unknown %(thing)s %(value)s"),
        (
            r"an? (?P<thing>[a-z][a-z -]*?) (?P<key>'[^']*') exists already",
            "a %(thing)s %(key)s exists already",
        ),
        (
            r"roles (?P<roles>[\w, ]+) may not (?P<action>\w+) (?P<resource>\S+)",
            "roles %(roles)s may not %(action)s %(resource)s",
        ),
        # a validation problem's detail: the field, then the first message about it
        (rf"(?P<field>{_WORD}): (?P<message>.+)", "%(field)s: %(message)s"),
    )
)
_CATALOGUES = {"zh-CN": Catalogue.read("problems", "zh-CN")}


def _shapes(catalogue: Catalogue) -> tuple[DetailShape, ...]:
    narrow = {shape.msgid for shape in _NARROW_SHAPES}
    return _NARROW_SHAPES + tuple(
        DetailShape.of(msgid)
        for msgid in catalogue.messages
        if "%(" in msgid and msgid not in narrow
    )


_SHAPES = {language: _shapes(catalogue) for language, catalogue in _CATALOGUES.items()}


def problem_language(request: Request[Any, Any, Any]) -> str:
    """The language of the caller's problems: zh-CN when it prefers Chinese, else en."""
    return preferred_language(request.headers.get("accept-language"))


def translated(text: str, language: str) -> str:
    """`text` (an English title or message) in `language`: a msgid of the catalogue, or a
    message of a known shape whose template is one; otherwise `text` unchanged."""
    catalogue = _CATALOGUES.get(language)
    if catalogue is None:
        return text
    return _translate(text, catalogue, _SHAPES[language]) or text


def _translate(text: str, catalogue: Catalogue, shapes: tuple[DetailShape, ...]) -> str | None:
    if text in catalogue:
        return catalogue.gettext(text)
    for shape in shapes:
        match = shape.pattern.fullmatch(text)
        if match is None:
            continue
        params: dict[str, str] = match.groupdict()
        for name in params.keys() & _WORDS:
            # a part the catalogue lacks leaves the whole message English, never half
            part = _translate(params[name], catalogue, shapes)
            if part is None:
                break
            params[name] = part
        else:
            return catalogue.gettext(shape.msgid, params)
    return None


def _title(code: str) -> str:
    return code.replace("_", " ").capitalize()


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    language = problem_language(request)
    body = {
        "type": f"/problems/{code}",
        "title": translated(_title(code), language),
        "status": status,
        "code": code,
        "detail": translated(detail, language),
        "instance": request.url.path,
        "request_id": request.scope.get("huoke.request_id"),
        **{key: value for key, value in extra.items() if value is not None},
    }
    # Vary: a cache must not hand a Chinese problem to a client that asked in English.
    headers = {**(headers or {}), "Content-Language": language, "Vary": "Accept-Language"}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def on_application_error(request: Request[Any, Any, Any], exc: ApplicationError) -> Response[Any]:
    status = next((code for cls, code in _APPLICATION_STATUS.items() if isinstance(exc, cls)), 400)
    retry_after = getattr(exc, "retry_after", None)
    return problem(
        request,
        status,
        exc.code,
        exc.message,
        headers={"Retry-After": str(retry_after)} if retry_after else None,
        retry_after=retry_after,
        field=getattr(exc, "field", None),
        # an input limit (ADR 0011) names the rule and its bound
        rule=getattr(exc, "rule", None),
        limit=getattr(exc, "limit", None),
    )


def on_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if isinstance(exc, QuotaExceeded):
        # Only a monthly quota frees up with time; a ceiling (seats, accounts) needs use
        # given back or a bigger plan, so no Retry-After is promised (ADR 0011).
        resets = exc.resets_in_seconds
        return problem(
            request,
            429,
            exc.code,
            exc.message,
            headers={"Retry-After": str(resets)} if resets else None,
            quota=exc.quota,
            limit=exc.limit,
            used=exc.used,
            retry_after=resets,
        )
    if isinstance(exc, SubscriptionInactive):
        return problem(request, 403, exc.code, exc.message, field=exc.field)
    status = 422 if isinstance(exc, InvalidValue) else 409
    known = InvalidValue | StateConflict | AmountMismatch
    code = exc.code if isinstance(exc, known) else "rule_violated"
    return problem(request, status, code, exc.message, field=exc.field)


def on_validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = [
        {"field": item.get("key"), "message": item.get("message"), "source": item.get("source")}
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    if not errors:  # the body is not JSON at all
        return problem(request, 422, "malformed_json", str(exc.detail))
    first = errors[0]
    detail = f"{first['field']}: {first['message']}" if first["field"] else str(first["message"])
    language = problem_language(request)
    for error in errors:  # each field's message in the caller's language too (fields stay)
        if isinstance(error["message"], str):
            error["message"] = translated(error["message"], language)
    return problem(request, 422, "invalid_input", detail, field=first["field"], errors=errors)


def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status == 400:  # Litestar answers 400 for bodies it cannot decode: still our 422
        return problem(request, 422, "malformed_json", str(exc.detail))
    headers = dict(exc.headers or {})  # e.g. `Allow` of a 405, `RateLimit-*` of a 429
    if status == 429:
        headers["Retry-After"] = _retry_after(headers)
    code = _HTTP_CODES.get(status, "error")
    return problem(request, status, code, str(exc.detail), headers=headers)


def _retry_after(headers: dict[str, str]) -> str:
    """Seconds until the rate limiter's window starts over (its `RateLimit-Reset`), at
    least 1; a whole window when it did not say."""
    try:
        return str(max(1, int(headers.get("RateLimit-Reset", "60"))))
    except ValueError:
        return "60"


def on_unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", exc_info=exc)
    return problem(request, 500, "internal_error", "an unexpected error occurred; it was logged")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApplicationError: on_application_error,
    DomainError: on_domain_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected_error,
}
