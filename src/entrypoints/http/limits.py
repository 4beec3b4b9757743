"""Bounds on what one request can make the server do (ADR 0011): how deeply a JSON body
may nest, and which paths stay out of the per-client rate limit.

Decoding JSON recurses once per level, so a 2 KB body of 1,000 nested arrays used to end
in `RecursionError` (500) on every JSON route. The depth is counted on the raw bytes
instead, with string contents skipped, before any decoder sees them.
"""

from __future__ import annotations

import re
from itertools import accumulate

from litestar.datastructures import Headers
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from application.shared.errors import InvalidInput

# Far deeper than any body of ours (a lead with custom fields nests 3 levels), far below
# where a recursive decoder gets into trouble (about 1,000 in CPython).
MAX_JSON_DEPTH = 32

# Payment and provider callbacks come from a few provider addresses, are retried until
# they get a 2xx, and prove themselves by signature rather than by a credential: a
# per-client limit would only refuse genuine notifications. Patterns as Litestar's
# `RateLimitConfig(exclude=...)` takes them.
RATE_LIMIT_EXEMPT = ["^/callbacks/", "^/v1/"]  # /v1: the tracking API's own limit

# Bodies no JSON decoder reads (a provider's form post, a file upload as multipart).
_NOT_JSON = ("application/x-www-form-urlencoded", "multipart/form-data")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = b"[]{}"
_OPEN_CLOSE = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes
_OTHER_BYTES = bytes(sorted(set(range(256)) - set(_BRACKET)))


class JsonTooDeep(InvalidInput):
    """The JSON body nests arrays/objects deeper than the API accepts (422)."""

    code = "json_too_deep"
    rule = "max_json_depth"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the JSON body nests arrays and objects deeper than {limit} levels", field="body"
        )
        self.limit = limit


def json_depth(body: bytes) -> int:
    """How deeply `body` nests arrays and objects, counted without decoding it: string
    contents are cut out, every other byte but brackets dropped, and the deepest running
    sum of opens (+1) and closes (-1) is the depth. All in C-level loops, so a 1 MB body
    costs milliseconds. Malformed JSON gets some number; the decoder refuses it later."""
    structure = _STRING.sub(b"", body).translate(_OPEN_CLOSE, delete=_OTHER_BYTES)
    return max(accumulate(memoryview(structure).cast("b")), default=0)


def nests_deeper_than(body: bytes, limit: int) -> bool:
    # A body cannot nest deeper than it has opening brackets: most bodies (and every
    # base64 file upload) are answered by two counts, without the scan.
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    return json_depth(body) > limit


class JsonDepthMiddleware:
    """Refuses (422 `json_too_deep`, naming the limit) a request body that nests deeper
    than `max_depth`, when the route reads it and before it is decoded.

    The check sits in `receive`: it costs nothing for routes that never read a body, and
    runs after the route's guards (an unauthenticated caller's body is never scanned).
    The refusal is raised inside the route, so it leaves like every other problem (with
    the request id) and changes nothing.
    """

    def __init__(self, app: ASGIApp, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _content_type(scope).startswith(_NOT_JSON) or _encoded(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def checked() -> ReceiveMessage:
            """The next body message; the last one only once the whole body is measured."""
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                chunks.clear()
                if nests_deeper_than(body, self.max_depth):
                    raise JsonTooDeep(self.max_depth)
            return message

        await self.app(scope, checked, send)


def _encoded(scope: Scope) -> bool:
    """A compressed body (Content-Encoding) is measured by the route that undoes it."""
    return "content-encoding" in Headers.from_scope(scope)


def _content_type(scope: Scope) -> str:
    return Headers.from_scope(scope).get("content-type", "").lower()
