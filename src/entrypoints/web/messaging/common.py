"""What the messaging pages share: task states as badges, the audience fields of a task
form (a group, a filter tree or lead ids), a send time typed in the tenant's zone, and
the pickers' choices read page by page."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from application.shared.pages import MAX_LIMIT, Page
from entrypoints.web.forms import GENERAL, FormErrors, errors_of
from entrypoints.web.i18n import N_
from entrypoints.web.i18n import gettext as _
from entrypoints.web.segments.filter_form import filter_tree_of
from entrypoints.web.tables import Cell, Option

T = TypeVar("T")
SECTION = "营销触达"
MOST_CHOICES = 500  # records a picker offers (groups, templates, signatures)
STOP_POLLING = 286  # HTMX: the answer to a polling request that says "stop"
_IDS = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# Task states (domain/messaging/lifecycle.py): label and badge style.
STATES: dict[str, tuple[str, str | None]] = {
    "draft": (N_("草稿"), None),
    "pending_review": (N_("待审核"), "warn"),
    "rejected": (N_("已驳回"), "bad"),
    "scheduled": (N_("待发送"), "info"),
    "sending": (N_("发送中"), "warn"),
    "sent": (N_("已发送"), "ok"),
    "cancelled": (N_("已取消"), "bad"),
}
AUDIENCE_KINDS = (
    ("group", N_("用户组")),
    ("filter", N_("筛选条件")),
    ("leads", N_("指定线索")),
)
EXAMPLE_FILTER = {"all": [{"field": "tags", "op": "equals", "value": "高意向"}]}


def example_filter() -> str:
    """The filter box's example (a tree the filter language accepts)."""
    return json.dumps(EXAMPLE_FILTER, ensure_ascii=False, indent=2)


def state_label(state: str) -> str:
    return _(STATES[state][0]) if state in STATES else state


def state_cell(state: str) -> Cell:
    label, badge = STATES.get(state, (state, None))
    return Cell(_(label), badge=badge or "info")


def state_options(states: Iterable[str]) -> tuple[Option, ...]:
    return tuple(Option(state, STATES[state][0]) for state in states)


def choices(fetch: Callable[[str | None, int], Page[T]], most: int = MOST_CHOICES) -> list[T]:
    """Every record a picker offers, newest first, read a page at a time up to `most`."""
    found: list[T] = []
    cursor: str | None = None
    while len(found) < most:
        page = fetch(cursor, MAX_LIMIT)
        found.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    return found[:most]


def lead_ids_of(text: Any) -> list[str]:
    return _IDS.findall(str(text or ""))


def audience_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The audience a task form chose: a group, a filter tree (JSON) or lead ids."""
    kind = str(data.get("audience_kind") or "group")
    if kind == "group":
        group_id = str(data.get("group_id") or "").strip()
        if not group_id:
            raise FormErrors({"group_id": _("请选择用户组")})
        return {"kind": "group", "group_id": group_id}
    if kind == "filter":
        return {"kind": "filter", "tree": filter_tree_of(data)}
    if kind == "leads":
        ids = lead_ids_of(data.get("lead_ids"))
        if not ids:
            raise FormErrors({"lead_ids": _("填写线索 ID，每行一个")})
        return {"kind": "leads", "lead_ids": ids}
    raise FormErrors({"audience_kind": _("请选择一项")})


def audience_values(audience: Mapping[str, Any]) -> dict[str, str]:
    """A task's audience as its form shows it again."""
    kind = str(audience.get("kind") or "group")
    values = {"audience_kind": kind}
    if kind == "group":
        values["group_id"] = str(audience.get("group_id") or "")
    elif kind == "filter":
        values["filter"] = json.dumps(audience.get("tree") or {}, ensure_ascii=False, indent=2)
    else:
        values["lead_ids"] = "\n".join(str(i) for i in audience.get("lead_ids") or [])
    return values


def audience_words(audience: Mapping[str, Any], group_names: Mapping[str, str]) -> str:
    """Who a task goes to, in words."""
    kind = audience.get("kind")
    if kind == "group":
        group_id = str(audience.get("group_id"))
        name = group_names.get(group_id) or _("已删除的用户组")
        return _("用户组：{name}").format(name=name)
    if kind == "filter":
        return _("符合筛选条件的线索")
    return _("指定的 {n} 条线索").format(n=len(audience.get("lead_ids") or []))


# A refusal's field (the command's or the domain's name) -> the form field it shows on.
_AUDIENCE_FIELDS = {
    "audience.group_id": "group_id",
    "audience.tree": "filter",
    "audience.lead_ids": "lead_ids",
    "audience.kind": "audience_kind",
    "audience": "audience_kind",
    "filter": "filter",
}


def _field_of(name: str) -> str:
    for prefix, field in _AUDIENCE_FIELDS.items():
        if name == prefix or name.startswith((prefix + ".", prefix + "[")):
            return field
    return name


def shown_errors(refusal: Exception, fields: Iterable[str]) -> dict[str, str]:
    """A refusal's messages on the form's own fields: an audience's nested field on the
    control that chose it (a filter node keeps its path in the message), anything the
    form has no field for at the top of the form, with its field's name."""
    known = set(fields)
    shown: dict[str, str] = {}
    for name, message in errors_of(refusal).items():
        target = _field_of(name)
        if target == "filter" and name not in ("filter", "audience.tree"):
            message = f"{name}: {message}"
        if target not in known and target != GENERAL:
            message, target = f"{name}: {message}", GENERAL
        shown.setdefault(target, message)
    return shown


def send_at_of(data: Mapping[str, Any], timezone: str) -> datetime | None:
    """When to send: None for now, else the date and time typed (a datetime-local
    value) in the tenant's time zone."""
    if str(data.get("when") or "now") == "now":
        return None
    text = str(data.get("send_at") or "").strip()
    if not text:
        raise FormErrors({"send_at": _("请选择发送时间")})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FormErrors({"send_at": _("时间格式应为 2026-12-02T14:05")}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment


def local_input(moment: datetime | None, timezone: str) -> str:
    """A moment as a datetime-local input shows it, in the tenant's zone."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")
