"""What the messaging console reads from its forms: a send time typed in the tenant's
zone, an audience from the chosen kind, field defaults from `field=text` lines; and
the frame templates it offers pass the templates' own safety check."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from application.messaging.rendering import check_template
from application.shared.errors import InvalidInput
from entrypoints.web.forms import FormErrors
from entrypoints.web.messaging.common import audience_of, send_at_of, shown_errors
from entrypoints.web.messaging.email_template_pages import defaults_of
from entrypoints.web.messaging.frames import FRAMES

GROUP = "7f1c7d5e-1b7a-4d53-9a77-0b7c2b3d4e5f"


def test_a_send_time_is_read_in_the_tenants_zone() -> None:
    at = send_at_of({"when": "at", "send_at": "2026-12-02T14:05"}, "Asia/Shanghai")
    assert at is not None and at.astimezone(UTC) == datetime(2026, 12, 2, 6, 5, tzinfo=UTC)
    assert send_at_of({"when": "now", "send_at": "2026-12-02T14:05"}, "Asia/Shanghai") is None
    with pytest.raises(FormErrors) as missing:
        send_at_of({"when": "at"}, "Asia/Shanghai")
    assert set(missing.value.errors) == {"send_at"}
    with pytest.raises(FormErrors) as bad:
        send_at_of({"when": "at", "send_at": "明天"}, "Asia/Shanghai")
    assert set(bad.value.errors) == {"send_at"}


def test_the_audience_is_the_chosen_kind_only() -> None:
    data = {"group_id": GROUP, "filter": '{"field": "city", "op": "equals", "value": "北京"}'}
    assert audience_of({**data, "audience_kind": "group"}) == {"kind": "group", "group_id": GROUP}
    tree = audience_of({**data, "audience_kind": "filter"})
    assert tree == {"kind": "filter", "tree": {"field": "city", "op": "equals", "value": "北京"}}
    listed = audience_of({"audience_kind": "leads", "lead_ids": f"{GROUP}, x\n{GROUP.upper()}"})
    assert listed == {"kind": "leads", "lead_ids": [GROUP, GROUP.upper()]}
    for kind, field in (("group", "group_id"), ("leads", "lead_ids"), ("filter", "filter")):
        with pytest.raises(FormErrors) as refused:
            audience_of({"audience_kind": kind})
        assert set(refused.value.errors) == {field}


def test_refusals_show_on_the_control_that_chose_them() -> None:
    fields = ("name", "group_id", "filter", "lead_ids", "audience_kind")
    node = InvalidInput("op must be one of …", field="audience.tree.all[1].op")
    assert shown_errors(node, fields) == {"filter": "audience.tree.all[1].op: op must be one of …"}
    lead = InvalidInput("must be a UUID", field="audience.lead_ids")
    assert shown_errors(lead, fields) == {"lead_ids": "must be a UUID"}
    sender = InvalidInput("not a verified domain", field="sender_address")
    assert shown_errors(sender, ("when", "send_at")) == {
        "__all__": "sender_address: not a verified domain"
    }


def test_field_defaults_are_read_from_lines() -> None:
    assert defaults_of("name=客户\n\ncustom.level = 会员 \n") == {
        "name": "客户",
        "custom.level": "会员",
    }
    assert defaults_of("") == {}
    with pytest.raises(FormErrors) as refused:
        defaults_of("name=客户\n会员")
    assert set(refused.value.errors) == {"defaults"} and "2" in refused.value.errors["defaults"]


@pytest.mark.parametrize("frame", FRAMES, ids=lambda frame: frame.key)
def test_every_frame_template_passes_the_safety_check(frame) -> None:  # type: ignore[no-untyped-def]
    check_template(frame.subject, field="subject")
    check_template(frame.html, field="html")
    assert "{{ unsubscribe_url }}" in frame.html and 'name="viewport"' in frame.html
