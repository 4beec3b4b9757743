"""Visitor ids: who sent a behaviour, as its sender knows them (an anonymous id or a
user id of one tenant), named without keeping the key itself.

Shared because every context that keeps behaviours by lead (tracking's timeline, the
segments' profiles) keys its rows by these ids; the tracking context's `Visitor`
aggregate is the one that records which lead a visitor is.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5


class VisitorKind(StrEnum):
    ANONYMOUS = "anonymous"  # Segment's anonymousId
    USER = "user"  # Segment's userId: the tenant's member id


def visitor_id(tenant_id: UUID, kind: str, key: str) -> UUID:
    """The id of the visitor `key` of `kind` in the tenant (read models key rows by it,
    so they never keep the key itself)."""
    return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/visitors/{kind}/{key}")
