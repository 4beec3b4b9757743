"""HTTP conventions shared by every controller: permissions, If-Match/ETag, pages, and
the route decorators.

Set once per controller, not per route:
- `get`/`post`/`put`/`patch`/`delete` here are Litestar's, run in a worker thread (every
  handler of ours is synchronous and waits on the database); `may=` names the action a
  route performs when its method does not say it.
- `guards = [tenant_may("leads")]` on a controller: each route needs the action it
  performs on that resource.
- `dependencies = IF_MATCH`: a handler parameter `expected_version: int` is the version
  the caller sent in If-Match (428 without one).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import litestar
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
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


_ACTION_OF_METHOD = {"GET": Action.READ, "DELETE": Action.DELETE}


def tenant_may(resource: str, action: Action | None = None) -> Guard:
    """Guard: a tenant API key whose roles allow `action` on `resource` (else 403).
    Without `action` (a controller's guard), each route's own action: the `may=` it was
    declared with, else what its method implies (GET read, DELETE delete, any other
    write update)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        caller = caller_of(connection.scope)
        if not isinstance(caller, TenantCaller):
            raise PermissionDenied("this route needs a tenant API key")
        caller.require(resource, action or _action_of(handler))

    guard.permission = ("tenant", resource, action)  # type: ignore[attr-defined]
    return guard


def permission_of(handler: BaseRouteHandler) -> tuple[str, str, str] | None:
    """(`tenant` or `staff`, resource, action) a route's first permission guard asks
    for, with a controller's guard resolved to the route's own action (for the docs)."""
    for guard in handler.resolve_guards():
        permission = getattr(_unwrapped(guard), "permission", None)
        if permission is not None:
            kind, resource, action = permission
            return kind, resource, str(action or _action_of(handler))
    return None


def _action_of(handler: BaseRouteHandler) -> Action:
    named = handler.opt.get("may")
    if named is not None:
        return Action(named)
    methods = getattr(handler, "http_methods", set())
    method = next(iter(methods)) if len(methods) == 1 else ""
    return _ACTION_OF_METHOD.get(method, Action.UPDATE)


def _route(decorator: type[HTTPRouteHandler]) -> Callable[..., HTTPRouteHandler]:
    def route(
        path: str | None = None, *, may: Action | None = None, **kwargs: Any
    ) -> HTTPRouteHandler:
        opt = dict(kwargs.pop("opt", None) or {})
        if may is not None:
            opt["may"] = may.value
        kwargs.setdefault("sync_to_thread", True)
        return decorator(path, opt=opt, **kwargs)

    route.__doc__ = f"Litestar's `{decorator.__name__}`, in a worker thread; `may`: the action."
    return route


get = _route(litestar.get)
post = _route(litestar.post)
put = _route(litestar.put)
patch = _route(litestar.patch)
delete = _route(litestar.delete)


def staff_may(resource: str, action: Action) -> Guard:
    """Guard: a platform staff token whose roles allow `action` on `resource` (else 403)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        caller = caller_of(connection.scope)
        if not isinstance(caller, StaffCaller):
            raise PermissionDenied("the back office needs a staff token")
        caller.require(resource, action)

    guard.permission = ("staff", resource, str(action))  # type: ignore[attr-defined]  # openapi.py
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
    """The version named by If-Match (`"3"`, `W/"3"` or `3`); 428 when absent. The
    provider of `expected_version` (a controller's `dependencies = IF_MATCH`)."""
    version = optional_if_match(request)
    if version is None:
        raise PreconditionRequired(detail="send If-Match with the version (ETag) you last read")
    return version


def optional_if_match(request: Request[Any, Any, Any]) -> int | None:
    """The version named by If-Match, or None when the caller sent none (the provider
    of `expected_version` with `dependencies = OPTIONAL_IF_MATCH`)."""
    value = request.headers.get("if-match")
    if value is None:
        return None
    match = _IF_MATCH.match(value.strip())
    if not match:
        raise InvalidInput('If-Match must be a version such as "3"', field="If-Match")
    return int(match.group(1))


# A controller's `dependencies`: handlers take `expected_version` (If-Match).
IF_MATCH = {"expected_version": Provide(if_match, sync_to_thread=False)}
OPTIONAL_IF_MATCH = {"expected_version": Provide(optional_if_match, sync_to_thread=False)}


def if_match_of(handler: HTTPRouteHandler) -> str | None:
    """`required` or `optional` when the route takes `expected_version` from If-Match,
    else None (for the docs)."""
    if "expected_version" not in inspect.signature(_unwrapped(handler.fn)).parameters:
        return None
    provider = handler.resolve_dependencies().get("expected_version")
    by = _unwrapped(getattr(provider, "dependency", None))
    return {if_match: "required", optional_if_match: "optional"}.get(by)


def _unwrapped(fn: Any) -> Any:
    """The function itself, under Litestar's sync-to-thread wrappers."""
    while hasattr(fn, "func"):
        fn = fn.func
    return fn


def with_etag(details: Any, status_code: int = 200) -> Response[Any]:
    """The record with its version as ETag, for the next If-Match."""
    return Response(details, status_code=status_code, headers={"ETag": f'"{details.version}"'})


class ListOf(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next page."""

    items: list[T]
    next_cursor: str | None


def page_of(page: Page[T]) -> ListOf[T]:
    return ListOf[Any](items=page.items, next_cursor=page.next_cursor)
