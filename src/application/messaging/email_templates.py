"""E-mail templates (MAIL-2, seed 003 §4.2): the tenant's library of e-mail content with
personalisation fields, previewed for a chosen lead, used by e-mail tasks.

Subjects and HTML are checked as sandboxed templates when saved (`check_template`: a
template that could run code or read anything but the recipient's fields is refused,
naming the field and the line), so a task never meets a template it cannot render."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from application.messaging.composing import with_unsubscribe
from application.messaging.email_template_commands import (
    CreateEmailTemplate,
    EmailPreview,
    EmailTemplateDetails,
    EmailTemplateSummary,
    ReviseEmailTemplate,
)
from application.messaging.email_template_directory import EmailTemplateQueries
from application.messaging.messaging import Messaging
from application.messaging.ports import People
from application.messaging.rendering import check_template, render_mail
from application.shared.errors import InvalidInput, NotFound
from application.shared.pages import Page
from domain.messaging.email_template import EmailTemplate

# Where a preview's unsubscribe link points: nowhere (a preview is not a message).
PREVIEW_UNSUBSCRIBE = "#unsubscribe"


class EmailTemplates:
    """Creates, revises, archives and reads the tenant's e-mail templates; and answers
    the e-mail tasks (`require_template`, `content`)."""

    def __init__(self, messaging: Messaging, queries: EmailTemplateQueries) -> None:
        self.messaging = messaging
        self.queries = queries

    def create(self, tenant_id: UUID, command: CreateEmailTemplate) -> EmailTemplateDetails:
        """A new template; its subject and HTML must be safe templates (422 naming
        `subject` or `html` and the line)."""
        content = command.model_dump()
        _check(content)
        template = EmailTemplate.create(
            template_id=self.messaging.new_id("email_template"),
            tenant_id=tenant_id,
            content=content,
        )
        return details(self.messaging.create(template))

    def revise(
        self,
        tenant_id: UUID,
        template_id: UUID,
        command: ReviseEmailTemplate,
        *,
        expected_version: int,
    ) -> EmailTemplateDetails:
        """Change what the command gives (If-Match); tasks send the new content from
        then on."""
        template = self._load(tenant_id, template_id, expected_version)
        changes = command.model_dump(exclude_unset=True)
        _check(changes)
        template.revise(changes)
        self.messaging.commit(template)
        return details(template)

    def archive(
        self, tenant_id: UUID, template_id: UUID, *, expected_version: int
    ) -> EmailTemplateDetails:
        """Take it out of the library (409 when it is already); tasks that use it
        still send it."""
        template = self._load(tenant_id, template_id, expected_version)
        template.archive()
        self.messaging.commit(template)
        return details(template)

    def template(self, tenant_id: UUID, template_id: UUID) -> EmailTemplateDetails:
        """One template with its HTML, archived or not."""
        return details(self._load(tenant_id, template_id, None))

    def templates(
        self,
        tenant_id: UUID,
        *,
        scene: str | None = None,
        industry: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[EmailTemplateSummary]:
        """The library: live templates, newest first, of a scene and/or industry."""
        return self.queries.templates(
            tenant_id, scene=scene, industry=industry, cursor=cursor, limit=limit
        )

    # --- for e-mail tasks ------------------------------------------------------------------

    def require_template(self, tenant_id: UUID, template_id: UUID) -> None:
        """A task may choose only a live template of its tenant (422 on template_id)."""
        try:
            template = self._load(tenant_id, template_id, None)
        except NotFound:
            template = None
        if template is None or template.archived:
            raise InvalidInput(f"no e-mail template {template_id}", field="template_id")

    def content(self, tenant_id: UUID, template_id: UUID) -> tuple[str, Mapping[str, str]]:
        """The HTML and field defaults a task sends (archived templates too: a task
        chose it while it was live). NotFound when there is no such template."""
        template = self._load(tenant_id, template_id, None)
        return template.html, template.defaults

    def stored(self, tenant_id: UUID, template_id: UUID) -> EmailTemplate:
        """The tenant's template (archived too; NotFound for none)."""
        return self._load(tenant_id, template_id, None)

    def _load(
        self, tenant_id: UUID, template_id: UUID, expected_version: int | None
    ) -> EmailTemplate:
        return self.messaging.load(
            template_id, EmailTemplate, tenant_id=tenant_id, expected_version=expected_version
        )


class TemplatePreviews:
    """A template as a chosen lead would receive it (MAIL-2 preview)."""

    def __init__(self, templates: EmailTemplates, people: People) -> None:
        self.templates = templates
        self.people = people

    def preview(self, tenant_id: UUID, template_id: UUID, lead_id: UUID) -> EmailPreview:
        """The lead's fields fill the template, its defaults stand in for what they lack,
        the unsubscribe footer is there; links are not tracked (a preview opens and
        clicks nothing). 422 on lead_id when the tenant has no such lead."""
        template = self.templates.stored(tenant_id, template_id)
        person = self.people.people(tenant_id, [lead_id]).get(lead_id)
        if person is None:
            raise InvalidInput(f"no lead {lead_id} to preview for", field="lead_id")
        rendered = render_mail(
            template.subject,
            template.html,
            person,
            template.defaults,
            tokens=None,
            tenant_id=tenant_id,
            message_id="preview",
        )
        html, text = with_unsubscribe(rendered, PREVIEW_UNSUBSCRIBE)
        return EmailPreview(subject=rendered.subject, html=html, text=text)


def _check(content: Mapping[str, Any]) -> None:
    for field in ("subject", "html"):
        if content.get(field) is not None:
            check_template(content[field], field=field)


def details(template: EmailTemplate) -> EmailTemplateDetails:
    content = template.content
    return EmailTemplateDetails(
        id=template.id,
        name=content["name"],
        subject=content["subject"],
        html=content["html"],
        scene=content["scene"],
        industry=content["industry"],
        defaults=content["defaults"],
        archived=template.archived,
        version=template.version,
        created_at=template.created_on,
        updated_at=template.modified_on,
    )
