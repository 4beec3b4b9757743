"""Console pages of screening and reply timeouts (placeholder while the pages are written)."""

from __future__ import annotations

from typing import Any

from entrypoints.web.nav import NavItem

PAGES: tuple[Any, ...] = ()
NAV: tuple[NavItem, ...] = ()
