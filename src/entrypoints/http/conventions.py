"""HTTP conventions shared by every controller: permissions, If-Match/ETag, pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from pydantic import BaseModel

from application.shared.callers import StaffCaller, TenantCaller
from application.shared.errors import InvalidInput, PermissionDenied
from application.shared.pages import Page
from domain.shared.access import Action
from entrypoints.http.problems import PreconditionRequired
from entrypoints.http.requests import caller_of

T = TypeVar("T")
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]
_IF_MATCH = re.compile(r'^(?:W/)?"?(\d{1,12})"?$')


def tenant_may(resource: str, action: Action) -> Guard:
    """Guard: a tenant API key whose roles allow `action` on `resource` (else 403)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        caller = caller_of(connection.scope)
        if not isinstance(caller, TenantCaller):
            raise PermissionDenied("this route needs a tenant API key")
        caller.require(resource, action)

    return guard


def staff_may(resource: str, action: Action) -> Guard:
    """Guard: a platform staff token whose roles allow `action` on `resource` (else 403)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        caller = caller_of(connection.scope)
        if not isinstance(caller, StaffCaller):
            raise PermissionDenied("the back office needs a staff token")
        caller.require(resource, action)

    return guard


def tenant_caller(request: Request[Any, Any, Any]) -> TenantCaller:
    caller = caller_of(request.scope)
    if not isinstance(caller, TenantCaller):
        raise PermissionDenied("this route needs a tenant API key")
    return caller


def staff_caller(request: Request[Any, Any, Any]) -> StaffCaller:
    caller = caller_of(request.scope)
    if not isinstance(caller, StaffCaller):
        raise PermissionDenied("the back office needs a staff token")
    return caller


def if_match(request: Request[Any, Any, Any]) -> int:
    """The version named by If-Match (`"3"`, `W/"3"` or `3`); 428 when absent."""
    version = optional_if_match(request)
    if version is None:
        raise PreconditionRequired(detail="send If-Match with the version (ETag) you last read")
    return version


def optional_if_match(request: Request[Any, Any, Any]) -> int | None:
    """The version named by If-Match, or None when the caller sent none."""
    value = request.headers.get("if-match")
    if value is None:
        return None
    match = _IF_MATCH.match(value.strip())
    if not match:
        raise InvalidInput('If-Match must be a version such as "3"', field="If-Match")
    return int(match.group(1))


def with_etag(details: Any, status_code: int = 200) -> Response[Any]:
    """The record with its version as ETag, for the next If-Match."""
    return Response(details, status_code=status_code, headers={"ETag": f'"{details.version}"'})


class ListOf(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next page."""

    items: list[T]
    next_cursor: str | None


def page_of(page: Page[T]) -> ListOf[T]:
    return ListOf[Any](items=page.items, next_cursor=page.next_cursor)
