"""Reply waits whatever order ingestion stores a chat's messages in (ARCH-4), on both
stores. Hypothesis: a chat's messages arriving in any order, split into any batches,
give the same waits (opened by which customer message, closed by which employee
message, with how many customer messages) as the chat read in time order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.archive.messages import ArchivedMessage, behaviour_of
from application.shared.behaviours import BEHAVIOURS
from entrypoints.container import Runtime

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
EMPLOYEE, CUSTOMER = "alice", "wmOrder"


def expected_waits(sides: list[str]) -> set[tuple[int, int | None, int]]:
    """(opening message, answering message or None, customer messages) in time order."""
    waits: list[list[int | None]] = []
    current: list[int | None] | None = None
    for index, side in enumerate(sides):
        if side == "c":
            if current is None:
                current = [index, None, 1]
                waits.append(current)
            else:
                current[2] = int(current[2] or 0) + 1
        elif current is not None:
            current[1] = index
            current = None
    return {(int(w[0] or 0), w[1], int(w[2] or 0)) for w in waits}


chats = st.lists(st.sampled_from("ce"), min_size=1, max_size=12).flatmap(
    lambda sides: st.tuples(
        st.just(sides),
        st.permutations(range(len(sides))),
        st.lists(st.integers(1, len(sides)), max_size=3),
    )
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chats)
def test_any_arrival_order_gives_the_waits_of_the_chat_in_time_order(
    runtime: Runtime, chat: tuple[list[str], list[int], list[int]]
) -> None:
    sides, order, cuts = chat
    tenant_id = uuid.uuid4()
    messages = [
        ArchivedMessage(
            seq=index + 1,
            msgid=f"o{index}",
            action="send",
            sender=CUSTOMER if side == "c" else EMPLOYEE,
            tolist=(EMPLOYEE if side == "c" else CUSTOMER,),
            roomid="",
            msgtime=T0 + timedelta(minutes=index),
            msgtype="text",
            content={"content": "在吗"},
        )
        for index, side in enumerate(sides)
    ]
    arriving = [messages[index] for index in order]
    now = datetime.now(UTC)
    position = 0
    for start, end in zip([0, *sorted(cuts)], [*sorted(cuts), len(arriving)], strict=True):
        batch = arriving[start:end]
        if batch:
            position = runtime.container.ingestion().take(
                [behaviour_of(tenant_id, m, received_at=now) for m in batch]
            )
    view = runtime.container.archive_reply_view()
    view.wait(BEHAVIOURS, position, timeout=20)
    assert stored_waits(view, tenant_id) == expected_waits(sides)


def stored_waits(view: object, tenant_id: UUID) -> set[tuple[int, int | None, int]]:
    rows = view.rows(  # type: ignore[attr-defined]
        "SELECT msgid, answered_msgid, messages FROM archive_reply_waits WHERE tenant_id = ?",
        (str(tenant_id),),
    )
    return {
        (
            int(row["msgid"][1:]),
            int(row["answered_msgid"][1:]) if row["answered_msgid"] else None,
            int(row["messages"]),
        )
        for row in rows
    }
