"""E-mail tasks (MAIL-1): draft → scheduled → sending → sent, and cancelled; edits only
before sending; every detail validated before anything changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.messaging.email_task import EmailTask
from domain.shared.errors import InvalidValue, StateConflict

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def _details(**changes: Any) -> dict[str, Any]:
    details = {
        "name": "双十一会员专享",
        "subject": "{{name}}，您的专属优惠",
        "sender_name": "获客科技",
        "sender_address": "News@Mail.Acme.cn",
        "reply_to": None,
        "template_id": str(uuid.uuid4()),
        "audience": {"kind": "group", "group_id": str(uuid.uuid4())},
    }
    return {**details, **changes}


def _task(**changes: Any) -> EmailTask:
    return EmailTask.draft(
        task_id=uuid.uuid4(), tenant_id=uuid.uuid4(), details=_details(**changes)
    )


def test_a_draft_keeps_normalised_details() -> None:
    task = _task()
    assert task.state == "draft"
    assert task.content["sender_address"] == "news@mail.acme.cn"
    assert task.audience["kind"] == "group"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"subject": ""}, "subject"),
        ({"sender_address": "not an address"}, "sender_address"),
        ({"reply_to": "nobody"}, "reply_to"),
        ({"template_id": "x"}, "template_id"),
        ({"audience": {"kind": "everyone"}}, "audience.kind"),
        ({"audience": {"kind": "leads", "lead_ids": []}}, "audience.lead_ids"),
        (
            {"audience": {"kind": "filter", "tree": {"field": "city", "op": "near"}}},
            "audience.tree",
        ),
    ],
)
def test_a_bad_detail_is_refused_naming_its_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        _task(**changes)
    assert refused.value.field is not None and refused.value.field.startswith(field)


def test_a_task_goes_from_draft_to_sent() -> None:
    task = _task()
    task.schedule(NOW + timedelta(hours=2), now=NOW)
    assert task.state == "scheduled"
    task.start_sending(recipients=3, at=NOW.isoformat())
    assert (task.state, task.recipients) == ("sending", 3)
    task.finish(at=NOW.isoformat())
    assert task.state == "sent"


def test_send_now_is_a_schedule_at_once_and_the_past_is_refused() -> None:
    task = _task()
    task.schedule(NOW, now=NOW)
    assert datetime.fromisoformat(task.send_at or "") == NOW
    with pytest.raises(InvalidValue) as refused:
        _task().schedule(NOW - timedelta(hours=1), now=NOW)
    assert refused.value.field == "send_at"
    with pytest.raises(InvalidValue):
        _task().schedule(NOW + timedelta(days=400), now=NOW)


def test_a_sending_task_cannot_be_edited_or_deleted_but_can_be_cancelled() -> None:
    task = _task()
    task.schedule(NOW, now=NOW)
    task.start_sending(recipients=1, at=NOW.isoformat())
    with pytest.raises(StateConflict):
        task.revise({"name": "改名"})
    with pytest.raises(StateConflict):
        task.delete()
    task.cancel(at=NOW.isoformat())
    assert task.state == "cancelled"
    task.delete()
    assert task.deleted
    with pytest.raises(StateConflict):
        task.revise({"name": "改名"})


def test_a_refused_revision_changes_nothing() -> None:
    task = _task()
    before = dict(task.content)
    with pytest.raises(InvalidValue):
        task.revise({"name": "新名字", "sender_address": "broken"})
    assert task.content == before and task.version == 1


@given(st.lists(st.sampled_from(["schedule", "unschedule", "start", "finish", "cancel", "delete"])))
def test_whatever_is_tried_the_state_is_always_one_of_the_five(moves: list[str]) -> None:
    task = _task()
    for move in moves:
        try:
            if move == "schedule":
                task.schedule(NOW, now=NOW)
            elif move == "unschedule":
                task.unschedule()
            elif move == "start":
                task.start_sending(recipients=1, at=NOW.isoformat())
            elif move == "finish":
                task.finish(at=NOW.isoformat())
            elif move == "cancel":
                task.cancel(at=NOW.isoformat())
            else:
                task.delete()
        except StateConflict:
            pass
        assert task.state in {"draft", "scheduled", "sending", "sent", "cancelled"}
        # A task that started sending never goes back to draft or scheduled.
        if task.started_at is not None:
            assert task.state in {"sending", "sent", "cancelled"}
