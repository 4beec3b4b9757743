"""What each tenant role may do with saved searches (SEG-2): marketers and sales managers
save and change them; everyone who lists leads may use them (the lead list applies each
caller's data scope to what a search selects)."""

from __future__ import annotations

from domain.shared.access import MANAGE, READ, Grants, tenant_grants

SAVED_SEARCHES = "saved_searches"

SAVED_SEARCH_GRANTS: Grants = {
    SAVED_SEARCHES: tenant_grants(
        marketer=MANAGE, sales_manager=MANAGE, sales=READ, data_analyst=READ
    ),
}
