"""What the company pages share: a record's history for the detail pages, and the
request context a console write runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from uuid import UUID

from application.shared.callers import TenantCaller
from application.shared.context import RequestContext, acting, current_context
from application.shared.history import HistoryEntry, RecordHistory
from domain.shared.access import Action
from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _

LIMIT = 50  # one page of a list, as the API's default

_ACTOR_KINDS = {
    "api_key": N_("API 密钥"),
    "employee": N_("员工"),
    "staff": N_("平台员工"),
    "system": N_("系统"),
    "visitor": N_("访客"),
}


def history_of(
    history: RecordHistory, caller: TenantCaller, aggregate_id: UUID
) -> list[HistoryEntry] | None:
    """The record's events as GET /api/v1/history/{id} answers them, or None when the
    caller's roles may not read history (the page then shows no history section)."""
    if not caller.may("history", Action.READ):
        return None
    return history.seen_by(caller, aggregate_id)


def actor_text(actor: dict[str, Any] | None) -> str:
    """Who acted, for the history table: their kind and id."""
    if not actor:
        return "—"
    kind = str(actor.get("kind", ""))
    name = _(_ACTOR_KINDS[kind]) if kind in _ACTOR_KINDS else kind
    return f"{name} {actor.get('id', '')}".strip()


@contextmanager
def writing(reason: str | None = None) -> Iterator[RequestContext]:
    """Run a console write with the reason typed in its form (recorded on its events, as
    the API takes X-Reason), waiting for the read models so that the page shown after it
    lists the change (the API's `Prefer: read-your-writes`)."""
    context = replace(current_context(), read_your_writes=True)
    if reason:
        context = replace(context, reason=reason)
    with acting(context) as running:
        yield running
