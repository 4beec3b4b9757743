"""Who may do what with the session archive (ARCH-6): only roles with archive permission
read archives — the tenant admin and the auditor (compliance); nobody else, not even
the data analyst who reads everything else."""

from __future__ import annotations

from domain.shared.access import READ, Action, Grants, tenant_grants

_NONE: frozenset[Action] = frozenset()

ARCHIVE_GRANTS: Grants = {
    # The archived conversations, their search and the reads' record.
    "archive_messages": tenant_grants(data_analyst=_NONE),
    # The archive's settings: keys, word lists, working hours, reply rules.
    "archive_settings": tenant_grants(data_analyst=_NONE),
    # Alerts, reply timeouts and statistics (no message text).
    "archive_reports": tenant_grants(sales_manager=READ, data_analyst=_NONE),
}
