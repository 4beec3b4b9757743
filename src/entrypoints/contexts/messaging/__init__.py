"""Messaging (MAIL-1…5, SMS-1…4, LEAD-9; ADR 0015): e-mail and SMS tasks and the send
pipeline (`tasks`), sending domains, DKIM, SMTP and bounces (`transport`), templates,
unsubscribes and reports (`content`), SMS signatures, providers and receipts (`sms`)."""

from __future__ import annotations

from litestar.openapi.spec import Tag

from application.messaging.messaging import Messaging
from domain.messaging.permissions import MESSAGING_GRANTS
from entrypoints.contexts.messaging import console, content, sms, tasks, transport
from entrypoints.contexts.parts import manifest_of_parts

PARTS = (transport.PART, content.PART, sms.PART, tasks.PART, console.PART)

MANIFEST = manifest_of_parts(
    name="messaging",
    application=Messaging,
    parts=PARTS,
    grants=(MESSAGING_GRANTS,),
    tags=(
        Tag(name="email", description="邮件 · e-mail tasks, templates, sending domains (MAIL)"),
        Tag(name="sms", description="短信 · SMS tasks, signatures, receipts (SMS)"),
    ),
)
