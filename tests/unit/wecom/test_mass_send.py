"""Mass-send tasks (WECOM-2, WECOM-5): content within WeCom's limits per target, the
audience's filters, and the states draft → scheduled → submitting → submitted →
finished with a result per employee; the plan (who is reached, who is left out and
why) is fixed once the submission starts; only a task WeCom does not have yet can be
cancelled."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.errors import InvalidValue, StateConflict
from domain.wecom.mass_send import (
    COLLECTION_WINDOW,
    CUSTOMERS_PER_CALL,
    MassSendTask,
    PartState,
    TaskState,
    checked_content,
    customer_chunks,
)
from domain.wecom.visible_range import LeftOut, Reach

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TENANT = uuid.uuid4()
LINK = {"kind": "link", "title": "双十一", "url": "https://acme.cn/sale"}
IMAGE = {"kind": "image", "media_id": "MEDIA1"}


def task(
    target: str = "customers",
    *,
    audience: dict | None = None,
    content: dict | None = None,
    send_at: datetime | None = None,
) -> MassSendTask:
    return MassSendTask.draft(
        id=uuid.uuid4(),
        tenant_id=TENANT,
        name="双十一预热",
        target=target,
        content=content or {"text": "新品上市", "attachments": [LINK]},
        audience=audience or {"scope": "all_staff"},
        send_at=send_at,
    )


def planned(t: MassSendTask, *reached: str, left_out: tuple = ()) -> MassSendTask:
    t.record_plan(Reach(reached, left_out), accounts=5, customers={}, at=NOW)
    return t


# --- content and audience ------------------------------------------------------------------


def test_text_is_measured_in_bytes_as_wecom_does() -> None:
    assert checked_content("customers", {"text": "好" * 1333})["text"]
    with pytest.raises(InvalidValue) as refused:
        checked_content("customers", {"text": "好" * 1334})  # 4,002 bytes
    assert refused.value.field == "content.text"


def test_at_most_nine_attachments_and_something_to_send() -> None:
    assert len(checked_content("customers", {"attachments": [IMAGE] * 9})["attachments"]) == 9
    with pytest.raises(InvalidValue):
        checked_content("customers", {"attachments": [IMAGE] * 10})
    with pytest.raises(InvalidValue) as empty:
        checked_content("customers", {"text": "  "})
    assert empty.value.field == "content.text"


def test_an_attachment_wecom_would_refuse_names_its_place() -> None:
    with pytest.raises(InvalidValue) as refused:
        checked_content("groups", {"attachments": [IMAGE, {"kind": "link", "title": "x"}]})
    assert refused.value.field == "content.attachments.1.url"


def test_moments_take_images_or_one_link_not_mini_programs() -> None:
    assert checked_content("moments", {"attachments": [IMAGE] * 9})
    assert checked_content("moments", {"attachments": [LINK]})
    mini = {"kind": "miniprogram", "title": "t", "appid": "wx1", "page": "p.html", "media_id": "m"}
    for refused in ([LINK, LINK], [IMAGE, LINK], [mini]):
        with pytest.raises(InvalidValue):
            checked_content("moments", {"attachments": refused})


def test_the_audience_lists_employees_or_is_all_staff() -> None:
    listed = task(audience={"userids": ["b", "a", "a"]})
    assert listed.audience["userids"] == ["a", "b"] and not listed.all_staff
    with pytest.raises(InvalidValue) as none:
        task(audience={"scope": "employees"})
    assert none.value.field == "audience.userids"
    with pytest.raises(InvalidValue):
        task(audience={"scope": "all_staff", "userids": ["a"]})


def test_customer_filters_by_target() -> None:
    audience = {
        "scope": "all_staff",
        "tags": ["重要客户"],
        "exclude_tags": ["已成交"],
        "added_from": "2026-10-01T00:00:00+08:00",
    }
    assert task(audience=audience).audience["tags"] == ["重要客户"]
    with pytest.raises(InvalidValue):
        task("groups", audience={"scope": "all_staff", "tags": ["重要客户"]})
    with pytest.raises(InvalidValue):
        task("moments", audience=audience)  # Moments filter by tags only
    assert task("moments", audience={"scope": "all_staff", "tags": ["重要客户"]})
    with pytest.raises(InvalidValue):
        task(audience={**audience, "added_to": "2026-09-01T00:00:00+08:00"})
    with pytest.raises(InvalidValue):
        task(audience={"scope": "all_staff", "added_from": "2026-10-01T00:00:00"})  # no zone


def test_customers_go_to_wecom_in_calls_of_at_most_ten_thousand() -> None:
    customers = [f"wm{i}" for i in range(CUSTOMERS_PER_CALL * 2 + 1)]
    chunks = customer_chunks(customers)
    assert [len(c) for c in chunks] == [CUSTOMERS_PER_CALL, CUSTOMERS_PER_CALL, 1]
    assert [c for chunk in chunks for c in chunk] == customers


# --- states ---------------------------------------------------------------------------------


def test_a_task_runs_from_plan_to_every_employee_sent() -> None:
    t = planned(task(), "a", "b", left_out=(("c", LeftOut.OVER_QUOTA),))
    assert t.plan and t.plan["left_out"] == [["c", "over_account_quota"]]
    t.submit(NOW)
    assert t.state == TaskState.SUBMITTING
    t.record_part("a", msgids=["m1"], failed=["wmX"], targets=0, at=NOW)
    assert t.state == TaskState.SUBMITTING and t.waiting_parts() == ["b"]
    t.refuse_part("b", "WeCom refused the call: 41048 not in range", at=NOW)
    assert t.state == TaskState.SUBMITTED
    assert t.parts["b"]["state"] == PartState.FAILED
    assert t.record_sent("a", sent_at=NOW, results=[("wm1", 1), ("wm2", 2)], at=NOW)
    assert not t.record_sent("a", sent_at=NOW, results=[("wm1", 1)], at=NOW)  # a repeat
    assert t.state == TaskState.FINISHED and t.finish_reason == "all_sent"
    assert t.parts["a"]["outcome"] == {"sent": 1, "not_friend": 1}


def test_the_plan_is_fixed_once_submitting_and_parts_only_for_the_reached() -> None:
    t = planned(task(), "a")
    t.submit(NOW)
    with pytest.raises(StateConflict):
        t.record_plan(Reach(("a", "b"), ()), accounts=5, customers={}, at=NOW)
    with pytest.raises(InvalidValue):
        t.record_part("z", msgids=["m"], failed=[], targets=0, at=NOW)
    t.record_part("a", msgids=["m"], failed=[], targets=0, at=NOW)
    with pytest.raises(StateConflict):
        t.record_part("a", msgids=["m2"], failed=[], targets=0, at=NOW)


def test_a_plan_that_reaches_nobody_cannot_be_sent_now() -> None:
    t = planned(task(), left_out=(("a", LeftOut.OUTSIDE_RANGE),))
    with pytest.raises(StateConflict) as refused:
        t.submit(NOW)
    assert refused.value.field == "audience"
    with pytest.raises(StateConflict):
        task().submit(NOW)  # never planned


def test_a_scheduled_task_waits_for_its_time_and_may_be_cancelled_until_then() -> None:
    later = NOW + timedelta(hours=3)
    t = planned(task(send_at=later), "a")
    t.submit(NOW)
    assert t.state == TaskState.SCHEDULED
    assert not t.due(NOW) and t.due(later)
    t.start_submission(later)
    assert t.state == TaskState.SUBMITTING
    with pytest.raises(StateConflict):
        t.cancel(later)

    other = planned(task(send_at=later), "a")
    other.submit(NOW)
    other.cancel(NOW, "活动取消")
    assert other.state == TaskState.CANCELLED and other.cancel_reason == "活动取消"
    with pytest.raises(StateConflict):
        other.start_submission(later)


def test_a_scheduled_task_whose_plan_reaches_nobody_at_its_time_finishes() -> None:
    later = NOW + timedelta(hours=1)
    t = planned(task(send_at=later), "a")
    t.submit(NOW)
    t.record_plan(Reach((), (("a", LeftOut.OUTSIDE_RANGE),)), accounts=5, customers={}, at=later)
    t.start_submission(later)
    assert t.state == TaskState.FINISHED and t.finish_reason == "nobody_reached"


def test_collection_closes_after_the_window_and_unsent_parts_stay_not_sent() -> None:
    t = planned(task(), "a", "b")
    t.submit(NOW)
    t.record_part("a", msgids=["m1"], failed=[], targets=0, at=NOW)
    t.record_part("b", msgids=["m2"], failed=[], targets=0, at=NOW)
    t.record_sent("a", sent_at=NOW, results=[("wm1", 1)], at=NOW)
    assert not t.close_collection(NOW + COLLECTION_WINDOW - timedelta(seconds=1))
    assert t.close_collection(NOW + COLLECTION_WINDOW)
    assert t.state == TaskState.FINISHED and t.finish_reason == "window_closed"
    assert t.parts["b"]["state"] == PartState.NOT_SENT
    assert t.parts["a"]["state"] == PartState.SENT


def test_a_moments_task_is_one_job_and_refuses_the_senders_wecom_named_invalid() -> None:
    t = planned(task("moments", content={"text": "新品", "attachments": [IMAGE]}), "a", "b")
    t.submit(NOW)
    t.start_moment_job("job1")
    t.start_moment_job("job2")  # a repeat keeps the first
    assert t.moment_jobid == "job1"
    t.record_moment("moment1", invalid=["b"], at=NOW)
    assert t.state == TaskState.SUBMITTED
    assert t.parts["a"]["msgids"] == ["moment1"]
    assert t.parts["b"]["state"] == PartState.FAILED


def test_every_part_refused_finishes_the_task() -> None:
    t = planned(task(), "a")
    t.submit(NOW)
    t.refuse_part("a", "refused", at=NOW)
    assert t.state == TaskState.FINISHED and t.finish_reason == "all_refused"


@given(outcomes=st.lists(st.sampled_from(["sent", "refused", "waiting"]), min_size=1, max_size=8))
def test_a_task_is_finished_exactly_when_no_part_is_still_waiting_for_its_employee(
    outcomes: list[str],
) -> None:
    userids = [f"u{i}" for i in range(len(outcomes))]
    t = planned(task(), *userids)
    t.submit(NOW)
    for userid, outcome in zip(userids, outcomes, strict=True):
        if outcome == "refused":
            t.refuse_part(userid, "no", at=NOW)
        else:
            t.record_part(userid, msgids=[f"m{userid}"], failed=[], targets=0, at=NOW)
    for userid, outcome in zip(userids, outcomes, strict=True):
        if outcome == "sent":
            t.record_sent(userid, sent_at=NOW, results=[], at=NOW)
    assert (t.state == TaskState.FINISHED) == ("waiting" not in outcomes)
    assert sorted(t.parts) == userids
