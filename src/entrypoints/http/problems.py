"""Every error leaves as application/problem+json with a stable `code` (DESIGN.md)."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from application.shared.errors import (
    AlreadyExists,
    ApplicationError,
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


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body = {
        "type": f"/problems/{code}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "code": code,
        "detail": detail,
        "instance": request.url.path,
        "request_id": request.scope.get("huoke.request_id"),
        **{key: value for key, value in extra.items() if value is not None},
    }
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers or None)


def on_application_error(request: Request[Any, Any, Any], exc: ApplicationError) -> Response[Any]:
    status = next((code for cls, code in _APPLICATION_STATUS.items() if isinstance(exc, cls)), 400)
    return problem(
        request,
        status,
        exc.code,
        exc.message,
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
