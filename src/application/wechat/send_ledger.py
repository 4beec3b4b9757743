"""The send ledger of mass and template sends (WX-4, WX-5; ADR 0016): one row per fan
a send reaches, grouped into batches that the pipeline claims, and the starts that
daily limits count.

Fixing a send's recipients is one transaction serialised per account (PostgreSQL: an
advisory lock on the account; SQLite: `BEGIN IMMEDIATE`): it reads how many mass
messages each fan already has this month — sent *or still queued* by any send — and
how many sends the account started today, lets the caller decide, and writes every
row and the start together. So two sends fixed at the same moment cannot both give a
fan their fifth message, and a crash leaves either all of a send's rows or none;
fixing again finds the start and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

QUEUED = "queued"  # waiting for its batch
SENT = "sent"  # handed to WeChat (or being handed: at-most-once kinds)
SKIPPED = "skipped"  # not sent on purpose: the monthly cap, the 48-hour window…
FAILED = "failed"  # WeChat refused it
STATES = (QUEUED, SENT, SKIPPED, FAILED)

# The kinds of row (a send's mode, or template).
MASS = "normal"
TARGETED = "targeted"
UNLIMITED = "unlimited"
TEMPLATE = "template"


@dataclass(frozen=True)
class Allowances:
    """What a send's fixing decides on, read inside its transaction: `received` is how
    many counted mass messages each fan of the account has this month (sent or still
    queued, by every other send); `starts_today` how many sends of the same kind the
    account started today; `template_today` how many template messages it has queued
    or sent today."""

    received: Mapping[str, int]
    starts_today: int
    template_today: int


@dataclass(frozen=True)
class Planned:
    """One fan's row: queued (`counted` against the monthly cap or not) or skipped."""

    openid: str
    state: str
    detail: str = ""
    counted: bool = False


@dataclass(frozen=True)
class FixPlan:
    tenant_id: UUID
    account_id: UUID
    send_id: UUID
    kind: str
    month: str  # YYYY-MM, Beijing time, of the request
    day: str  # YYYY-MM-DD, Beijing time, of the request
    at: datetime
    batch_size: int


@dataclass(frozen=True)
class Fixed:
    queued: int
    skipped: int


@dataclass(frozen=True)
class Batch:
    """A claimed batch: its still-queued fans (leased until the claim's end)."""

    tenant_id: UUID
    send_id: UUID
    account_id: UUID
    kind: str
    batch: int
    attempts: int
    openids: tuple[str, ...]


@dataclass(frozen=True)
class Settled:
    """How a batch ended: `msg_id` WeChat's id of a mass batch, `msg_ids` per fan for
    template messages; fans not named stay as they are (sent, for at-most-once kinds)."""

    sent: Sequence[str] = ()
    failed: Sequence[tuple[str, str]] = ()
    skipped: Sequence[tuple[str, str]] = ()
    msg_id: str = ""
    msg_ids: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecipientRow:
    openid: str
    state: str
    detail: str
    msg_id: str
    result: str  # WeChat's status from the job-finish push, when it came


class SendLedger(Protocol):
    """The durable rows of mass and template sends."""

    def fix(self, plan: FixPlan, decide: Callable[[Allowances], Sequence[Planned]]) -> Fixed:
        """Fix a send's recipients once: `decide` (which may raise to refuse, then
        nothing is written) gets the allowances read under the account's lock; a send
        already fixed answers its counts without calling it."""
        ...

    def claim(self, now: datetime, lease_until: datetime) -> Batch | None:
        """One queued batch whose lease is free or lapsed, leased until `lease_until`."""
        ...

    def hand_over(self, batch: Batch, openids: Sequence[str], now: datetime) -> None:
        """Mark these fans sent before WeChat is called (at-most-once kinds)."""
        ...

    def settle(self, batch: Batch, settled: Settled, now: datetime) -> None:
        """Record the batch's outcome and close it."""
        ...

    def settle_rows(self, batch: Batch, settled: Settled, now: datetime) -> None:
        """Record some fans' outcomes and leave the batch open (the rest are claimed
        again when its lease lapses)."""
        ...

    def counts(self, tenant_id: UUID, send_id: UUID) -> dict[str, int]:
        """How many of a send's fans are in each state."""
        ...

    def open_batches(self, tenant_id: UUID, send_id: UUID) -> int: ...

    def msg_ids(self, tenant_id: UUID, send_id: UUID) -> list[str]:
        """WeChat's ids of a mass send's batches."""
        ...

    def send_of(self, tenant_id: UUID, account_id: UUID, msg_id: str) -> UUID | None:
        """The send one of whose batches (or messages) WeChat knows as `msg_id`."""
        ...

    def report(
        self, tenant_id: UUID, account_id: UUID, msg_id: str, status: str, now: datetime
    ) -> None:
        """Keep WeChat's job-finish status for `msg_id` (a repeat overwrites it)."""
        ...

    def recipients(
        self, tenant_id: UUID, send_id: UUID, *, state: str | None, after: str, limit: int
    ) -> list[RecipientRow]:
        """A send's fans by openid after `after`, with their outcome and result."""
        ...
