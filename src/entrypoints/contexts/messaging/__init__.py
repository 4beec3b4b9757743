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
from entrypoints.contexts.messaging import console, content, sms, tasks, transport
from entrypoints.manifest import Manifest

PARTS = (transport.PART, content.PART, sms.PART, tasks.PART, console.PART)


class _Parts:
    """The container as the parts see it: the providers of parts wired before, those of
    other contexts, and a late look-up for those of parts wired after (the parts use
    each other both ways: SMS receipts settle through the pipeline, which sends SMS)."""

    def __init__(self, c: containers.DynamicContainer, wired: dict[str, Any]) -> None:
        self._c = c
        self._wired = wired

    def __getattr__(self, name: str) -> Any:
        if name in self._wired:
            return self._wired[name]
        if name in self._c.providers:
            return getattr(self._c, name)
        return providers.Callable(_late, self._c, name)


def _late(c: containers.DynamicContainer, name: str) -> Any:
    return c.providers[name]()


def wire(c: containers.DynamicContainer) -> Mapping[str, providers.Provider[Any]]:
    messaging = providers.Singleton(Messaging, c.infrastructure)
    wired: dict[str, providers.Provider[Any]] = {"messaging": messaging}
    view = _Parts(c, wired)
    for part in PARTS:
        wired.update(part.providers(view, messaging))  # type: ignore[arg-type]
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
