"""Console pages (线索): the lead list, a lead's page, its actions, bulk actions and export."""

from __future__ import annotations

from typing import Any

from entrypoints.web.nav import NavItem

PAGES: tuple[Any, ...] = ()  # the controllers, registered by the context's manifest
NAV: tuple[NavItem, ...] = ()
