"""Console pages (线索数据): imports, the cleaning queue and lead settings."""

from __future__ import annotations

from typing import Any

from domain.shared.access import Action
from entrypoints.web.leads import cleaning_pages, imports_pages, settings_pages
from entrypoints.web.nav import Audience, NavItem

PAGES: tuple[Any, ...] = (
    *imports_pages.PAGES,
    *cleaning_pages.PAGES,
    *settings_pages.PAGES,
)
NAV: tuple[NavItem, ...] = (
    NavItem(
        label="导入线索",
        path="/console/lead-imports",
        resource="leads",
        audience=Audience.TENANT,
        section="线索",
        action=Action.CREATE,
        order=40,
    ),
    NavItem(
        label="线索清洗",
        path="/console/lead-duplicates",
        resource="leads",
        audience=Audience.TENANT,
        section="线索",
        action=Action.UPDATE,
        order=45,
    ),
    NavItem(
        label="线索设置",
        path="/console/lead-settings",
        resource="leads",
        audience=Audience.TENANT,
        section="企业设置",
        order=60,
    ),
)
