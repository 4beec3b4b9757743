"""Who may read the operation log (AUD-4): tenant admins, auditors and data analysts."""

from __future__ import annotations

from domain.shared.access import Grants, tenant_grants

AUDIT_GRANTS: Grants = {"audit": tenant_grants()}
