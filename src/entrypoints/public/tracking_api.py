"""The Segment-compatible HTTP Tracking API (TRK-1) at Segment's own paths, so that the
Segment and RudderStack SDKs and snippets send to huoke by changing only the host.

`/v1/identify`, `/v1/track`, `/v1/page`, `/v1/screen`, `/v1/alias`, `/v1/group` take
one message, `/v1/batch` (and RudderStack's `/v1/import`) many. The write key is the
HTTP Basic user name (empty password) or `writeKey` in the body. Bodies are JSON, sent
as `application/json` or as `text/plain` (what `navigator.sendBeacon` can send), maybe
gzip-compressed. Browsers post from the customer's own site, so every answer allows any
origin (no credentials) and preflights are answered.

Public and outside `/api`, so outside the per-client API rate limit: this API has its
own, per write key and per client address (HUOKE_TRACKING_RATE_LIMIT a minute).
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
import zlib
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

from application.shared.errors import Busy
from application.tracking.ports import SourceOfKey
from application.tracking.segment import (
    BATCH,
    MAX_BATCH_BYTES,
    Arrival,
    Fault,
    SegmentIntake,
    TrackingPayloadRefused,
    UnknownWriteKey,
)
from entrypoints.http.limits import MAX_JSON_DEPTH, JsonTooDeep, nests_deeper_than
from entrypoints.http.problems import problem

ACKNOWLEDGED = {"success": True}
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Retry-After, X-Request-Id",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Allow": "OPTIONS, POST",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Content-Encoding, X-Request-Id",
    "Access-Control-Max-Age": "86400",
}
WINDOW_SECONDS = 60
# What each call's answers may be besides 200 (documented with the operation).
_ERRORS = {"errors": [400, 401, 413, 422, 429]}  # 422: nested too deeply


class TrackingRateLimited(Busy):
    """More tracking requests this minute than a write key or an address may send."""

    code = "rate_limited"


class TrackingLimits:
    """Requests a minute per write key's source and per client address, counted in
    fixed one-minute windows in this process (as the API's own limiter does)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._window = 0
        self._counts: dict[str, int] = {}

    def admit(self, key: str) -> None:
        """Count one request of `key`; raises `TrackingRateLimited` past the limit."""
        now = time.monotonic()
        window = int(now // WINDOW_SECONDS)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        if count > self.per_minute:
            retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now))
            raise TrackingRateLimited(
                f"more than {self.per_minute} tracking requests a minute; retry later",
                retry_after=retry_after,
            )

    def admit_source(self, source: SourceOfKey) -> None:
        self.admit(f"source:{source.source_id}")


class _Cors:
    """Adds the CORS headers to every answer of the API, errors included, and answers
    the preflight a browser sends before posting JSON from another origin: any origin
    may post, without credentials. (Litestar's own OPTIONS handler of each path runs
    this middleware too, being made for the path's first handler.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "OPTIONS":
            start: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": 204,
                "headers": [(k.lower().encode(), v.encode()) for k, v in PREFLIGHT_HEADERS.items()],
            }
            await send(start)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in CORS_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_cors)


def write_key_of(authorization: str | None) -> str | None:
    """The write key of `Authorization: Basic base64('<key>:')`; None without one.
    A Basic header that cannot be read is refused rather than ignored."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None  # e.g. a Bearer token: not a write key; the body may hold one
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise UnknownWriteKey("the Basic credentials are not base64 of '<write key>:'") from None
    return decoded.partition(":")[0] or None


def decompressed(body: bytes, encoding: str | None) -> bytes:
    """The body with its gzip undone, never more than the largest batch (+1 byte, to
    tell "too large"): a small zip bomb cannot make it allocate more."""
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding not in ("gzip", "x-gzip"):
        raise TrackingPayloadRefused(
            f"Content-Encoding {encoding!r} is not supported; send gzip or nothing",
            code="unsupported_encoding",
            faults=[Fault(None, "Content-Encoding", "only gzip is supported")],
        )
    budget = MAX_BATCH_BYTES + 1
    parts: list[bytes] = []
    rest = body
    try:
        while rest and budget > 0:
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            part = inflater.decompress(rest, budget)
            parts.append(part)
            budget -= len(part)
            if not inflater.eof:
                if inflater.unconsumed_tail or budget <= 0:
                    break  # more than the budget: the caller refuses it as too large
                raise zlib.error("the gzip stream ends early")
            rest = inflater.unused_data  # a further gzip member, if any
    except zlib.error as error:
        raise TrackingPayloadRefused(
            f"the gzip body cannot be decompressed: {error}",
            code="invalid_gzip",
            faults=[Fault(None, "body", "not a complete gzip stream")],
        ) from None
    text = b"".join(parts)
    # Plain bodies are measured by the API's depth check before they reach the route;
    # a compressed one only now.
    if nests_deeper_than(text, MAX_JSON_DEPTH):
        raise JsonTooDeep(MAX_JSON_DEPTH)
    return text


def _client_ip(request: Request[Any, Any, Any]) -> str | None:
    client = request.client
    return client.host if client else None


def _refused(request: Request[Any, Any, Any], exc: TrackingPayloadRefused) -> Response[Any]:
    return problem(
        request,
        400,
        exc.code,
        exc.message,
        field=exc.field,
        limit=exc.limit,
        errors=[fault.as_dict() for fault in exc.faults] or None,
        message=exc.message,  # the Segment SDKs log `message`
    )


def _unauthenticated(request: Request[Any, Any, Any], exc: UnknownWriteKey) -> Response[Any]:
    answer = problem(request, 401, exc.code, exc.message, message=exc.message)
    answer.headers["WWW-Authenticate"] = 'Basic realm="huoke tracking"'
    return answer


class TrackingApiController(Controller):
    path = "/v1"
    tags = ["tracking"]
    security: list[dict[str, list[str]]] = [{}]  # the write key, not an API key
    middleware = [_Cors]
    exception_handlers = {
        TrackingPayloadRefused: _refused,
        UnknownWriteKey: _unauthenticated,
    }

    def _take(
        self,
        call: str,
        request: Request[Any, Any, Any],
        body: bytes,
        segment_intake: SegmentIntake,
        tracking_limits: TrackingLimits,
    ) -> dict[str, bool]:
        address = _client_ip(request)
        tracking_limits.admit(f"ip:{address}")
        headers = request.headers
        arrival = Arrival(
            write_key=write_key_of(headers.get("authorization")),
            do_not_track=headers.get("dnt") == "1",
            request_id=str(request.scope.get("huoke.request_id", "")),  # type: ignore[call-overload]
            client_ip=address,
        )
        segment_intake.accept(call, decompressed(body, headers.get("content-encoding")), arrival)
        return ACKNOWLEDGED

    @post(
        "/identify", operation_id="trackIdentify", status_code=200, sync_to_thread=True, opt=_ERRORS
    )
    def identify(
        self,
        request: Request[Any, Any, Any],
        body: bytes,
        segment_intake: SegmentIntake,
        tracking_limits: TrackingLimits,
    ) -> dict[str, bool]:
        """Who a visitor is (Segment `identify`: `userId` and/or `anonymousId`, `traits`).

        One Segment message as JSON (at most 32 KiB), maybe gzip-compressed
        (`Content-Encoding: gzip`), as `application/json` or `text/plain`. The write key
        is the HTTP Basic user name with an empty password, or `writeKey` in the body;
        an unknown or revoked key answers 401. `messageId` makes a repeat store nothing
        twice; `timestamp` is moved by the sender's clock skew when `sentAt` is given.
        Answers `{"success": true}` once stored; a full queue answers 429 with
        Retry-After. When the source honours Do-Not-Track and the request carries
        `DNT: 1`, nothing is stored and the answer is still 200."""
        return self._take("identify", request, body, segment_intake, tracking_limits)

    @post("/track", operation_id="trackEvent", status_code=200, sync_to_thread=True, opt=_ERRORS)
    def track(
        self,
        request: Request[Any, Any, Any],
        body: bytes,
        segment_intake: SegmentIntake,
        tracking_limits: TrackingLimits,
    ) -> dict[str, bool]:
        """A custom event (Segment `track`: `event` names it, `properties` describe it).

        As `/v1/identify` for the body, key, limits and answers; `event` is required
        (at most 200 characters)."""
        return self._take("track", request, body, segment_intake, tracking_limits)

    @post("/page", operation_id="trackPage", status_code=200, sync_to_thread=True, opt=_ERRORS)
    def page(
        self,
        request: Request[Any, Any, Any],
        body: bytes,
        segment_intake: SegmentIntake,
        tracking_limits: TrackingLimits,
    ) -> dict[str, bool]:
        """A web page viewed (Segment `page`: `name`, `properties.url`, `path`, `title`).

        As `/v1/identify` for the body, key, limits and answers. `url`, `path`,
        `referrer` and `title` are taken from `context.page` when the properties lack
        them; the UTM parameters from `context.campaign`, else from the page's URL.
        `properties.dwell_ms` is how long the page was seen (the huoke snippet sends it)."""
        return self._take("page", request, body, segment_intake, tracking_limits)

    @post("/screen", operation_id="trackScreen", status_code=200, sync_to_thread=True, opt=_ERRORS)
    def screen(
        self,
        request: Request[Any, Any, Any],
        body: bytes,
        segment_intake: SegmentIntake,
        tracking_limits: TrackingLimits,
    ) -> dict[str, bool]:
        """An app screen viewed (Segment `screen`: `name` and `properties`).

        As `/v1/identify` for the body, key, limits and answers."""
        return self._take("screen", request, body, segment_intake, tracking_limits)

    @post("/alias", operation_id="trackAlias", status_code=200, sync_to_thread=True, opt=_ERRORS)
    def alias(
        self,
        request: Request[Any, Any, Any],
        body: bytes,
        segment_intake: SegmentIntake,
        tracking_limits: TrackingLimits,
    ) -> dict[str, bool]:
        """One user id is another (Segment `alias`: `previousId` becomes `userId`).

        As `/v1/identify` for the body, key, limits and answers; `userId` and
        `previousId` are both required."""
        return self._take("alias", request, body, segment_intake, tracking_limits)

    @post("/group", operation_id="trackGroup", status_code=200, sync_to_thread=True, opt=_ERRORS)
    def group(
        self,
        request: Request[Any, Any, Any],
        body: bytes,
        segment_intake: SegmentIntake,
        tracking_limits: TrackingLimits,
    ) -> dict[str, bool]:
        """A visitor belongs to a company or group (Segment `group`: `groupId`, `traits`).

        As `/v1/identify` for the body, key, limits and answers; `groupId` is required."""
        return self._take("group", request, body, segment_intake, tracking_limits)

    @post("/batch", operation_id="trackBatch", status_code=200, sync_to_thread=True, opt=_ERRORS)
    def batch(
        self,
        request: Request[Any, Any, Any],
        body: bytes,
        segment_intake: SegmentIntake,
        tracking_limits: TrackingLimits,
    ) -> dict[str, bool]:
        """Many messages at once (Segment `batch`: `{"batch": [...], "sentAt": ...}`).

        Each message carries its `type` (identify, track, page, screen, alias, group);
        `sentAt` and `context` at the top apply to every message. The body may be at most
        500 KiB once gzip is undone, each message at most 32 KiB. **A batch is atomic**:
        if any message is invalid, the answer is 400 listing every invalid message in
        `errors` (`index`, `field`, `reason`) and nothing of the batch is stored. Key,
        Do-Not-Track and answers as for `/v1/identify`."""
        return self._take(BATCH, request, body, segment_intake, tracking_limits)

    @post("/import", operation_id="trackImport", status_code=200, sync_to_thread=True, opt=_ERRORS)
    def import_batch(
        self,
        request: Request[Any, Any, Any],
        body: bytes,
        segment_intake: SegmentIntake,
        tracking_limits: TrackingLimits,
    ) -> dict[str, bool]:
        """RudderStack's name for a batch: the same body and answers as `/v1/batch`.

        Atomic like `/v1/batch`: one invalid message refuses the whole request."""
        return self._take(BATCH, request, body, segment_intake, tracking_limits)
