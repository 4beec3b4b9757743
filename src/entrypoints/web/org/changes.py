"""Running an org use case from a console form: off the event loop, waiting until the
lists show the change (the page the browser goes to next reads them), with the reason
typed on a confirmation step recorded on the event; and the form's plumbing fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar
from uuid import UUID

import anyio.to_thread

from application.shared.context import acting, current_context
from application.shared.errors import InvalidInput
from domain.shared.errors import DomainError, InvalidValue
from entrypoints.http.problems import translated
from entrypoints.web.forms import GENERAL, FormErrors
from entrypoints.web.i18n import current_language
from entrypoints.web.i18n import gettext as _

T = TypeVar("T")


async def change(function: Callable[[], T], *, reason: str | None = None) -> T:
    """`function()` in a worker thread, as the request with read-your-writes (and `reason`)."""
    context = replace(current_context(), read_your_writes=True, reason=reason or None)

    def run() -> T:
        with acting(context):
            return function()

    return await anyio.to_thread.run_sync(run)


async def in_thread(function: Callable[[], T]) -> T:
    """`function()` (reads, rendering a form again) in a worker thread."""
    return await anyio.to_thread.run_sync(function)


def refusal_on_field(refusal: InvalidInput | DomainError) -> FormErrors:
    """A use case's refusal next to the field it names (else on the form), in the
    viewer's language."""
    field = refusal.field if isinstance(refusal, InvalidInput | InvalidValue) else None
    return FormErrors({field or GENERAL: translated(str(refusal), current_language())})


def version_of(data: Mapping[str, Any]) -> int:
    """The version the form was shown with: a change made since then is refused (409)."""
    try:
        return int(str(data.get("version", "")))
    except ValueError:
        raise FormErrors({GENERAL: _("表单已过期，请刷新页面后重试。")}) from None


def optional_id(data: Mapping[str, Any], name: str) -> UUID | None:
    """A chosen record of a select (empty: none)."""
    raw = str(data.get(name, "") or "").strip()
    if not raw:
        return None
    try:
        return UUID(raw)
    except ValueError:
        raise FormErrors({name: _("请选择一项")}) from None
