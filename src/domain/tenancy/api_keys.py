"""Tenant API keys: how integrators and front-ends act for a tenant, with ORG-1 roles."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.access import TenantRole, parse_roles
from domain.shared.errors import StateConflict
from domain.shared.text import required_text


class ApiKey(Aggregate):
    """A named key of one tenant. Only the hash of its secret is kept; revocation is final."""

    TOPIC = "tenancy.ApiKey"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Issued: ClassVar[type[AggregateEvent]]
        Revoked: ClassVar[type[AggregateEvent]]

    @classmethod
    def issue(
        cls,
        *,
        key_id: UUID,
        tenant_id: UUID,
        name: str,
        roles: list[str],
        secret_hash: str,
        employee_id: UUID | None = None,
    ) -> ApiKey:
        """Issue a key with at least one tenant role, optionally acting as an employee."""
        return cls(
            id=key_id,
            tenant_id=tenant_id,
            name=required_text(name, field="name"),
            roles=sorted(role.value for role in parse_roles(roles)),
            secret_hash=secret_hash,
            employee_id=employee_id,
        )

    @event("Issued", topic="tenancy.ApiKey.Issued")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        name: str,
        roles: list[str],
        secret_hash: str,
        employee_id: UUID | None,
    ) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.roles = roles
        self.secret_hash = secret_hash
        self.employee_id = employee_id
        self.is_revoked = False

    @property
    def tenant_roles(self) -> frozenset[TenantRole]:
        return frozenset(TenantRole(role) for role in self.roles)

    def revoke(self) -> None:
        """Revoke the key: every later request with it is refused (401)."""
        if self.is_revoked:
            raise StateConflict("API key is already revoked")
        self._revoked()

    @event("Revoked", topic="tenancy.ApiKey.Revoked")
    def _revoked(self) -> None:
        self.is_revoked = True
