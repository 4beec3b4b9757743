"""What the send pipeline asks of each channel (e-mail, SMS): load the task it sends,
render and hand over one batch of recipients (ADR 0015).

The pipeline (`dispatch.py`) is the same for every channel: it fixes the recipients,
claims batches from the send queue, drops those who may not be contacted, and records
every outcome; a `ChannelSending` knows only its own content and provider.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from application.messaging.ports import Person

MESSAGE_NAMESPACE = uuid.UUID("7d3c1f0e-5b8a-4c2e-9a61-0f4e2b9d7c15")


def message_id_for(task_id: UUID, lead_id: UUID) -> str:
    """The one id of the message a task sends a lead: every retry and restart reuses it."""
    return str(uuid.uuid5(MESSAGE_NAMESPACE, f"{task_id}:{lead_id}"))


@dataclass(frozen=True)
class Recipient:
    """One queued message: who, and which attempt this is (1 for the first)."""

    message_id: str
    tenant_id: UUID
    task_id: UUID
    person: Person
    attempt: int = 1

    @property
    def lead_id(self) -> UUID:
        return self.person.lead_id


# Outcome results
SENT = "sent"  # the relay or provider took it
SOFT_BOUNCE = "soft_bounce"  # try again later (MAIL-5: for up to 5 days)
HARD_BOUNCE = "hard_bounce"  # never again to this address (suppressed)
FAILED = "failed"  # this message cannot be sent (no address, bad content); no retry
RESULTS = (SENT, SOFT_BOUNCE, HARD_BOUNCE, FAILED)


@dataclass(frozen=True)
class Outcome:
    """What became of one message. `address` is where it went (e-mail or mobile)."""

    message_id: str
    result: str
    address: str = ""
    detail: str = ""
    provider_id: str = ""
    properties: dict[str, Any] | None = None  # extra behaviour properties (segments…)


class ChannelSending(Protocol):
    """One channel's part of the pipeline."""

    channel: str  # "email" or "sms": the consent channel and the behaviours' channel

    def send(
        self,
        task: Any,
        recipients: Sequence[Recipient],
        mark_sent: Callable[[Sequence[str]], None],
    ) -> list[Outcome]:
        """Render and hand over `recipients` of `task` (an aggregate of this channel).
        Call `mark_sent` once with the ids about to be handed over, before the provider
        can take any of them (e-mail: after staging, before the final step; SMS: just
        before the request). Answers one outcome per recipient."""
        ...
