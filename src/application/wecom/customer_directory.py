"""Customers, churn and customer groups (WECOM-3): a read model over the WeCom rows of
the behaviour log.

A relation row per customer and employee (a follow relation, 客户 × 添加人) says since
when they are contacts, through which channel (`state`), with the employee's remark and
tags, and whether it still holds: `active`, `lost` (the customer deleted the employee,
churn) or `removed` (the employee deleted the customer; not churn when WeCom did it for
a handover). Each loss is also a churn alert. The customer's profile (name, type, corp)
and the relation's remark and tags come from the profile rows the `CustomerProfiles`
policy records after an addition or an edit (WeCom's callbacks carry no details), and
from a customer sync. Groups come from the group callbacks and the group sync.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind, Channel
from application.shared.errors import NotFound
from application.shared.pages import Page, fetch_page
from application.shared.views import ReadModel, Statement, View, iso, parse_iso

RELATIONS = "wecom_relations"
CUSTOMERS = "wecom_customers"
ALERTS = "wecom_churn_alerts"
GROUPS = "wecom_customer_groups"
PROFILE = "profile"  # the name of an EDITED row carrying the customer's details
SYNCED = "synced"  # the name of a sync's EDITED or GROUP_CHANGED row
MAX_TEXT = 200

_RELATION_KEY = "(tenant_id, external_userid, userid)"


@dataclass(frozen=True)
class Relation:
    external_userid: str
    userid: str
    name: str
    corp_name: str
    status: str
    since: datetime
    added_at: datetime | None
    state: str
    add_way: int
    remark: str
    tags: list[str]
    ended_at: datetime | None
    by_transfer: bool


class CustomerDirectory(ReadModel):
    """Keeps each tenant's customers, their relations to employees, churn and groups."""

    name = "wecom_customer_directory"
    follows = (BEHAVIOURS,)
    tables = {
        RELATIONS: "tenant_id TEXT NOT NULL, external_userid TEXT NOT NULL, "
        "userid TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', "
        "corp_name TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, since TEXT NOT NULL, "
        "added_at TEXT, state TEXT NOT NULL DEFAULT '', add_way INTEGER NOT NULL DEFAULT 0, "
        "remark TEXT NOT NULL DEFAULT '', tags TEXT NOT NULL DEFAULT '[]', ended_at TEXT, "
        "by_transfer INTEGER NOT NULL DEFAULT 0, "
        "PRIMARY KEY (tenant_id, external_userid, userid)",
        CUSTOMERS: "tenant_id TEXT NOT NULL, external_userid TEXT NOT NULL, "
        "name TEXT NOT NULL DEFAULT '', type INTEGER NOT NULL DEFAULT 1, "
        "corp_name TEXT NOT NULL DEFAULT '', first_added_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, external_userid)",
        ALERTS: "tenant_id TEXT NOT NULL, alert_id TEXT NOT NULL, external_userid TEXT NOT NULL, "
        "userid TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (tenant_id, alert_id)",
        GROUPS: "tenant_id TEXT NOT NULL, chat_id TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', "
        "owner TEXT NOT NULL DEFAULT '', member_count INTEGER NOT NULL DEFAULT 0, "
        "status INTEGER NOT NULL DEFAULT 0, dismissed INTEGER NOT NULL DEFAULT 0, "
        "changed_at TEXT NOT NULL, PRIMARY KEY (tenant_id, chat_id)",
    }
    indexes = {
        "wecom_relations_since": f"{RELATIONS} (tenant_id, since, external_userid, userid)",
        "wecom_relations_employee": f"{RELATIONS} (tenant_id, userid, since)",
        "wecom_relations_ended": f"{RELATIONS} (tenant_id, status, ended_at)",
        "wecom_churn_alerts_at": f"{ALERTS} (tenant_id, at, alert_id)",
        "wecom_customer_groups_changed": f"{GROUPS} (tenant_id, changed_at, chat_id)",
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        statements: list[Statement] = []
        if isinstance(domain_event, Behaviour) and domain_event.channel == Channel.WECOM:
            statements = self._statements(domain_event)
        self.view.write(tracking, statements)

    def _statements(self, row: Behaviour) -> list[Statement]:
        kind = row.kind
        if kind == BehaviourKind.WECOM_GROUP_CHANGED:
            return self._group(row)
        properties = row.properties
        external = str(properties.get("external_userid") or "")
        if not external:
            return []
        tenant_id = str(row.tenant_id)
        at = iso(row.occurred_at)
        if kind == BehaviourKind.WECOM_CUSTOMER_EDITED and row.name in (PROFILE, SYNCED):
            return self._profile(tenant_id, external, properties, at)
        userid = str(properties.get("employee") or "")
        if not userid:
            return []
        key = (tenant_id, external, userid)
        if kind == BehaviourKind.WECOM_CUSTOMER_ADDED:
            return [
                self._customer(tenant_id, external, at),
                (
                    f"INSERT INTO {RELATIONS} (tenant_id, external_userid, userid, name, "
                    "corp_name, status, since, added_at, state) "
                    f"SELECT ?, ?, ?, COALESCE(MAX(c.name), ''), COALESCE(MAX(c.corp_name), ''), "
                    f"'active', ?, ?, ? FROM {CUSTOMERS} c "
                    "WHERE c.tenant_id = ? AND c.external_userid = ? "
                    f"ON CONFLICT {_RELATION_KEY} DO UPDATE SET status = 'active', "
                    "since = excluded.since, added_at = excluded.added_at, "
                    "state = excluded.state, ended_at = NULL, by_transfer = 0",
                    (*key, at, at, _text(properties.get("state")), tenant_id, external),
                ),
            ]
        if kind in (BehaviourKind.WECOM_CUSTOMER_LOST, BehaviourKind.WECOM_CUSTOMER_REMOVED):
            lost = kind == BehaviourKind.WECOM_CUSTOMER_LOST
            by_transfer = int(bool(properties.get("by_transfer")))
            statements = [
                self._customer(tenant_id, external, at),
                (  # a customer added before the corp was bound has no row yet
                    f"INSERT INTO {RELATIONS} (tenant_id, external_userid, userid, status, since) "
                    f"VALUES (?, ?, ?, 'active', ?) ON CONFLICT {_RELATION_KEY} DO NOTHING",
                    (*key, at),
                ),
                (
                    f"UPDATE {RELATIONS} SET status = ?, ended_at = ?, by_transfer = ? "
                    "WHERE tenant_id = ? AND external_userid = ? AND userid = ?",
                    ("lost" if lost else "removed", at, by_transfer, *key),
                ),
            ]
            if lost:
                statements.append(
                    (
                        f"INSERT INTO {ALERTS} (tenant_id, alert_id, external_userid, userid, at) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, alert_id) DO NOTHING",
                        (tenant_id, row.message_id, external, userid, at),
                    )
                )
            return statements
        return []  # an edit's callback: its details follow as a profile row

    def _customer(self, tenant_id: str, external: str, at: str) -> Statement:
        return (
            f"INSERT INTO {CUSTOMERS} (tenant_id, external_userid, first_added_at) "
            "VALUES (?, ?, ?) ON CONFLICT (tenant_id, external_userid) DO NOTHING",
            (tenant_id, external, at),
        )

    def _profile(
        self, tenant_id: str, external: str, properties: Mapping[str, Any], at: str
    ) -> list[Statement]:
        """The customer's details as WeCom answered them, with each follow relation."""
        name = _text(properties.get("name"))
        corp_name = _text(properties.get("corp_name"))
        statements: list[Statement] = [
            self._customer(tenant_id, external, at),
            (
                f"UPDATE {CUSTOMERS} SET name = ?, type = ?, corp_name = ? "
                "WHERE tenant_id = ? AND external_userid = ?",
                (name, int(properties.get("type") or 1), corp_name, tenant_id, external),
            ),
            (
                f"UPDATE {RELATIONS} SET name = ?, corp_name = ? "
                "WHERE tenant_id = ? AND external_userid = ?",
                (name, corp_name, tenant_id, external),
            ),
        ]
        for follow in properties.get("follow_users") or ():
            if not isinstance(follow, Mapping) or not follow.get("userid"):
                continue
            added = _text(follow.get("added_at")) or at
            statements.append(
                (  # a relation WeCom lists holds; one made before the binding starts here
                    f"INSERT INTO {RELATIONS} (tenant_id, external_userid, userid, name, "
                    "corp_name, status, since, added_at, state, add_way, remark, tags) "
                    "VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?) "
                    f"ON CONFLICT {_RELATION_KEY} DO UPDATE SET "
                    "added_at = COALESCE(wecom_relations.added_at, excluded.added_at), "
                    "state = CASE WHEN wecom_relations.state = '' THEN excluded.state "
                    "ELSE wecom_relations.state END, "
                    "add_way = excluded.add_way, remark = excluded.remark, tags = excluded.tags",
                    (
                        tenant_id,
                        external,
                        str(follow["userid"]),
                        name,
                        corp_name,
                        added,
                        added,
                        _text(follow.get("state")),
                        int(follow.get("add_way") or 0),
                        _text(follow.get("remark")),
                        json.dumps(
                            [_text(t) for t in follow.get("tags") or ()], ensure_ascii=False
                        ),
                    ),
                )
            )
        return statements

    def _group(self, row: Behaviour) -> list[Statement]:
        properties = row.properties
        chat_id = _text(properties.get("chat_id"))
        if not chat_id:
            return []
        tenant_id, at = str(row.tenant_id), iso(row.occurred_at)
        change = _text(properties.get("change"))
        key = (tenant_id, chat_id)
        statements: list[Statement] = [
            (
                f"INSERT INTO {GROUPS} (tenant_id, chat_id, changed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (tenant_id, chat_id) DO NOTHING",
                (*key, at),
            )
        ]
        if row.name == SYNCED:
            statements.append(
                (
                    f"UPDATE {GROUPS} SET name = ?, owner = ?, member_count = ?, status = ?, "
                    "dismissed = 0, changed_at = ? WHERE tenant_id = ? AND chat_id = ?",
                    (
                        _text(properties.get("name")),
                        _text(properties.get("owner")),
                        int(properties.get("member_count") or 0),
                        int(properties.get("status") or 0),
                        at,
                        *key,
                    ),
                )
            )
            return statements
        detail = _text(properties.get("update_detail"))
        delta = int(properties.get("member_change_count") or 0)
        if change == "update" and detail in ("add_member", "del_member"):
            delta = delta if detail == "add_member" else -delta
        else:
            delta = 0
        statements.append(
            (
                f"UPDATE {GROUPS} SET dismissed = ?, changed_at = ?, "
                "member_count = CASE WHEN member_count + ? < 0 THEN 0 "
                "ELSE member_count + ? END WHERE tenant_id = ? AND chat_id = ?",
                (int(change == "dismiss"), at, delta, delta, *key),
            )
        )
        return statements


class CustomerQueries:
    """A tenant's customers, churn, alerts and groups, from the read model. `userids`
    narrows every list to the relations of those employees (None: the whole company)."""

    def __init__(self, view: View) -> None:
        self.view = view

    def relations(
        self,
        tenant_id: UUID,
        *,
        userids: Collection[str] | None,
        userid: str | None = None,
        status: str | None = None,
        state: str | None = None,
        query: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[Relation]:
        """Relations newest first, filtered by employee, status, channel, name."""
        where, params = _scoped(tenant_id, userids)
        for column, value in (("userid", userid), ("status", status), ("state", state)):
            if value is not None:
                where += f" AND {column} = ?"
                params.append(value)
        if query:
            where += " AND (name LIKE ? OR remark LIKE ?)"
            params += [f"%{_like(query)}%", f"%{_like(query)}%"]
        page = fetch_page(
            self.view,
            table=RELATIONS,
            where=where,
            params=params,
            order_by=("since", "external_userid", "userid"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_relation(row) for row in page.items], page.next_cursor)

    def churn(
        self, tenant_id: UUID, *, userids: Collection[str] | None, cursor: str | None, limit: int
    ) -> Page[Relation]:
        """Relations the customer ended (deleted the employee), latest first."""
        where, params = _scoped(tenant_id, userids)
        page = fetch_page(
            self.view,
            table=RELATIONS,
            where=where + " AND status = 'lost'",
            params=params,
            order_by=("ended_at", "external_userid", "userid"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_relation(row) for row in page.items], page.next_cursor)

    def customer(
        self, tenant_id: UUID, external_userid: str, *, userids: Collection[str] | None
    ) -> tuple[dict[str, Any], list[Relation]]:
        """The customer and their relations (those in scope; none in scope is 404)."""
        rows = self.view.rows(
            f"SELECT * FROM {CUSTOMERS} WHERE tenant_id = ? AND external_userid = ?",
            (str(tenant_id), external_userid),
        )
        where, params = _scoped(tenant_id, userids)
        relations = self.view.rows(
            f"SELECT * FROM {RELATIONS} WHERE {where} AND external_userid = ? "
            "ORDER BY since, userid",
            (*params, external_userid),
        )
        if not rows or (userids is not None and not relations):
            raise NotFound(f"no WeCom customer {external_userid}")
        return rows[0], [_relation(row) for row in relations]

    def alerts(
        self, tenant_id: UUID, *, userids: Collection[str] | None, cursor: str | None, limit: int
    ) -> Page[dict[str, Any]]:
        """Churn alerts, newest first, with the customer's name."""
        where, params = _scoped(tenant_id, userids)
        page = fetch_page(
            self.view,
            table=ALERTS,
            where=where,
            params=params,
            order_by=("at", "alert_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        names = self._names(tenant_id, {row["external_userid"] for row in page.items})
        return Page(
            [
                {
                    "id": row["alert_id"],
                    "external_userid": row["external_userid"],
                    "name": names.get(row["external_userid"], ""),
                    "userid": row["userid"],
                    "at": parse_iso(row["at"]),
                }
                for row in page.items
            ],
            page.next_cursor,
        )

    def groups(
        self,
        tenant_id: UUID,
        *,
        owners: Collection[str] | None,
        include_dismissed: bool,
        cursor: str | None,
        limit: int,
    ) -> Page[dict[str, Any]]:
        """Customer groups (of `owners` only, unless None), most recently changed first."""
        where, params = _scoped(tenant_id, owners, column="owner")
        where += "" if include_dismissed else " AND dismissed = 0"
        page = fetch_page(
            self.view,
            table=GROUPS,
            where=where,
            params=params,
            order_by=("changed_at", "chat_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                {
                    **row,
                    "dismissed": bool(row["dismissed"]),
                    "changed_at": parse_iso(row["changed_at"]),
                }
                for row in page.items
            ],
            page.next_cursor,
        )

    def per_employee(
        self, tenant_id: UUID, *, userids: Collection[str] | None
    ) -> dict[str, dict[str, int]]:
        """Relations per employee and status."""
        where, params = _scoped(tenant_id, userids)
        rows = self.view.rows(
            f"SELECT userid, status, COUNT(*) AS n FROM {RELATIONS} WHERE {where} "
            "GROUP BY userid, status",
            params,
        )
        counts: dict[str, dict[str, int]] = {}
        for row in rows:
            counts.setdefault(row["userid"], {})[row["status"]] = int(row["n"])
        return counts

    def active_customers(self, tenant_id: UUID, *, userids: Collection[str] | None) -> int:
        where, params = _scoped(tenant_id, userids)
        rows = self.view.rows(
            f"SELECT COUNT(DISTINCT external_userid) AS n FROM {RELATIONS} "
            f"WHERE {where} AND status = 'active'",
            params,
        )
        return int(rows[0]["n"])

    def moments_since(
        self, tenant_id: UUID, since: datetime, *, userids: Collection[str] | None
    ) -> tuple[list[datetime], list[datetime]]:
        """When relations were added, and when customers left, since `since`."""
        where, params = _scoped(tenant_id, userids)
        after = iso(since)
        added = self.view.rows(
            f"SELECT added_at FROM {RELATIONS} WHERE {where} AND added_at >= ?", (*params, after)
        )
        lost = self.view.rows(
            f"SELECT ended_at FROM {RELATIONS} WHERE {where} AND status = 'lost' AND ended_at >= ?",
            (*params, after),
        )
        return (
            [parse_iso(row["added_at"]) for row in added],
            [parse_iso(row["ended_at"]) for row in lost],
        )

    def _names(self, tenant_id: UUID, externals: Collection[str]) -> dict[str, str]:
        ids = sorted(externals)
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = self.view.rows(
            f"SELECT external_userid, name FROM {CUSTOMERS} WHERE tenant_id = ? "
            f"AND external_userid IN ({marks})",
            (str(tenant_id), *ids),
        )
        return {row["external_userid"]: row["name"] for row in rows}


def _scoped(
    tenant_id: UUID, userids: Collection[str] | None, *, column: str = "userid"
) -> tuple[str, list[Any]]:
    if userids is None:
        return "tenant_id = ?", [str(tenant_id)]
    names = sorted(userids)
    if not names:
        return "tenant_id = ? AND 1 = 0", [str(tenant_id)]
    marks = ", ".join("?" for _ in names)
    return f"tenant_id = ? AND {column} IN ({marks})", [str(tenant_id), *names]


def _relation(row: dict[str, Any]) -> Relation:
    return Relation(
        external_userid=row["external_userid"],
        userid=row["userid"],
        name=row["name"],
        corp_name=row["corp_name"],
        status=row["status"],
        since=parse_iso(row["since"]),
        added_at=parse_iso(row["added_at"]) if row["added_at"] else None,
        state=row["state"],
        add_way=int(row["add_way"]),
        remark=row["remark"],
        tags=json.loads(row["tags"]),
        ended_at=parse_iso(row["ended_at"]) if row["ended_at"] else None,
        by_transfer=bool(row["by_transfer"]),
    )


def _text(value: Any) -> str:
    return str(value)[:MAX_TEXT] if value not in (None, "") else ""


def _like(text: str) -> str:
    return text.replace("%", "").replace("_", "")[:50]
