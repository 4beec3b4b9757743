"""What changed, as an auditor reads it: an event's fields shortened to a table cell.
The words for an event and its actor are the frame's (i18n.event_label via the template,
i18n.actor_label), shared with every record's history."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LONGEST_VALUE = 120  # characters of one changed field shown in a table cell


@dataclass(frozen=True)
class Change:
    field: str
    value: str


def changes(data: Mapping[str, Any]) -> list[Change]:
    """The event's fields as the page shows them, shortened to a cell's width."""
    return [Change(key, _shown(value)) for key, value in sorted(data.items())]


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= LONGEST_VALUE else text[: LONGEST_VALUE - 1] + "…"
