"""Commands and answers of e-mail templates (MAIL-2)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from application.shared.commands import Command
from domain.messaging.email_template import (
    MAX_DEFAULTS,
    MAX_HTML_BYTES,
    MAX_LABEL,
    MAX_NAME,
    MAX_SUBJECT,
)

HTML_DESCRIPTION = (
    "the e-mail's HTML (a fragment or a whole document, at most 512 KB) with "
    "personalisation fields: {{name}}, {{company}}, {{title}}, {{city}}, {{email}}, "
    "{{custom.<key>}}, {% if %}…{% endif %}, filters such as {{name|default('朋友')}}; "
    "{{unsubscribe_url}} places the unsubscribe link (else a footer carries it)"
)
DEFAULTS_DESCRIPTION = (
    "the text used when a recipient has no value: field (name, company, title, city, "
    "email, mobile or custom.<key>) → text"
)


class CreateEmailTemplate(Command):
    name: str = Field(min_length=1, max_length=MAX_NAME, examples=["春季新品发布会邀请"])
    subject: str = Field(
        min_length=1, max_length=MAX_SUBJECT, examples=["{{name}}，诚邀您参加春季新品发布会"]
    )
    html: str = Field(
        min_length=1,
        max_length=MAX_HTML_BYTES,
        description=HTML_DESCRIPTION,
        examples=["<h1>春季新品发布会</h1><p>{{name}}，您好：</p>"],
    )
    scene: str | None = Field(default=None, max_length=MAX_LABEL, examples=["活动邀请"])
    industry: str | None = Field(default=None, max_length=MAX_LABEL, examples=["制造业"])
    defaults: dict[str, str] = Field(
        default_factory=dict,
        max_length=MAX_DEFAULTS,
        description=DEFAULTS_DESCRIPTION,
        examples=[{"name": "客户"}],
    )


class ReviseEmailTemplate(Command):
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    subject: str | None = Field(default=None, min_length=1, max_length=MAX_SUBJECT)
    html: str | None = Field(
        default=None, min_length=1, max_length=MAX_HTML_BYTES, description=HTML_DESCRIPTION
    )
    scene: str | None = Field(default=None, max_length=MAX_LABEL)
    industry: str | None = Field(default=None, max_length=MAX_LABEL)
    defaults: dict[str, str] | None = Field(
        default=None, max_length=MAX_DEFAULTS, description=DEFAULTS_DESCRIPTION
    )


class PreviewEmailTemplate(Command):
    lead_id: UUID = Field(description="whose fields fill the template")


class EmailTemplateSummary(BaseModel):
    id: UUID
    name: str
    subject: str
    scene: str | None
    industry: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class EmailTemplateDetails(EmailTemplateSummary):
    html: str
    defaults: dict[str, str] = Field(max_length=MAX_DEFAULTS)
    archived: bool = Field(description="out of the library; tasks that use it still send it")


class EmailPreview(BaseModel):
    """The template as the lead would receive it (links not tracked)."""

    subject: str
    html: str
    text: str = Field(description="the text part, made from the HTML")
