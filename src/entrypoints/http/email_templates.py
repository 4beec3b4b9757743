"""Routes of e-mail templates (MAIL-2): the tenant's library of e-mail content with
personalisation fields, filtered by scene and industry, previewed for a lead."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response
from litestar.params import Parameter

from application.messaging.email_template_commands import (
    CreateEmailTemplate,
    EmailPreview,
    EmailTemplateDetails,
    EmailTemplateSummary,
    PreviewEmailTemplate,
    ReviseEmailTemplate,
)
from application.messaging.email_templates import EmailTemplates, TemplatePreviews
from application.shared.callers import TenantCaller
from application.shared.pages import DEFAULT_LIMIT
from domain.messaging.email_template import MAX_LABEL
from domain.shared.access import Action
from entrypoints.http.conventions import (
    IF_MATCH,
    ListOf,
    delete,
    get,
    page_of,
    patch,
    post,
    tenant_may,
    with_etag,
)
from entrypoints.http.tenant import Cursor, Limit

Scene = Annotated[
    str | None, Parameter(description="only templates of this scene", max_length=MAX_LABEL)
]
Industry = Annotated[
    str | None, Parameter(description="only templates of this industry", max_length=MAX_LABEL)
]


class EmailTemplateController(Controller):
    path = "/api/v1/email-templates"
    tags = ["email"]
    guards = [tenant_may("email_templates")]
    dependencies = IF_MATCH

    @get("/", operation_id="listEmailTemplates")
    def list_templates(
        self,
        email_templates: EmailTemplates,
        caller: TenantCaller,
        scene: Scene = None,
        industry: Industry = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ListOf[EmailTemplateSummary]:
        """The template library, newest first, by scene and industry.

        Archived templates are not listed."""
        return page_of(
            email_templates.templates(
                caller.tenant_id, scene=scene, industry=industry, cursor=cursor, limit=limit
            )
        )

    @post("/", operation_id="createEmailTemplate", may=Action.CREATE)
    def create(
        self, data: CreateEmailTemplate, email_templates: EmailTemplates, caller: TenantCaller
    ) -> Response[EmailTemplateDetails]:
        """Add a template with personalisation fields and their defaults.

        The subject and HTML are sandboxed templates: only the fields, `{% if %}` and a
        few filters are allowed; anything else answers 422 naming `subject` or `html`
        and the line."""
        return with_etag(email_templates.create(caller.tenant_id, data), status_code=201)

    @get("/{email_template_id:uuid}", operation_id="getEmailTemplate")
    def get_template(
        self, email_template_id: UUID, email_templates: EmailTemplates, caller: TenantCaller
    ) -> Response[EmailTemplateDetails]:
        """One template with its HTML and field defaults (archived ones too)."""
        return with_etag(email_templates.template(caller.tenant_id, email_template_id))

    @patch("/{email_template_id:uuid}", operation_id="reviseEmailTemplate")
    def revise(
        self,
        email_template_id: UUID,
        data: ReviseEmailTemplate,
        email_templates: EmailTemplates,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[EmailTemplateDetails]:
        """Change a template's name, subject, HTML, scene, industry or defaults.

        Tasks that use it send the new content from then on."""
        return with_etag(
            email_templates.revise(
                caller.tenant_id, email_template_id, data, expected_version=expected_version
            )
        )

    @delete("/{email_template_id:uuid}", operation_id="archiveEmailTemplate", status_code=200)
    def archive(
        self,
        email_template_id: UUID,
        email_templates: EmailTemplates,
        caller: TenantCaller,
        expected_version: int,
    ) -> Response[EmailTemplateDetails]:
        """Archive a template: it leaves the library, its tasks still send it."""
        return with_etag(
            email_templates.archive(
                caller.tenant_id, email_template_id, expected_version=expected_version
            )
        )

    @post(
        "/{email_template_id:uuid}/preview",
        operation_id="previewEmailTemplate",
        may=Action.READ,
        status_code=200,
    )
    def preview(
        self,
        email_template_id: UUID,
        data: PreviewEmailTemplate,
        email_template_previews: TemplatePreviews,
        caller: TenantCaller,
    ) -> EmailPreview:
        """The template as a chosen lead would receive it.

        The lead's fields fill it, the defaults stand in for what they lack; links
        are not tracked and the unsubscribe link goes nowhere."""
        return email_template_previews.preview(caller.tenant_id, email_template_id, data.lead_id)
