"""Rendering a console page: the layout's context (who is signed in, their navigation,
language, time zone, CSRF token, flash) and HTMX partials of a table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from uuid import UUID

from litestar import Request, Response
from litestar.response import Redirect, Template

from application.shared.callers import Caller, StaffCaller, TenantCaller
from application.shared.errors import PermissionDenied
from application.shared.history import HistoryEntry, RecordHistory
from domain.shared.access import Action
from entrypoints.http.languages import preferred_language
from entrypoints.web.i18n import CHINESE, LANGUAGE_COOKIE, current_language, set_language
from entrypoints.web.nav import NavItem, NavSection, navigation
from entrypoints.web.sessions import FLASH_COOKIE, NONCE_COOKIE, ConsoleCookies, Flash
from entrypoints.web.tables import Table

DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Viewer:
    """The person looking at a console page, as the handlers need them."""

    caller: Caller
    display_name: str
    timezone: str

    @property
    def tenant(self) -> TenantCaller:
        """The caller as an employee of a tenant (pages under /console for tenants);
        anyone else (staff) is refused with the 403 page, never a 500."""
        if not isinstance(self.caller, TenantCaller):
            raise PermissionDenied("this page is for a tenant's employees")
        return self.caller

    @property
    def staff(self) -> StaffCaller:
        if not isinstance(self.caller, StaffCaller):
            raise PermissionDenied("this page is for platform staff")
        return self.caller

    @property
    def is_staff(self) -> bool:
        return isinstance(self.caller, StaffCaller)


def viewer_of(request: Request[Any, Any, Any]) -> Viewer | None:
    viewer = request.scope.get("huoke.viewer")
    return viewer if isinstance(viewer, Viewer) else None


def signed_in_viewer(request: Request[Any, Any, Any]) -> Viewer:
    """The viewer of a page behind the sign-in (the router's hook signs everyone else in
    first; a handler reached without one is refused, never a 500)."""
    viewer = viewer_of(request)
    if viewer is None:
        raise PermissionDenied("this page needs a sign-in")
    return viewer


def tenant_may(
    request: Request[Any, Any, Any], resource: str, action: Action = Action.READ
) -> TenantCaller:
    """The signed-in employee, if their roles allow `action` on `resource` (as the API's
    `tenant_may` guards decide); staff and other roles get the 403 page."""
    caller = signed_in_viewer(request).tenant
    caller.require(resource, action)
    return caller


def staff_may(
    request: Request[Any, Any, Any], resource: str, action: Action = Action.READ
) -> StaffCaller:
    """The signed-in staff member, if their roles allow `action` on `resource` (as the
    API's `staff_may` guards decide); a tenant's employee gets the 403 page."""
    caller = signed_in_viewer(request).staff
    caller.require(resource, action)
    return caller


def history_for(
    history: RecordHistory, caller: TenantCaller | StaffCaller, aggregate_id: UUID
) -> list[HistoryEntry] | None:
    """A record's events for its page, oldest first (frame/history.html shows the newest
    first), as GET /api/v1/history/{id} (staff: /api/v1/admin/history/{id}) answers them;
    None when the caller's roles may not read history (the page shows no history)."""
    if not caller.may("history", Action.READ):
        return None
    if isinstance(caller, StaffCaller):
        return history.of(aggregate_id, tenant_id=None)
    return history.seen_by(caller, aggregate_id)


def confirm_page(
    request: Request[Any, Any, Any],
    *,
    title: str,
    description: str,
    action: str,
    cancel: str,
    confirm_label: str,
    reason_required: bool | None = False,
    fields: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
    template: str = "frame/confirm.html",
    **context: Any,
) -> Template:
    """The confirmation step before an action (frame/confirm.html or a template extending
    it): what will happen, an optional reason (None: no reason field), hidden `fields`
    (the version shown), errors next to their fields and what was typed."""
    return page(
        request,
        template,
        title=title,
        description=description,
        action=action,
        cancel=cancel,
        confirm_label=confirm_label,
        reason_required=reason_required,
        fields=fields or {},
        values=values or {},
        errors=errors or {},
        status=status,
        **context,
    )


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    title: str,
    status: int = 200,
    table: Table | None = None,
    **context: Any,
) -> Template:
    """A whole page, or only its table when HTMX asks for that table (filters, sort,
    paging swap the table in place)."""
    if table is not None and request.headers.get("hx-target") == table.id:
        template, context = "frame/table_fragment.html", {}
    response = Template(
        template_name=template,
        context={**layout_context(request), "title": title, "table": table, **context},
        status_code=status,
    )
    set_console_cookies(request, response)
    return response


def layout_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    viewer = viewer_of(request)
    items: list[NavItem] = request.app.state.console_nav
    sections: list[NavSection] = navigation(items, viewer.caller if viewer else None)
    return {
        "viewer": viewer,
        "nav": sections,
        "current_path": request.url.path,
        "language": current_language(),
        "form_token": request.scope.get("huoke.csrf_token", ""),
        "flash": request.scope.get("huoke.flash"),
        "timezone": viewer.timezone if viewer else DEFAULT_TIMEZONE,
    }


def redirect(
    request: Request[Any, Any, Any], path: str, *, flash: Flash | None = None
) -> Response[Any]:
    """After a successful POST: see the result (with a flash message) at `path`. An HTMX
    request is told to navigate instead, so the whole page shows the result."""
    response: Response[Any]
    if request.headers.get("hx-request"):
        response = Response(content=b"", status_code=204, headers={"HX-Redirect": path})
    else:
        response = Redirect(path, status_code=303)
    if flash is not None:
        cookies: ConsoleCookies = request.app.state.console_cookies
        response.set_cookie(
            FLASH_COOKIE,
            cookies.flash_value(flash),
            path="/console",
            httponly=True,
            samesite="lax",
            secure=is_secure(request),
        )
    set_console_cookies(request, response)
    return response


def set_console_cookies(request: Request[Any, Any, Any], response: Response[Any]) -> None:
    """The CSRF nonce the page was rendered with; the flash it has shown is cleared."""
    new_nonce = request.scope.get("huoke.new_nonce")
    if new_nonce:
        response.set_cookie(
            NONCE_COOKIE,
            new_nonce,
            path="/console",
            httponly=True,
            samesite="lax",
            secure=is_secure(request),
        )
    shown = request.scope.get("huoke.flash")
    if shown is not None and not any(c.key == FLASH_COOKIE for c in response.cookies):
        response.delete_cookie(FLASH_COOKIE, path="/console")


def sign_in_redirect(request: Request[Any, Any, Any]) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    path = f"/console/sign-in?next={quote(target, safe='')}"
    if request.headers.get("hx-request"):
        return Response(content=b"", status_code=204, headers={"HX-Redirect": path})
    return Redirect(path, status_code=303)


def prepare_page(request: Request[Any, Any, Any]) -> None:
    """What every console page needs before it renders: the language, a CSRF nonce (a
    new one when the browser has none yet) and the flash message to show once."""
    cookies: ConsoleCookies = request.app.state.console_cookies
    set_language(language_of(request))
    nonce = request.cookies.get(NONCE_COOKIE)
    if not cookies.nonce_is_valid(nonce):
        nonce = cookies.new_nonce()
        request.scope["huoke.new_nonce"] = nonce  # type: ignore[typeddict-unknown-key]
    assert nonce is not None
    request.scope["huoke.csrf_token"] = cookies.csrf_token(nonce)  # type: ignore[typeddict-unknown-key]
    flash = cookies.flash_of(request.cookies.get(FLASH_COOKIE))
    if flash is not None:
        request.scope["huoke.flash"] = flash  # type: ignore[typeddict-unknown-key]


def language_of(request: Request[Any, Any, Any]) -> str:
    """The language chosen with the switch, else the browser's preference, else Chinese."""
    return request.cookies.get(LANGUAGE_COOKIE) or preferred_language(
        request.headers.get("accept-language"), default=CHINESE
    )


def is_secure(request: Request[Any, Any, Any]) -> bool:
    """Behind TLS (directly or through a proxy that says so), cookies are Secure."""
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


def query_of(request: Request[Any, Any, Any], names: tuple[str, ...]) -> Mapping[str, str]:
    """The filter, sort and cursor parameters of a list page, as the table keeps them."""
    return {name: request.query_params.get(name, "") for name in names}
