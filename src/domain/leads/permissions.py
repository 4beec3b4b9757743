"""What each tenant role may do with leads (LEAD, ORG-1: sales follow up, never delete
or export; marketers and sales managers work and export; analysts read and export),
and with the tenant's tag catalogue (SEG-4: marketers and sales managers manage it,
sales and analysts read it; a tag a lead gets that the tenant lacks is a new tag, so
only those who may create tags may tag with one)."""

from __future__ import annotations

from domain.shared.access import FOLLOW_UP, MANAGE, READ, WORK, Action, Grants, tenant_grants

_EXPORT = frozenset({Action.EXPORT})

TAGS = "tags"  # the tenant's tag catalogue: tag groups and tags

LEADS_GRANTS: Grants = {
    "leads": tenant_grants(
        marketer=WORK | _EXPORT,
        sales=FOLLOW_UP,
        sales_manager=WORK | _EXPORT,
        data_analyst=READ | _EXPORT,
    ),
    TAGS: tenant_grants(marketer=MANAGE, sales=READ, sales_manager=MANAGE, data_analyst=READ),
}
