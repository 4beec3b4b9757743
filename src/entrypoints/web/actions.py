"""Running a use case from a console form: off the event loop, as the signed-in person,
with the reason typed on a confirmation step recorded on its events (the API takes it
from X-Reason), and waiting until the read models show the change, since the page the
browser goes to next reads them (the API's `Prefer: read-your-writes`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import anyio.to_thread

from application.shared.context import acting, current_context

T = TypeVar("T")


async def change(function: Callable[[], T], *, reason: str | None = None) -> T:
    """`function()` (a use case that writes) in a worker thread, as the request with
    read-your-writes and `reason`."""
    context = replace(current_context(), read_your_writes=True, reason=reason or None)

    def run() -> T:
        with acting(context):
            return function()

    return await anyio.to_thread.run_sync(run)


async def in_thread(function: Callable[[], T]) -> T:
    """`function()` (a read, e.g. to show a form again) in a worker thread."""
    return await anyio.to_thread.run_sync(function)
