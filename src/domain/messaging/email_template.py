"""E-mail templates (MAIL-2, seed 003 §4.2): the content an e-mail task sends, kept in a
library the tenant filters by scene and industry.

A template has a subject and HTML with personalisation fields (`{{name}}`,
`{{custom.<key>}}` …) and a default for each field a recipient may lack
(`defaults["name"] = "客户"`). That the subject and HTML are safe templates is checked
by the application (the jinja2 sandbox is not the domain's business); here are the
limits on what is stored. An archived template leaves the library but still renders for
the tasks that already use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

MAX_NAME = 100
MAX_SUBJECT = 200
MAX_HTML_BYTES = 512 * 1024
MAX_LABEL = 30  # scene, industry
MAX_DEFAULTS = 50
MAX_DEFAULT_VALUE = 200
FIELDS = ("name", "email", "mobile", "company", "title", "city")
_CUSTOM_KEY = re.compile(r"^custom\.[a-z][a-z0-9_]{0,39}$")


def checked_content(content: Mapping[str, Any]) -> dict[str, Any]:
    """A template's content validated and normalised (primitives only): name, subject,
    html, scene and industry (None when not given) and the field defaults."""
    html = content.get("html")
    if not isinstance(html, str) or not html.strip():
        raise InvalidValue("html must not be empty", field="html")
    if len(html.encode("utf-8", "surrogatepass")) > MAX_HTML_BYTES:
        raise InvalidValue(f"html must be at most {MAX_HTML_BYTES // 1024} KB", field="html")
    return {
        "name": required_text(str(content.get("name") or ""), field="name", max_length=MAX_NAME),
        "subject": required_text(
            str(content.get("subject") or ""), field="subject", max_length=MAX_SUBJECT
        ),
        "html": html,
        "scene": _label(content.get("scene"), "scene"),
        "industry": _label(content.get("industry"), "industry"),
        "defaults": checked_defaults(content.get("defaults") or {}),
    }


def checked_defaults(defaults: Any) -> dict[str, str]:
    """Field → the text used when a recipient has no value for it. Fields are the
    personalisation fields (`name`, `company` …) and `custom.<key>`."""
    if not isinstance(defaults, Mapping):
        raise InvalidValue("defaults must map field names to text", field="defaults")
    if len(defaults) > MAX_DEFAULTS:
        raise InvalidValue(f"at most {MAX_DEFAULTS} field defaults", field="defaults")
    checked: dict[str, str] = {}
    for key, value in defaults.items():
        name = f"defaults.{key}"
        if not isinstance(key, str) or not (key in FIELDS or _CUSTOM_KEY.match(key)):
            raise InvalidValue(
                f"{name}: a default is for one of {', '.join(FIELDS)} or custom.<key>",
                field=name,
            )
        if not isinstance(value, str):
            raise InvalidValue(f"{name} must be text", field=name)
        text = value.strip()
        if len(text) > MAX_DEFAULT_VALUE:
            raise InvalidValue(f"{name} must be at most {MAX_DEFAULT_VALUE} characters", field=name)
        if text:
            checked[key] = text
    return dict(sorted(checked.items()))


def _label(value: Any, field: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return required_text(str(value), field=field, max_length=MAX_LABEL)


class EmailTemplate(Aggregate):
    """One template of a tenant's e-mail library."""

    TOPIC = "messaging.EmailTemplate"
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Revised: ClassVar[type[AggregateEvent]]
        Archived: ClassVar[type[AggregateEvent]]

    @classmethod
    def create(
        cls, *, template_id: UUID, tenant_id: UUID, content: Mapping[str, Any]
    ) -> EmailTemplate:
        """A new template; `content` as `checked_content` takes it."""
        return cls(id=template_id, tenant_id=tenant_id, content=checked_content(content))

    @event("Created", topic="messaging.EmailTemplate.Created")
    def __init__(self, id: UUID, tenant_id: UUID, content: dict[str, Any]) -> None:
        self.tenant_id = tenant_id
        self.content = content
        self.archived = False

    @property
    def name(self) -> str:
        return str(self.content["name"])

    @property
    def subject(self) -> str:
        return str(self.content["subject"])

    @property
    def html(self) -> str:
        return str(self.content["html"])

    @property
    def defaults(self) -> dict[str, str]:
        return dict(self.content["defaults"])

    def revise(self, changes: Mapping[str, Any]) -> None:
        """Change what `changes` names (name, subject, html, scene, industry, defaults);
        nothing is recorded when it is all as it was."""
        self._require_live()
        revised = checked_content({**self.content, **changes})
        if revised != self.content:
            self._revised(content=revised)

    @event("Revised", topic="messaging.EmailTemplate.Revised")
    def _revised(self, content: dict[str, Any]) -> None:
        self.content = content

    def archive(self) -> None:
        """Take the template out of the library (tasks using it still send it)."""
        self._require_live()
        self._archived()

    @event("Archived", topic="messaging.EmailTemplate.Archived")
    def _archived(self) -> None:
        self.archived = True

    def _require_live(self) -> None:
        if self.archived:
            raise StateConflict("the template was archived")
