"""Fans and their conversations (WX-2, WX-3): a read model over the WeChat rows of the
behaviour log.

A fan row per account and openid says whether they follow, since when, when they last
interacted (what opens the 48-hour customer-service window: a message, following, a
scan, a CLICK menu) and how many mass messages they got this month (WX-4's cap). Every
message in and out is kept for the fan's conversation, for good: the log keeps them too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind, Channel
from application.shared.errors import NotFound
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert
from application.shared.views import ReadModel, Statement, View, iso, parse_iso
from application.wechat.commands import FanDetails, FanMessage
from domain.wechat.windows import CUSTOMER_SERVICE_WINDOW, INTERACTIVE_MENU_EVENTS, mass_month

FANS = "wechat_fans"
TAGGED = "tagged"  # a fan_synced row of a tag given from huoke (fan_tags)
MESSAGES = "wechat_messages"
FAN_LEADS = "wechat_fan_leads"  # which lead a fan's openid was stitched to (for flows' sends)
WECHAT_KEY = "wechat:"  # the anonymous id of a fan's rows and visitor
_FAN_KEY = "(tenant_id, account_id, openid)"
_LATER = "CASE WHEN {t}.{c} IS NULL OR {t}.{c} < excluded.{c} THEN excluded.{c} ELSE {t}.{c} END"


def _later(column: str) -> str:
    return f"{column} = " + _LATER.format(t=FANS, c=column)


class FanDirectory(ReadModel):
    """Keeps each account's fans and their conversations."""

    name = "wechat_fan_directory"
    version = 2
    follows = (BEHAVIOURS, "tracking")
    tables = {
        FANS: "tenant_id TEXT NOT NULL, account_id TEXT NOT NULL, openid TEXT NOT NULL, "
        "unionid TEXT NOT NULL DEFAULT '', subscribed INTEGER NOT NULL DEFAULT 0, "
        "subscribed_at TEXT, unsubscribed_at TEXT, last_interaction_at TEXT, "
        "scene TEXT NOT NULL DEFAULT '', nickname TEXT NOT NULL DEFAULT '', "
        "sex INTEGER NOT NULL DEFAULT 0, province TEXT NOT NULL DEFAULT '', "
        "city TEXT NOT NULL DEFAULT '', tag_ids TEXT NOT NULL DEFAULT '[]', "
        "mass_month TEXT NOT NULL DEFAULT '', mass_received INTEGER NOT NULL DEFAULT 0, "
        "first_seen_at TEXT NOT NULL, PRIMARY KEY (tenant_id, account_id, openid)",
        MESSAGES: "tenant_id TEXT NOT NULL, account_id TEXT NOT NULL, openid TEXT NOT NULL, "
        "position INTEGER NOT NULL, direction TEXT NOT NULL, at TEXT NOT NULL, "
        "msg_type TEXT NOT NULL, text TEXT NOT NULL, sender TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, account_id, openid, position)",
        FAN_LEADS: "tenant_id TEXT NOT NULL, visitor_id TEXT NOT NULL, openid TEXT NOT NULL, "
        "lead_id TEXT NOT NULL, PRIMARY KEY (tenant_id, visitor_id)",
    }
    indexes = {
        "wechat_fans_seen": f"{FANS} (tenant_id, account_id, first_seen_at, openid)",
        "wechat_fans_active": f"{FANS} (tenant_id, account_id, last_interaction_at)",
        "wechat_fan_leads_lead": f"{FAN_LEADS} (tenant_id, lead_id)",
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        statements: list[Statement] = []
        if not isinstance(domain_event, Behaviour):
            statements = self._stitched(domain_event)
        elif domain_event.channel == Channel.WECHAT:
            statements = self._statements(domain_event)
        self.view.write(tracking, statements)

    def _stitched(self, event: Any) -> list[Statement]:
        """A fan's visitor identified as a lead (tracking's stitching of wechat:<openid>)."""
        topic = get_topic(type(event))
        tenant_id = str(tenant_of(event) or event.tenant_id)
        visitor = str(event.originator_id)
        if topic == "tracking.Visitor.Identified" and str(event.key).startswith(WECHAT_KEY):
            row = {
                "tenant_id": tenant_id,
                "visitor_id": visitor,
                "openid": str(event.key).removeprefix(WECHAT_KEY),
                "lead_id": str(event.lead_id),
            }
            return [insert(FAN_LEADS, row)]
        if topic == "tracking.Visitor.Reidentified":
            return [
                (
                    f"UPDATE {FAN_LEADS} SET lead_id = ? WHERE tenant_id = ? AND visitor_id = ?",
                    (str(event.lead_id), tenant_id, visitor),
                )
            ]
        return []

    def _statements(self, behaviour: Behaviour) -> list[Statement]:
        account = behaviour.properties.get("account")
        openid = behaviour.properties.get("openid")
        if not isinstance(account, str) or not isinstance(openid, str) or not openid:
            return []
        key = (str(behaviour.tenant_id), account, openid)
        at = iso(behaviour.occurred_at)
        kind = behaviour.kind
        statements = [self._seen(key, at)]
        if kind == BehaviourKind.WECHAT_FOLLOWED:
            statements.append(self._followed(key, at, str(behaviour.properties.get("scene", ""))))
        elif kind == BehaviourKind.WECHAT_UNFOLLOWED:
            statements.append(
                (
                    f"UPDATE {FANS} SET subscribed = 0, unsubscribed_at = ? "
                    "WHERE tenant_id = ? AND account_id = ? AND openid = ?",
                    (at, *key),
                )
            )
        elif kind == BehaviourKind.WECHAT_FAN_SYNCED and behaviour.name == TAGGED:
            statements.append(self._tagged(key, behaviour.properties))
        elif kind == BehaviourKind.WECHAT_FAN_SYNCED:
            statements.append(self._synced(key, behaviour.properties))
        elif kind == BehaviourKind.WECHAT_MASS_SENT and behaviour.properties.get("counted", True):
            # Targeted sends (定向发送) are not counted against the 4 a month (WX-4).
            statements.append(self._mass_received(key, mass_month(behaviour.occurred_at)))
        if _interacts(behaviour):
            statements.append(self._interacted(key, at))
        if kind in (BehaviourKind.WECHAT_MESSAGE, BehaviourKind.WECHAT_REPLIED):
            statements.append(self._message(key, behaviour, at))
        return statements

    def _seen(self, key: tuple[str, str, str], at: str) -> Statement:
        return (
            f"INSERT INTO {FANS} (tenant_id, account_id, openid, first_seen_at) "
            f"VALUES (?, ?, ?, ?) ON CONFLICT {_FAN_KEY} DO NOTHING",
            (*key, at),
        )

    def _followed(self, key: tuple[str, str, str], at: str, scene: str) -> Statement:
        return (
            f"UPDATE {FANS} SET subscribed = 1, subscribed_at = ?, "
            "scene = CASE WHEN ? <> '' THEN ? ELSE scene END "
            "WHERE tenant_id = ? AND account_id = ? AND openid = ?",
            (at, scene, scene, *key),
        )

    def _synced(self, key: tuple[str, str, str], profile: Mapping[str, Any]) -> Statement:
        """The account's own profile of the fan (user/info) replaces what it says."""
        tag_ids = [int(t) for t in profile.get("tag_ids") or [] if str(t).isdigit()]
        subscribed = bool(profile.get("subscribed"))
        return (
            f"UPDATE {FANS} SET subscribed = ?, "
            "subscribed_at = CASE WHEN ? <> '' THEN ? ELSE subscribed_at END, "
            "unionid = ?, nickname = ?, sex = ?, province = ?, city = ?, tag_ids = ? "
            "WHERE tenant_id = ? AND account_id = ? AND openid = ?",
            (
                int(subscribed),
                str(profile.get("subscribed_at") or ""),
                str(profile.get("subscribed_at") or ""),
                str(profile.get("unionid") or ""),
                str(profile.get("nickname") or "")[:100],
                int(profile.get("sex") or 0),
                str(profile.get("province") or "")[:50],
                str(profile.get("city") or "")[:50],
                json.dumps(sorted(set(tag_ids))),
                *key,
            ),
        )

    def _tagged(self, key: tuple[str, str, str], properties: Mapping[str, Any]) -> Statement:
        """A tag given from huoke, added to what the fan had (read here: the JSON list is
        kept portable, and this follower is its only writer)."""
        rows = self.view.rows(
            f"SELECT tag_ids FROM {FANS} WHERE tenant_id = ? AND account_id = ? AND openid = ?",
            key,
        )
        tag_ids = set(json.loads(rows[0]["tag_ids"])) if rows else set()
        tag_ids.add(int(properties.get("tag_added") or 0))
        return (
            f"UPDATE {FANS} SET tag_ids = ? WHERE tenant_id = ? AND account_id = ? AND openid = ?",
            (json.dumps(sorted(tag_ids)), *key),
        )

    def _interacted(self, key: tuple[str, str, str], at: str) -> Statement:
        return (
            f"INSERT INTO {FANS} (tenant_id, account_id, openid, first_seen_at, "
            f"last_interaction_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT {_FAN_KEY} "
            f"DO UPDATE SET {_later('last_interaction_at')}",
            (*key, at, at),
        )

    def _mass_received(self, key: tuple[str, str, str], month: str) -> Statement:
        return (
            f"UPDATE {FANS} SET mass_received = CASE WHEN mass_month = ? "
            "THEN mass_received + 1 ELSE 1 END, mass_month = ? "
            "WHERE tenant_id = ? AND account_id = ? AND openid = ?",
            (month, month, *key),
        )

    def _message(self, key: tuple[str, str, str], behaviour: Behaviour, at: str) -> Statement:
        properties = behaviour.properties
        inbound = behaviour.kind == BehaviourKind.WECHAT_MESSAGE
        text = str(
            properties.get("text") or properties.get("title") or properties.get("label") or ""
        )
        return (
            f"INSERT INTO {MESSAGES} (tenant_id, account_id, openid, position, direction, at, "
            "msg_type, text, sender) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (tenant_id, account_id, openid, position) DO NOTHING",
            (
                *key,
                behaviour.position,
                "in" if inbound else "out",
                at,
                str(properties.get("msg_type") or "text"),
                text,
                "fan" if inbound else str(properties.get("by") or ""),
            ),
        )


def _interacts(behaviour: Behaviour) -> bool:
    """Whether WeChat counts the behaviour as the fan's interaction (WX-3)."""
    kind = behaviour.kind
    if kind in (
        BehaviourKind.WECHAT_MESSAGE,
        BehaviourKind.WECHAT_FOLLOWED,
        BehaviourKind.WECHAT_SCANNED,
    ):
        return True
    return (
        kind == BehaviourKind.WECHAT_MENU_CLICKED
        and behaviour.properties.get("menu_event") in INTERACTIVE_MENU_EVENTS
    )


class FanQueries:
    """An account's fans and a fan's conversation, from the read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def fans(
        self,
        tenant_id: UUID,
        account_id: UUID,
        *,
        subscribed: bool | None,
        cursor: str | None,
        limit: int,
    ) -> Page[FanDetails]:
        """The account's fans, newest first; `subscribed` only followers or only those
        who left."""
        where = "tenant_id = ? AND account_id = ?"
        params: list[Any] = [str(tenant_id), str(account_id)]
        if subscribed is not None:
            where += " AND subscribed = ?"
            params.append(int(subscribed))
        page = fetch_page(
            self.view,
            table=FANS,
            where=where,
            params=params,
            order_by=("first_seen_at", "openid"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_fan(row) for row in page.items], page.next_cursor)

    def fan(self, tenant_id: UUID, account_id: UUID, openid: str) -> FanDetails:
        rows = self.view.rows(
            f"SELECT * FROM {FANS} WHERE tenant_id = ? AND account_id = ? AND openid = ?",
            (str(tenant_id), str(account_id), openid),
        )
        if not rows:
            raise NotFound(f"no fan {openid} of account {account_id}")
        return _fan(rows[0])

    def fans_named(
        self, tenant_id: UUID, account_id: UUID, openids: list[str]
    ) -> dict[str, FanDetails]:
        """The fans among `openids` (others are not the account's)."""
        found: dict[str, FanDetails] = {}
        for start in range(0, len(openids), 500):
            chunk = openids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.view.rows(
                f"SELECT * FROM {FANS} WHERE tenant_id = ? AND account_id = ? "
                f"AND openid IN ({marks})",
                (str(tenant_id), str(account_id), *chunk),
            )
            found.update((row["openid"], _fan(row)) for row in rows)
        return found

    def fans_of_lead(self, tenant_id: UUID, account_id: UUID, lead_id: UUID) -> list[FanDetails]:
        """The account's fans stitched to the lead, last interacted first."""
        rows = self.view.rows(
            f"SELECT f.* FROM {FAN_LEADS} l JOIN {FANS} f ON f.tenant_id = l.tenant_id "
            "AND f.openid = l.openid WHERE l.tenant_id = ? AND l.lead_id = ? "
            "AND f.account_id = ? ORDER BY f.last_interaction_at DESC",
            (str(tenant_id), str(lead_id), str(account_id)),
        )
        return [_fan(row) for row in rows]

    def followers(self, tenant_id: UUID, account_id: UUID) -> list[FanDetails]:
        rows = self.view.rows(
            f"SELECT * FROM {FANS} WHERE tenant_id = ? AND account_id = ? AND subscribed = 1 "
            "ORDER BY openid",
            (str(tenant_id), str(account_id)),
        )
        return [_fan(row) for row in rows]

    def messages(
        self, tenant_id: UUID, account_id: UUID, openid: str, *, cursor: str | None, limit: int
    ) -> Page[FanMessage]:
        """The fan's conversation, newest first."""
        page = fetch_page(
            self.view,
            table=MESSAGES,
            where="tenant_id = ? AND account_id = ? AND openid = ?",
            params=[str(tenant_id), str(account_id), openid],
            order_by=("position",),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                FanMessage(
                    position=int(row["position"]),
                    direction=row["direction"],
                    at=parse_iso(row["at"]),
                    msg_type=row["msg_type"],
                    text=row["text"],
                    by=row["sender"],
                )
                for row in page.items
            ],
            page.next_cursor,
        )


def _fan(row: dict[str, Any]) -> FanDetails:
    last = _moment(row["last_interaction_at"])
    return FanDetails(
        account_id=UUID(row["account_id"]),
        openid=row["openid"],
        unionid=row["unionid"],
        subscribed=bool(row["subscribed"]),
        subscribed_at=_moment(row["subscribed_at"]),
        unsubscribed_at=_moment(row["unsubscribed_at"]),
        last_interaction_at=last,
        service_window_until=last + CUSTOMER_SERVICE_WINDOW if last else None,
        scene=row["scene"],
        nickname=row["nickname"],
        sex=int(row["sex"]),
        province=row["province"],
        city=row["city"],
        tag_ids=json.loads(row["tag_ids"]),
        mass_month=row["mass_month"],
        mass_received=int(row["mass_received"]),
    )


def _moment(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None
