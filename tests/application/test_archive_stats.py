"""Archive statistics on both stores (ARCH-5): per day in the tenant's zone — messages,
one-to-one and group chats, customers contacted, messages by type — the range's totals
(distinct over the whole range, not summed), per-employee details, and coverage of the
corp's employees; a marketer may not read them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from application.archive.messages import ArchivedMessage, behaviour_of
from application.archive.search import SearchFilter
from application.org.commands import HireEmployee
from application.shared.callers import TenantCaller
from application.shared.context import RequestContext, acting
from application.shared.errors import InvalidInput, PermissionDenied
from domain.shared.access import TenantRole
from entrypoints.container import Runtime
from tests.application.test_archive_reading import subscribed_tenant
from tests.settling import settle

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 2026-11-02 09:00 in Shanghai
LATE = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)  # 2026-11-03 00:30 in Shanghai
ALICE, BOB, CAROL, GONE = "alice", "bob", "carol", "gone"
C1, C2 = "wmStatsOne", "wmStatsTwo"
DAY1, DAY2 = date(2026, 11, 2), date(2026, 11, 3)


def message(msgid: str, at: datetime, sender: str, to: str, *, kind="text", room="", **content):
    return ArchivedMessage(
        seq=0, msgid=msgid, action="send", sender=sender, tolist=(to,) if to else (),
        roomid=room, msgtime=at, msgtype=kind, content=content or {"content": msgid},
    )  # fmt: skip


@pytest.fixture(scope="module")
def tenant(runtime: Runtime) -> Iterator[UUID]:
    with acting(RequestContext(request_id=f"test-stats-{uuid.uuid4().hex[:6]}")):
        tenant_id = subscribed_tenant(runtime, "scrm_ten_seats")
        org = runtime.container.org()
        for userid in (ALICE, BOB, CAROL, GONE):
            hired = org.hire_employee(
                tenant_id,
                HireEmployee(name=userid.title(), email=f"{userid}@acme.cn", roles=["sales"]),
            )
            if userid == GONE:
                org.record_leaving(tenant_id, hired.id, expected_version=1)
        minute = timedelta(minutes=1)
        made = [
            message("p1", T0, ALICE, C1),
            message("p2", T0 + minute, C1, ALICE),
            message("p3", T0 + 2 * minute, ALICE, C1, kind="image", sdkfileid="F1", filesize=9),
            message("q1", T0 + 3 * minute, C2, BOB),  # Bob never answers
            message("g1", T0 + 4 * minute, ALICE, "", room="wrStats"),
            message("g2", T0 + 5 * minute, C1, "", room="wrStats"),
            message("r1", T0 + 6 * minute, ALICE, C1, kind="revoke", pre_msgid="p1"),
            message("p4", LATE, ALICE, C2),  # the next day in Shanghai
            ArchivedMessage(
                seq=0,
                msgid="s1",
                action="send",
                sender="",
                tolist=(),
                roomid="",
                msgtime=T0 + 7 * minute,
                msgtype="undecryptable",
                content={"failure": "no key of version 3", "encrypt_chat_msg": "c2VhbGVk"},
            ),  # fmt: skip  (as ingestion stores a message that would not open)
        ]
        rows = [
            behaviour_of(tenant_id, ArchivedMessage(**{**vars(m), "seq": n}), received_at=T0)
            for n, m in enumerate(made, start=1)
        ]
        runtime.container.ingestion().take(rows)
        settle(runtime)
        yield tenant_id


def caller(runtime: Runtime, tenant_id: UUID, role: TenantRole) -> TenantCaller:
    return TenantCaller(
        key_id=uuid.uuid4(), tenant_id=tenant_id, roles=frozenset({role}),
        permissions=runtime.container.tenant_permissions(),
    )  # fmt: skip


def test_days_in_the_tenants_zone_and_the_ranges_totals(runtime: Runtime, tenant: UUID) -> None:
    reading = runtime.container.archive_reading()
    report = reading.report(caller(runtime, tenant, TenantRole.AUDITOR), DAY1, DAY2)
    first, second = report.days
    assert (first.day, first.messages, first.one_to_one_chats, first.group_chats) == (
        DAY1,
        6,
        2,
        1,
    )  # fmt: skip  (the recall notice is no message)
    assert first.customers_contacted == 1  # C1 had answers; C2 wrote to Bob, who did not
    assert first.by_type == {"text": 5, "image": 1} and first.undecryptable == 1
    assert (second.day, second.messages, second.one_to_one_chats) == (DAY2, 1, 1)
    assert second.customers_contacted == 1 and second.by_type == {"text": 1}
    totals = report.totals
    assert (totals.messages, totals.one_to_one_chats, totals.group_chats) == (7, 3, 1)
    assert totals.customers_contacted == 2  # C1 and C2 once each over the range
    # The sealed message is in no chat: the search index leaves it out.
    sealed = reading.search(caller(runtime, tenant, TenantRole.AUDITOR), SearchFilter())
    assert "s1" not in [hit.message.msgid for hit in sealed.items] and len(sealed.items) == 7
    assert report.timezone == "Asia/Shanghai"
    coverage = report.coverage
    assert (coverage.employees_in_corp, coverage.employees_archived) == (3, 2)
    assert coverage.employees_not_archived == [CAROL] and coverage.messages == 7
    assert coverage.undecryptable == 1 and totals.undecryptable == 1
    # A day before: nothing (the range is in the tenant's days, not UTC's).
    empty = reading.report(
        caller(runtime, tenant, TenantRole.AUDITOR), DAY1 - timedelta(1), DAY1 - timedelta(1)
    )
    assert empty.totals.messages == 0 and empty.days[0].by_type == {}


def test_each_employees_details(runtime: Runtime, tenant: UUID) -> None:
    reading = runtime.container.archive_reading()
    manager = caller(runtime, tenant, TenantRole.SALES_MANAGER)  # reports, not messages
    alice, bob = reading.employees(manager, DAY1, DAY2)
    assert (alice.employee, alice.name, alice.sent, alice.received) == (ALICE, "Alice", 4, 1)
    assert (alice.customers_contacted, alice.chats) == (2, 3)  # C1, C2; two pairs and a group
    assert (bob.employee, bob.sent, bob.received, bob.customers_contacted, bob.chats) == (
        BOB, 0, 1, 0, 1,
    )  # fmt: skip
    (only,) = reading.employees(manager, DAY2, DAY2)
    assert (only.employee, only.sent, only.customers_contacted) == (ALICE, 1, 1)


def test_reports_are_for_report_readers(runtime: Runtime, tenant: UUID) -> None:
    reading = runtime.container.archive_reading()
    with pytest.raises(PermissionDenied):
        reading.report(caller(runtime, tenant, TenantRole.MARKETER), DAY1, DAY2)
    with pytest.raises(InvalidInput) as refused:
        reading.report(caller(runtime, tenant, TenantRole.AUDITOR), DAY2, DAY1)
    assert refused.value.field == "until"
