"""Reply timeouts on both stores (ARCH-4): a customer's message opens a wait that the
employee's next message in the chat closes, counted in working minutes in the tenant's
zone (a Friday-evening message answered on Monday morning waited only the minutes of
working time in between); the threshold decides on read which waits are timeouts, a
wait nobody answered counts once it is past the threshold now; messages that arrive out
of order (within a batch and across batches) give the waits of the chat in time order;
group chats count only when the rules include them; per-employee stats."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.archive.messages import ArchivedMessage, behaviour_of
from application.archive.reply_timeouts import ReplyTimeoutQueries
from application.archive.screening_commands import ChangeReplyRules, WorkingPeriod
from application.shared.behaviours import BEHAVIOURS
from application.shared.context import RequestContext, acting
from entrypoints.container import Runtime

SHANGHAI = timedelta(hours=8)
ALICE, BOB = "alice", "bob"
_seq = iter(range(1, 10**9))


def at(text: str) -> datetime:
    """A wall-clock time in Shanghai (2026-11-02 is a Monday, 11-06 a Friday)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC) - SHANGHAI


def said(sender: str, to: str, when: str, *, room: str = "") -> ArchivedMessage:
    return ArchivedMessage(
        seq=next(_seq),
        msgid=f"r{uuid.uuid4().hex[:12]}",
        action="send",
        sender=sender,
        tolist=(to,) if to else (),
        roomid=room,
        msgtime=at(when),
        msgtype="text",
        content={"content": "在吗"},
    )


@dataclass
class Clock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment


def ingest(runtime: Runtime, tenant_id: UUID, messages: Sequence[ArchivedMessage]) -> None:
    now = datetime.now(UTC)
    position = runtime.container.ingestion().take(
        [behaviour_of(tenant_id, m, received_at=now) for m in messages]
    )
    runtime.container.archive_reply_view().wait(BEHAVIOURS, position, timeout=20)


def queries(runtime: Runtime, now: str) -> ReplyTimeoutQueries:
    container = runtime.container
    return ReplyTimeoutQueries(
        container.archive_reply_view(), container.archive_zones(), Clock(at(now))
    )


def change_rules(runtime: Runtime, tenant_id: UUID, **changes: Any) -> None:
    settings = runtime.container.archive_reply_settings()
    with acting(RequestContext(request_id="test-replies", read_your_writes=True)):
        current = settings.rules(tenant_id)
        values = {
            "enabled": current.enabled,
            "threshold_minutes": current.threshold_minutes,
            "working_hours": current.working_hours,
            "include_groups": current.include_groups,
            **changes,
        }
        settings.change(tenant_id, ChangeReplyRules(**values), expected_version=current.version)


def waited(found: Any) -> list[tuple[str, float, bool]]:
    return [(t.customer, t.waited_minutes, t.answered) for t in found.items]


@pytest.fixture
def tenant_id() -> UUID:
    return uuid.uuid4()


def test_a_wait_over_the_weekend_counts_working_minutes_and_the_threshold_decides(
    runtime: Runtime, tenant_id: UUID
) -> None:
    ingest(
        runtime,
        tenant_id,
        [
            said("wmFriday", ALICE, "2026-11-06T17:50"),
            said(ALICE, "wmFriday", "2026-11-09T09:10"),  # Monday: 10 + 10 working minutes
            said("wmMonday", ALICE, "2026-11-09T10:00"),
            said("wmMonday", ALICE, "2026-11-09T10:05"),
            said(ALICE, "wmMonday", "2026-11-09T11:00"),  # 60 minutes
            said(ALICE, "wmMonday", "2026-11-09T11:01"),  # a second answer closes nothing
            said("wmQuick", BOB, "2026-11-09T12:00"),  # lunch counts: 09:00–18:00
            said(BOB, "wmQuick", "2026-11-09T12:05"),
        ],
    )
    report = queries(runtime, "2026-11-10T09:00")
    assert waited(report.timeouts(tenant_id, cursor=None, limit=10)) == [("wmMonday", 60.0, True)]
    change_rules(runtime, tenant_id, threshold_minutes=15)
    late = report.timeouts(tenant_id, cursor=None, limit=10)
    assert waited(late) == [("wmMonday", 60.0, True), ("wmFriday", 20.0, True)]
    assert late.items[0].messages == 2 and late.items[0].employee == ALICE
    stats = report.stats(tenant_id, cursor=None, limit=10)
    assert [(s.employee, s.received, s.waits, s.answered, s.timeouts) for s in stats.items] == [
        (ALICE, 3, 2, 2, 2),
        (BOB, 1, 1, 1, 0),
    ]
    assert [s.average_reply_minutes for s in stats.items] == [40.0, 5.0]
    monday = report.timeouts(
        tenant_id, day_from=date(2026, 11, 9), day_to=date(2026, 11, 9), cursor=None, limit=10
    )
    assert waited(monday) == [("wmMonday", 60.0, True)]
    change_rules(runtime, tenant_id, enabled=False)
    assert not report.timeouts(tenant_id, cursor=None, limit=10).items
    assert [s.timeouts for s in report.stats(tenant_id, cursor=None, limit=10).items] == [0, 0]


def test_a_wait_nobody_answers_counts_once_past_the_threshold_now(
    runtime: Runtime, tenant_id: UUID
) -> None:
    ingest(runtime, tenant_id, [said("wmWaiting", BOB, "2026-11-06T17:45")])  # a Friday
    on_time = queries(runtime, "2026-11-09T09:14")  # Monday: 15 + 14 working minutes
    assert not on_time.timeouts(tenant_id, cursor=None, limit=10).items
    assert on_time.stats(tenant_id, cursor=None, limit=10).items[0].timeouts == 0
    late = queries(runtime, "2026-11-09T09:16")
    found = late.timeouts(tenant_id, answered=False, cursor=None, limit=10)
    assert waited(found) == [("wmWaiting", 31.0, False)]
    assert found.items[0].employee == BOB
    assert not late.timeouts(tenant_id, answered=True, cursor=None, limit=10).items
    assert late.stats(tenant_id, cursor=None, limit=10).items[0].timeouts == 1


def test_messages_out_of_order_give_the_waits_of_the_chat_in_time_order(
    runtime: Runtime, tenant_id: UUID
) -> None:
    customer = "wmLate"
    question, answer = (
        said(customer, ALICE, "2026-11-09T13:00"),
        said(ALICE, customer, "2026-11-09T14:00"),
    )
    ingest(runtime, tenant_id, [answer, question])  # the answer is stored first
    report = queries(runtime, "2026-11-09T18:00")
    assert waited(report.timeouts(tenant_id, cursor=None, limit=10)) == [(customer, 60.0, True)]
    ingest(runtime, tenant_id, [said(customer, ALICE, "2026-11-09T13:30")])  # a batch later
    assert report.timeouts(tenant_id, cursor=None, limit=10).items[0].messages == 2
    ingest(runtime, tenant_id, [said(ALICE, customer, "2026-11-09T13:10")])  # splits the wait
    assert not report.timeouts(tenant_id, cursor=None, limit=10).items  # 10 and 30 minutes
    change_rules(runtime, tenant_id, threshold_minutes=5)
    assert waited(report.timeouts(tenant_id, cursor=None, limit=10)) == [
        (customer, 30.0, True),
        (customer, 10.0, True),
    ]
    stats = report.stats(tenant_id, cursor=None, limit=10).items
    assert [(s.received, s.waits, s.answered, s.average_reply_minutes) for s in stats] == [
        (2, 2, 2, 20.0)
    ]


def test_group_chats_count_when_the_rules_include_them(runtime: Runtime, tenant_id: UUID) -> None:
    room = "wrGroupWaits"
    ingest(
        runtime,
        tenant_id,
        [
            said("wmInGroup", "", "2026-11-09T10:00", room=room),
            said("wmOther", "", "2026-11-09T10:10", room=room),
            said(BOB, "", "2026-11-09T11:00", room=room),  # any employee in the room answers
            said("wmInGroup", "", "2026-11-09T15:00", room=room),  # still open
        ],
    )
    report = queries(runtime, "2026-11-09T17:00")
    assert not report.timeouts(tenant_id, cursor=None, limit=10).items
    change_rules(
        runtime,
        tenant_id,
        include_groups=True,
        working_hours=[WorkingPeriod(weekday=d, start="09:00", end="18:00") for d in range(1, 8)],
    )
    found = report.timeouts(tenant_id, cursor=None, limit=10)
    assert [
        (t.customer, t.employee, t.messages, t.waited_minutes, t.answered) for t in found.items
    ] == [
        ("wmInGroup", "", 1, 120.0, False),
        ("wmInGroup", BOB, 2, 60.0, True),
    ]
    assert [
        (s.employee, s.waits) for s in report.stats(tenant_id, cursor=None, limit=10).items
    ] == [(BOB, 1)]
