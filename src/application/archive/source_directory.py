"""Which tenants' archives are pulled (ARCH-1): a read model of the archive settings'
switch, so the pulling round finds the enabled tenants without loading every tenant's
settings."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, View, iso
from domain.archive.settings import ArchiveSettings

TABLE = "archive_sources"


class ArchiveSourceDirectory(ReadModel):
    """One row per tenant with archive settings: whether pulling is on."""

    name = "archive_source_directory"
    follows = ("archive",)
    tables = {
        TABLE: "tenant_id TEXT NOT NULL, enabled INTEGER NOT NULL, changed_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id)",
    }

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(ArchiveSettings.SetUp)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {"tenant_id": str(event.tenant_id), "enabled": 0, "changed_at": iso(event.timestamp)}
        self.view.write(tracking, [insert(TABLE, row)])

    @process_event.register(ArchiveSettings.Enabled)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._switch(event, tracking, 1)

    @process_event.register(ArchiveSettings.Disabled)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._switch(event, tracking, 0)

    def _switch(self, event: Any, tracking: Tracking, enabled: int) -> None:
        changes = {"enabled": enabled, "changed_at": iso(event.timestamp)}
        where = {"tenant_id": str(tenant_of(event))}
        self.view.write(tracking, [update(TABLE, changes, where=where)])


class ArchiveSourceQueries:
    """The enabled tenants, for the pulling round."""

    def __init__(self, view: View) -> None:
        self.view = view

    def enabled_tenants(self) -> list[UUID]:
        """Every tenant whose archive is switched on, in tenant order (platform-wide: the
        round serves every tenant)."""
        rows = self.view.rows(f"SELECT tenant_id FROM {TABLE} WHERE enabled = 1 ORDER BY tenant_id")
        return [UUID(row["tenant_id"]) for row in rows]
