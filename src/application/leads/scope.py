"""Data scopes (ORG-2): which owners' leads a caller may see."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from application.shared.callers import TenantCaller
from application.shared.errors import NotFound
from domain.shared.access import DataScope


class TeamDirectory(Protocol):
    def team_of(self, tenant_id: UUID, employee_id: UUID) -> set[UUID]:
        """The employee plus everyone in their department and its sub-departments."""
        ...


def owners_in_scope(caller: TenantCaller, teams: TeamDirectory) -> set[UUID] | None:
    """None for the whole company; otherwise the owners whose leads the caller sees (a
    key bound to no employee, with a narrower scope, sees none)."""
    scope = caller.data_scope
    if scope is DataScope.COMPANY:
        return None
    if caller.employee_id is None:
        return set()
    if scope is DataScope.OWN:
        return {caller.employee_id}
    return teams.team_of(caller.tenant_id, caller.employee_id)


def require_in_scope(owner_id: UUID | None, owners: set[UUID] | None, lead_id: UUID) -> None:
    """A lead outside the caller's scope is not found, like another tenant's."""
    if owners is not None and owner_id not in owners:
        raise NotFound(f"no Lead {lead_id}")
