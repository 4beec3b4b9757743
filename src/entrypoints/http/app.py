"""Builds the Litestar application from a running huoke (`create_app(runtime)`)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.spec import Tag

from adapters.persistence.idempotency import build_idempotency_store
from application.shared.callers import Caller, StaffCaller, TenantCaller
from application.shared.errors import Unauthenticated
from application.shared.idempotency import IdempotencyKeys
from entrypoints.container import Runtime
from entrypoints.http.admin import AdminHistoryController
from entrypoints.http.conventions import staff_caller, tenant_caller
from entrypoints.http.history import HistoryController
from entrypoints.http.idempotency import IdempotencyMiddleware
from entrypoints.http.limits import RATE_LIMIT_EXEMPT, JsonDepthMiddleware
from entrypoints.http.openapi import ApiDocumentation
from entrypoints.http.problems import EXCEPTION_HANDLERS
from entrypoints.http.requests import RequestContextMiddleware
from entrypoints.web.app import console_nav, console_router, static_router, template_config
from entrypoints.web.errors import on_console_error
from entrypoints.web.logins.throttle import SignInThrottle
from entrypoints.web.sessions import ConsoleCookies

PUBLIC_PATHS = ["/healthz", "/readyz", "/schema"]


@get("/healthz", operation_id="health", tags=["health"], sync_to_thread=False)
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


def _rate_limit_identity(request: Request[Any, Any, Any]) -> str:
    caller = request.scope.get("huoke.caller")
    if isinstance(caller, TenantCaller):
        return f"key:{caller.key_id}"
    if isinstance(caller, StaffCaller):
        return f"staff:{caller.staff_id}"
    client = request.client
    return f"ip:{client.host if client else 'unknown'}"


def console_aware(handlers: dict[Any, Any]) -> dict[Any, Any]:
    """Errors under /console answer as pages; everywhere else as problem+json."""

    def wrap(handler: Any) -> Any:
        def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
            if request.url.path.startswith("/console"):
                return on_console_error(request, exc)
            return handler(request, exc)  # type: ignore[no-any-return]

        return handle

    return {cls: wrap(handler) for cls, handler in handlers.items()}


def create_app(runtime: Runtime, *, close_runtime_on_shutdown: bool = True) -> Litestar:
    """The HTTP API over `runtime`'s applications and read models."""
    container = runtime.container

    @get("/readyz", operation_id="ready", tags=["health"], sync_to_thread=True)
    def readyz() -> Response[dict[str, Any]]:
        """Every event store and read model answers a query."""
        checks: dict[str, str] = {}
        for application in runtime.applications:
            try:
                application.recorder.max_notification_id()
                checks[application.name] = "ok"
            except Exception as error:
                checks[application.name] = f"unavailable: {type(error).__name__}"
        for view in runtime.views:
            try:
                view.max_tracking_id("readyz")
                checks[view.read_model.name] = "ok"
            except Exception as error:
                checks[view.read_model.name] = f"unavailable: {type(error).__name__}"
        ready = all(value == "ok" for value in checks.values())
        return Response(
            {"status": "ok" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    def provider(factory: Any) -> Provide:
        return Provide(lambda: factory(), sync_to_thread=False)

    infrastructure = container.infrastructure()
    idempotency = IdempotencyKeys(
        build_idempotency_store(container.storage(), infrastructure.datastore), container.clock()
    )
    rate_limit = RateLimitConfig(
        rate_limit=("minute", runtime.settings.rate_limit_per_minute),
        identifier_for_request=_rate_limit_identity,
        exclude=[*PUBLIC_PATHS, *RATE_LIMIT_EXEMPT],  # callbacks: signature-checked instead
    )
    contexts = runtime.contexts
    dependencies: dict[str, Provide] = {
        "history": provider(container.history),
        "caller": Provide(tenant_caller, sync_to_thread=False),
        "staff": Provide(staff_caller, sync_to_thread=False),
    }
    for manifest in contexts:
        for name in manifest.dependencies:
            dependencies[name] = provider(container.providers[name])
        for name, dependency in manifest.request_dependencies.items():
            dependencies[name] = Provide(dependency, sync_to_thread=False)
    tags = [Tag(name="health", description="存活与就绪 · liveness and readiness")]
    tags.append(Tag(name="history", description="记录的事件历史 · a record's events (AUD-1)"))
    tags += [tag for manifest in contexts for tag in manifest.tags]
    cookies = ConsoleCookies(container.storage().cipher_key)
    logins = container.logins()

    def authenticate_session(value: str | None) -> Caller | None:
        session = cookies.session_of(value)
        if session is None:
            return None
        try:
            return logins.caller_for(session)
        except Unauthenticated:
            return None

    return Litestar(
        route_handlers=[
            healthz,
            readyz,
            HistoryController,
            AdminHistoryController,
            *(controller for manifest in contexts for controller in manifest.controllers),
            console_router(runtime, cookies),
            static_router(),
        ],
        template_config=template_config(container.configuration_events()),
        state=State(
            {
                "console_cookies": cookies,
                "console_nav": console_nav(runtime),
                "sign_in_throttle": SignInThrottle(runtime.settings.sign_in_limit),
            }
        ),
        dependencies=dependencies,
        middleware=[
            DefineMiddleware(
                RequestContextMiddleware,
                authenticate=container.tenancy().authenticate,
                authenticate_session=authenticate_session,
            ),
            rate_limit.middleware,
            DefineMiddleware(IdempotencyMiddleware, keys=idempotency),
            JsonDepthMiddleware,  # innermost: scans a body only when the route reads it
        ],
        exception_handlers=console_aware(EXCEPTION_HANDLERS),
        request_max_body_size=runtime.settings.max_body_bytes,
        plugins=[ApiDocumentation(tags=tags)],  # OpenAPI, docs UI and its assets (ADR 0010)
        on_shutdown=[idempotency.close, *([runtime.close] if close_runtime_on_shutdown else [])],
    )
