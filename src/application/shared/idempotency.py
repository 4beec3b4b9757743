"""Idempotency keys as integrators know them from Stripe (ADR 0008): the first answer to
a key is kept for 24 hours and given again to every repeat of the same request; the same
key on another request is refused; a repeat while the first is still running is told so.

The policy lives here and the storage behind a port, so the HTTP entrypoint only moves
bytes, and the same rules hold on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from application.shared.clock import Clock

REPLAY_FOR = timedelta(hours=24)
# A claim not kept alive for this long belongs to a request that died (a crashed process,
# a killed worker): the next repeat may run. Running requests renew it well before.
CLAIM_LEASE = timedelta(seconds=30)
PURGE_EVERY = timedelta(minutes=10)


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer to a key, as the client received it."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class KeyRecord:
    """What the store holds about one key of one scope."""

    fingerprint: str
    claim: str  # the attempt that holds the key: only it may store or give it up
    claimed_at: datetime  # renewed while that attempt runs
    expires_at: datetime
    answer: StoredAnswer | None = None  # None while the attempt runs


class Outcome(StrEnum):
    RUN = "run"  # the key is this attempt's: run the request, then finish or abandon it
    REPLAY = "replay"  # the same request was answered before: give that answer again
    IN_FLIGHT = "in_flight"  # the same request is running elsewhere right now
    REUSED = "reused"  # the key was sent with another request


@dataclass(frozen=True)
class Claim:
    outcome: Outcome
    scope: str
    key: str
    attempt: str = ""  # with RUN: this attempt's claim
    answer: StoredAnswer | None = field(default=None)  # with REPLAY


def decide(
    existing: KeyRecord | None, fingerprint: str, *, now: datetime, stale_before: datetime
) -> Outcome:
    """What a request with `fingerprint` may do with a key the store holds as `existing`
    (the adapters call this while they hold the key's row locked, so two requests never
    both get RUN). RUN means the caller may take the key over."""
    if existing is None or existing.expires_at <= now:
        return Outcome.RUN
    if existing.fingerprint != fingerprint:
        return Outcome.REUSED  # checked first: even a dead attempt's key stays its own
    if existing.answer is not None:
        return Outcome.REPLAY
    if existing.claimed_at <= stale_before:
        return Outcome.RUN  # its attempt died; key-derived ids keep a rerun from duplicating
    return Outcome.IN_FLIGHT


class IdempotencyStore(Protocol):
    """Keys and first answers, per scope (a tenant, or a staff member for the back office)."""

    def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        *,
        attempt: str,
        now: datetime,
        expires_at: datetime,
        stale_before: datetime,
    ) -> Claim:
        """Atomically: take the key for `attempt` when `decide` says RUN (recording
        `fingerprint`, `now` and `expires_at`), else answer what `decide` said."""
        ...

    def renew(self, scope: str, key: str, attempt: str, now: datetime) -> bool:
        """Mark the running `attempt` alive at `now`; False if it no longer holds the key."""
        ...

    def keep(self, scope: str, key: str, attempt: str, answer: StoredAnswer) -> bool:
        """Store `attempt`'s answer for repeats; False if it no longer holds the key."""
        ...

    def release(self, scope: str, key: str, attempt: str) -> None:
        """Give the key up (no answer kept): the next request with it runs."""
        ...

    def purge(self, now: datetime) -> int:
        """Delete keys expired at `now`; answers how many."""
        ...

    def close(self) -> None: ...


def is_kept(status: int) -> bool:
    """Only successes are kept. Our errors change nothing (a rule of every use case), so a
    kept error would protect nothing and would stop a corrected retry: a 409 conflict, a
    429 quota, a 422 input that the client fixes. 5xx may have been cut short anywhere."""
    return 200 <= status < 300


class IdempotencyKeys:
    """The idempotency policy over a store: how long answers are replayed, when a running
    attempt counts as dead, which answers are kept, and when expired keys are purged."""

    def __init__(
        self,
        store: IdempotencyStore,
        clock: Clock,
        *,
        replay_for: timedelta = REPLAY_FOR,
        lease: timedelta = CLAIM_LEASE,
        purge_every: timedelta = PURGE_EVERY,
    ) -> None:
        self.store = store
        self.clock = clock
        self.replay_for = replay_for
        self.lease = lease
        self.purge_every = purge_every
        self._lock = threading.Lock()
        self._next_purge: datetime | None = None

    def begin(self, scope: str, key: str, fingerprint: str) -> Claim:
        """Claim `key` of `scope` for a request whose content hashes to `fingerprint`."""
        now = self.clock.now()
        self._purge_if_due(now)
        return self.store.claim(
            scope,
            key,
            fingerprint,
            attempt=uuid.uuid4().hex,
            now=now,
            expires_at=now + self.replay_for,
            stale_before=now - self.lease,
        )

    def renew(self, claim: Claim) -> bool:
        """Keep a running attempt's claim alive (call more often than every lease)."""
        return self.store.renew(claim.scope, claim.key, claim.attempt, self.clock.now())

    def finish(self, claim: Claim, answer: StoredAnswer) -> bool:
        """The attempt answered: keep the answer for repeats if it is a kept kind, else give
        the key up. True when the answer was kept."""
        if is_kept(answer.status) and self.store.keep(
            claim.scope, claim.key, claim.attempt, answer
        ):
            return True
        self.abandon(claim)
        return False

    def abandon(self, claim: Claim) -> None:
        """The attempt produced no answer to keep (it failed, or the client left)."""
        self.store.release(claim.scope, claim.key, claim.attempt)

    def close(self) -> None:
        self.store.close()

    def _purge_if_due(self, now: datetime) -> None:
        with self._lock:
            due = self._next_purge is None or now >= self._next_purge
            if due:
                self._next_purge = now + self.purge_every
        if due:
            self.store.purge(now)
