"""Back office: security incidents, the refused inbound calls (forged payment
notifications, amounts that do not match), as GET /api/v1/admin/security-incidents;
one incident is the event that recorded it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get

from application.shared.errors import NotFound
from application.shared.history import RecordHistory
from application.shared.pages import DEFAULT_LIMIT
from application.tenancy.billing_directory import BillingQueries
from domain.shared.access import Action
from entrypoints.web.i18n import gettext as _
from entrypoints.web.i18n import local_time
from entrypoints.web.pages import page, query_of, signed_in_viewer, staff_may
from entrypoints.web.tables import Cell, Column, Row, Table
from entrypoints.web.tenancy.back_office_labels import (
    ADMIN,
    TEMPLATE_HELPERS,
    kind_label,
)

RECORDED = "tenancy.SecurityIncident.Recorded"
SHOWN_DETAIL = 80  # characters of the detail in the list; the page shows all of it


class IncidentPages(Controller):
    path = "/admin/security-incidents"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def incidents(
        self,
        request: Request[Any, Any, Any],
        billing_queries: BillingQueries,
        cursor: str | None = None,
    ) -> Response[Any]:
        staff_may(request, "billing", Action.READ)
        found = billing_queries.incidents(cursor=cursor or None, limit=DEFAULT_LIMIT)
        timezone = signed_in_viewer(request).timezone
        table = Table(
            id="incidents",
            url=f"{ADMIN}/security-incidents",
            caption="安全事件",
            columns=[
                Column("created_at", "时间"),
                Column("kind", "类型"),
                Column("source", "来源"),
                Column("detail", "详情"),
            ],
            rows=[
                Row(
                    str(i.id),
                    [
                        Cell(
                            local_time(i.created_at, timezone),
                            href=f"{ADMIN}/security-incidents/{i.id}",
                        ),
                        Cell(kind_label(i.kind), badge="bad"),
                        Cell(i.source),
                        Cell(_shortened(i.detail)),
                    ],
                )
                for i in found.items
            ],
            next_cursor=found.next_cursor,
            query=query_of(request, ("cursor",)),
            empty_message="没有安全事件",
        )
        return page(request, "tenancy/back_office/list.html", title=_("安全事件"), table=table)

    # An incident is the one event that recorded it: its page is that record's history,
    # so the path names it as the history routes do.
    @get("/{aggregate_id:uuid}", sync_to_thread=True)
    def incident(
        self, request: Request[Any, Any, Any], aggregate_id: UUID, history: RecordHistory
    ) -> Response[Any]:
        staff_may(request, "billing", Action.READ)
        entries = history.of(aggregate_id, tenant_id=None)
        if not entries or entries[0].type != RECORDED:  # another kind of record's id
            raise NotFound(f"no security incident {aggregate_id}")
        return page(
            request,
            "tenancy/back_office/incident.html",
            title=_("安全事件"),
            incident=entries[0],
            history=entries,
            **TEMPLATE_HELPERS,
        )


def _shortened(detail: str) -> str:
    return detail if len(detail) <= SHOWN_DETAIL else detail[: SHOWN_DETAIL - 1] + "…"
