"""What each tenant role may do with tracking (TRK): sources and write keys, links and
promotion channels. Marketers run tracking; sales and analysts read it (a sales
manager shares the links of the team); deleting means revoking a source."""

from __future__ import annotations

from domain.shared.access import MANAGE, READ, Grants, tenant_grants

TRACKING_GRANTS: Grants = {
    "tracking": tenant_grants(
        marketer=MANAGE,
        sales=READ,
        sales_manager=READ,
        data_analyst=READ,
    ),
}
