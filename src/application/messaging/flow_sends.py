"""Sends made by marketing flows (FLOW-3, FLOW-5): one message at a time, through the
same pipeline as tasks (ADR 0015), so consent, frequency caps, bounces, retries and
delivery behaviours apply to them unchanged.

Each send step of a flow version has its own task, opened in state "triggered" the
first time a lead reaches the step; the step's message for a lead takes the flow's
deterministic id, so a step redone after a crash queues nothing twice. A lead who may
not be contacted on the channel gets a row settled as skipped at once, and the step is
told why (it records the skip on the enrolment).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.messaging.email_tasks import SenderCheck, TemplateCheck
from application.messaging.messaging import Messaging
from application.messaging.ports import People
from application.messaging.send_queue import SKIPPED, SendQueue, Settlement
from application.shared.clock import Clock
from application.shared.errors import InvalidInput, NotFound, VersionConflict
from domain.messaging.email_task import EmailTask
from domain.messaging.sms_task import SmsTask

NOT_CONTACTABLE = "not contactable"


class SignatureCheck(Protocol):
    """What an SMS step needs of the signatures."""

    def usable(self, tenant_id: UUID, signature_id: UUID) -> str:
        """The approved signature's text; `InvalidInput` naming signature_id otherwise."""
        ...


class FlowSends:
    """Queues one flow step's message to one lead (e-mail or SMS)."""

    def __init__(
        self,
        messaging: Messaging,
        queue: SendQueue,
        people: People,
        senders: SenderCheck,
        templates: TemplateCheck,
        signatures: SignatureCheck,
        clock: Clock,
    ) -> None:
        self.messaging = messaging
        self.queue = queue
        self.people = people
        self.senders = senders
        self.templates = templates
        self.signatures = signatures
        self.clock = clock

    def send(
        self,
        tenant_id: UUID,
        channel: str,
        task_id: UUID,
        content: Mapping[str, Any],
        message_id: str,
        lead_id: UUID,
    ) -> str | None:
        """Queue `message_id` to `lead_id` on the step's task `task_id` (opened with
        `content` the first time). Answers None once queued (or already queued), or why
        it was skipped. Raises `InvalidInput` naming what is wrong with the content."""
        self._task(tenant_id, channel, task_id, content)
        now = self.clock.now()
        self.queue.enqueue(tenant_id, task_id, channel, [(message_id, lead_id)], now)
        if lead_id not in self.people.contactable(tenant_id, [lead_id], channel):
            self.queue.settle([Settlement(message_id, SKIPPED, NOT_CONTACTABLE)], now)
            return NOT_CONTACTABLE
        return None

    def _task(
        self, tenant_id: UUID, channel: str, task_id: UUID, content: Mapping[str, Any]
    ) -> Aggregate:
        try:
            return self.messaging.load(task_id, Aggregate, tenant_id=tenant_id)
        except NotFound:
            pass
        task = self._open(tenant_id, channel, task_id, content)
        try:
            self.messaging.commit(task)
        except VersionConflict:  # another worker opened it first: the same task
            return self.messaging.load(task_id, Aggregate, tenant_id=tenant_id)
        return task

    def _open(
        self, tenant_id: UUID, channel: str, task_id: UUID, content: Mapping[str, Any]
    ) -> Aggregate:
        details = dict(content)
        if channel == "email":
            self.senders.signing_identity(tenant_id, str(details.get("sender_address", "")))
            self.templates.require_template(tenant_id, _uuid(details.get("template_id")))
            return EmailTask.open_for_flow(task_id=task_id, tenant_id=tenant_id, details=details)
        if channel == "sms":
            signature_id = _uuid(details.get("signature_id"), field="signature_id")
            details["signature"] = self.signatures.usable(tenant_id, signature_id)
            return SmsTask.open_for_flow(task_id=task_id, tenant_id=tenant_id, details=details)
        raise InvalidInput(f"no flow sends on {channel}", field="channel")


def _uuid(value: Any, *, field: str = "template_id") -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(f"{field}: not an id", field=field) from None
