"""The alert board (敏感词触发明细, 敏感行为触发记录, 敏感词触发统计; ARCH-3): every alert
that screening raised on ingestion, listed with filters, and counted per word (or
behaviour), employee and day — a read model over the behaviour log's alert rows.

Days are the tenant's (its zone when the alert was counted). The board holds no message
text: the roles that read it (sales managers among them) may not read the archive.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.archive.screening_commands import AlertCount, AlertCounts, AlertDetails
from application.archive.zones import Zones, day_bounds, local_day
from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.errors import InvalidInput
from application.shared.pages import Page, fetch_page
from application.shared.tenant_rows import insert
from application.shared.views import ReadModel, Statement, View, iso, parse_iso

ALERTS = "archive_alerts"
COUNTS = "archive_alert_counts"
MAX_COUNTS = 200  # rows of one count answer (the top ones)
CountedBy = Literal["word", "behaviour", "employee", "day"]
_GROUPS = {
    "word": ("match", "rule = 'word'"),
    "behaviour": ("rule", "rule <> 'word'"),
    "employee": ("employee", ""),
    "day": ("day", ""),
}


class AlertBoard(ReadModel):
    """Keeps each tenant's alerts and their counts."""

    name = "archive_alert_board"
    follows = (BEHAVIOURS,)
    tables = {
        ALERTS: "tenant_id TEXT NOT NULL, position INTEGER NOT NULL, msgid TEXT NOT NULL, "
        "rule TEXT NOT NULL, match TEXT NOT NULL, category TEXT NOT NULL, "
        "employee TEXT NOT NULL, sender TEXT NOT NULL, conversation TEXT NOT NULL, "
        "roomid TEXT NOT NULL, at TEXT NOT NULL, day TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, position)",
        COUNTS: "tenant_id TEXT NOT NULL, day TEXT NOT NULL, rule TEXT NOT NULL, "
        "match TEXT NOT NULL, employee TEXT NOT NULL, category TEXT NOT NULL, "
        "hits INTEGER NOT NULL, PRIMARY KEY (tenant_id, day, rule, match, employee)",
    }
    indexes = {
        "archive_alerts_at": f"{ALERTS} (tenant_id, at, position)",
        "archive_alerts_day": f"{ALERTS} (tenant_id, day, at, position)",
        "archive_alerts_employee": f"{ALERTS} (tenant_id, employee, at, position)",
        "archive_alerts_match": f"{ALERTS} (tenant_id, rule, match, at, position)",
    }

    def __init__(self, view: View, *, zones: Zones) -> None:
        super().__init__(view)
        self.zones = zones

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        statements: list[Statement] = []
        if isinstance(domain_event, Behaviour) and domain_event.kind == BehaviourKind.ARCHIVE_ALERT:
            statements = self._alerted(domain_event)
        self.view.write(tracking, statements)

    def _alerted(self, row: Behaviour) -> list[Statement]:
        p = row.properties
        tenant_id = str(row.tenant_id)
        day = local_day(row.occurred_at, self.zones.of(row.tenant_id))
        rule, match = str(p.get("rule", "")), str(p.get("match", ""))
        employee, category = str(p.get("employee") or ""), str(p.get("category") or "")
        alert = {
            "tenant_id": tenant_id,
            "position": row.position,
            "msgid": str(p.get("msgid", "")),
            "rule": rule,
            "match": match,
            "category": category,
            "employee": employee,
            "sender": str(p.get("from") or ""),
            "conversation": str(p.get("conversation") or ""),
            "roomid": str(p.get("roomid") or ""),
            "at": iso(row.occurred_at),
            "day": day,
        }
        counted = (
            f"INSERT INTO {COUNTS} (tenant_id, day, rule, match, employee, category, hits) "
            "VALUES (?, ?, ?, ?, ?, ?, 1) "
            "ON CONFLICT (tenant_id, day, rule, match, employee) "
            f"DO UPDATE SET hits = {COUNTS}.hits + 1, category = excluded.category",
            (tenant_id, day, rule, match, employee, category),
        )
        return [insert(ALERTS, alert), counted]


class AlertQueries:
    """A tenant's alerts and their counts, from the board."""

    def __init__(self, view: View, zones: Zones) -> None:
        self.view = view
        self.zones = zones

    def alerts(
        self,
        tenant_id: UUID,
        *,
        day_from: date | None = None,
        day_to: date | None = None,
        rule: str | None = None,
        match: str | None = None,
        employee: str | None = None,
        category: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[AlertDetails]:
        """Alerts, newest first; days are the tenant's, the filters exact."""
        where, params = self._where(tenant_id, day_from, day_to, rule, employee, category)
        if match:
            where += " AND match = ?"
            params.append(match)
        page = fetch_page(
            self.view,
            table=ALERTS,
            where=where,
            params=params,
            order_by=("at", "position"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_alert(row) for row in page.items], page.next_cursor)

    def counts(
        self,
        tenant_id: UUID,
        *,
        by: CountedBy,
        day_from: date | None = None,
        day_to: date | None = None,
        rule: str | None = None,
        employee: str | None = None,
        category: str | None = None,
    ) -> AlertCounts:
        """Hits per word, behaviour, employee or day (the most first; days in order)."""
        if by not in _GROUPS:
            raise InvalidInput(f"by must be one of {', '.join(_GROUPS)}", field="by")
        column, only = _GROUPS[by]
        where, params = self._where(tenant_id, day_from, day_to, rule, employee, category)
        if only:
            where += f" AND {only}"
        order = "key" if by == "day" else "hits DESC, key"
        rows = self.view.rows(
            f"SELECT {column} AS key, MIN(rule) AS rule, SUM(hits) AS hits FROM {COUNTS} "
            f"WHERE {where} GROUP BY {column} ORDER BY {order} LIMIT {MAX_COUNTS}",
            params,
        )
        total = self.view.rows(f"SELECT SUM(hits) AS n FROM {COUNTS} WHERE {where}", params)
        return AlertCounts(
            by=by,
            items=[
                AlertCount(
                    key=str(row["key"]),
                    rule=str(row["rule"]) if by == "word" else None,
                    hits=int(row["hits"]),
                )
                for row in rows
            ],
            total=int(total[0]["n"] or 0),
        )

    def _where(
        self,
        tenant_id: UUID,
        day_from: date | None,
        day_to: date | None,
        rule: str | None,
        employee: str | None,
        category: str | None,
    ) -> tuple[str, list[Any]]:
        if day_from is not None and day_to is not None:
            day_bounds(day_from, day_to, self.zones.of(tenant_id))  # refuses a reversed range
        clauses, params = ["tenant_id = ?"], [str(tenant_id)]
        for column, value in (("rule", rule), ("employee", employee), ("category", category)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if day_from is not None:
            clauses.append("day >= ?")
            params.append(day_from.isoformat())
        if day_to is not None:
            clauses.append("day <= ?")
            params.append(day_to.isoformat())
        return " AND ".join(clauses), params


def _alert(row: dict[str, Any]) -> AlertDetails:
    return AlertDetails(
        msgid=row["msgid"],
        rule=row["rule"],
        match=row["match"],
        category=row["category"],
        employee=row["employee"],
        sender=row["sender"],
        conversation=row["conversation"],
        roomid=row["roomid"],
        at=parse_iso(row["at"]),
        day=date.fromisoformat(row["day"]),
    )
