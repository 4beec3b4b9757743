"""SMS tasks (SMS-1): draft → pending review → rejected | scheduled → sending → sent, and
cancelled; content approved before its first send, unchanged approved content
scheduled without a new review, edited content reviewed again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.messaging.sms_task import SmsTask
from domain.shared.errors import InvalidValue, StateConflict
from tests.unit.events import replay, topics

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


def _details(**changes: Any) -> dict[str, Any]:
    details = {
        "name": "双十一短信",
        "signature_id": str(uuid.uuid4()),
        "signature": "获客科技",
        "text": "{{name}}您好，会员5折 https://www.acme.cn/promotions/double-eleven 回T退订",
        "audience": {"kind": "group", "group_id": str(uuid.uuid4())},
    }
    return {**details, **changes}


def _task(**changes: Any) -> SmsTask:
    return SmsTask.draft(task_id=uuid.uuid4(), tenant_id=uuid.uuid4(), details=_details(**changes))


def _approved(task: SmsTask) -> SmsTask:
    task.submit_for_review(now=NOW, template="SMS_1")
    task.approve(reviewer="admin", now=NOW)
    return task


@pytest.mark.parametrize(
    ("changes", "field", "said"),
    [
        ({"text": "会员5折"}, "text", "退订"),
        ({"text": "{{ secret }} 回T退订"}, "text", "unknown personalisation field"),
        ({"signature": "【获客】"}, "signature", "brackets"),
        ({"signature": "获-客"}, "signature", "special symbols"),
        ({"signature_id": "x"}, "signature_id", "signature"),
        ({"name": " "}, "name", "empty"),
        ({"audience": {"kind": "all"}}, "audience.kind", "kind"),
    ],
)
def test_a_draft_refuses_broken_details_naming_the_field(
    changes: dict[str, Any], field: str, said: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        _task(**changes)
    assert refused.value.field == field and said in refused.value.message


def test_new_content_goes_through_review_before_it_is_scheduled() -> None:
    task = _task()
    assert task.state == "draft" and task.needs_review
    task.schedule(LATER, now=NOW, template="SMS_1")
    assert task.state == "pending_review" and task.send_at is None
    with pytest.raises(StateConflict):
        task.revise({"name": "改名"})  # not while under review
    task.approve(reviewer="admin", now=NOW)
    assert task.state == "scheduled" and task.send_at == LATER.isoformat()
    assert task.approved and task.template == "SMS_1"
    names = [t.rsplit(".", 1)[1] for t in topics(task.collect_events())]
    assert names == ["Drafted", "ReviewRequested", "Approved", "Scheduled"]


def test_a_review_without_a_send_time_leaves_an_approved_draft() -> None:
    task = _approved(_task())
    assert task.state == "draft" and task.approved and task.reviewer == "admin"
    task.schedule(NOW, now=NOW)
    assert task.state == "scheduled" and task.send_at == NOW.isoformat()


def test_a_send_time_that_passed_during_review_sends_at_once() -> None:
    task = _task()
    task.schedule(NOW + timedelta(minutes=5), now=NOW)
    task.approve(reviewer="admin", now=NOW + timedelta(hours=2))
    assert task.send_at == (NOW + timedelta(hours=2)).isoformat()


def test_unchanged_approved_content_is_rescheduled_without_review() -> None:
    task = _approved(_task())
    task.schedule(LATER, now=NOW)
    task.unschedule()
    task.revise({"name": "新名字", "audience": {"kind": "group", "group_id": str(uuid.uuid4())}})
    task.schedule(LATER, now=NOW)
    assert task.state == "scheduled"
    with pytest.raises(StateConflict):
        task.submit_for_review(now=NOW)  # nothing to review


def test_changed_content_of_a_scheduled_task_goes_back_to_draft_and_to_review() -> None:
    task = _approved(_task())
    task.schedule(LATER, now=NOW)
    task.revise({"text": "新品上市，回T退订"})
    assert task.state == "draft" and task.send_at is None and task.needs_review
    names = [t.rsplit(".", 1)[1] for t in topics(task.collect_events())]
    assert names[-2:] == ["Revised", "Unscheduled"]
    task.schedule(LATER, now=NOW)
    assert task.state == "pending_review"
    # going back to the approved wording needs no review again
    task.reject(reason="改回原文", reviewer="admin")
    task.revise({"text": _details()["text"]})
    assert task.approved


def test_a_rejected_task_keeps_the_reason_until_edited() -> None:
    task = _task()
    task.submit_for_review(now=NOW)
    task.reject(reason="含有违规词", reviewer="admin")
    assert (task.state, task.rejection) == ("rejected", "含有违规词")
    with pytest.raises(StateConflict):
        task.approve(reviewer="admin", now=NOW)
    task.revise({"text": "会员专享，回T退订"})
    assert task.state == "draft" and task.rejection is None
    task.submit_for_review(now=NOW, send_at=LATER)
    task.approve(reviewer="admin", now=NOW)
    assert task.state == "scheduled"


def test_the_pipeline_moves_a_scheduled_task_to_sent() -> None:
    task = _approved(_task())
    with pytest.raises(StateConflict):
        task.start_sending(recipients=3, at=NOW.isoformat())  # not scheduled yet
    task.schedule(NOW, now=NOW)
    task.start_sending(recipients=3, at=NOW.isoformat())
    assert (task.state, task.recipients) == ("sending", 3)
    with pytest.raises(StateConflict):
        task.revise({"name": "x"})
    task.finish(at=LATER.isoformat())
    assert task.state == "sent"
    task.delete()
    assert task.deleted
    with pytest.raises(StateConflict):
        task.revise({"name": "y"})
    replayed = replay(task.collect_events(), SmsTask)
    assert (replayed.state, replayed.deleted, replayed.approved) == ("sent", True, True)


@pytest.mark.parametrize("state", ["pending_review", "scheduled", "sending"])
def test_cancel_stops_review_schedule_or_send(state: str) -> None:
    task = _task()
    if state == "pending_review":
        task.submit_for_review(now=NOW)
    else:
        _approved(task).schedule(NOW, now=NOW)
        if state == "sending":
            task.start_sending(recipients=1, at=NOW.isoformat())
    with pytest.raises(StateConflict):
        task.delete()  # never while it may still send
    task.cancel(at=NOW.isoformat())
    assert task.state == "cancelled" and task.review is None
    task.delete()


def test_a_draft_cannot_be_cancelled_and_a_schedule_must_be_valid() -> None:
    task = _approved(_task())
    with pytest.raises(StateConflict):
        task.cancel(at=NOW.isoformat())
    with pytest.raises(InvalidValue) as refused:
        task.schedule(NOW - timedelta(hours=1), now=NOW)
    assert refused.value.field == "send_at"
    with pytest.raises(InvalidValue):
        task.schedule(datetime(2026, 12, 3, 8, 0), now=NOW)  # no time zone


def test_a_copy_inherits_the_approvals() -> None:
    source = _approved(_task())
    copy = SmsTask.draft(
        task_id=uuid.uuid4(),
        tenant_id=source.tenant_id,
        details=source.content,
        approvals=source.approvals,
    )
    assert copy.approved and copy.template == "SMS_1"
