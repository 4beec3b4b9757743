"""The e-mail template aggregate (MAIL-2): what it stores is validated first (lengths,
the 512 KB limit, field defaults for known fields only); revising records only real
changes; an archived template takes no more changes."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from domain.messaging.email_template import MAX_HTML_BYTES, EmailTemplate
from domain.shared.errors import InvalidValue, StateConflict

CONTENT: dict[str, Any] = {
    "name": " 会员日 ",
    "subject": "{{name}}，会员日快乐",
    "html": "<p>{{name}}</p>",
    "scene": " 促销 ",
    "industry": "",
    "defaults": {"name": " 客户 ", "custom.level": "会员", "city": "  "},
}


def template(**changes: Any) -> EmailTemplate:
    return EmailTemplate.create(
        template_id=uuid4(), tenant_id=uuid4(), content={**CONTENT, **changes}
    )


def test_content_is_normalised_when_created() -> None:
    made = template()
    assert made.content == {
        "name": "会员日",
        "subject": "{{name}}，会员日快乐",
        "html": "<p>{{name}}</p>",
        "scene": "促销",
        "industry": None,
        "defaults": {"custom.level": "会员", "name": "客户"},  # blanks dropped, sorted
    }
    (created,) = made.collect_events()
    assert type(created).__name__ == "Created" and made.archived is False


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"html": "  "}, "html"),
        ({"html": "字" * (MAX_HTML_BYTES // 3 + 1)}, "html"),
        ({"scene": "x" * 31}, "scene"),
        ({"industry": "x" * 31}, "industry"),
        ({"defaults": {"nickname": "x"}}, "defaults.nickname"),
        ({"defaults": {"custom.Bad-Key": "x"}}, "defaults.custom.Bad-Key"),
        ({"defaults": {"name": 3}}, "defaults.name"),
        ({"defaults": {"name": "x" * 201}}, "defaults.name"),
        ({"defaults": {f"custom.k{i}": "x" for i in range(51)}}, "defaults"),
        ({"defaults": ["name"]}, "defaults"),
    ],
)
def test_invalid_content_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        template(**changes)
    assert refused.value.field == field
    made = template()
    with pytest.raises(InvalidValue):
        made.revise(changes)
    assert len(made.collect_events()) == 1  # nothing was recorded


def test_html_of_exactly_512_kb_is_kept() -> None:
    assert len(template(html="x" * MAX_HTML_BYTES).html) == MAX_HTML_BYTES


def test_revising_records_only_real_changes_and_archiving_ends_them() -> None:
    made = template()
    made.collect_events()
    made.revise({"name": "会员日"})  # as it is
    assert made.collect_events() == []
    made.revise({"scene": None, "defaults": {}})
    (revised,) = made.collect_events()
    assert made.content["scene"] is None and made.defaults == {}
    assert revised.content == made.content  # type: ignore[attr-defined]
    made.archive()
    assert made.archived
    with pytest.raises(StateConflict):
        made.revise({"name": "x"})
    with pytest.raises(StateConflict):
        made.archive()
