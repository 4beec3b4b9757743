"""What each tenant role may do with groups (SEG-1, SEG-3): marketers manage them;
analysts read them. Sales and sales managers, whose data scope is narrower than the
company, get no group routes: a member list would show them leads outside their scope."""

from __future__ import annotations

from domain.shared.access import MANAGE, Grants, tenant_grants

GROUPS = "groups"

GROUP_GRANTS: Grants = {GROUPS: tenant_grants(marketer=MANAGE)}
