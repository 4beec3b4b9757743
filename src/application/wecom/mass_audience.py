"""Which of an employee's customers a mass send's filter takes (WECOM-2): their active
relations in the customer directory (`CustomerDirectory`), with any of the wanted tags,
none of the excluded ones, added within the range. The tags are the names the
employee's relation carries (corp tags as WeCom names them)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from application.shared.views import View, iso
from application.wecom.customer_directory import RELATIONS


def has_filter(audience: Mapping[str, Any]) -> bool:
    """Whether the audience narrows the employees' customers at all."""
    return bool(
        audience.get("tags")
        or audience.get("exclude_tags")
        or audience.get("added_from")
        or audience.get("added_to")
    )


class RelationAudience:
    """The customers of a filter, from the customer directory's relations."""

    def __init__(self, customer_view: View) -> None:
        self.view = customer_view

    def customers_of(self, tenant_id: UUID, userid: str, audience: Mapping[str, Any]) -> list[str]:
        """The external_userids of the employee's active customers the filter takes,
        sorted."""
        where = "tenant_id = ? AND userid = ? AND status = 'active'"
        params: list[Any] = [str(tenant_id), userid]
        for key, op in (("added_from", ">="), ("added_to", "<=")):
            if audience.get(key):
                where += f" AND added_at IS NOT NULL AND added_at {op} ?"
                params.append(iso(datetime.fromisoformat(str(audience[key]))))
        rows = self.view.rows(
            f"SELECT external_userid, tags FROM {RELATIONS} WHERE {where} ORDER BY external_userid",
            params,
        )
        wanted = set(audience.get("tags") or ())
        unwanted = set(audience.get("exclude_tags") or ())
        chosen = []
        for row in rows:
            tags = set(json.loads(row["tags"] or "[]"))
            if wanted and not tags & wanted:
                continue
            if tags & unwanted:
                continue
            chosen.append(str(row["external_userid"]))
        return chosen

    def customer_counts(self, tenant_id: UUID, userids: Collection[str]) -> dict[str, int]:
        """Active customers per employee (those the directory knows)."""
        names = sorted(userids)
        counts: dict[str, int] = {}
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.view.rows(
                f"SELECT userid, COUNT(*) AS n FROM {RELATIONS} WHERE tenant_id = ? "
                f"AND status = 'active' AND userid IN ({marks}) GROUP BY userid",
                (str(tenant_id), *chunk),
            )
            counts.update((str(row["userid"]), int(row["n"])) for row in rows)
        return counts
