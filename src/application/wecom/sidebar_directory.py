"""Chat-sidebar materials as lists (WECOM-2): by folder and place, on or off, searched
by title and text; the folders with how many enabled materials each holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.views import ReadModel, Statement, View, iso, parse_iso

MATERIALS = "wecom_sidebar_materials"
MAX_QUERY = 50


class SidebarDirectory(ReadModel):
    """Keeps each tenant's sidebar materials."""

    name = "wecom_sidebar_directory"
    follows = ("wecom",)
    tables = {
        MATERIALS: "tenant_id TEXT NOT NULL, material_id TEXT NOT NULL, title TEXT NOT NULL, "
        "kind TEXT NOT NULL, folder TEXT NOT NULL, position INTEGER NOT NULL, "
        "enabled INTEGER NOT NULL, body TEXT NOT NULL, search TEXT NOT NULL, "
        "version INTEGER NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (tenant_id, material_id)",
    }
    indexes = {
        "wecom_sidebar_materials_folder": f"{MATERIALS} (tenant_id, folder, position, material_id)",
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        handler = self._handlers().get(get_topic(type(domain_event)))
        statements = handler(domain_event) if handler is not None else []
        self.view.write(tracking, statements)

    def _handlers(self) -> dict[str, Callable[[Any], list[Statement]]]:
        return {
            "wecom.SidebarMaterial.Added": self._added,
            "wecom.SidebarMaterial.Revised": self._revised,
            "wecom.SidebarMaterial.Enabled": self._switched(True),
            "wecom.SidebarMaterial.Disabled": self._switched(False),
        }

    def _added(self, event: Any) -> list[Statement]:
        return [
            (
                f"INSERT INTO {MATERIALS} (tenant_id, material_id, title, kind, folder, "
                "position, enabled, body, search, version, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (tenant_id, material_id) DO NOTHING",
                (
                    str(event.tenant_id),
                    str(event.originator_id),
                    event.title,
                    event.body["kind"],
                    event.folder,
                    event.position,
                    int(event.enabled),
                    json.dumps(event.body, ensure_ascii=False),
                    _search(event.title, event.body),
                    event.originator_version,
                    iso(event.timestamp),
                ),
            )
        ]

    def _revised(self, event: Any) -> list[Statement]:
        return [
            (
                f"UPDATE {MATERIALS} SET title = ?, folder = ?, position = ?, body = ?, "
                "search = ?, version = ? WHERE tenant_id = ? AND material_id = ?",
                (
                    event.title,
                    event.folder,
                    event.position,
                    json.dumps(event.body, ensure_ascii=False),
                    _search(event.title, event.body),
                    event.originator_version,
                    str(tenant_of(event)),
                    str(event.originator_id),
                ),
            )
        ]

    def _switched(self, enabled: bool) -> Callable[[Any], list[Statement]]:
        def handle(event: Any) -> list[Statement]:
            return [
                (
                    f"UPDATE {MATERIALS} SET enabled = ?, version = ? "
                    "WHERE tenant_id = ? AND material_id = ?",
                    (
                        int(enabled),
                        event.originator_version,
                        str(tenant_of(event)),
                        str(event.originator_id),
                    ),
                )
            ]

        return handle


def _search(title: str, body: dict[str, Any]) -> str:
    """What a search matches: the title, the text and the description, folded."""
    return " ".join((title, str(body.get("text", "")), str(body.get("desc", "")))).lower()


class SidebarQueries:
    """The tenant's materials from the read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def materials(
        self,
        tenant_id: UUID,
        *,
        folder: str | None = None,
        within: bool = False,
        kind: str | None = None,
        enabled: bool | None = None,
        query: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[dict[str, Any]]:
        """Materials by folder and place: of `folder` (and its sub-folders if
        `within`), a kind, on or off, or whose title or text holds `query`."""
        where = "tenant_id = ?"
        params: list[Any] = [str(tenant_id)]
        if folder is not None:
            if within and folder:
                where += " AND (folder = ? OR folder LIKE ?)"
                params += [folder, _like(folder) + "/%"]
            elif not within:
                where += " AND folder = ?"
                params.append(folder)
        if kind is not None:
            where += " AND kind = ?"
            params.append(kind)
        if enabled is not None:
            where += " AND enabled = ?"
            params.append(int(enabled))
        if query:
            where += " AND search LIKE ?"
            params.append(f"%{_like(query.lower()[:MAX_QUERY])}%")
        page = fetch_page(
            self.view,
            table=MATERIALS,
            where=where,
            params=params,
            order_by=("folder", "position", "material_id"),
            descending=False,
            cursor=cursor,
            limit=limit,
        )
        return Page([_material(row) for row in page.items], page.next_cursor)

    def folders(self, tenant_id: UUID, *, enabled_only: bool) -> dict[str, int]:
        """Every folder holding materials (enabled ones only, if asked), with counts."""
        where = "tenant_id = ?" + (" AND enabled = 1" if enabled_only else "")
        rows = self.view.rows(
            f"SELECT folder, COUNT(*) AS n FROM {MATERIALS} WHERE {where} "
            "GROUP BY folder ORDER BY folder",
            (str(tenant_id),),
        )
        return {str(row["folder"]): int(row["n"]) for row in rows}


def _like(text: str) -> str:
    return text.replace("%", "").replace("_", "")


def _material(row: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(row["body"])
    return {
        "id": UUID(row["material_id"]),
        "title": row["title"],
        "kind": row["kind"],
        "fields": {k: v for k, v in body.items() if k != "kind"},
        "folder": row["folder"],
        "position": int(row["position"]),
        "enabled": bool(row["enabled"]),
        "version": int(row["version"]),
        "created_at": parse_iso(row["created_at"]),
    }
