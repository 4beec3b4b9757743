"""Console pages (企业): company profile, API keys, subscription, usage, orders, refunds."""

from __future__ import annotations

from typing import Any

from entrypoints.web.nav import NavItem

PAGES: tuple[Any, ...] = ()  # the controllers, registered by the context's manifest
NAV: tuple[NavItem, ...] = ()
