"""What each tenant role may do with departments and employees (ORG-1)."""

from __future__ import annotations

from domain.shared.access import READ, Grants, tenant_grants

ORG_GRANTS: Grants = {
    "org": tenant_grants(marketer=READ, sales=READ, sales_manager=READ),
}
