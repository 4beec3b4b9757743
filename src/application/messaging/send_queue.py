"""The send queue (ADR 0015): one row per message a task sends, keyed by the message's
deterministic id, claimed by the pipeline in batches and settled with its outcome.

Rows are durable work items (DESIGN "Work in the background"): written when a task's
recipients are fixed, claimed with a lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so
several workers share a queue; SQLite: one process), settled once sent, skipped or
failed; a soft bounce puts its row back with a later `due_at`. A crashed worker's claim
runs out and the row is claimed again: the transports' commit protocol makes sure a
message staged by the crashed worker was never taken by the relay.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

QUEUED = "queued"  # waiting for its turn (or for its retry after a soft bounce)
SENT = "sent"  # handed over (the relay or provider took it, or is taking it)
SKIPPED = "skipped"  # not sent on purpose: opted out, suppressed, capped, cancelled
FAILED = "failed"  # could not be sent: hard bounce, no address, retries ran out
STATES = (QUEUED, SENT, SKIPPED, FAILED)


@dataclass(frozen=True)
class QueuedMessage:
    message_id: str
    tenant_id: UUID
    task_id: UUID
    lead_id: UUID
    channel: str
    state: str
    attempts: int  # hand-overs tried so far
    first_attempt_at: datetime | None
    detail: str = ""


@dataclass(frozen=True)
class Settlement:
    """What to record for one claimed message: its new state (QUEUED again with a later
    `due_at` for a retry), why, and where it went."""

    message_id: str
    state: str
    detail: str = ""
    due_at: datetime | None = None  # for a retry


class SendQueue(Protocol):
    """Durable messages to send."""

    def enqueue(
        self,
        tenant_id: UUID,
        task_id: UUID,
        channel: str,
        messages: Sequence[tuple[str, UUID]],
        due_at: datetime,
    ) -> int:
        """Add (message id, lead id) rows for a task; a message already queued is kept
        as it is. Answers how many rows were new."""
        ...

    def claim(self, now: datetime, *, limit: int, lease_until: datetime) -> list[QueuedMessage]:
        """Up to `limit` due, unclaimed (or lease-expired) queued messages, now leased."""
        ...

    def mark_sent(self, message_ids: Collection[str], now: datetime) -> None:
        """Record that these claimed messages are being handed over (one transaction)."""
        ...

    def settle(self, settlements: Sequence[Settlement], now: datetime) -> None:
        """Record each claimed message's outcome and release its lease."""
        ...

    def message(self, message_id: str) -> QueuedMessage | None:
        """One message by its id (bounces and receipts name only the message)."""
        ...

    def counts(self, tenant_id: UUID, task_id: UUID) -> dict[str, int]:
        """How many of the task's messages are in each state (progress)."""
        ...

    def sent_since(
        self, tenant_id: UUID, lead_ids: Collection[UUID], channel: str, since: datetime
    ) -> dict[UUID, int]:
        """How many messages each lead was sent on `channel` since `since` (caps)."""
        ...

    def skip_task(self, tenant_id: UUID, task_id: UUID, detail: str, now: datetime) -> int:
        """Skip every still queued message of a task (it was cancelled)."""
        ...
