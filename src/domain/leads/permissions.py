"""What each tenant role may do with leads (LEAD, ORG-1: sales follow up, never delete
or export; marketers and sales managers work and export; analysts read and export)."""

from __future__ import annotations

from domain.shared.access import FOLLOW_UP, READ, WORK, Action, Grants, tenant_grants

_EXPORT = frozenset({Action.EXPORT})

LEADS_GRANTS: Grants = {
    "leads": tenant_grants(
        marketer=WORK | _EXPORT,
        sales=FOLLOW_UP,
        sales_manager=WORK | _EXPORT,
        data_analyst=READ | _EXPORT,
    ),
}
