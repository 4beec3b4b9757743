"""PV and UV of promotion links (TRK-5), per link, per channel and per promoting employee.

Follows the behaviour log. A click through `/s/` (kind click, with the link in its
properties) adds one to the clicks (PV) of its link, its channel label and its employee
(`''`: promoted by nobody in particular), and one to the visitors (UV) of each of those
the visitor (its lead when known, else its anonymous id) had not clicked before. A page
view whose URL carries `hk_link=<code>` (the snippet on the landing page, after the
redirect added it) adds one to the landings of that code: it shows how many clicks
arrived, and landings from shares of the landing URL onwards. The landing page keeps its
own first-party anonymous id, so landings are not mixed into UV.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.views import ReadModel, Statement, View, iso, parse_iso
from application.tracking.clicks import LINK_PARAMETER, SOURCE
from application.tracking.link_commands import Counts, GroupCounts
from application.tracking.link_directory import LinkQueries
from domain.tracking.promotion import SHORT_CODE_LENGTH

LINK, CHANNEL, EMPLOYEE, CODE = "link", "channel", "employee", "code"
_ADD = (
    "INSERT INTO promotion_counts (tenant_id, scope, scope_key, clicks, visitors, landings, "
    "last_click_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (tenant_id, scope, scope_key) DO UPDATE SET "
    "clicks = promotion_counts.clicks + excluded.clicks, "
    "visitors = promotion_counts.visitors + excluded.visitors, "
    "landings = promotion_counts.landings + excluded.landings, "
    "last_click_at = COALESCE(excluded.last_click_at, promotion_counts.last_click_at)"
)


class PromotionStats(ReadModel):
    """Counts clicks, distinct visitors and landings of promotion links."""

    name = "tracking_promotion_stats"
    follows = (BEHAVIOURS,)
    tables = {
        "promotion_counts": "tenant_id TEXT NOT NULL, scope TEXT NOT NULL, "
        "scope_key TEXT NOT NULL, clicks INTEGER NOT NULL, visitors INTEGER NOT NULL, "
        "landings INTEGER NOT NULL, last_click_at TEXT, "
        "PRIMARY KEY (tenant_id, scope, scope_key)",
        "promotion_visitors": "tenant_id TEXT NOT NULL, scope TEXT NOT NULL, "
        "scope_key TEXT NOT NULL, visitor TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, scope, scope_key, visitor)",
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        statements: list[Statement] = []
        if isinstance(domain_event, Behaviour):
            statements = self._counted(domain_event)
        self.view.write(tracking, statements)

    def _counted(self, behaviour: Behaviour) -> list[Statement]:
        tenant_id = str(behaviour.tenant_id)
        if behaviour.kind == BehaviourKind.CLICK and behaviour.source_id == SOURCE:
            link_id = _text(behaviour.properties.get("link_id"))
            if not link_id:
                return []
            visitor = visitor_of(behaviour)
            at = iso(behaviour.occurred_at)
            scopes = {
                LINK: link_id,
                CHANNEL: _text(behaviour.properties.get("channel_label")),
                EMPLOYEE: _text(behaviour.properties.get("employee_id")),
            }
            statements: list[Statement] = []
            for scope, key in scopes.items():
                new = visitor is not None and self._first_visit(tenant_id, scope, key, visitor)
                if new:
                    statements.append(
                        (
                            "INSERT INTO promotion_visitors (tenant_id, scope, scope_key, "
                            "visitor) VALUES (?, ?, ?, ?)",
                            (tenant_id, scope, key, visitor),
                        )
                    )
                statements.append((_ADD, (tenant_id, scope, key, 1, int(new), 0, at)))
            return statements
        if behaviour.kind == BehaviourKind.PAGE:
            code = landing_code(behaviour)
            if code:
                return [(_ADD, (tenant_id, CODE, code, 0, 0, 1, None))]
        return []

    def _first_visit(self, tenant_id: str, scope: str, key: str, visitor: str) -> bool:
        # In a batch the statements of earlier behaviours already ran: this sees them.
        return not self.view.rows(
            "SELECT 1 AS seen FROM promotion_visitors WHERE tenant_id = ? AND scope = ? "
            "AND scope_key = ? AND visitor = ?",
            (tenant_id, scope, key, visitor),
        )


def visitor_of(behaviour: Behaviour) -> str | None:
    """Who a click was made by, for UV: the lead when known, else the anonymous id."""
    if behaviour.lead_id is not None:
        return f"lead:{behaviour.lead_id}"
    if behaviour.anonymous_id:
        return f"anon:{behaviour.anonymous_id}"
    return None


def landing_code(behaviour: Behaviour) -> str | None:
    """The `hk_link` code on a page view's URL (its properties, else its context.page)."""
    url = _text(behaviour.properties.get("url"))
    if not url:
        page = behaviour.context.get("page")
        url = _text(page.get("url")) if isinstance(page, Mapping) else ""
    if not url or LINK_PARAMETER not in url:
        return None
    try:
        query = urlsplit(url).query
    except ValueError:
        return None
    for key, value in parse_qsl(query):
        if key == LINK_PARAMETER and len(value) == SHORT_CODE_LENGTH and value.isalnum():
            return value
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class PromotionCounts:
    """PV, UV and landings of a tenant's links, channels and employees."""

    def __init__(self, view: View, links: LinkQueries) -> None:
        self.view = view
        self.links = links

    def of_link(self, tenant_id: UUID, link_id: UUID, code: str) -> Counts:
        """One link's counts (its landings are kept by its code)."""
        found = self._counts(tenant_id, LINK, [str(link_id)])
        landings = self._counts(tenant_id, CODE, [code])
        counts = found.get(str(link_id), Counts())
        return counts.model_copy(update={"landings": landings.get(code, Counts()).landings})

    def of_links(self, tenant_id: UUID, links: Iterable[tuple[UUID, str]]) -> dict[UUID, Counts]:
        """The counts of several links (id, code), in two queries: a list page's PV/UV."""
        pairs = list(links)
        clicks = self._counts(tenant_id, LINK, [str(link_id) for link_id, _ in pairs])
        landings = self._counts(tenant_id, CODE, [code for _, code in pairs])
        return {
            link_id: clicks.get(str(link_id), Counts()).model_copy(
                update={"landings": landings.get(code, Counts()).landings}
            )
            for link_id, code in pairs
        }

    def by_channel(self, tenant_id: UUID) -> list[GroupCounts]:
        """Every channel label with its counts, most clicked first."""
        return self._grouped(tenant_id, CHANNEL, "channel")

    def by_employee(self, tenant_id: UUID) -> list[GroupCounts]:
        """Every promoting employee (`''`: links of no employee), most clicked first."""
        return self._grouped(tenant_id, EMPLOYEE, "employee_id")

    def _grouped(self, tenant_id: UUID, scope: str, column: str) -> list[GroupCounts]:
        rows = self.view.rows(
            "SELECT * FROM promotion_counts WHERE tenant_id = ? AND scope = ?",
            (str(tenant_id), scope),
        )
        found = {row["scope_key"]: _counts(row) for row in rows}
        # Landings are per code: add them up by the channel or employee of each link.
        landings: dict[str, int] = {}
        codes = self._counts(tenant_id, CODE, None)
        if codes:
            for code, link in self.links.codes_of(tenant_id).items():
                if code in codes:
                    key = link[column] or ""
                    landings[key] = landings.get(key, 0) + codes[code].landings
        for key in landings:
            found.setdefault(key, Counts())
        groups = [
            GroupCounts(
                key=key, counts=counts.model_copy(update={"landings": landings.get(key, 0)})
            )
            for key, counts in found.items()
        ]
        return sorted(groups, key=lambda group: (-group.counts.clicks, group.key))

    def _counts(self, tenant_id: UUID, scope: str, keys: list[str] | None) -> dict[str, Counts]:
        sql = "SELECT * FROM promotion_counts WHERE tenant_id = ? AND scope = ?"
        params: list[Any] = [str(tenant_id), scope]
        if keys is not None:
            if not keys:
                return {}
            sql += f" AND scope_key IN ({', '.join('?' for _ in keys)})"
            params += keys
        return {row["scope_key"]: _counts(row) for row in self.view.rows(sql, params)}


def _counts(row: Mapping[str, Any]) -> Counts:
    return Counts(
        clicks=row["clicks"],
        visitors=row["visitors"],
        landings=row["landings"],
        last_click_at=parse_iso(row["last_click_at"]) if row["last_click_at"] else None,
    )
