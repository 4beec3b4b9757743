"""Console pages (平台后台, staff only): tenants, subscriptions, orders, refunds, incidents."""

from __future__ import annotations

from typing import Any

from entrypoints.web.nav import NavItem

PAGES: tuple[Any, ...] = ()  # the controllers, registered by the context's manifest
NAV: tuple[NavItem, ...] = ()
