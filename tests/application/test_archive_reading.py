"""Reading the session archive on both stores (ARCH-2, ARCH-6): a two-character Chinese
term, a phrase, one character, Latin prefixes and a time range; searches by customer,
by employee and among departed employees; the messages around each hit; recalls marked
on messages that stay stored; each read recorded with its reader and shown in the
operation log; a marketer refused; an edition without the archive refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.archive.messages import ArchivedMessage, behaviour_of
from application.archive.search import SearchFilter
from application.audit.operation_log import LogFilter
from application.org.commands import HireEmployee
from application.shared.callers import TenantCaller
from application.shared.context import Actor, ActorKind, RequestContext, acting
from application.shared.errors import InvalidInput, NotFound, PermissionDenied
from application.tenancy.billing_commands import PlaceOrder
from application.tenancy.commands import RegisterTenant
from domain.shared.access import TenantRole
from domain.tenancy.subscription import SubscriptionInactive
from entrypoints.container import Runtime
from tests.settling import settle

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
ALICE, BOB, GONE = "zhangsan", "lisi", "wangwu"  # employees' WeCom userids
C1, C2 = "wmCustomerOne0001", "wmCustomerTwo0002"


@dataclass
class Archive:
    runtime: Runtime
    tenant_id: UUID
    messages: dict[str, ArchivedMessage]

    def caller(self, *roles: TenantRole) -> TenantCaller:
        return TenantCaller(
            key_id=uuid.uuid4(),
            tenant_id=self.tenant_id,
            roles=frozenset(roles),
            permissions=self.runtime.container.tenant_permissions(),
        )

    def search(self, **selected: Any) -> list[str]:
        paging = {k: selected.pop(k) for k in ("limit", "context") if k in selected}
        reading = self.runtime.container.archive_reading()
        page = reading.search(self.caller(TenantRole.AUDITOR), SearchFilter(**selected), **paging)
        return [hit.message.msgid for hit in page.items]


def subscribed_tenant(runtime: Runtime, edition: str) -> UUID:
    tenant = runtime.container.tenancy().register_tenant(
        RegisterTenant(name="存档测试", owner_name="李雷", owner_contact="li@acme.cn")
    )
    billing = runtime.container.billing()
    order = billing.place_order(tenant.id, PlaceOrder(kind="new", edition=edition))
    billing.confirm_sandbox_payment(order.id)
    return tenant.id


def text(msgid: str, at: datetime, sender: str, to: str, words: str, room: str = ""):
    return ArchivedMessage(
        seq=0, msgid=msgid, action="send", sender=sender, tolist=(to,), roomid=room,
        msgtime=at, msgtype="text", content={"content": words},
    )  # fmt: skip


def chats() -> list[ArchivedMessage]:
    """Alice's chat with customer one, Bob's with customer two, a group, and the chat of
    an employee who has left."""
    minute = timedelta(minutes=1)
    made = [
        text("a1", T0, C1, ALICE, "你好，我想了解一下产品"),
        text("a2", T0 + minute, ALICE, C1, "您好！明天下午开会时给您演示"),
        text("a3", T0 + 2 * minute, C1, ALICE, "好的，下午我们开会再说"),
        text("a4", T0 + 3 * minute, ALICE, C1, "附上报价单，价格已经优惠"),
        text("a5", T0 + 4 * minute, C1, ALICE, "我想买 iPhone15 和下午茶"),
        text("b1", T0 + 5 * minute, C2, BOB, "下午有空吗"),
        text("b2", T0 + 6 * minute, BOB, C2, "有空，我们电话聊"),
        text("g1", T0 + 7 * minute, C1, "", "群里问一下价格", room="wrGroup001"),
        text("g2", T0 + 8 * minute, ALICE, "", "价格私聊您", room="wrGroup001"),
        text("x1", T0 + timedelta(days=3), GONE, C2, "离职前最后一次报价"),
        text("x2", T0 + timedelta(days=3, minutes=1), C2, GONE, "收到报价，谢谢"),
    ]
    recalled = ArchivedMessage(
        seq=0, msgid="r1", action="recall", sender=ALICE, tolist=(C1,), roomid="",
        msgtime=T0 + 10 * minute, msgtype="revoke", content={"pre_msgid": "a4"},
    )  # fmt: skip
    image = ArchivedMessage(
        seq=0, msgid="i1", action="send", sender=C1, tolist=(ALICE,), roomid="",
        msgtime=T0 + 11 * minute, msgtype="image",
        content={"md5sum": "ab12", "filesize": 2048, "sdkfileid": "CtYBMzA2OTAyMDEwMjA0"},
    )  # fmt: skip
    made += [recalled, image]
    return [
        ArchivedMessage(**{**vars(m), "seq": n, "tolist": tuple(t for t in m.tolist if t)})
        for n, m in enumerate(made, start=100)
    ]


@pytest.fixture(scope="module")
def archive(runtime: Runtime) -> Iterator[Archive]:
    with acting(RequestContext(request_id=f"test-archive-{uuid.uuid4().hex[:6]}")):
        tenant_id = subscribed_tenant(runtime, "scrm_ten_seats")
        org = runtime.container.org()
        for userid, name in ((ALICE, "张三"), (BOB, "李四"), (GONE, "王五")):
            hired = org.hire_employee(
                tenant_id, HireEmployee(name=name, email=f"{userid}@acme.cn", roles=["sales"])
            )
            if userid == GONE:
                org.record_leaving(tenant_id, hired.id, expected_version=1)
        messages = chats()
        runtime.container.ingestion().take(
            [behaviour_of(tenant_id, m, received_at=T0) for m in messages]
        )
        settle(runtime)
        yield Archive(runtime, tenant_id, {m.msgid: m for m in messages})


def test_a_two_character_chinese_term_is_found_newest_first(archive: Archive) -> None:
    assert archive.search(text="下午") == ["b1", "a5", "a3", "a2"]
    reading = archive.runtime.container.archive_reading()
    auditor = archive.caller(TenantRole.AUDITOR)
    first = reading.search(auditor, SearchFilter(text="下午"), limit=2)
    rest = reading.search(auditor, SearchFilter(text="下午"), limit=2, cursor=first.next_cursor)
    assert [h.message.msgid for h in [*first.items, *rest.items]] == ["b1", "a5", "a3", "a2"]
    assert archive.search(text="价格") == ["g2", "g1", "a4"]


def test_a_phrase_is_its_characters_together(archive: Archive) -> None:
    assert archive.search(text="下午开会") == ["a2"]  # not "下午我们开会"
    assert archive.search(text="明天下午开会时") == ["a2"]
    assert archive.search(text="开会 下午") == ["a3", "a2"]  # two terms, both anywhere
    assert archive.search(text='"我们开会"') == ["a3"]


def test_one_character_and_latin_words_match_as_prefixes(archive: Archive) -> None:
    assert archive.search(text="茶") == ["a5"]  # the last character of a run
    assert archive.search(text="iphone") == ["a5"]  # a word's beginning, any case
    assert archive.search(text="IPHONE15") == ["a5"]
    assert archive.search(text="phone") == []  # not the middle of a word
    assert archive.search(text="咖啡") == []


def test_a_time_range_and_the_scopes(archive: Archive) -> None:
    later = T0 + timedelta(days=1)
    assert archive.search(text="报价", until=later) == ["a4"]
    assert archive.search(text="报价", since=T0 + timedelta(minutes=4), until=later) == []
    assert archive.search(text="报价", since=later) == ["x2", "x1"]
    assert archive.search(scope="customer", customer=C2) == ["x2", "x1", "b2", "b1"]
    assert archive.search(scope="employee", employee=BOB) == ["b2", "b1"]
    assert archive.search(scope="employee", employee=ALICE, text="价格") == ["g2", "a4"]
    assert archive.search(scope="customer", customer=C1, text="价格") == ["g1", "a4"]
    assert archive.search(scope="departed") == ["x2", "x1"]
    assert archive.search(scope="departed", text="谢谢") == ["x2"]


def test_each_hit_comes_with_the_messages_around_it_in_its_chat(archive: Archive) -> None:
    reading = archive.runtime.container.archive_reading()
    auditor = archive.caller(TenantRole.AUDITOR)
    page = reading.search(auditor, SearchFilter(text="报价单"), context=2)
    (hit,) = page.items
    assert [m.msgid for m in hit.before] == ["a2", "a3"]
    assert [m.msgid for m in hit.after] == ["a5", "r1"]  # the group's g1, g2 are elsewhere
    assert hit.terms == ["报价单"]
    # Pages: newest first, the cursor goes on where the last page ended.
    first = reading.search(auditor, SearchFilter(scope="employee", employee=ALICE), limit=3)
    rest = reading.search(
        auditor, SearchFilter(scope="employee", employee=ALICE), cursor=first.next_cursor
    )
    # Alice's side: her one-to-one chat both ways, and what she said in the group.
    shown = [h.message.msgid for h in [*first.items, *rest.items]]
    assert shown == ["i1", "g2", "a5", "a4", "a3", "a2", "a1"]
    assert len(first.items) == 3 and rest.next_cursor is None


def test_a_recalled_message_stays_stored_and_is_marked(archive: Archive) -> None:
    reading = archive.runtime.container.archive_reading()
    auditor = archive.caller(TenantRole.AUDITOR)
    found = reading.message(auditor, "a4", context=1)
    assert found.message.recalled and found.message.text == "附上报价单，价格已经优惠"
    chat = reading.conversation(auditor, archive.messages["a1"].conversation, limit=50)
    shown = {m.msgid: m for m in chat.items}
    assert list(shown) == ["a1", "a2", "a3", "a4", "a5", "r1", "i1"]
    assert shown["a4"].recalled and not shown["a3"].recalled
    assert shown["r1"].msgtype == "revoke"
    media = shown["i1"].media
    assert media is not None and media.sdkfileid == "CtYBMzA2OTAyMDEwMjA0" and media.size == 2048
    around = reading.conversation(
        auditor, archive.messages["a1"].conversation, limit=4, around="a5"
    )
    assert [m.msgid for m in around.items] == ["a4", "a5", "r1", "i1"]  # one before it
    with pytest.raises(NotFound):
        reading.conversation(auditor, "pair:nobody:wmNobody")


def test_every_read_is_recorded_with_who_read_what(archive: Archive) -> None:
    runtime = archive.runtime
    reading = runtime.container.archive_reading()
    auditor = archive.caller(TenantRole.AUDITOR)
    actor = Actor(ActorKind.API_KEY, str(auditor.key_id), archive.tenant_id)
    with acting(RequestContext(actor=actor, request_id="req-archive-read")):
        reading.search(
            auditor,
            SearchFilter(
                scope="customer", customer=C1, text="下午", since=T0, until=T0 + timedelta(days=1)
            ),
        )
        reading.message(auditor, "a2")
    settle(runtime)
    reads = reading.reads(auditor, actor_id=str(auditor.key_id)).items
    assert [(r.kind, r.message) for r in reads] == [("message", "a2"), ("search", "")]
    searched = reads[1]
    assert (searched.scope, searched.customer, searched.terms) == ("customer", C1, "下午")
    assert searched.since == T0 and searched.request_id == "req-archive-read"
    assert searched.shown == 3 + 4 + 4 + 3  # a5, a3, a2 and two around each (a1 has none)
    logged = runtime.container.operation_log_queries().page(
        archive.tenant_id, LogFilter(actor_id=str(auditor.key_id))
    )
    assert [e.topic for e in logged.items] == ["archive.ArchiveRead.Recorded"] * 2
    assert logged.items[1].changes["terms"] == "下午"


def test_only_archive_roles_on_archive_editions_read(archive: Archive, runtime: Runtime) -> None:
    reading = runtime.container.archive_reading()
    for role in (TenantRole.MARKETER, TenantRole.SALES, TenantRole.DATA_ANALYST):
        with pytest.raises(PermissionDenied):
            reading.search(archive.caller(role), SearchFilter(text="下午"))
        with pytest.raises(PermissionDenied):
            reading.reads(archive.caller(role))
    admin = archive.caller(TenantRole.TENANT_ADMIN)
    assert reading.search(admin, SearchFilter(text="下午")).items
    with acting(RequestContext(request_id="test-edition")):
        other = subscribed_tenant(runtime, "scrm_advanced")  # no session_archive
    caller = TenantCaller(
        key_id=uuid.uuid4(), tenant_id=other, roles=frozenset({TenantRole.AUDITOR}),
        permissions=runtime.container.tenant_permissions(),
    )  # fmt: skip
    with pytest.raises(SubscriptionInactive):
        reading.search(caller, SearchFilter())
    assert reading.reads(caller).items == []  # past reads stay auditable on any edition


def test_what_cannot_be_searched_is_named(archive: Archive) -> None:
    with pytest.raises(InvalidInput) as refused:
        archive.search(text="！！？")
    assert refused.value.field == "text"
    with pytest.raises(InvalidInput) as refused:
        archive.search(scope="customer")
    assert refused.value.field == "customer"
    with pytest.raises(InvalidInput) as refused:
        archive.search(since=T0, until=T0)
    assert refused.value.field == "until"


def test_the_corps_staff_come_from_the_wecom_contacts_once_synced(runtime: Runtime) -> None:
    from domain.wecom.member import WecomMember

    with acting(RequestContext(request_id=f"test-archive-{uuid.uuid4().hex[:6]}")):
        tenant_id = subscribed_tenant(runtime, "scrm_ten_seats")
        wecom = runtime.container.wecom()
        for userid, name, status in (("ZhaoLiu", "赵六", 1), ("QianQi", "钱七", 5)):
            member = WecomMember.found(
                tenant_id=tenant_id, userid=userid, name=name, department_ids=[2],
                mobile="", email="", status=status,
            )  # fmt: skip
            wecom.commit(member)
        runtime.container.ingestion().take(
            [
                behaviour_of(tenant_id, replace_seq(m, n), received_at=T0)
                for n, m in enumerate(
                    [
                        text("w1", T0, "ZhaoLiu", C1, "在职员工的报价"),
                        text("w2", T0 + timedelta(minutes=1), "QianQi", C2, "离职员工的报价"),
                    ],
                    start=1,
                )
            ]
        )
        settle(runtime)
    staff = runtime.container.archive_staff().members(tenant_id)
    assert {u: (m.name, m.left) for u, m in staff.items()} == {
        "ZhaoLiu": ("赵六", False),
        "QianQi": ("钱七", True),
    }  # fmt: skip  (WeCom's status 5 is 离职)
    archive = Archive(runtime, tenant_id, {})
    assert archive.search(scope="departed", text="报价") == ["w2"]
    report = runtime.container.archive_reading().report(
        archive.caller(TenantRole.AUDITOR), T0.date(), T0.date()
    )
    assert (report.coverage.employees_in_corp, report.coverage.employees_archived) == (1, 1)


def replace_seq(message: ArchivedMessage, seq: int) -> ArchivedMessage:
    return ArchivedMessage(**{**vars(message), "seq": seq})
