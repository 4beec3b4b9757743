"""Errors on console pages answer as pages (404, 403, 409, 429, 500) in the person's
language, never as JSON; an ended session goes back to the sign-in page."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Template

from application.shared.errors import (
    ApplicationError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    VersionConflict,
)
from domain.shared.errors import DomainError, InvalidValue
from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _
from entrypoints.web.pages import (
    layout_context,
    prepare_page,
    set_console_cookies,
    sign_in_redirect,
)

log = logging.getLogger("huoke.console")


class CsrfRefused(PermissionDenied):
    """An unsafe console request without the form's CSRF token."""

    code = "csrf_refused"


_PAGES = {
    400: N_("请求无法处理"),
    403: N_("无权访问"),
    404: N_("页面不存在"),
    405: N_("不支持的操作"),
    409: N_("记录已变化"),
    413: N_("内容过大"),
    422: N_("输入有误"),
    429: N_("操作过于频繁"),
    500: N_("出错了"),
}


def error_page(request: Request[Any, Any, Any], status: int, detail: str) -> Response[Any]:
    title = _(_PAGES.get(status, _PAGES[500]))
    response = Template(
        template_name="frame/error.html",
        context={
            **layout_context(request),
            "title": title,
            "status": status,
            "detail": detail,
            "request_id": request.scope.get("huoke.request_id"),
        },
        status_code=status,
    )
    set_console_cookies(request, response)
    return response


def on_console_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every exception a console request raises, as a page."""
    if "huoke.csrf_token" not in request.scope:  # an unknown path never reached the hook
        prepare_page(request)
    if isinstance(exc, Unauthenticated | NotAuthorizedException):
        return sign_in_redirect(request)
    if isinstance(exc, CsrfRefused):
        return error_page(request, 403, _("表单已过期或来源不明，请刷新页面后重试。"))
    if isinstance(exc, PermissionDenied):
        return error_page(request, 403, _("您的角色无权执行此操作。"))
    if isinstance(exc, NotFound):
        return error_page(request, 404, _("找不到这个页面或记录。"))
    if isinstance(exc, VersionConflict):
        return error_page(request, 409, _("记录刚被其他人修改，请返回刷新后重试。"))
    if isinstance(exc, InvalidInput | InvalidValue):
        return error_page(request, 422, str(exc))
    if isinstance(exc, ApplicationError | DomainError):
        return error_page(request, 409, str(exc))
    if isinstance(exc, HTTPException):
        status = exc.status_code
        detail = _("找不到这个页面或记录。") if status == 404 else str(exc.detail)
        response = error_page(request, status, detail)
        if status == 429:
            response.headers["Retry-After"] = (exc.headers or {}).get("RateLimit-Reset", "60")
        return response
    log.exception("unhandled console error", exc_info=exc)
    return error_page(request, 500, _("发生了意外错误，已记录。"))
