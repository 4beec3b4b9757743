"""`Idempotency-Key` on every POST under /api (ADR 0008).

The first answer to a key is kept (status, body and the headers that describe it) and a
repeat of the same request gets it again with `Idempotent-Replayed: true`, without
running anything. The same key with another request answers 422
`idempotency_key_reused`; a repeat while the first still runs answers 409
`idempotency_key_in_flight`. Keys belong to the caller's tenant (or to the staff member
for the back office) and last 24 hours.

Sits after `RequestContextMiddleware` (which authenticates the caller) and after the rate
limit (a refused request never claims a key).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from typing import Any

import anyio
import anyio.to_thread
from litestar import Request
from litestar.datastructures import Headers
from litestar.types import ASGIApp, Receive, Scope, Send

from application.shared.callers import Caller, StaffCaller, TenantCaller
from application.shared.context import acting, current_context
from application.shared.idempotency import Claim, IdempotencyKeys, Outcome, StoredAnswer
from entrypoints.http.problems import problem

log = logging.getLogger("huoke.http")
REPLAYED_HEADER = "Idempotent-Replayed"
# Answers above this size are passed on but not kept (no POST of ours answers that much;
# the key-derived ids of new records still keep a repeat from duplicating).
MAX_KEPT_BYTES = 2 * 1024 * 1024
# Secrets shown once (an API key's or a staff token's `token`, a tracking source's
# `write_key`) are never stored: a replay shows them as null, as their schema says.
SECRET_FIELDS = frozenset({"token", "write_key"})
# Headers that belong to one exchange, not to the answer: the replay gets its own.
_NOT_KEPT = frozenset(
    {
        "content-length",
        "date",
        "server",
        "set-cookie",
        "x-request-id",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "retry-after",
    }
)


def caller_scope(caller: Caller) -> str:
    """Whose keys these are: the tenant's (shared by its API keys), or one staff member's."""
    if isinstance(caller, TenantCaller):
        return f"tenant:{caller.tenant_id}"
    assert isinstance(caller, StaffCaller)
    return f"staff:{caller.staff_id}"


def request_fingerprint(
    caller: Caller,
    method: str,
    path: str,
    body: bytes,
    *,
    query: str = "",
    if_match: str | None = None,
) -> str:
    """What makes two requests "the same": the credential, method, path, query, If-Match and
    the body (JSON compared by value, so key order and spacing do not matter)."""
    credential = (
        f"key:{caller.key_id}" if isinstance(caller, TenantCaller) else f"staff:{caller.staff_id}"
    )
    digest = hashlib.sha256()
    for part in (credential, method, path, query, if_match or ""):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(_canonical(body))
    return digest.hexdigest()


def record_key(key: str, fingerprint: str) -> str:
    """What new records' ids are derived from (`EventSourcedContext.new_id`): the key *and*
    the request, so a rerun after a crash finds the first attempt's records, while the
    same key with another request after expiry makes new ones instead of answering old ones."""
    return f"{key}#{fingerprint}"


def _canonical(body: bytes) -> bytes:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # not JSON: the bytes themselves
        return b"raw\0" + body
    try:
        return b"json\0" + json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8", "surrogatepass")
    except RecursionError:
        return b"raw\0" + body


class IdempotencyMiddleware:
    """Claims the key, runs the request once and keeps its answer; replays or refuses
    repeats. Requests without a key, outside /api, other than POST, or without an
    authenticated caller pass straight through."""

    def __init__(self, app: ASGIApp, keys: IdempotencyKeys) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        http: Any = scope  # the checks below make it an HTTP scope
        caller = http.get("huoke.caller")
        if (
            http["type"] != "http"
            or http["method"] != "POST"
            or not http["path"].startswith("/api/")
            or not isinstance(caller, TenantCaller | StaffCaller)
            or http.get("huoke.refusal") is not None  # the route's guard answers it
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers.from_scope(scope)
        key = headers.get("idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        chunks, whole = await _read_body(receive, _body_limit(scope))
        body_again = _replaying(chunks, receive)
        if not whole:  # larger than the route takes: it answers 413 and nothing is kept
            await self.app(scope, body_again, send)
            return
        fingerprint = request_fingerprint(
            caller,
            http["method"],
            http["path"],
            b"".join(chunks),
            query=http.get("query_string", b"").decode("latin-1"),
            if_match=headers.get("if-match"),
        )
        claim = await anyio.to_thread.run_sync(
            self.keys.begin, caller_scope(caller), key, fingerprint
        )
        if claim.outcome is Outcome.REPLAY:
            assert claim.answer is not None
            await _replay(claim.answer, send)
        elif claim.outcome is Outcome.IN_FLIGHT:
            await _refuse(
                scope,
                receive,
                send,
                409,
                "idempotency_key_in_flight",
                "a request with this Idempotency-Key is still being processed; retry "
                "after it has answered to get the same answer",
                {"Retry-After": "1"},
            )
        elif claim.outcome is Outcome.REUSED:
            await _refuse(
                scope,
                receive,
                send,
                422,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request (method, path or "
                "body) in the last 24 hours; send a new key for a new request",
                {},
            )
        else:
            context = replace(current_context(), idempotency_key=record_key(key, fingerprint))
            with acting(context):
                await self._run(claim, scope, body_again, send)

    async def _run(self, claim: Claim, scope: Scope, receive: Receive, send: Send) -> None:
        start: Any = None
        held: list[bytes] = []
        size = 0
        settled = False  # the claim was kept or given up
        passing = False  # too large to keep: streamed on as it comes

        async def settle(answer: StoredAnswer | None) -> None:
            nonlocal settled
            settled = True
            if answer is None:
                await anyio.to_thread.run_sync(self.keys.abandon, claim)
            else:
                await anyio.to_thread.run_sync(self.keys.finish, claim, answer)

        async def capture(message: Any) -> None:
            nonlocal start, size, passing
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or passing:
                await send(message)
                return
            assert start is not None
            chunk = message.get("body", b"")
            held.append(chunk)
            size += len(chunk)
            if size > MAX_KEPT_BYTES:
                passing = True
                await settle(None)
                await send(start)
                await send(
                    {"type": "http.response.body", "body": b"".join(held), "more_body": True}
                )
                return
            if message.get("more_body", False):
                return
            body = b"".join(held)
            # Kept before the client sees it: a client that has the answer can rely on
            # every repeat getting it too.
            await settle(_answer(start, body))
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})

        failure: BaseException | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(self._keep_alive, claim)
            try:
                await self.app(scope, receive, capture)
            except BaseException as error:  # re-raised below, outside the task group
                failure = error
            finally:
                group.cancel_scope.cancel()
        if not settled:
            with anyio.CancelScope(shield=True):
                await settle(None)
        if failure is not None:
            raise failure

    async def _keep_alive(self, claim: Claim) -> None:
        """Renew the claim while the request runs, so a long import is not taken for dead."""
        interval = self.keys.lease.total_seconds() / 3
        while True:
            await anyio.sleep(interval)
            try:
                await anyio.to_thread.run_sync(self.keys.renew, claim)
            except Exception:  # the store is away: the request goes on; a repeat may run
                log.warning("could not renew idempotency key %r", claim.key, exc_info=True)


def _body_limit(scope: Scope) -> int | None:
    handler = scope.get("route_handler")
    resolve = getattr(handler, "resolve_request_max_body_size", None)
    return resolve() if resolve else None


async def _read_body(receive: Receive, limit: int | None) -> tuple[list[bytes], bool]:
    """The request body's chunks, and whether that is all of it (False: it grew past
    `limit`, and the rest is still to be received)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Any = await receive()
        if message["type"] != "http.request":  # the client left: let the route see it
            return chunks, False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return chunks, True
        if limit is not None and size > limit:
            return chunks, False


def _replaying(chunks: list[bytes], receive: Receive) -> Receive:
    """A `receive` that hands the route the body already read, then the real stream."""
    pending = list(chunks)

    async def replay() -> Any:
        if pending:
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
        return await receive()

    return replay


def _answer(start: Any, body: bytes) -> StoredAnswer:
    headers = tuple(
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in start.get("headers", [])
        if name.decode("latin-1").lower() not in _NOT_KEPT
        and not name.decode("latin-1").lower().startswith("ratelimit")
    )
    content_type = next((v for n, v in headers if n.lower() == "content-type"), "")
    if "json" in content_type:
        body = _without_secrets(body)
    return StoredAnswer(status=start["status"], headers=headers, body=body)


def _without_secrets(body: bytes) -> bytes:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return body
    if not isinstance(value, dict) or not any(value.get(name) for name in SECRET_FIELDS):
        return body
    value.update({name: None for name in SECRET_FIELDS if value.get(name)})
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


async def _replay(answer: StoredAnswer, send: Send) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers]
    headers += [
        (b"content-length", str(len(answer.body)).encode()),
        (REPLAYED_HEADER.lower().encode(), b"true"),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str],
) -> None:
    request: Request[Any, Any, Any] = Request(scope, receive, send)
    response = problem(request, status, code, detail, field="Idempotency-Key")
    response.headers.update(headers)
    await response.to_asgi_response(app=None, request=request)(scope, receive, send)
