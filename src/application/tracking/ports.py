"""Ports of the tracking context (TRK): what its use cases need from outside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class SourceOfKey:
    """The tracking source a live write key belongs to."""

    tenant_id: UUID
    source_id: UUID
    kind: str  # website | server | app
    honour_do_not_track: bool


class WriteKeys(Protocol):
    """Finds the source of a write key (the tracking API's credential)."""

    def source_for_key(self, write_key: str) -> SourceOfKey | None:
        """The live source whose key this is; None for an unknown or revoked key."""
        ...
