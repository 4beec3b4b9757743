"""Messaging part: content — e-mail templates (MAIL-2), unsubscribe links (MAIL-4,
LEAD-9) and e-mail reports (MAIL-5). See __init__.

Rendering and composing are functions of the application layer (the tasks part's
e-mail sending calls them); this part wires the template library, the signed
unsubscribe links with their public page, and the reports read model.
"""

from __future__ import annotations

import base64
from typing import Any

from dependency_injector import providers

from application.messaging.email_reports import EmailReports, ReportQueries
from application.messaging.email_template_directory import (
    EmailTemplateDirectory,
    EmailTemplateQueries,
)
from application.messaging.email_templates import EmailTemplates, TemplatePreviews
from application.messaging.unsubscribe import UnsubscribeLinks, Unsubscribing
from application.messaging.unsubscribe import derive_key as derive_unsubscribe_key
from entrypoints.contexts.messaging.part import Part
from entrypoints.http.email_reports import EmailReportController
from entrypoints.http.email_templates import EmailTemplateController
from entrypoints.public.unsubscribe import UnsubscribeController

# --- templates (MAIL-2) --------------------------------------------------------------------
TEMPLATE_EVENTS = {
    "messaging.EmailTemplate.Created": "新建邮件模板 · e-mail template created",
    "messaging.EmailTemplate.Revised": "修改邮件模板 · e-mail template revised",
    "messaging.EmailTemplate.Archived": "归档邮件模板 · e-mail template archived",
}


def _template_providers(
    c: Any, messaging: providers.Provider[Any]
) -> dict[str, providers.Provider[Any]]:
    queries = providers.Singleton(EmailTemplateQueries, c.messaging_email_template_view)
    templates = providers.Singleton(EmailTemplates, messaging, queries)
    return {
        "email_template_queries": queries,
        # Also what e-mail tasks ask of templates (require_template, content).
        "email_templates": templates,
        # Built on first preview: the recipients' profiles come from the tasks part.
        "email_template_previews": providers.Singleton(TemplatePreviews, templates, c.people),
    }


# --- unsubscribe links (MAIL-4, LEAD-9) ----------------------------------------------------


def _unsubscribe_links(storage: Any, settings: Any) -> UnsubscribeLinks:
    # Derived from the store's cipher key, so every API node reads every node's links.
    key = derive_unsubscribe_key(base64.b64decode(storage.cipher_key))
    return UnsubscribeLinks(key, str(settings.public_url))


def _unsubscribe_providers(c: Any) -> dict[str, providers.Provider[Any]]:
    links = providers.Singleton(_unsubscribe_links, c.storage, c.settings)
    return {
        "unsubscribe_links": links,
        "unsubscribing": providers.Singleton(
            Unsubscribing, links, c.consent_book, c.behaviours, c.clock, c.send_queue
        ),
    }


# --- e-mail reports (MAIL-5) ---------------------------------------------------------------


def _report_providers(
    c: Any, messaging: providers.Provider[Any]
) -> dict[str, providers.Provider[Any]]:
    return {
        "email_report_queries": providers.Singleton(
            ReportQueries, c.messaging_email_report_view, messaging
        )
    }


def _providers(c: Any, messaging: providers.Provider[Any]) -> dict[str, providers.Provider[Any]]:
    return {
        **_template_providers(c, messaging),
        **_unsubscribe_providers(c),
        **_report_providers(c, messaging),
    }


PART = Part(
    providers=_providers,
    followers=(EmailTemplateDirectory, EmailReports),
    views={
        "messaging_email_template_view": EmailTemplateDirectory,
        "messaging_email_report_view": EmailReports,
    },
    controllers=(EmailTemplateController, UnsubscribeController, EmailReportController),
    dependencies=(
        "email_templates",
        "email_template_previews",
        "unsubscribing",
        "email_report_queries",
    ),
    configuration_events=TEMPLATE_EVENTS,
)
