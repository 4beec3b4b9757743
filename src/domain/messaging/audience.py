"""Who a send task goes to (MAIL-1, SMS-1): a group, a filter tree or a list of leads.

The audience is only a description; the recipients are fixed from it at send time
(a lead who joins the group after the task started is not added).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.shared.errors import InvalidValue
from domain.shared.filters import Filter

MAX_LISTED_LEADS = 10_000
KINDS = ("group", "filter", "leads", "flow")


@dataclass(frozen=True)
class Audience:
    """`kind` is "group" (`group_id`), "filter" (`tree`, the filter language), "leads"
    (`lead_ids`, at most 10,000) or "flow": a flow step's task, whose recipients come one
    at a time as leads reach the step (nobody is fixed at send time)."""

    kind: str
    group_id: UUID | None = None
    tree: Mapping[str, Any] | None = None
    lead_ids: tuple[UUID, ...] = ()

    @classmethod
    def parse(cls, value: Mapping[str, Any], *, field: str = "audience") -> Audience:
        """Validate the primitives an event or a command carries."""
        kind = value.get("kind")
        if kind not in KINDS:
            raise InvalidValue(f"kind must be one of {', '.join(KINDS)}", field=f"{field}.kind")
        if kind == "group":
            return cls("group", group_id=_uuid(value.get("group_id"), f"{field}.group_id"))
        if kind == "flow":
            return cls("flow")
        if kind == "filter":
            tree = value.get("tree")
            # Validated here (paths under audience.tree) and kept as the normalised tree.
            parsed = Filter.parse(tree, path=f"{field}.tree")
            return cls("filter", tree=parsed.to_tree())
        raw = value.get("lead_ids")
        if not isinstance(raw, list | tuple) or not raw:
            raise InvalidValue("lead_ids must list at least one lead", field=f"{field}.lead_ids")
        if len(raw) > MAX_LISTED_LEADS:
            raise InvalidValue(
                f"lead_ids lists at most {MAX_LISTED_LEADS} leads", field=f"{field}.lead_ids"
            )
        ids = tuple(dict.fromkeys(_uuid(item, f"{field}.lead_ids") for item in raw))
        return cls("leads", lead_ids=ids)

    def to_primitives(self) -> dict[str, Any]:
        if self.kind == "group":
            return {"kind": "group", "group_id": str(self.group_id)}
        if self.kind == "filter":
            return {"kind": "filter", "tree": dict(self.tree or {})}
        if self.kind == "flow":
            return {"kind": "flow"}
        return {"kind": "leads", "lead_ids": [str(lead_id) for lead_id in self.lead_ids]}


def _uuid(value: Any, field: str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidValue("must be a UUID", field=field) from None
