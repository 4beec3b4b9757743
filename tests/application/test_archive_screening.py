"""Screening on both stores (ARCH-3): a tenant's live word lists are found in messages
whatever their case or width, each alert names the word's category, the employee and
the sender; behaviours (mobile, e-mail, bank card, red packet, file, link) are found in
employees' messages only and masked; an allow-listed employee's messages raise nothing;
a list changed or archived changes the next batch's alerts; the alert board lists the
alerts with filters and counts them per word, employee and day in the tenant's zone."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.archive.messages import Alert, ArchivedMessage, behaviour_of
from application.archive.screening_commands import (
    AddWords,
    ChangeScreeningRules,
    MakeWordList,
    RemoveWords,
)
from application.shared.behaviours import BEHAVIOURS
from application.shared.context import RequestContext, acting
from application.shared.errors import InvalidInput
from entrypoints.container import Runtime

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
LATE = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)  # Tuesday 00:30 in Shanghai
ALICE, BOB = "alice", "bob"
CUSTOMER = "wmScreenCustomer"
_seq = iter(range(1, 10**9))


def said(
    sender: str, to: str, text: str = "", *, at: datetime = T0, kind: str = "text", **content: Any
) -> ArchivedMessage:
    return ArchivedMessage(
        seq=next(_seq),
        msgid=f"m{uuid.uuid4().hex[:12]}",
        action="send",
        sender=sender,
        tolist=(to,),
        roomid="",
        msgtime=at,
        msgtype=kind,
        content=content or {"content": text},
    )


def acting_admin() -> Any:
    return acting(RequestContext(request_id="test-screening", read_your_writes=True))


def ingest(runtime: Runtime, tenant_id: UUID, messages: Sequence[ArchivedMessage]) -> list[Alert]:
    """What ingestion does: screen the batch, append the messages and their alerts in
    one call, then wait until the board has read them."""
    alerts = runtime.container.archive_screen().alerts(tenant_id, messages)
    by_id = {m.msgid: m for m in messages}
    now = datetime.now(UTC)
    rows = [behaviour_of(tenant_id, m, received_at=now) for m in messages]
    rows += [a.behaviour(tenant_id, by_id[a.msgid], now) for a in alerts]
    position = runtime.container.ingestion().take(rows)
    runtime.container.archive_alert_view().wait(BEHAVIOURS, position, timeout=20)
    return alerts


@pytest.fixture
def tenant_id() -> UUID:
    return uuid.uuid4()


def test_words_of_live_lists_are_found_whatever_their_case_or_width(
    runtime: Runtime, tenant_id: UUID
) -> None:
    lists = runtime.container.archive_word_lists()
    with acting_admin():
        abuse = lists.make(tenant_id, MakeWordList(name="辱骂", category="辱骂", words=["傻X"]))
        promise = lists.make(
            tenant_id, MakeWordList(name="承诺", category="违规承诺", words=["保本", "傻x"])
        )
    hit, clean, customer = (
        said(ALICE, CUSTOMER, "这个产品保本的，你别当傻ｘ"),
        said(ALICE, CUSTOMER, "您好，请问有什么可以帮您"),
        said(CUSTOMER, ALICE, "你才是傻Ｘ"),
    )
    alerts = ingest(runtime, tenant_id, [hit, clean, customer])
    assert sorted((a.msgid, a.match, a.category) for a in alerts) == sorted(
        [
            (hit.msgid, "保本", "违规承诺"),
            (hit.msgid, "傻x", "辱骂"),  # in both lists: the older list's category
            (customer.msgid, "傻x", "辱骂"),  # a customer's words are screened too
        ]
    )
    assert {(a.employee, a.sender) for a in alerts if a.msgid == customer.msgid} == {
        (ALICE, CUSTOMER)
    }

    with acting_admin():
        lists.add_words(tenant_id, promise.id, AddWords(lines="稳赚不赔\n\n  加微信  \n"))
        lists.archive_list(tenant_id, abuse.id, expected_version=1)
        current = lists.word_list(tenant_id, promise.id)
        lists.remove_words(
            tenant_id, promise.id, RemoveWords(words=["保本"]), expected_version=current.version
        )
    again = said(ALICE, CUSTOMER, "保本，稳赚不赔，加微信聊，傻X")
    alerts = ingest(runtime, tenant_id, [again])
    assert sorted(a.match for a in alerts) == ["傻x", "加微信", "稳赚不赔"]
    assert {a.category for a in alerts} == {"违规承诺"}  # 傻x is left in the promise list


def test_behaviours_are_found_in_employees_messages_and_masked(
    runtime: Runtime, tenant_id: UUID
) -> None:
    card = "6222 0212 3456 7894"  # passes Luhn
    messages = [
        said(ALICE, CUSTOMER, "我的电话 138-1234-5678，邮箱 zhang.san@acme.cn"),
        said(ALICE, CUSTOMER, f"打款到 {card}，或 13912345678 13712345678"),
        said(ALICE, CUSTOMER, "订单号 813812345678 和 6222021234567890 不算"),
        said(ALICE, CUSTOMER, "看这里 https://Example.com/path?q=1 详情"),
        said(ALICE, CUSTOMER, kind="link", link_url="https://evil.cn/x", title="优惠"),
        said(ALICE, CUSTOMER, kind="file", filename="客户名单.XLSX", fileext="XLSX"),
        said(ALICE, CUSTOMER, kind="redpacket", wish="恭喜", totalamount=8888, totalcnt=1),
        said(CUSTOMER, ALICE, "我的手机 13800138000，给你发个文件"),
        said(CUSTOMER, ALICE, kind="file", filename="a.pdf", fileext="pdf"),
    ]
    alerts = ingest(runtime, tenant_id, messages)
    found = sorted((messages.index(next(m for m in messages if m.msgid == a.msgid)), a.rule,
                    a.match) for a in alerts)  # fmt: skip
    assert found == [
        (0, "email", "z***@acme.cn"),
        (0, "mobile", "138****5678"),
        (1, "bank_card", "6222****7894"),
        (1, "mobile", "137****5678"),
        (1, "mobile", "139****5678"),
        (3, "link", "example.com"),
        (4, "link", "evil.cn"),
        (5, "file", "xlsx"),
        (6, "red_packet", "88.88"),
    ]


def test_only_watched_behaviours_and_no_allow_listed_employee(
    runtime: Runtime, tenant_id: UUID
) -> None:
    settings = runtime.container.archive_screening_settings()
    with acting_admin():
        lists = runtime.container.archive_word_lists()
        lists.make(tenant_id, MakeWordList(name="竞品", category="竞品", words=["友商"]))
        changed = settings.change(
            tenant_id,
            ChangeScreeningRules(behaviours=["file"], allowed_employees=[BOB]),
            expected_version=1,
        )
    assert (changed.behaviours, changed.allowed_employees, changed.version) == (
        ["file"],
        [BOB],
        2,
    )
    messages = [
        said(ALICE, CUSTOMER, "友商的电话 13812345678"),
        said(ALICE, CUSTOMER, kind="file", filename="x.doc", fileext="doc"),
        said(BOB, CUSTOMER, "友商不行"),
        said(BOB, CUSTOMER, kind="file", filename="y.doc", fileext="doc"),
        said(CUSTOMER, BOB, "友商更便宜"),  # to Bob, but not Bob's own message
    ]
    alerts = ingest(runtime, tenant_id, messages)
    assert sorted((a.sender, a.rule, a.match) for a in alerts) == [
        (ALICE, "file", "doc"),
        (ALICE, "word", "友商"),
        (CUSTOMER, "word", "友商"),
    ]


def test_the_board_lists_and_counts_alerts_per_word_employee_and_day(
    runtime: Runtime, tenant_id: UUID
) -> None:
    with acting_admin():
        runtime.container.archive_word_lists().make(
            tenant_id, MakeWordList(name="承诺", category="违规承诺", words=["保本", "返现"])
        )
    ingest(
        runtime,
        tenant_id,
        [
            said(ALICE, CUSTOMER, "保本", at=T0),
            said(ALICE, CUSTOMER, "保本还返现", at=T0 + timedelta(minutes=5)),
            said(BOB, CUSTOMER, "返现", at=LATE),  # Tuesday in Shanghai, Monday in UTC
        ],
    )
    board = runtime.container.archive_alerts()
    everything = board.alerts(tenant_id, cursor=None, limit=2)
    assert [a.match for a in everything.items] == ["返现", "返现"]  # newest first
    rest = board.alerts(tenant_id, cursor=everything.next_cursor, limit=2)
    assert [a.match for a in rest.items] == ["保本", "保本"]
    assert (
        rest.next_cursor is None
        or not board.alerts(tenant_id, cursor=rest.next_cursor, limit=2).items
    )
    monday = date(2026, 11, 2)
    on_monday = board.alerts(tenant_id, day_from=monday, day_to=monday, cursor=None, limit=10)
    assert sorted(a.match for a in on_monday.items) == ["保本", "保本", "返现"]
    assert {a.employee for a in on_monday.items} == {ALICE}
    by_bob = board.alerts(tenant_id, employee=BOB, cursor=None, limit=10)
    assert [(a.match, a.day) for a in by_bob.items] == [("返现", date(2026, 11, 3))]

    words = board.counts(tenant_id, by="word")
    assert [(c.key, c.hits) for c in words.items] == [("保本", 2), ("返现", 2)]
    assert words.total == 4
    employees = board.counts(tenant_id, by="employee", day_from=monday, day_to=monday)
    assert [(c.key, c.hits) for c in employees.items] == [(ALICE, 3)]
    days = board.counts(tenant_id, by="day", rule="word")
    assert [(c.key, c.hits) for c in days.items] == [("2026-11-02", 3), ("2026-11-03", 1)]
    with pytest.raises(InvalidInput):
        board.counts(tenant_id, by="day", day_from=date(2026, 11, 3), day_to=monday)
    # Another tenant's board shows none of them.
    assert not board.alerts(uuid.uuid4(), cursor=None, limit=10).items
