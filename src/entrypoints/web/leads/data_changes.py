"""Running a lead-data use case from a console form: off the event loop, waiting until
the read models show the change (the page the browser goes to next reads them), with a
reason typed on a confirmation step recorded on the event; and a refusal shown next to
the field it names, in the viewer's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import anyio.to_thread

from application.shared.context import acting, current_context
from entrypoints.http.problems import translated
from entrypoints.web.forms import GENERAL, FormErrors
from entrypoints.web.i18n import current_language

T = TypeVar("T")


async def change(function: Callable[[], T], *, reason: str | None = None) -> T:
    """`function()` in a worker thread, as the request with read-your-writes (and `reason`)."""
    context = replace(current_context(), read_your_writes=True, reason=reason or None)

    def run() -> T:
        with acting(context):
            return function()

    return await anyio.to_thread.run_sync(run)


def in_language(message: str) -> str:
    """A use case's (English) message in the viewer's language where the catalogue has it."""
    return translated(message, current_language())


def refusal_on_field(refusal: Exception, *, field: str | None = None) -> FormErrors:
    """A use case's refusal next to `field`, else the field it names, else on the form."""
    named = field or getattr(refusal, "field", None) or GENERAL
    message = getattr(refusal, "message", None) or str(refusal)
    return FormErrors({named: in_language(str(message))})
