"""Follow-up tasks (WECOM-2): a to-do or SOP step about a customer or group, assigned
by head office to front-line employees, done per employee (the task is done when every
assignee is), overdue when open past its due time, cancellable while open."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.shared.errors import InvalidValue, StateConflict
from domain.wecom.follow_up import FollowUpState, FollowUpTask

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def follow_up(**overrides: object) -> FollowUpTask:
    fields: dict = {
        "id": uuid.uuid4(),
        "tenant_id": uuid.uuid4(),
        "title": "回访双十一意向客户",
        "about": {"kind": "customer", "id": "wmABC"},
        "assignees": ["ZhangWei", "LiuYang", "ZhangWei"],
        "due_at": NOW + timedelta(days=1),
        "remind_before_minutes": 60,
    }
    fields.update(overrides)
    return FollowUpTask.assign(**fields)


def test_each_assignee_does_their_part_and_the_task_is_done_when_all_have() -> None:
    task = follow_up()
    assert task.assignees == ["LiuYang", "ZhangWei"]
    assert task.remind_at == NOW + timedelta(hours=23)
    assert task.complete("ZhangWei", at=NOW, note="已电话回访")
    assert not task.complete("ZhangWei", at=NOW)  # a repeat
    assert task.state == FollowUpState.OPEN
    task.complete("LiuYang", at=NOW)
    assert task.state == FollowUpState.DONE
    assert task.results["ZhangWei"]["note"] == "已电话回访"
    assert task.reopen("LiuYang") and task.state == FollowUpState.OPEN


def test_overdue_is_open_past_the_due_time() -> None:
    task = follow_up()
    due = NOW + timedelta(days=1)
    assert not task.overdue(due) and task.overdue(due + timedelta(seconds=1))
    for userid in task.assignees:
        task.complete(userid, at=due)
    assert not task.overdue(due + timedelta(days=9))
    assert not follow_up(due_at=None, remind_before_minutes=None).overdue(NOW + timedelta(9))


def test_only_assignees_do_it_and_a_cancelled_task_takes_nothing() -> None:
    task = follow_up()
    with pytest.raises(InvalidValue):
        task.complete("Stranger", at=NOW)
    task.cancel("客户已成交")
    assert task.state == FollowUpState.CANCELLED
    with pytest.raises(StateConflict):
        task.complete("ZhangWei", at=NOW)
    with pytest.raises(StateConflict):
        task.cancel()


def test_what_a_task_must_say() -> None:
    with pytest.raises(InvalidValue):
        follow_up(assignees=[])
    with pytest.raises(InvalidValue):
        follow_up(due_at=None)  # a reminder needs a due time
    with pytest.raises(InvalidValue):
        follow_up(about={"kind": "customer", "id": " "})
    with pytest.raises(InvalidValue):
        follow_up(due_at=datetime(2026, 11, 3, 9, 0))  # no zone
    task = follow_up()
    task.reschedule(due_at=NOW + timedelta(days=3), remind_before_minutes=None)
    assert task.remind_at is None
