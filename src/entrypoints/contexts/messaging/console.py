"""Messaging part: the console (营销触达) — pages of e-mail tasks, templates, sending
domains and SMS over the other parts' services (see __init__)."""

from __future__ import annotations

from typing import Any

from dependency_injector import providers

from entrypoints.contexts.messaging.part import Part
from entrypoints.web.messaging import (
    email_task_pages,
    email_template_pages,
    sending_domain_pages,
    sms_pages,
)
from entrypoints.web.messaging.lookups import MessagingLookups

MODULES = (email_task_pages, email_template_pages, sending_domain_pages, sms_pages)


def _providers(c: Any, messaging: providers.Provider[Any]) -> dict[str, providers.Provider[Any]]:
    return {
        "messaging_lookups": providers.Singleton(
            MessagingLookups,
            c.group_queries,
            c.email_templates,
            # the provider itself: the transport part's service, asked for when needed
            c.sending_domains.provider,
        ),
    }


PART = Part(
    providers=_providers,
    dependencies=("messaging_lookups",),
    console=tuple(page for module in MODULES for page in module.PAGES),
    console_nav=tuple(item for module in MODULES for item in module.NAV),
)
