"""Per-request context: request id, caller authentication and the event metadata."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import unquote_to_bytes

import anyio.to_thread
from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from application.shared.callers import Caller
from application.shared.context import Actor, ActorKind, RequestContext, acting
from application.shared.errors import (
    ApplicationError,
    InvalidInput,
    PermissionDenied,
    Unauthenticated,
)
from entrypoints.web.sessions import SESSION_COOKIE

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
# RFC 8187 ext-value: charset'[language]'value-chars
_RFC8187 = re.compile(r"^(?P<charset>[A-Za-z0-9!#$&+^_`{}~-]+)'[A-Za-z0-9-]*'(?P<value>.*)$")
# Printable ASCII where every % starts an escape (a bare "50%" is not a reason we can read).
_PERCENT_ENCODED = re.compile(r"^(?:[\x20-\x24\x26-\x7e]|%[0-9A-Fa-f]{2})*$")
MAX_IDEMPOTENCY_KEY = 255
MAX_REASON = 500


class RequestContextMiddleware:
    """Gives each request an id (X-Request-Id, echoed back), authenticates `/api` calls
    from their bearer token, and runs the handler in the `RequestContext` that stamps
    every event it records with actor, request id and reason."""

    def __init__(
        self,
        app: ASGIApp,
        authenticate: Callable[[str], Caller],
        authenticate_session: Callable[[str | None], Caller | None],
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        # Console pages: the person signed in through the session cookie, if any.
        self.authenticate_session = authenticate_session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers.from_scope(scope)
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope["huoke.request_id"] = request_id  # type: ignore[typeddict-unknown-key]

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)["X-Request-Id"] = request_id
            await send(message)

        caller = None
        if scope["path"].startswith("/api/"):
            try:
                caller = await anyio.to_thread.run_sync(self.authenticate, _bearer(headers))
            except (Unauthenticated, PermissionDenied) as refusal:
                # Raised by the route's guard, so the problem answer passes through here
                # and carries the request id like every other answer.
                scope["huoke.refusal"] = refusal  # type: ignore[typeddict-unknown-key]
        elif scope["path"].startswith("/console"):
            try:
                caller = await anyio.to_thread.run_sync(
                    self.authenticate_session, _cookie(headers, SESSION_COOKIE)
                )
            except PermissionDenied as refusal:  # e.g. the tenant is suspended
                scope["huoke.refusal"] = refusal  # type: ignore[typeddict-unknown-key]
        scope["huoke.caller"] = caller  # type: ignore[typeddict-unknown-key]
        try:
            idempotency_key = _idempotency_key(scope, headers)
        except InvalidInput as refusal:
            idempotency_key = None
            scope["huoke.refusal"] = refusal  # type: ignore[typeddict-unknown-key]
        try:
            reason = _reason(headers)
        except MalformedHeader as refusal:
            reason = None
            # the route's guard answers it, after any authentication refusal
            scope.setdefault("huoke.refusal", refusal)  # type: ignore[typeddict-item]
        context = RequestContext(
            actor=caller.actor if caller else Actor(ActorKind.VISITOR, _client(scope)),
            request_id=request_id,
            reason=reason,
            read_your_writes="read-your-writes" in headers.get("prefer", ""),
            idempotency_key=idempotency_key,
        )
        with acting(context):
            await self.app(scope, receive, send_with_request_id)


class MalformedHeader(ApplicationError):
    """A request header that cannot be read as its documented form (400, naming it)."""

    code = "malformed_header"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def _reason(headers: Headers) -> str | None:
    """X-Reason as text. Header values are ASCII on the wire, so a reason in Chinese
    travels as percent-encoded UTF-8 (`%E9%80%80%E6%AC%BE`) or as an RFC 8187 value
    (`UTF-8''%E9%80%80%E6%AC%BE`). Anything else is refused rather than guessed at: raw
    UTF-8 bytes arrive decoded as Latin-1, and the permanent audit trail would keep the
    mojibake."""
    raw = headers.get("x-reason")
    if raw is None:
        return None
    extended = _RFC8187.match(raw)
    if extended:
        if extended["charset"].lower() != "utf-8":
            raise MalformedHeader(
                "X-Reason in RFC 8187 form must be UTF-8 (UTF-8''%E9%80%80...)", field="X-Reason"
            )
        raw = extended["value"]
    if not _PERCENT_ENCODED.match(raw):
        raise MalformedHeader(
            "X-Reason must be printable ASCII, with any other character percent-encoded as "
            "UTF-8 (%E9%80%80...) or in RFC 8187 form (UTF-8''%E9%80%80...)",
            field="X-Reason",
        )
    try:
        reason = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedHeader("X-Reason is not percent-encoded UTF-8", field="X-Reason") from None
    if any(unicodedata.category(char) == "Cc" for char in reason):
        raise MalformedHeader("X-Reason must not contain control characters", field="X-Reason")
    if len(reason) > MAX_REASON:
        raise MalformedHeader(f"X-Reason is longer than {MAX_REASON} characters", field="X-Reason")
    return reason.strip() or None


def _cookie(headers: Headers, name: str) -> str | None:
    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _bearer(headers: Headers) -> str:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send an API key as 'Authorization: Bearer <key>'")
    return token.strip()


def _idempotency_key(scope: Scope, headers: Headers) -> str | None:
    key = headers.get("idempotency-key")
    if key is None or scope.get("method") != "POST":
        return None
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
        raise InvalidInput("Idempotency-Key must be 1 to 255 characters", field="Idempotency-Key")
    return key


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def caller_of(scope: Any) -> Caller | None:
    """The authenticated caller; raises the authentication refusal if there was one."""
    refusal = scope.get("huoke.refusal")
    if refusal is not None:
        raise refusal
    return scope.get("huoke.caller")  # type: ignore[no-any-return]
