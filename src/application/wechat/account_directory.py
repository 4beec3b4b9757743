"""The Official Accounts read model: each tenant's accounts listed, without their keys
(only the aggregate, in the encrypted event store, holds those)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from application.wechat.commands import AccountSummary
from domain.wechat.account import OfficialAccount

TABLE = "wechat_accounts"


class AccountDirectory(ReadModel):
    """Keeps a tenant's Official Accounts listable."""

    name = "wechat_account_directory"
    follows = ("wechat",)
    tables = {
        TABLE: "tenant_id TEXT NOT NULL, account_id TEXT NOT NULL, name TEXT NOT NULL, "
        "appid TEXT NOT NULL, kind TEXT NOT NULL, verified INTEGER NOT NULL, "
        "templates INTEGER NOT NULL, unbound INTEGER NOT NULL, version INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, PRIMARY KEY (tenant_id, account_id)",
    }
    indexes = {"wechat_accounts_created": f"{TABLE} (tenant_id, created_at, account_id)"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(OfficialAccount.Bound)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "account_id": str(event.originator_id),
            "name": event.name,
            "appid": event.appid,
            "kind": event.kind,
            "verified": int(event.verified),
            "templates": 0,
            "unbound": 0,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert(TABLE, row)])

    @process_event.register(OfficialAccount.Renamed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, name=event.name)

    @process_event.register(OfficialAccount.VerificationChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, verified=int(event.verified))

    @process_event.register(OfficialAccount.TemplateAdded)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._count_templates(event, tracking, +1)

    @process_event.register(OfficialAccount.TemplateRemoved)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._count_templates(event, tracking, -1)

    @process_event.register(OfficialAccount.Unbound)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, unbound=1)

    @process_event.register(OfficialAccount.KeysChanged)
    @process_event.register(OfficialAccount.AutoRepliesSet)
    @process_event.register(OfficialAccount.MenuDrafted)
    @process_event.register(OfficialAccount.MenuPublished)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking)

    def _change(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        where = {"tenant_id": str(tenant_of(event)), "account_id": str(event.originator_id)}
        changes = {**changes, "version": event.originator_version}
        self.view.write(tracking, [update(TABLE, changes, where=where)])

    def _count_templates(self, event: Any, tracking: Tracking, delta: int) -> None:
        statement = (
            f"UPDATE {TABLE} SET templates = templates + ?, version = ? "
            "WHERE tenant_id = ? AND account_id = ?",
            (delta, event.originator_version, str(tenant_of(event)), str(event.originator_id)),
        )
        self.view.write(tracking, [statement])


class AccountQueries:
    """A tenant's accounts from the read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def accounts(
        self, tenant_id: UUID, *, cursor: str | None, limit: int, include_unbound: bool = False
    ) -> Page[AccountSummary]:
        """The tenant's accounts, oldest first (bound ones only unless asked)."""
        where = "tenant_id = ?" + ("" if include_unbound else " AND unbound = 0")
        page = fetch_page(
            self.view,
            table=TABLE,
            where=where,
            params=[str(tenant_id)],
            order_by=("created_at", "account_id"),
            descending=False,
            cursor=cursor,
            limit=limit,
        )
        return Page([_summary(row) for row in page.items], page.next_cursor)

    def ids(self, tenant_id: UUID) -> list[UUID]:
        rows = self.view.rows(
            f"SELECT account_id FROM {TABLE} WHERE tenant_id = ? AND unbound = 0 "
            "ORDER BY created_at",
            (str(tenant_id),),
        )
        return [UUID(row["account_id"]) for row in rows]


def _summary(row: dict[str, Any]) -> AccountSummary:
    return AccountSummary(
        id=UUID(row["account_id"]),
        name=row["name"],
        appid=row["appid"],
        kind=row["kind"],
        verified=bool(row["verified"]),
        templates=int(row["templates"]),
        unbound=bool(row["unbound"]),
        version=int(row["version"]),
        created_at=parse_iso(row["created_at"]),
    )
