"""What happens to a message after it left (MAIL-5, SMS-4): a delivery status report
bounces it (hard: the lead's address is suppressed; soft: it is queued again while its
five days last), a complaint suppresses, a provider's receipt says delivered or failed.

Reports name only the message (the VERP return path, the provider's out id), so the send
queue says whose it was. Each report is a behaviour with an id derived from the message
and the report, so a report delivered twice is recorded once.
"""

from __future__ import annotations

from datetime import timedelta

from application.messaging.dispatch import RETRY_FOR, SOURCE
from application.messaging.ports import ConsentBook
from application.messaging.send_queue import FAILED, QUEUED, SendQueue, Settlement
from application.shared.behaviours import Behaviour, BehaviourKind, BehaviourLog
from application.shared.clock import Clock

BOUNCE_RETRY = timedelta(hours=1)


class DeliveryOutcomes:
    """Bounces, complaints and receipts, from the bounce receiver and SMS callbacks."""

    def __init__(
        self, queue: SendQueue, consent: ConsentBook, behaviours: BehaviourLog, clock: Clock
    ) -> None:
        self.queue = queue
        self.consent = consent
        self.behaviours = behaviours
        self.clock = clock

    def bounced(
        self, message_id: str, *, permanent: bool, detail: str, complaint: bool = False
    ) -> bool:
        """A delivery status notification or a complaint for an e-mail we sent; False
        when the message is not ours (nothing recorded)."""
        message = self.queue.message(message_id)
        if message is None or message.channel != "email":
            return False
        now = self.clock.now()
        if complaint:
            kind, properties = BehaviourKind.EMAIL_COMPLAINED, {}
            self.consent.suppress(message.tenant_id, message.lead_id, "email", "complaint")
        else:
            kind = BehaviourKind.EMAIL_BOUNCED
            properties = {"bounce": "hard" if permanent else "soft", "detail": detail[:300]}
            if permanent:
                self.consent.suppress(message.tenant_id, message.lead_id, "email", "hard_bounce")
                self.queue.settle([Settlement(message_id, FAILED, detail)], now)
            elif message.first_attempt_at and now - message.first_attempt_at < RETRY_FOR:
                # The relay gave up for now: send it again later, under the same id.
                retry = Settlement(message_id, QUEUED, detail, due_at=now + BOUNCE_RETRY)
                self.queue.settle([retry], now)
        self.behaviours.append(
            [
                Behaviour(
                    tenant_id=message.tenant_id,
                    kind=kind.value,
                    channel="email",
                    occurred_at=now,
                    received_at=now,
                    message_id=f"{kind.value}-{message_id}-{message.attempts}",
                    properties={"task": str(message.task_id), "message": message_id, **properties},
                    lead_id=message.lead_id,
                    source_id=SOURCE,
                )
            ]
        )
        return True

    def receipt(self, message_id: str, *, delivered: bool, detail: str, provider_id: str) -> bool:
        """An SMS provider's delivery receipt; False when the message is not ours."""
        message = self.queue.message(message_id)
        if message is None or message.channel != "sms":
            return False
        now = self.clock.now()
        kind = BehaviourKind.SMS_DELIVERED if delivered else BehaviourKind.SMS_FAILED
        if not delivered:
            self.queue.settle([Settlement(message_id, FAILED, detail)], now)
        self.behaviours.append(
            [
                Behaviour(
                    tenant_id=message.tenant_id,
                    kind=kind.value,
                    channel="sms",
                    occurred_at=now,
                    received_at=now,
                    message_id=f"{kind.value}-{message_id}",
                    properties={
                        "task": str(message.task_id),
                        "message": message_id,
                        "provider_id": provider_id,
                        "detail": detail[:300],
                    },
                    lead_id=message.lead_id,
                    source_id=SOURCE,
                )
            ]
        )
        return True
