"""Data scopes (ORG-2): whose leads a caller may see and change.

A sales key bound to an employee works on that employee's leads, a sales manager's on
the leads of their department and its sub-departments, every other role on the whole
company's. The scope is derived once per use case from the caller (`scope_of`) and
applied in the one place each kind of read goes through: `Leads.lead_in_scope` for one
lead (reads and writes alike) and `where_clause` for lists. A lead outside the scope
answers `NotFound`, exactly like another tenant's, so a caller learns nothing about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from application.shared.callers import TenantCaller
from domain.leads.lead import Lead
from domain.shared.access import DataScope


class TeamDirectory(Protocol):
    """Who works in whose team (the org context knows)."""

    def team_of(self, tenant_id: UUID, employee_id: UUID) -> set[UUID]:
        """The employee plus everyone in their department and its sub-departments."""
        ...


@dataclass(frozen=True)
class LeadScope:
    """The leads one command may see and change: the tenant's, narrowed to those owned
    by `owners` unless `owners` is None (the whole company)."""

    tenant_id: UUID
    owners: frozenset[UUID] | None = None

    @classmethod
    def whole_company(cls, tenant_id: UUID) -> LeadScope:
        """The scope of the system's own work (imports from the command line, senders,
        cleaning a case already checked): every lead of the tenant."""
        return cls(tenant_id)

    @property
    def company_wide(self) -> bool:
        return self.owners is None

    def includes(self, owner_id: UUID | None) -> bool:
        """Whether a lead with this owner is inside the scope (a pool lead, with no
        owner, is inside only the company-wide scope)."""
        return self.owners is None or owner_id in self.owners


# What a lead use case is asked on behalf of: a caller, whose scope it derives, or a
# scope the system chose (`LeadScope.whole_company`). A bare tenant id is not accepted,
# so no call can skip the scope by accident.
CallerOrScope = TenantCaller | LeadScope


def scope_of(who: CallerOrScope, teams: TeamDirectory) -> LeadScope:
    """The caller's scope (ORG-2); a key bound to no employee, with a narrower data
    scope than the company, sees no lead."""
    if isinstance(who, LeadScope):
        return who
    data_scope = who.data_scope
    if data_scope is DataScope.COMPANY:
        return LeadScope(who.tenant_id)
    if who.employee_id is None:
        return LeadScope(who.tenant_id, frozenset())
    if data_scope is DataScope.OWN:
        return LeadScope(who.tenant_id, frozenset({who.employee_id}))
    return LeadScope(who.tenant_id, frozenset(teams.team_of(who.tenant_id, who.employee_id)))


class ScopedLeads(Protocol):
    """The leads application (`Leads`) as the other lead use cases and queries use it:
    the one place a caller's scope is derived and a lead is loaded inside it."""

    def scope_of(self, who: CallerOrScope) -> LeadScope: ...

    def lead_in_scope(
        self, who: CallerOrScope, lead_id: UUID, *, expected_version: int | None = None
    ) -> Lead:
        """The lead; `NotFound` for another tenant's or one outside the scope."""
        ...
