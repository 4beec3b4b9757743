"""The material library (素材库, WX-6): an account's images, voice, video and news,
synced from WeChat (`material/batchget_material`, 20 a page) and listed for choosing
what a mass send or a reply carries.

Like the fan sync it is an observation: each item found is a `wechat_material_synced`
behaviour of the sync, and the sync's last row says which kinds it covered, so the
library read model drops what WeChat no longer has. A sync that stops half-way drops
nothing (its last row was never written); running it again completes it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind, Channel
from application.shared.clock import Clock
from application.shared.pages import Page, fetch_page
from application.shared.views import ReadModel, Statement, View, iso, parse_iso
from application.wechat.accounts import OfficialAccounts
from application.wechat.callbacks import SOURCE
from application.wechat.commands import MaterialDetails, MaterialSyncReport
from application.wechat.ports import Material, Observations, WechatApi
from application.wechat.wechat import Wechat

KINDS = ("image", "voice", "video", "news")
PAGE = 20  # batchget_material's largest page
MAX_PAGES = 5_000  # 100,000 items of a kind: WeChat's library is far smaller
TABLE = "wechat_materials"
FINISHED = "finished"


class MaterialSync:
    """Pulls an account's material library into the behaviour log."""

    def __init__(
        self,
        wechat: Wechat,
        accounts: OfficialAccounts,
        api: WechatApi,
        observations: Observations,
        clock: Clock,
    ) -> None:
        self.wechat = wechat
        self.accounts = accounts
        self.api = api
        self.observations = observations
        self.clock = clock

    def sync(self, tenant_id: UUID, account_id: UUID) -> MaterialSyncReport:
        """Sync every kind of the tenant's account's library."""
        serving = self.accounts.bound_for(tenant_id, account_id)
        sync_id = self.wechat.new_id("wechat_material_sync")
        counts: dict[str, int] = {}
        for kind in KINDS:
            counts[kind] = 0
            for page in range(MAX_PAGES):
                items = self.api.materials(serving.api_keys, kind, page * PAGE, PAGE)
                rows = [self._row(tenant_id, account_id, sync_id, item) for item in items]
                self.observations.take(rows)
                counts[kind] += len(items)
                if len(items) < PAGE:
                    break
        now = self.clock.now()
        self.observations.take(
            [
                Behaviour(
                    tenant_id=tenant_id,
                    kind=BehaviourKind.WECHAT_MATERIAL_SYNCED.value,
                    channel=Channel.WECHAT.value,
                    occurred_at=now,
                    received_at=now,
                    message_id=f"wechat:{account_id}:materials:{sync_id}",
                    name=FINISHED,
                    properties={
                        "account": str(account_id),
                        "sync": str(sync_id),
                        "kinds": list(KINDS),
                    },
                    source_id=SOURCE,
                )
            ]
        )
        return MaterialSyncReport(sync_id=sync_id, counts=counts)

    def _row(self, tenant_id: UUID, account_id: UUID, sync_id: UUID, item: Material) -> Behaviour:
        now = self.clock.now()
        return Behaviour(
            tenant_id=tenant_id,
            kind=BehaviourKind.WECHAT_MATERIAL_SYNCED.value,
            channel=Channel.WECHAT.value,
            occurred_at=now,
            received_at=now,
            message_id=f"wechat:{account_id}:materials:{sync_id}:{item.media_id}",
            name="item",
            properties={
                "account": str(account_id),
                "sync": str(sync_id),
                "media_id": item.media_id,
                "kind": item.kind,
                "name": item.name[:200],
                "url": item.url[:1000],
                "updated_at": iso(item.updated_at) if item.updated_at else "",
                "articles": [dict(article) for article in item.articles][:8],
            },
            source_id=SOURCE,
        )


class MaterialLibrary(ReadModel):
    """Keeps each account's material library as its last sync found it."""

    name = "wechat_material_library"
    follows = (BEHAVIOURS,)
    tables = {
        TABLE: "tenant_id TEXT NOT NULL, account_id TEXT NOT NULL, media_id TEXT NOT NULL, "
        "kind TEXT NOT NULL, name TEXT NOT NULL, url TEXT NOT NULL, updated_at TEXT, "
        "articles TEXT NOT NULL, sync_id TEXT NOT NULL, synced_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, account_id, media_id)",
    }
    indexes = {"wechat_materials_kind": f"{TABLE} (tenant_id, account_id, kind, media_id)"}

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        statements: list[Statement] = []
        if (
            isinstance(domain_event, Behaviour)
            and domain_event.kind == BehaviourKind.WECHAT_MATERIAL_SYNCED
        ):
            statements = self._statements(domain_event)
        self.view.write(tracking, statements)

    def _statements(self, behaviour: Behaviour) -> list[Statement]:
        p = behaviour.properties
        tenant_id, account_id, sync_id = str(behaviour.tenant_id), str(p["account"]), str(p["sync"])
        if behaviour.name == FINISHED:
            kinds = [str(kind) for kind in p.get("kinds") or []]
            marks = ", ".join("?" for _ in kinds)
            return [
                (
                    f"DELETE FROM {TABLE} WHERE tenant_id = ? AND account_id = ? "
                    f"AND kind IN ({marks}) AND sync_id <> ?",
                    (tenant_id, account_id, *kinds, sync_id),
                )
            ]
        return [
            (
                f"INSERT INTO {TABLE} (tenant_id, account_id, media_id, kind, name, url, "
                "updated_at, articles, sync_id, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (tenant_id, account_id, media_id) DO UPDATE SET "
                "kind = excluded.kind, name = excluded.name, url = excluded.url, "
                "updated_at = excluded.updated_at, articles = excluded.articles, "
                "sync_id = excluded.sync_id, synced_at = excluded.synced_at",
                (
                    tenant_id,
                    account_id,
                    str(p["media_id"]),
                    str(p["kind"]),
                    str(p.get("name") or ""),
                    str(p.get("url") or ""),
                    p.get("updated_at") or None,
                    json.dumps(p.get("articles") or [], ensure_ascii=False),
                    sync_id,
                    iso(behaviour.occurred_at),
                ),
            )
        ]


class MaterialQueries:
    """An account's library from the read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def materials(
        self,
        tenant_id: UUID,
        account_id: UUID,
        *,
        kind: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page[MaterialDetails]:
        where = "tenant_id = ? AND account_id = ?"
        params: list[Any] = [str(tenant_id), str(account_id)]
        if kind is not None:
            where += " AND kind = ?"
            params.append(kind)
        page = fetch_page(
            self.view,
            table=TABLE,
            where=where,
            params=params,
            order_by=("kind", "media_id"),
            descending=False,
            cursor=cursor,
            limit=limit,
        )
        return Page([_details(row) for row in page.items], page.next_cursor)


def _details(row: dict[str, Any]) -> MaterialDetails:
    return MaterialDetails(
        media_id=row["media_id"],
        kind=row["kind"],
        name=row["name"],
        url=row["url"],
        updated_at=_moment(row["updated_at"]),
        articles=json.loads(row["articles"]),
        synced_at=parse_iso(row["synced_at"]),
    )


def _moment(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None
