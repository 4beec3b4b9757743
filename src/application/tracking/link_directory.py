"""The promotion links read model: each tenant's links for lists, and the code table the
`/s/` redirect resolves a code with (one primary-key read, then an in-process cache)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from domain.tracking.promotion import PromotionLink

CACHE_SIZE = 20_000  # codes remembered per process
CACHE_SECONDS = 30.0  # how long another process's archiving may go unnoticed

_LINK_COLUMNS = (
    "code TEXT NOT NULL, target_url TEXT NOT NULL, title TEXT NOT NULL, "
    "channel TEXT NOT NULL, employee_id TEXT, utm_source TEXT, utm_medium TEXT, "
    "utm_campaign TEXT, archived INTEGER NOT NULL"
)


def target_key(url: str) -> str:
    """A fixed-width key of a target URL (a URL may be longer than an index entry)."""
    return hashlib.sha256(url.encode()).hexdigest()


class LinkDirectory(ReadModel):
    """Keeps promotion links listable per tenant and resolvable by code."""

    name = "tracking_link_directory"
    follows = ("tracking",)
    tables = {
        "tracking_links": "tenant_id TEXT NOT NULL, link_id TEXT NOT NULL, "
        f"{_LINK_COLUMNS}, target_key TEXT NOT NULL, version INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, link_id)",
        # Keyed by the code alone: a visitor's click names no tenant, and the code is
        # unique across tenants (claimed with the link). Under Citus, distributed by code.
        "tracking_link_codes": f"code_key TEXT NOT NULL, tenant_id TEXT NOT NULL, "
        f"link_id TEXT NOT NULL, {_LINK_COLUMNS}, PRIMARY KEY (code_key)",
    }
    indexes = {
        "tracking_links_created": "tracking_links (tenant_id, created_at, link_id)",
        "tracking_links_channel": "tracking_links (tenant_id, channel, created_at, link_id)",
        "tracking_links_target": "tracking_links (tenant_id, target_key, created_at)",
    }
    platform_wide = {
        "tracking_link_codes": "a click names only the code, which no two tenants share",
    }

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(PromotionLink.Made)
    def _(self, event: Any, tracking: Tracking) -> None:
        link = {
            "code": event.code,
            "target_url": event.target_url,
            "title": event.title,
            "channel": event.channel,
            "employee_id": str(event.employee_id) if event.employee_id else None,
            "utm_source": event.utm_source,
            "utm_medium": event.utm_medium,
            "utm_campaign": event.utm_campaign,
            "archived": 0,
        }
        tenant_id, link_id = str(event.tenant_id), str(event.originator_id)
        self.view.write(
            tracking,
            [
                insert(
                    "tracking_links",
                    {
                        "tenant_id": tenant_id,
                        "link_id": link_id,
                        **link,
                        "target_key": target_key(event.target_url),
                        "version": event.originator_version,
                        "created_at": iso(event.timestamp),
                    },
                ),
                insert(
                    "tracking_link_codes",
                    {"code_key": event.code, "tenant_id": tenant_id, "link_id": link_id, **link},
                ),
            ],
        )

    @process_event.register(PromotionLink.Archived)
    def _(self, event: Any, tracking: Tracking) -> None:
        tenant = tenant_of(event)
        if tenant is None:  # every tracking event is stamped: it was born after stamping
            raise LookupError(f"{event.originator_id}: an unstamped tracking event")
        tenant_id, link_id = str(tenant), str(event.originator_id)
        rows = self.view.rows(
            "SELECT code FROM tracking_links WHERE tenant_id = ? AND link_id = ?",
            (tenant_id, link_id),
        )
        statements = [
            update(
                "tracking_links",
                {"archived": 1, "version": event.originator_version},
                where={"tenant_id": tenant_id, "link_id": link_id},
            )
        ]
        if rows:
            statements.append(
                update(
                    "tracking_link_codes",
                    {"archived": 1},
                    where={"code_key": rows[0]["code"]},
                )
            )
        self.view.write(tracking, statements)


@dataclass(frozen=True)
class ResolvedLink:
    """What the redirect needs of a link."""

    tenant_id: UUID
    link_id: UUID
    code: str
    target_url: str
    title: str
    channel: str
    employee_id: UUID | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    archived: bool


LinkRow = dict[str, Any]


class LinkQueries:
    """Lists of a tenant's links, and the redirect's code lookups (cached)."""

    def __init__(self, view: View, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.view = view
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, ResolvedLink]] = OrderedDict()
        self._lock = threading.Lock()

    def links(
        self,
        tenant_id: UUID,
        *,
        channel: str | None = None,
        include_archived: bool = False,
        cursor: str | None,
        limit: int,
    ) -> Page[LinkRow]:
        """The tenant's links, newest first (rows of `tracking_links`)."""
        where, params = "tenant_id = ?", [str(tenant_id)]
        if channel:
            where += " AND channel = ?"
            params.append(channel)
        if not include_archived:
            where += " AND archived = 0"
        return fetch_page(
            self.view,
            table="tracking_links",
            where=where,
            params=params,
            order_by=("created_at", "link_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )

    def channels(self, tenant_id: UUID) -> list[str]:
        """The channel labels the tenant's links use, for filters and choices."""
        rows = self.view.rows(
            "SELECT DISTINCT channel FROM tracking_links WHERE tenant_id = ? ORDER BY channel",
            (str(tenant_id),),
        )
        return [row["channel"] for row in rows]

    def same_target(self, tenant_id: UUID, target_url: str, *, limit: int) -> list[LinkRow]:
        """The tenant's links of one target URL, oldest first."""
        return self.view.rows(
            "SELECT * FROM tracking_links WHERE tenant_id = ? AND target_key = ? "
            f"ORDER BY created_at, link_id LIMIT {int(limit)}",
            (str(tenant_id), target_key(target_url)),
        )

    def codes_of(self, tenant_id: UUID) -> dict[str, LinkRow]:
        """Every link of the tenant by code (the landing counts are kept by code)."""
        rows = self.view.rows(
            "SELECT link_id, code, channel, employee_id FROM tracking_links WHERE tenant_id = ?",
            (str(tenant_id),),
        )
        return {row["code"]: row for row in rows}

    def resolve(self, code: str) -> ResolvedLink | None:
        """The link of a short code, from the cache or by one primary-key read; None
        while the read model has not seen it (never remembered, so it appears soon)."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(code)
            if cached is not None and now - cached[0] < CACHE_SECONDS:
                self._cache.move_to_end(code)
                return cached[1]
        rows = self.view.rows("SELECT * FROM tracking_link_codes WHERE code_key = ?", (code,))
        if not rows:
            return None
        resolved = _resolved(rows[0])
        with self._lock:
            self._cache[code] = (now, resolved)
            self._cache.move_to_end(code)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return resolved

    def forget(self, code: str) -> None:
        """Drop a code from this process's cache (its link was just archived here)."""
        with self._lock:
            self._cache.pop(code, None)


def _resolved(row: LinkRow) -> ResolvedLink:
    return ResolvedLink(
        tenant_id=UUID(row["tenant_id"]),
        link_id=UUID(row["link_id"]),
        code=row["code"],
        target_url=row["target_url"],
        title=row["title"],
        channel=row["channel"],
        employee_id=UUID(row["employee_id"]) if row["employee_id"] else None,
        utm_source=row["utm_source"],
        utm_medium=row["utm_medium"],
        utm_campaign=row["utm_campaign"],
        archived=bool(row["archived"]),
    )


def created_at_of(row: LinkRow) -> Any:
    return parse_iso(row["created_at"])
