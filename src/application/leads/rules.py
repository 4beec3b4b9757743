"""The port through which lead writes ask the tenant's lead settings (LEAD-2, LEAD-5,
LEAD-6, LEAD-11, SEG-4) whether what they store is allowed, and what to fill in.

`Leads` and `IntakeBatch` ask a `LeadRules` for one tenant's `Ruleset` per command (or
per batch), check through it, and commit `ruleset.pending()` with their own records:
the settings then remember, in the same transaction, what the write taught them (a
custom field that now holds values, a tag seen for the first time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.leads.lead import Value

if TYPE_CHECKING:
    from application.leads.intake import Offer


class Ruleset(Protocol):
    """One tenant's rules as they stood when the command began."""

    def admit(self, offer: Offer) -> Offer:
        """A new lead: refuse what the settings do not allow (naming the field) and fill
        the default status and, when none is given, the channel's default owner."""
        ...

    def check_custom(self, values: dict[str, Value]) -> dict[str, Value]:
        """Custom values for an existing lead (a None clears one), as they are stored."""
        ...

    def check_source(self, source: dict[str, Value]) -> dict[str, Value]: ...

    def check_status(self, status: str) -> str: ...

    def check_tags(self, tags: list[str], *, may_add: bool) -> list[str]:
        """Tags to put on a lead; ones the tenant never had join its ungrouped tags when
        `may_add` (the caller may create tags), else are refused naming `tags`."""
        ...

    def pending(self) -> list[Aggregate]:
        """Settings records to commit together with the checked leads."""
        ...


class LeadRules(Protocol):
    def for_tenant(self, tenant_id: UUID) -> Ruleset: ...
