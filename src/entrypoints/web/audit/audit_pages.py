"""Console pages (审计): record histories and the operation log (read-only)."""

from __future__ import annotations

from typing import Any

from entrypoints.web.nav import NavItem

PAGES: tuple[Any, ...] = ()  # the controllers, registered by the context's manifest
NAV: tuple[NavItem, ...] = ()
