"""What the messaging forms offer to choose from and name on their pages: the tenant's
live e-mail templates, the sending domains that may send, the tenant's groups and SMS
signatures. One object (provider `messaging_lookups`) so that a page asks one thing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from application.shared.errors import NotFound
from entrypoints.web.i18n import gettext as _
from entrypoints.web.messaging.common import choices


class MessagingLookups:
    """Reads over the services of the other parts and contexts, for pickers."""

    def __init__(self, groups: Any, templates: Any, domains: Callable[[], Any]) -> None:
        self.groups = groups  # segments' GroupQueries
        self.templates = templates  # EmailTemplates
        self.domains = domains  # SendingDomains, asked for when a form offers domains

    def template_choices(self, tenant_id: UUID) -> list[tuple[str, str]]:
        """(id, name) of the templates in the library, newest first."""
        found = choices(
            lambda cursor, limit: self.templates.templates(tenant_id, cursor=cursor, limit=limit)
        )
        return [(str(template.id), template.name) for template in found]

    def template_name(self, tenant_id: UUID, template_id: UUID) -> str:
        """A task's template by name (archived ones too: the task still sends them)."""
        try:
            found = self.templates.template(tenant_id, template_id)
        except NotFound:
            return _("已删除的模板")
        return str(found.name) + (_("（已归档）") if found.archived else "")

    def template_subject(self, tenant_id: UUID, template_id: Any) -> tuple[str, str] | None:
        """The name and subject of a live template (None for anything else)."""
        try:
            found = self.templates.template(tenant_id, UUID(str(template_id)))
        except (ValueError, NotFound):
            return None
        return None if found.archived else (str(found.name), str(found.subject))

    def group_names(self, tenant_id: UUID) -> dict[str, str]:
        """id → name of the tenant's groups, newest first."""
        groups = choices(
            lambda cursor, limit: self.groups.groups(
                tenant_id, kind=None, cursor=cursor, limit=limit
            )
        )
        return {str(group.id): group.name for group in groups}

    def verified_domains(self, tenant_id: UUID) -> list[str]:
        """The tenant's sending domains that passed verification (a sender must be on
        one)."""
        return list(self.domains().verified_domains(tenant_id))
