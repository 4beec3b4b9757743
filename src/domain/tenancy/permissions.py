"""What each tenant role may do with the tenant, its API keys and its billing (TEN, BIL)."""

from __future__ import annotations

from domain.shared.access import READ, Grants, tenant_grants

TENANCY_GRANTS: Grants = {
    "tenant": tenant_grants(marketer=READ, sales=READ, sales_manager=READ),
    "access": tenant_grants(data_analyst=frozenset()),
    "billing": tenant_grants(marketer=READ),
}
