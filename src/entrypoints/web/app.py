"""The console's router: every context's console pages under /console, the layout's
hooks (language, CSRF, flash, sign-in), templates and packaged assets."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response, Router
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from application.shared.callers import StaffCaller, TenantCaller
from application.shared.errors import NotFound
from entrypoints.container import Runtime
from entrypoints.web import i18n
from entrypoints.web.dashboard import DashboardController
from entrypoints.web.errors import CsrfRefused
from entrypoints.web.frame import FrameController
from entrypoints.web.nav import NavItem
from entrypoints.web.pages import DEFAULT_TIMEZONE, Viewer, prepare_page, sign_in_redirect
from entrypoints.web.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    NONCE_COOKIE,
    ConsoleCookies,
)

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
# Reachable without a session (signing in, setting a password, choosing a language).
OPEN_PATHS = (
    "/console/sign-in",
    "/console/password/forgot",
    "/console/password/reset",
    "/console/language",
)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PROFILE_TTL_SECONDS = 30.0


def template_config(event_labels: Mapping[str, str]) -> TemplateConfig[JinjaTemplateEngine]:
    """Templates with the console's filters and globals; `event_labels` are the manifests'
    "中文 · English" descriptions of event topics (the operation log's catalogue)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    environment.filters["yuan"] = i18n.yuan
    environment.filters["local_time"] = i18n.local_time
    environment.globals["event_label"] = lambda topic: i18n.event_label(topic, event_labels)
    environment.globals["actor_label"] = i18n.actor_label
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment))


class Profiles:
    """Names and time zones shown in the layout, remembered briefly so that a page does
    not load two more records on every request."""

    def __init__(self, runtime: Runtime) -> None:
        self.container = runtime.container
        self._cache: dict[Any, tuple[float, str, str]] = {}
        self._lock = threading.Lock()

    def viewer(self, caller: TenantCaller | StaffCaller) -> Viewer:
        key = caller.actor.id
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
        if cached is None or now - cached[0] > PROFILE_TTL_SECONDS:
            name, timezone = self._look_up(caller)
            with self._lock:
                self._cache[key] = (now, name, timezone)
        else:
            name, timezone = cached[1], cached[2]
        return Viewer(caller=caller, display_name=name, timezone=timezone)

    def _look_up(self, caller: TenantCaller | StaffCaller) -> tuple[str, str]:
        try:
            if isinstance(caller, StaffCaller):
                return self.container.tenancy().staff(
                    caller.staff_id
                ).display_name, DEFAULT_TIMEZONE
            timezone = self.container.tenancy().timezone_of(caller.tenant_id)
            if caller.employee_id is None:
                return "", timezone
            return self.container.org().employee(
                caller.tenant_id, caller.employee_id
            ).name, timezone
        except NotFound:
            return "", DEFAULT_TIMEZONE


def console_router(runtime: Runtime, cookies: ConsoleCookies) -> Router:
    """Every manifest's console controllers under one router with the layout's hooks."""
    profiles = Profiles(runtime)

    async def before_request(request: Request[Any, Any, Any]) -> Response[Any] | None:
        prepare_page(request)
        if request.method not in SAFE_METHODS:
            token = request.headers.get(CSRF_HEADER)
            if token is None and "form" in request.headers.get("content-type", ""):
                token = (await request.form()).get(CSRF_FIELD)
            if not cookies.csrf_matches(request.cookies.get(NONCE_COOKIE), token):
                raise CsrfRefused("the form's CSRF token is missing or does not match")
        refusal = request.scope.get("huoke.refusal")
        if refusal is not None:
            raise refusal
        caller = request.scope.get("huoke.caller")
        if isinstance(caller, TenantCaller | StaffCaller):
            request.scope["huoke.viewer"] = profiles.viewer(caller)  # type: ignore[typeddict-unknown-key]
        elif not request.url.path.startswith(OPEN_PATHS):
            return sign_in_redirect(request)
        return None

    return Router(
        path="/console",
        route_handlers=[
            FrameController,
            DashboardController,
            *(controller for manifest in runtime.contexts for controller in manifest.console),
        ],
        before_request=before_request,
    )


def console_nav(runtime: Runtime) -> list[NavItem]:
    return [item for manifest in runtime.contexts for item in manifest.console_nav]


def static_router() -> Router:
    # Our own CSS and script; nothing is fetched from a CDN (DESIGN.md "Web pages").
    return create_static_files_router(
        path="/console/static", directories=[STATIC], name="console-static"
    )
