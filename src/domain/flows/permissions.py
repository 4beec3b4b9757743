"""What each tenant role may do with flows (FLOW-1…7): marketers build, enable and
disable them; sales, their managers and analysts read them and their statistics."""

from __future__ import annotations

from domain.shared.access import MANAGE, READ, Grants, tenant_grants

FLOWS_GRANTS: Grants = {
    "flows": tenant_grants(
        marketer=MANAGE,
        sales=READ,
        sales_manager=READ,
        data_analyst=READ,
    ),
}
