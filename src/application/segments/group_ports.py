"""Ports the groups need from other contexts (declared here, implemented in the
composition root)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from application.shared.callers import TenantCaller


@dataclass(frozen=True)
class LeadsChanged:
    """How a change the leads context made to members went, lead by lead summed."""

    ok: int
    not_found: int
    refused: int


class MemberLeads(Protocol):
    """The leads behind members (the leads context knows them and changes them)."""

    def live(self, who: TenantCaller, lead_ids: Sequence[UUID]) -> set[UUID]:
        """Those of `lead_ids` that are live leads of the caller's tenant inside the
        caller's data scope."""
        ...

    def act(
        self,
        who: TenantCaller,
        action: str,
        lead_ids: Sequence[UUID],
        arguments: Mapping[str, Any],
    ) -> LeadsChanged:
        """Apply one of the lead list's bulk actions (add_tags, remove_tags,
        change_source, change_status, delete) to the leads, with the caller's rights:
        refuses (PermissionDenied) when the caller may not, InvalidInput for bad
        arguments, per lead otherwise."""
        ...
