"""The forms of the lead settings pages, described once: which controls a form shows
(the generic template renders them through frame/forms.html) and how its submitted
fields become a settings command."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from entrypoints.web.i18n import gettext as _


@dataclass(frozen=True)
class Control:
    """One control: kind is field | select | checkbox | lines (one value a line)."""

    name: str
    label: str
    kind: str = "field"
    required: bool = False
    options: Sequence[tuple[str, str]] = ()
    hint: str = ""


def field_types() -> list[tuple[str, str]]:
    return [
        ("text", _("文本")),
        ("number", _("数字")),
        ("date", _("日期")),
        ("single_select", _("单选")),
    ]


def submitted(data: Mapping[str, Any], controls: Sequence[Control]) -> dict[str, Any]:
    """The command's fields from the form: a checkbox is a bool, `lines` a list."""
    values: dict[str, Any] = {}
    for control in controls:
        raw = data.get(control.name)
        if control.kind == "checkbox":
            values[control.name] = bool(raw)
        elif control.kind == "lines":
            text = "\n".join(raw) if isinstance(raw, list) else str(raw or "")
            values[control.name] = [line.strip() for line in text.splitlines() if line.strip()]
        elif raw not in (None, ""):
            values[control.name] = str(raw).strip()
    return values


def shown(values: Mapping[str, Any]) -> dict[str, Any]:
    """What a form shows again: lists one a line."""
    return {
        key: "\n".join(str(v) for v in value) if isinstance(value, list) else value
        for key, value in values.items()
    }
