"""Console pages (线索数据): imports, the cleaning queue and lead settings."""

from __future__ import annotations

from typing import Any

from entrypoints.web.nav import NavItem

PAGES: tuple[Any, ...] = ()  # the controllers, registered by the context's manifest
NAV: tuple[NavItem, ...] = ()
