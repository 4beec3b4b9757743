"""The e-mail templates' read model: each tenant's library, filtered by scene and
industry (seed 003 §4.2), newest first."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.messaging.email_template_commands import EmailTemplateSummary
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from domain.messaging.email_template import EmailTemplate

TABLE = "messaging_email_templates"


class EmailTemplateDirectory(ReadModel):
    """Keeps each tenant's live (not archived) templates listable."""

    name = "messaging_email_templates"
    version = 1
    follows = ("messaging",)
    # Templates were born after events were stamped with their tenant: every event names
    # its tenant, so no record-tenants table is needed.
    tables = {
        TABLE: "tenant_id TEXT NOT NULL, template_id TEXT NOT NULL, name TEXT NOT NULL, "
        "subject TEXT NOT NULL, scene TEXT, industry TEXT, live INTEGER NOT NULL, "
        "version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, template_id)",
    }
    indexes = {f"{TABLE}_created": f"{TABLE} (tenant_id, created_at, template_id) WHERE live = 1"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(EmailTemplate.Created)
    def _(self, event: Any, tracking: Tracking) -> None:
        content = event.content
        row = {
            "tenant_id": str(event.tenant_id),
            "template_id": str(event.originator_id),
            "name": content["name"],
            "subject": content["subject"],
            "scene": content["scene"],
            "industry": content["industry"],
            "live": 1,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
            "updated_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert(TABLE, row)])

    @process_event.register(EmailTemplate.Revised)
    def _(self, event: Any, tracking: Tracking) -> None:
        content = event.content
        changes = {key: content[key] for key in ("name", "subject", "scene", "industry")}
        self._change(event, tracking, changes)

    @process_event.register(EmailTemplate.Archived)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, {"live": 0})

    def _change(self, event: Any, tracking: Tracking, changes: dict[str, Any]) -> None:
        where = {"tenant_id": str(tenant_of(event)), "template_id": str(event.originator_id)}
        changes = {
            **changes,
            "version": event.originator_version,
            "updated_at": iso(event.timestamp),
        }
        self.view.write(tracking, [update(TABLE, changes, where=where)])


class EmailTemplateQueries:
    """Reads of the template library."""

    def __init__(self, view: View) -> None:
        self.view = view

    def templates(
        self,
        tenant_id: UUID,
        *,
        scene: str | None = None,
        industry: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[EmailTemplateSummary]:
        """The tenant's live templates, newest first, of one scene and/or industry."""
        where, params = ["tenant_id = ?", "live = 1"], [str(tenant_id)]
        for column, value in (("scene", scene), ("industry", industry)):
            if value is not None and value.strip():
                where.append(f"{column} = ?")
                params.append(value.strip())
        page = fetch_page(
            self.view,
            table=TABLE,
            where=" AND ".join(where),
            params=params,
            order_by=("created_at", "template_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_summary(row) for row in page.items], page.next_cursor)


def _summary(row: dict[str, Any]) -> EmailTemplateSummary:
    return EmailTemplateSummary(
        id=UUID(row["template_id"]),
        name=row["name"],
        subject=row["subject"],
        scene=row["scene"],
        industry=row["industry"],
        version=int(row["version"]),
        created_at=parse_iso(row["created_at"]),
        updated_at=parse_iso(row["updated_at"]),
    )
