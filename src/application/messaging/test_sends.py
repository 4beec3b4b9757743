"""Test sends (MAIL-1 "test send to myself"): one message of a task to an address the
marketer gives, rendered with a chosen lead's fields (or the defaults), outside the
queue and the reports."""

from __future__ import annotations

import uuid
from uuid import UUID

from pydantic import BaseModel

from application.messaging.email_sending import EmailSending
from application.messaging.email_task_commands import TestSend
from application.messaging.email_tasks import EmailTasks, stand_in_lead_id
from application.messaging.ports import MailTransport, People, Person
from application.messaging.sending import Recipient
from application.shared.errors import InvalidInput
from domain.shared.text import email_address


class TestSent(BaseModel):
    to: str
    message_id: str
    accepted: bool
    detail: str


class TestSends:
    def __init__(
        self, tasks: EmailTasks, sending: EmailSending, transport: MailTransport, people: People
    ) -> None:
        self.tasks = tasks
        self.sending = sending
        self.transport = transport
        self.people = people

    def send(self, tenant_id: UUID, task_id: UUID, command: TestSend) -> TestSent:
        """Send the task's message once to `command.to` now, whatever the task's state."""
        task = self.tasks.live_task(tenant_id, task_id)
        to = email_address(command.to, field="to")
        person = Person(lead_id=stand_in_lead_id(task_id, to), email=to)
        if command.lead_id is not None:
            found = self.people.people(tenant_id, [command.lead_id]).get(command.lead_id)
            if found is None:
                raise InvalidInput(f"no lead {command.lead_id}", field="lead_id")
            person = Person(**{**found.__dict__, "email": to})
        # Every test send is its own message (a second test is a second e-mail).
        message_id = str(uuid.uuid4())
        mail = self.sending.message(task, Recipient(message_id, tenant_id, task_id, person), to)
        said = self.transport.deliver([mail], lambda _: None)[0]
        return TestSent(to=to, message_id=message_id, accepted=said.accepted, detail=said.detail)
