"""Behaviours on the lead timeline (LEAD-8, issue 15 item 6).

`BehaviourTimeline` keeps every behaviour of the log with the lead it belongs to
(`LeadBehaviours`: carried to the lead when its visitor is identified, to the survivor
when the lead is merged) and what the timeline shows of it. `TimelineQueries` is the
leads context's `LeadActivitySource`: the lead timeline merges its entries with the
lead's own events by (at, source, position) (ADR 0006).

What an entry shows carries no personal data (ADR 0006): no identities, no trait
values (an identify shows which traits were given, not what they were), no ip or user
agent, URLs without their query (which may hold an e-mail or a token) except the UTM
parameters, and of custom event properties only short plain values under names that are
not personal (`email`, `phone`, `name`… are left out).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from application.shared.behaviours import Behaviour, BehaviourKind
from application.shared.lead_behaviours import LeadBehaviours, stitched_indexes, stitched_tables
from application.shared.tenant_rows import RecordTenants
from application.shared.views import View, iso, parse_iso

SOURCE = "tracking"  # this source's name in the lead timeline's order and cursor
PREFIX = "tracking_timeline"
COLUMNS = "kind TEXT NOT NULL, details TEXT NOT NULL,"  # besides LeadBehaviours' own
# Timeline kinds of the behaviour kinds (`<context>.<What>`, ADR 0006).
TIMELINE_KINDS = {
    BehaviourKind.PAGE: "tracking.PageViewed",
    BehaviourKind.SCREEN: "tracking.ScreenViewed",
    BehaviourKind.TRACK: "tracking.EventTracked",
    BehaviourKind.IDENTIFY: "tracking.Identified",
    BehaviourKind.ALIAS: "tracking.Aliased",
    BehaviourKind.GROUP: "tracking.Grouped",
    BehaviourKind.CLICK: "tracking.LinkClicked",
    BehaviourKind.OPEN: "tracking.EmailOpened",
}
# Property names never shown (lower-cased): these, and any name containing a word below.
PERSONAL_NAMES = frozenset({"name", "firstname", "first_name", "lastname", "last_name",
    "fullname", "full_name", "username", "user_name", "nickname", "address", "ip", "birthday",
    "idcard", "id_card", "qq", "wechat", "user_id", "userid", "previous_id"})  # fmt: skip
PERSONAL_WORDS = ("email", "mail", "phone", "mobile", "openid", "unionid", "password", "token")
MAX_PROPERTIES = 20
MAX_TEXT = 200
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


class BehaviourTimeline(LeadBehaviours):
    """Every behaviour with its lead and the details the timeline shows."""

    name = "tracking_timeline"
    prefix = PREFIX
    version = 1
    tenants = RecordTenants(f"{PREFIX}_record_tenants")
    tables = {
        **stitched_tables(PREFIX, COLUMNS),
        **tenants.definition,
    }
    indexes = stitched_indexes(PREFIX)
    platform_wide = {tenants.table: "whose record an id is, for events stored unstamped"}

    def row_of(self, behaviour: Behaviour) -> dict[str, Any]:
        return {
            "kind": TIMELINE_KINDS.get(behaviour.kind, f"tracking.{behaviour.kind}"),  # type: ignore[call-overload]
            "details": json.dumps(timeline_details(behaviour), ensure_ascii=False),
        }


@dataclass(frozen=True)
class TimelineActivity:
    """One behaviour as a lead timeline entry (the shape `LeadActivitySource` answers)."""

    at: datetime
    kind: str
    position: int
    details: dict[str, Any]
    actor: dict[str, Any] | None = None


class TimelineQueries:
    """The behaviours of one lead, newest first, in the lead timeline's order."""

    source = SOURCE

    def __init__(self, view: View) -> None:
        self.view = view

    def activity(
        self,
        tenant_id: Any,
        lead_id: Any,
        *,
        before: tuple[datetime, str, int] | None,
        limit: int,
    ) -> list[TimelineActivity]:
        """Up to `limit` behaviours of the lead that come strictly after `before` (an
        (at, source, position) of the merged timeline) newest first."""
        where = "tenant_id = ? AND lead_id = ?"
        params: list[Any] = [str(tenant_id), str(lead_id)]
        if before is not None:
            at, source, position = iso(before[0]), before[1], before[2]
            if source == SOURCE:
                where += " AND (at < ? OR (at = ? AND position < ?))"
                params += [at, at, position]
            else:  # ties on `at` are ordered by source name
                where += " AND at < ?" if source < SOURCE else " AND at <= ?"
                params.append(at)
        rows = self.view.rows(
            f"SELECT at, kind, position, details FROM {PREFIX}_behaviours WHERE {where} "
            f"ORDER BY at DESC, position DESC LIMIT {int(limit)}",
            params,
        )
        return [
            TimelineActivity(
                at=parse_iso(row["at"]),
                kind=row["kind"],
                position=int(row["position"]),
                details=json.loads(row["details"]),
                actor={"kind": "visitor"},
            )
            for row in rows
        ]


# --- what an entry shows -------------------------------------------------------------------


def timeline_details(behaviour: Behaviour) -> dict[str, Any]:
    """The details of a behaviour's timeline entry, without personal data (see module)."""
    properties = behaviour.properties
    page = behaviour.context.get("page")
    page = page if isinstance(page, Mapping) else {}
    details: dict[str, Any] = {"channel": behaviour.channel}
    if behaviour.name:
        details["name"] = behaviour.name[:MAX_TEXT]
    url = _text(properties.get("url")) or _text(page.get("url"))
    if url:
        details["url"], utm = _public_url(url)
        if utm:
            details["utm"] = utm
    campaign = behaviour.context.get("campaign")
    if isinstance(campaign, Mapping) and "utm" not in details:
        utm = {f"utm_{k}": v[:MAX_TEXT] for k, v in campaign.items() if isinstance(v, str)}
        if utm := {k: v for k, v in utm.items() if k in UTM}:
            details["utm"] = utm
    title = _text(properties.get("title")) or _text(page.get("title"))
    if title and behaviour.kind in (BehaviourKind.PAGE, BehaviourKind.SCREEN):
        details["title"] = title[:MAX_TEXT]
    referrer = _text(properties.get("referrer")) or _text(page.get("referrer"))
    if referrer:
        details["referrer"] = urlsplit(referrer).netloc or referrer[:MAX_TEXT]
    dwell = properties.get("dwell_ms")
    if isinstance(dwell, int | float) and not isinstance(dwell, bool) and dwell >= 0:
        details["dwell_seconds"] = round(dwell / 1000)
    if behaviour.kind in (BehaviourKind.IDENTIFY, BehaviourKind.GROUP):
        # Which traits were given, never their values.
        details["traits"] = sorted(str(key) for key in properties)[:MAX_PROPERTIES]
        if behaviour.kind == BehaviourKind.GROUP and _text(properties.get("group_id")):
            details["group_id"] = str(_text(properties.get("group_id")))[:MAX_TEXT]
    elif behaviour.kind != BehaviourKind.ALIAS:  # an alias's previous id is an identity
        shown = _shown_properties(properties)
        if shown:
            details["properties"] = shown
    return details


def _shown_properties(properties: Mapping[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key, value in properties.items():
        if len(shown) >= MAX_PROPERTIES:
            break
        lowered = str(key).lower()
        if (
            key in ("url", "title", "referrer", "path", "dwell_ms", "search")
            or lowered in PERSONAL_NAMES
            or any(word in lowered for word in PERSONAL_WORDS)
        ):
            continue
        plain = isinstance(value, bool | int | float)
        if plain or (isinstance(value, str) and len(value) <= MAX_TEXT):
            shown[str(key)[:MAX_TEXT]] = value
    return shown


def _public_url(url: str) -> tuple[str, dict[str, str]]:
    """The URL without query and fragment, and its UTM parameters."""
    parts = urlsplit(url[:2000])
    utm = {k: v[:MAX_TEXT] for k, v in parse_qsl(parts.query) if k in UTM}
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))[: MAX_TEXT * 2], utm


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


__all__ = ["BehaviourTimeline", "TimelineActivity", "TimelineQueries", "timeline_details"]
