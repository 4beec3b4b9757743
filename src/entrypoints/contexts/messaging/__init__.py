"""Messaging (MAIL-1…5, SMS-1…4, LEAD-9; ADR 0015): e-mail and SMS tasks and the send
pipeline (`tasks`), sending domains, DKIM, SMTP and bounces (`transport`), templates,
unsubscribes and reports (`content`), SMS signatures, providers and receipts (`sms`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers, providers
from litestar.openapi.spec import Tag

from application.messaging.messaging import Messaging
from domain.messaging.permissions import MESSAGING_GRANTS
from entrypoints.contexts.messaging import content, sms, tasks, transport
from entrypoints.manifest import Manifest

PARTS = (tasks.PART, transport.PART, content.PART, sms.PART)


def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    messaging = providers.Singleton(Messaging, c.infrastructure)
    wired: dict[str, providers.Provider[Any]] = {"messaging": messaging}
    for part in PARTS:
        wired.update(part.providers(c, messaging))
    return wired


MANIFEST = Manifest(
    name="messaging",
    providers=wire,
    applications=("messaging",),
    followers=tuple(follower for part in PARTS for follower in part.followers),
    views={name: view for part in PARTS for name, view in part.views.items()},
    grants=(MESSAGING_GRANTS,),
    controllers=tuple(controller for part in PARTS for controller in part.controllers),
    dependencies=tuple(name for part in PARTS for name in part.dependencies),
    tags=(
        Tag(name="email", description="邮件 · e-mail tasks, templates, sending domains (MAIL)"),
        Tag(name="sms", description="短信 · SMS tasks, signatures, receipts (SMS)"),
    ),
    configuration_events={
        topic: label for part in PARTS for topic, label in part.configuration_events.items()
    },
    console=tuple(page for part in PARTS for page in part.console),
    console_nav=tuple(item for part in PARTS for item in part.console_nav),
)
