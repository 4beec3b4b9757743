"""The sends read model: each tenant's mass and template sends listed, and the sends the
pipeline must look after (asked to send but not yet fixed; sending)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from application.wechat.send_commands import SendSummary
from domain.wechat.mass_send import MassSend
from domain.wechat.template_send import TemplateSend

TABLE = "wechat_sends"
MASS = "mass"
TEMPLATE = "template"


class SendDirectory(ReadModel):
    """Keeps a tenant's sends listable and the pipeline's work findable."""

    name = "wechat_send_directory"
    follows = ("wechat",)
    tables = {
        TABLE: "tenant_id TEXT NOT NULL, send_id TEXT NOT NULL, type TEXT NOT NULL, "
        "account_id TEXT NOT NULL, name TEXT NOT NULL, mode TEXT NOT NULL, state TEXT NOT NULL, "
        "fixed INTEGER NOT NULL DEFAULT 0, requested_at TEXT, version INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, PRIMARY KEY (tenant_id, send_id)",
    }
    indexes = {
        "wechat_sends_created": f"{TABLE} (tenant_id, type, created_at, send_id)",
        "wechat_sends_state": f"{TABLE} (state, requested_at)",
    }
    platform_wide = {
        "wechat_sends_state": "the pipeline asks which sends of any tenant are in flight",
    }

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(MassSend.Drafted)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "send_id": str(event.originator_id),
            "type": MASS,
            "account_id": str(event.account_id),
            "name": event.name,
            "mode": event.mode,
            "state": "draft",
            "fixed": 0,
            "requested_at": None,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert(TABLE, row)])

    @process_event.register(TemplateSend.Requested)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "send_id": str(event.originator_id),
            "type": TEMPLATE,
            "account_id": str(event.account_id),
            "name": event.template_id,
            "mode": "template",
            "state": "sending",
            "fixed": 0,
            "requested_at": iso(event.timestamp),
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert(TABLE, row)])

    @process_event.register(MassSend.SendingRequested)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, state="sending", requested_at=iso(event.timestamp))

    @process_event.register(MassSend.RecipientsFixed)
    @process_event.register(TemplateSend.RecipientsFixed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, fixed=1)

    @process_event.register(MassSend.Refused)
    @process_event.register(TemplateSend.Refused)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, state="failed")

    @process_event.register(MassSend.Finished)
    @process_event.register(TemplateSend.Finished)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, state=event.state)

    @process_event.register(MassSend.ResultsReported)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking)

    def _change(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        where = {"tenant_id": str(tenant_of(event)), "send_id": str(event.originator_id)}
        self.view.write(
            tracking, [update(TABLE, {**changes, "version": event.originator_version}, where=where)]
        )


class SendQueries:
    """A tenant's sends, and the pipeline's work, from the read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def sends(
        self, tenant_id: UUID, kind: str, *, account_id: UUID | None, cursor: str | None, limit: int
    ) -> Page[SendSummary]:
        """The tenant's mass (or template) sends, newest first."""
        where = "tenant_id = ? AND type = ?"
        params: list[Any] = [str(tenant_id), kind]
        if account_id is not None:
            where += " AND account_id = ?"
            params.append(str(account_id))
        page = fetch_page(
            self.view,
            table=TABLE,
            where=where,
            params=params,
            order_by=("created_at", "send_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_summary(row) for row in page.items], page.next_cursor)

    def in_flight(self) -> list[tuple[UUID, UUID, str, bool]]:
        """(tenant, send, type, fixed) of every send in the sending state (all tenants:
        the pipeline's work list)."""
        rows = self.view.rows(
            f"SELECT tenant_id, send_id, type, fixed FROM {TABLE} WHERE state = ? "
            "ORDER BY requested_at LIMIT 500",
            ("sending",),
        )
        return [
            (UUID(r["tenant_id"]), UUID(r["send_id"]), str(r["type"]), bool(r["fixed"]))
            for r in rows
        ]


def _summary(row: dict[str, Any]) -> SendSummary:
    return SendSummary(
        id=UUID(row["send_id"]),
        account_id=UUID(row["account_id"]),
        name=row["name"],
        mode=row["mode"],
        state=row["state"],
        requested_at=parse_iso(row["requested_at"]) if row["requested_at"] else None,
        version=int(row["version"]),
        created_at=parse_iso(row["created_at"]),
    )
