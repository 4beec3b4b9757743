"""Who in a tenant may give employees a console login (tenant admins only)."""

from __future__ import annotations

from domain.shared.access import Grants, tenant_grants

LOGIN_GRANTS: Grants = {"logins": tenant_grants()}
