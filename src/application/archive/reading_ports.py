"""What reading the archive needs from other contexts, declared here and implemented in
the composition root: the corp's staff by WeCom userid (who left, for departed-employee
searches and coverage) and the edition gate (ARCH-6: only editions with the archive)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from uuid import UUID

ARCHIVE_FEATURE = "session_archive"


@dataclass(frozen=True)
class StaffMember:
    """An employee as WeCom knows them."""

    userid: str
    name: str
    department: str
    left: bool


@runtime_checkable  # console pages take it as a dependency, which Litestar checks
class StaffDirectory(Protocol):
    """The corp's employees by WeCom userid, those who left included."""

    def members(self, tenant_id: UUID) -> Mapping[str, StaffMember]:
        """Every employee the tenant's corp lists (or listed, for those who left)."""
        ...


class EditionGate(Protocol):
    """The plan's feature gate (the tenancy context's quota service)."""

    def require_feature(self, tenant_id: UUID, feature: str) -> None:
        """Refuse (403 subscription_inactive) unless a subscription in service includes
        `feature`."""
        ...


class TenantCalendar(Protocol):
    def timezone_of(self, tenant_id: UUID) -> str:
        """The tenant's IANA zone (statistics count days there)."""
        ...
