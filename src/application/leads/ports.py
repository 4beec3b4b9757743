"""Ports the leads use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID


class OwnerNotifier(Protocol):
    """Tells an employee that a lead was assigned to them (LEAD-7)."""

    def owner_assigned(self, tenant_id: UUID, lead_id: UUID, owner_id: UUID) -> None:
        """Deliver the notice (WeCom message, e-mail, app push…); must not raise on a
        delivery failure the lead change should survive."""
        ...


class EmployeeRoster(Protocol):
    """Tells whether an employee currently works for a tenant (the org context knows)."""

    def is_current_employee(self, tenant_id: UUID, employee_id: UUID) -> bool:
        """True for an employee of `tenant_id` who has not left."""
        ...


class LeadActivity(Protocol):
    """One entry another context shows on a lead's timeline (ADR 0006): primitives only
    in `details`, no personal data."""

    @property
    def at(self) -> datetime: ...
    @property
    def kind(self) -> str: ...  # "<context>.<What>", e.g. "tracking.PageViewed"
    @property
    def position(self) -> int: ...  # the source's own order among entries of one `at`
    @property
    def details(self) -> dict[str, Any]: ...
    @property
    def actor(self) -> dict[str, Any] | None: ...


class LeadActivitySource(Protocol):
    """Another context's entries of lead timelines (LEAD-8): tracking's behaviours,
    later messaging's and campaigns'. The lead timeline merges every source newest
    first by (at, source, position), that triple being its cursor."""

    source: str  # the source's name, unique among sources; ties on `at` order by it

    def activity(
        self,
        tenant_id: UUID,
        lead_id: UUID,
        *,
        before: tuple[datetime, str, int] | None,
        limit: int,
    ) -> Sequence[LeadActivity]:
        """Up to `limit` entries of the tenant's lead, newest first, each strictly after
        `before` in the timeline's order, an (at, source, position) of any source (None:
        from the newest)."""
        ...


class LeadFinder(Protocol):
    """The leads a filter tree or a saved search selects (SEG-2), for the lead list: the
    segments context keeps what filters read (custom fields, behaviours, scores) and
    answers; the leads context shows the leads it names."""

    def find(
        self,
        tenant_id: UUID,
        *,
        tree: Mapping[str, Any] | None,
        saved_search_id: UUID | None,
        owners: Collection[UUID] | None,
        after: tuple[str, str] | None,
        limit: int,
    ) -> list[tuple[str, UUID]]:
        """Up to `limit` (created_at, lead id) pairs of the tenant's live leads that match,
        newest first, strictly after the pair `after`; `owners` (when given) narrows to
        those owners' leads (the caller's data scope). An invalid tree raises naming the
        path of its bad node (`filter.all[2].value`); an unknown saved search NotFound."""
        ...


class LeadGroups(Protocol):
    """Static groups the bulk action "add to group" lists leads in (the segments context
    keeps groups, SEG-1)."""

    def check_static(self, tenant_id: UUID, group_id: UUID) -> None:
        """Refuse (InvalidInput on `arguments.group_id`) a group the tenant has not, or
        a smart one (its filter decides its members)."""
        ...

    def list_lead(self, tenant_id: UUID, group_id: UUID, lead_id: UUID) -> bool:
        """List a live lead in the static group; False when it is listed already."""
        ...
