"""The send pipeline (MAIL, SMS; ADR 0015): due tasks get their recipients fixed, then
batches of queued messages are claimed, checked, handed to their channel and settled.

One round (`run_once`):
1. every scheduled task whose time has come: its audience is resolved now, one queue
   row per lead with the message's deterministic id (a rerun adds nothing twice), then
   the task starts sending with the number of rows;
2. one batch of due queued messages is claimed; per task, those who may not be
   contacted (opted out, suppressed, no address, over the frequency cap, task
   cancelled) are skipped with the reason; the rest go to the channel, whose commit
   (`mark_sent`) first appends the "sent" behaviours (a repeat is absorbed by their
   ids) and then marks the rows sent, before the relay can take any message;
3. outcomes are settled: a soft bounce is queued again with a growing delay for up to
   five days (MAIL-5); a hard bounce suppresses the lead's address (LEAD-9);
4. a sending task whose rows all have an outcome is finished.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.messaging.messaging import Messaging
from application.messaging.ports import Audiences, ConsentBook, People
from application.messaging.send_queue import (
    FAILED,
    QUEUED,
    SENT,
    SKIPPED,
    QueuedMessage,
    SendQueue,
    Settlement,
)
from application.messaging.sending import (
    HARD_BOUNCE,
    SOFT_BOUNCE,
    ChannelSending,
    Outcome,
    Recipient,
    message_id_for,
)
from application.messaging.task_calendar import CalendarQueries
from application.shared.behaviours import Behaviour, BehaviourKind, BehaviourLog
from application.shared.clock import Clock
from application.shared.errors import NotFound, VersionConflict
from application.shared.views import iso

log = logging.getLogger("huoke.messaging.dispatch")
SOURCE = "messaging"
RETRY_FOR = timedelta(days=5)  # MAIL-5: soft bounces are retried for up to five days
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)
MISSING_ATTEMPTS = 3  # a recipient not found is looked for this many times…
MISSING_RETRY = timedelta(seconds=20)  # …this far apart, then skipped as gone
SENT_KINDS = {"email": BehaviourKind.EMAIL_SENT, "sms": BehaviourKind.SMS_SENT}
DELIVERED_KINDS = {"email": BehaviourKind.EMAIL_DELIVERED}
FAILED_KINDS = {"email": BehaviourKind.EMAIL_BOUNCED, "sms": BehaviourKind.SMS_FAILED}


@dataclass(frozen=True)
class PipelineLimits:
    """`batch`: messages claimed per round; `lease`: how long a claim holds before
    another worker may take the message; `daily_cap`: messages a lead may get per
    channel in 24 hours (None: no cap)."""

    batch: int = 200
    lease: timedelta = timedelta(minutes=2)
    daily_cap: int | None = None


@dataclass
class Round:
    """What one round did (the worker logs it; tests read it)."""

    started: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    finished: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.started or self.sent or self.skipped or self.failed or self.retried)


class Dispatch:
    """Runs the pipeline's rounds for every channel it is given."""

    def __init__(
        self,
        messaging: Messaging,
        queue: SendQueue,
        calendar: CalendarQueries,
        audiences: Audiences,
        people: People,
        consent: ConsentBook,
        behaviours: BehaviourLog,
        channels: Mapping[str, ChannelSending],
        clock: Clock,
        limits: PipelineLimits = PipelineLimits(),
    ) -> None:
        self.messaging = messaging
        self.queue = queue
        self.calendar = calendar
        self.audiences = audiences
        self.people = people
        self.consent = consent
        self.behaviours = behaviours
        self.channels = channels
        self.clock = clock
        self.limits = limits

    def run_once(self) -> Round:
        done = Round()
        for tenant_id, task_id, channel in self.calendar.due(self.clock.now()):
            if channel in self.channels and self.start(tenant_id, task_id, channel):
                done.started += 1
        self.send_batch(done)
        for tenant_id, task_id, channel in self.calendar.sending():
            if channel in self.channels and self.finish_if_done(tenant_id, task_id):
                done.finished += 1
        return done

    # --- 1. fixing the recipients ------------------------------------------------------------

    def start(self, tenant_id: UUID, task_id: UUID, channel: str) -> bool:
        """Fix a due task's recipients and start it; False when it is no longer due."""
        task = self._task(tenant_id, task_id)
        if task is None or task.deleted or task.state != "scheduled":
            return False
        now = self.clock.now()
        leads = self.audiences.members(tenant_id, task.audience)
        rows = [(message_id_for(task_id, lead_id), lead_id) for lead_id in leads]
        self.queue.enqueue(tenant_id, task_id, channel, rows, now)
        total = sum(self.queue.counts(tenant_id, task_id).values())
        task.start_sending(recipients=total, at=iso(now))
        try:
            self.messaging.commit(task)
        except VersionConflict:  # another worker started it first: its rows are ours too
            return False
        return True

    def finish_if_done(self, tenant_id: UUID, task_id: UUID) -> bool:
        counts = self.queue.counts(tenant_id, task_id)
        if counts.get(QUEUED, 0):
            return False
        task = self._task(tenant_id, task_id)
        if task is None or task.state != "sending":
            return False
        task.finish(at=iso(self.clock.now()))
        try:
            self.messaging.commit(task)
        except VersionConflict:
            return False
        return True

    # --- 2. one batch -------------------------------------------------------------------------

    def send_batch(self, done: Round | None = None) -> Round:
        done = done if done is not None else Round()
        now = self.clock.now()
        claimed = self.queue.claim(
            now, limit=self.limits.batch, lease_until=now + self.limits.lease
        )
        by_task: dict[tuple[UUID, UUID], list[QueuedMessage]] = defaultdict(list)
        for message in claimed:
            by_task[(message.tenant_id, message.task_id)].append(message)
        for (tenant_id, task_id), messages in by_task.items():
            self._send_for_task(tenant_id, task_id, messages, done)
        return done

    def _send_for_task(
        self, tenant_id: UUID, task_id: UUID, messages: list[QueuedMessage], done: Round
    ) -> None:
        now = self.clock.now()
        task = self._task(tenant_id, task_id)
        if task is None or task.deleted or task.state == "cancelled":
            self._settle([Settlement(m.message_id, SKIPPED, "cancelled") for m in messages], done)
            return
        channel = self.channels[messages[0].channel]
        lead_ids = [m.lead_id for m in messages]
        people = self.people.people(tenant_id, lead_ids)
        allowed = self.people.contactable(tenant_id, lead_ids, channel.channel)
        over_cap = self._over_cap(tenant_id, lead_ids, channel.channel, now)
        skipped: list[Settlement] = []
        later: list[Settlement] = []
        recipients: list[Recipient] = []
        for message in messages:
            person = people.get(message.lead_id)
            if person is None and message.attempts < MISSING_ATTEMPTS:
                # Not in the profiles yet (a lead made a moment ago) or gone: look again.
                later.append(
                    Settlement(
                        message.message_id, QUEUED, "lead not found", due_at=now + MISSING_RETRY
                    )
                )
            elif person is None:
                skipped.append(Settlement(message.message_id, SKIPPED, "lead gone"))
            elif message.lead_id not in allowed:
                skipped.append(Settlement(message.message_id, SKIPPED, "not contactable"))
            elif message.lead_id in over_cap:
                skipped.append(Settlement(message.message_id, SKIPPED, "frequency cap"))
            else:
                recipients.append(
                    Recipient(message.message_id, tenant_id, task_id, person, message.attempts)
                )
        self._settle(skipped, done)
        if later:
            self.queue.settle(later, now)
            done.retried += len(later)
        if not recipients:
            return
        first_attempts = {m.message_id: m.first_attempt_at or now for m in messages}

        def mark_sent(message_ids: Sequence[str]) -> None:
            chosen = set(message_ids)
            staged = [r for r in recipients if r.message_id in chosen]
            self.behaviours.append([self._sent(task, channel.channel, r) for r in staged])
            self.queue.mark_sent(chosen, self.clock.now())

        outcomes = channel.send(task, recipients, mark_sent)
        self._record(task, channel.channel, recipients, outcomes, first_attempts, done)

    def _over_cap(
        self, tenant_id: UUID, lead_ids: list[UUID], channel: str, now: datetime
    ) -> set[UUID]:
        cap = self.limits.daily_cap
        if cap is None:
            return set()
        counts = self.queue.sent_since(tenant_id, lead_ids, channel, now - timedelta(days=1))
        return {lead_id for lead_id, count in counts.items() if count >= cap}

    # --- 3. outcomes --------------------------------------------------------------------------

    def _record(
        self,
        task: Any,
        channel: str,
        recipients: list[Recipient],
        outcomes: list[Outcome],
        first_attempts: dict[str, datetime],
        done: Round,
    ) -> None:
        now = self.clock.now()
        by_id = {r.message_id: r for r in recipients}
        settlements: list[Settlement] = []
        observed: list[Behaviour] = []
        for outcome in outcomes:
            recipient = by_id[outcome.message_id]
            if outcome.result == SENT:
                settlements.append(Settlement(outcome.message_id, SENT, outcome.detail))
                if channel in DELIVERED_KINDS:
                    observed.append(
                        self._observed(task, channel, recipient, DELIVERED_KINDS[channel], {})
                    )
            elif (
                outcome.result == SOFT_BOUNCE
                and now - first_attempts[outcome.message_id] < RETRY_FOR
            ):
                delay = min(FIRST_RETRY * (2 ** (recipient.attempt - 1)), LONGEST_RETRY)
                settlements.append(
                    Settlement(outcome.message_id, QUEUED, outcome.detail, due_at=now + delay)
                )
                done.retried += 1
                observed.append(self._failed(task, channel, recipient, "soft", outcome))
            else:
                settlements.append(Settlement(outcome.message_id, FAILED, outcome.detail))
                hard = outcome.result == HARD_BOUNCE
                observed.append(
                    self._failed(task, channel, recipient, "hard" if hard else "soft", outcome)
                )
                if hard:
                    self.consent.suppress(task.tenant_id, recipient.lead_id, channel, "hard_bounce")
        self.queue.settle(settlements, now)
        if observed:
            self.behaviours.append(observed)
        done.sent += sum(1 for s in settlements if s.state == SENT)
        done.failed += sum(1 for s in settlements if s.state == FAILED)

    def _settle(self, settlements: list[Settlement], done: Round) -> None:
        if settlements:
            self.queue.settle(settlements, self.clock.now())
            done.skipped += len(settlements)

    # --- behaviours ---------------------------------------------------------------------------

    def _sent(self, task: Any, channel: str, recipient: Recipient) -> Behaviour:
        address = recipient.person.email if channel == "email" else recipient.person.mobile
        extra = {"domain": (address or "").rpartition("@")[2]} if channel == "email" else {}
        return self._observed(task, channel, recipient, SENT_KINDS[channel], extra)

    def _failed(
        self,
        task: Any,
        channel: str,
        recipient: Recipient,
        bounce: str,
        outcome: Outcome,
    ) -> Behaviour:
        extra = {"bounce": bounce, "detail": outcome.detail[:300], "attempt": recipient.attempt}
        return self._observed(
            task, channel, recipient, FAILED_KINDS[channel], extra, suffix=f"-{recipient.attempt}"
        )

    def _observed(
        self,
        task: Any,
        channel: str,
        recipient: Recipient,
        kind: BehaviourKind,
        extra: dict[str, Any],
        suffix: str = "",
    ) -> Behaviour:
        now = self.clock.now()
        return Behaviour(
            tenant_id=task.tenant_id,
            kind=kind.value,
            channel=channel,
            occurred_at=now,
            received_at=now,
            # One row per message and kind (per attempt for failures): a rerun adds none.
            message_id=f"{kind.value}-{recipient.message_id}{suffix}",
            name=task.content.get("name", "") if hasattr(task, "content") else "",
            properties={"task": str(task.id), "message": recipient.message_id, **extra},
            lead_id=recipient.lead_id,
            source_id=SOURCE,
        )

    def _task(self, tenant_id: UUID, task_id: UUID) -> Any | None:
        try:
            return self.messaging.load(task_id, Aggregate, tenant_id=tenant_id)
        except NotFound:
            return None
