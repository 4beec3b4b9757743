"""What each tenant role may do with saved searches (SEG-2): marketers and sales managers
save and change them; everyone who lists leads may use them (the lead list applies each
caller's data scope to what a search selects)."""

from __future__ import annotations

from domain.shared.access import READ, Action, Grants, tenant_grants

SAVED_SEARCHES = "saved_searches"
_MANAGE = frozenset({Action.CREATE, Action.READ, Action.UPDATE, Action.DELETE})

SAVED_SEARCH_GRANTS: Grants = {
    SAVED_SEARCHES: tenant_grants(
        marketer=_MANAGE, sales_manager=_MANAGE, sales=READ, data_analyst=READ
    ),
}
