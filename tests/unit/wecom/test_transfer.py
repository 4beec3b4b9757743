"""Customer inheritance's rules (WECOM-4 with ORG-3): a batch's customers go to WeCom in
calls of at most 100; whatever the order of busy answers, dropped connections, workers
that die holding a claim and per-customer refusals, no customer WeCom accepted is named
in another call, and every customer ends succeeded or failed with WeCom's reason; the
24 hours of a takeover are polled; customer groups stay within 300 a day per corp, the
rest waiting for the next day; replaying a batch's events gives the same batch."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.shared.errors import InvalidValue, StateConflict
from domain.wecom.transfer import (
    CLAIM_LEASE,
    GROUPS_PER_DAY,
    MAX_PER_CALL,
    SETTLE,
    CustomerTransferBatch,
    GroupTransferDay,
    Origin,
    Reason,
    batch_id_for,
)

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
TENANT = uuid.UUID("6d1f3c2a-0b4e-4f57-9a61-2c3e4d5f6a7b")


def new_batch(origin: Origin = Origin.COMMAND, takeover: str = "LiNa") -> CustomerTransferBatch:
    return CustomerTransferBatch.start(
        batch_id=uuid.uuid4(),
        tenant_id=TENANT,
        handover_userid="ZhangWei",
        takeover_userid=takeover,
        resigned=True,
        from_employee_id=uuid.uuid4(),
        to_employee_id=uuid.uuid4(),
        reason="离职交接",
        origin=origin.value,
        at=T0,
    )


def customers(n: int, prefix: str = "wm") -> list[tuple[str, uuid.UUID | None]]:
    return [(f"{prefix}{i:04d}", uuid.uuid4()) for i in range(n)]


def replayed(batch: CustomerTransferBatch, events: list[Any]) -> Any:
    """The batch rebuilt from every event it triggered (the store's replay)."""
    events += batch.collect_events()
    copy = None
    for stored in events:
        copy = stored.mutate(copy)
    return copy


class FakeWecom:
    """What WeCom does with transfers, for the property: it takes customers and refuses
    some; `accepted` counts acceptances, `renamed` any customer named after it was
    accepted (that would be a second transfer)."""

    def __init__(self) -> None:
        self.accepted: Counter[str] = Counter()
        self.renamed: list[str] = []
        self.calls: list[int] = []

    def take(self, ids: tuple[str, ...], refused: frozenset[str]) -> dict[str, int]:
        self.calls.append(len(ids))
        answers = {}
        for external in ids:
            if self.accepted[external]:
                self.renamed.append(external)
                answers[external] = 40100  # 客户已在转移中
            elif external in refused:
                answers[external] = 84061  # not the handover's customer
            else:
                self.accepted[external] += 1
                answers[external] = 0
        return answers

    def results(self, status_of: dict[str, int]) -> list[dict[str, Any]]:
        return [{"external_userid": e, "status": status_of.get(e, 2)} for e in self.accepted if e]


SEND_MODES = ["ok", "ok", "ok", "busy", "drop_before", "drop_after", "crash_before",
              "crash_after", "refused_call"]  # fmt: skip


@settings(max_examples=150)
@given(
    count=st.integers(1, 260),
    chunks=st.integers(1, 4),
    modes=st.lists(st.sampled_from(SEND_MODES), max_size=40),
    reconcile_fails=st.lists(st.booleans(), max_size=10),
    refused=st.sets(st.integers(0, 259), max_size=10),
    final_status=st.dictionaries(st.integers(0, 259), st.sampled_from([1, 1, 3, 4]), max_size=30),
    handover=st.booleans(),
)
def test_no_customer_is_transferred_twice_whatever_fails_and_every_call_takes_at_most_100(
    count: int,
    chunks: int,
    modes: list[str],
    reconcile_fails: list[bool],
    refused: set[int],
    final_status: dict[int, int],
    handover: bool,
) -> None:
    batch = new_batch(Origin.HANDOVER if handover else Origin.COMMAND)
    events: list[Any] = []
    named = customers(count)
    refused_ids = frozenset(named[i][0] for i in refused if i < count)
    statuses = {named[i][0]: s for i, s in final_status.items() if i < count}
    wecom = FakeWecom()
    now = T0
    size = -(-count // chunks)
    pending_chunks = [named[i : i + size] for i in range(0, count, size)]
    batch.add_customers(pending_chunks.pop(0), at=now)
    modes_left, reconciles_left = list(modes), list(reconcile_fails)
    taken_over_at = T0 + timedelta(hours=24)

    for _ in range(2_000):
        if pending_chunks and (len(wecom.calls) % 2 == 0):  # a handover still adding
            batch.add_customers(pending_chunks.pop(0), at=now)
        step = batch.next_step(now)
        if step is None:
            if batch.done and not pending_chunks:
                break
            if pending_chunks:
                batch.add_customers(pending_chunks.pop(0), at=now)
                continue
            assert batch.due_at is not None, "work left but nothing scheduled"
            now = max(now + timedelta(seconds=1), batch.due_at)
            continue
        if step.kind == "send":
            ids = tuple(batch.claim(step.call, at=now))
            assert ids == step.external_userids and 1 <= len(ids) <= MAX_PER_CALL
            attempt = batch.call(step.call)["attempts"]
            mode = modes_left.pop(0) if modes_left else "ok"
            if mode == "ok":
                answers = wecom.take(ids, refused_ids)
                batch.record_answer(step.call, attempt, answers, at=now)
            elif mode == "busy":
                batch.record_failure(step.call, attempt, "45009", answered=True, at=now)
            elif mode == "refused_call":
                batch.refuse_call(step.call, attempt, 40097, "not resigned", at=now)
            elif mode in ("drop_before", "drop_after"):
                if mode == "drop_after":
                    wecom.take(ids, refused_ids)
                batch.record_failure(step.call, attempt, "no answer", answered=False, at=now)
            else:  # the worker died holding the claim, before or after WeCom took it
                if mode == "crash_after":
                    wecom.take(ids, refused_ids)
                now += CLAIM_LEASE
        elif step.kind == "reconcile":
            if reconciles_left and reconciles_left.pop(0):
                batch.reconcile_failed(step.call, "no answer", at=now)
            else:
                batch.reconcile(step.call, wecom.results({}), at=now)
        elif step.kind == "poll":
            if now < taken_over_at:
                batch.record_results(wecom.results({}), at=now)  # all still waiting
                now += timedelta(hours=6)
            else:
                final = {e: statuses.get(e, 1) for e, _ in named}
                batch.record_results(wecom.results(final), at=now)
        now += timedelta(seconds=1)
    else:
        pytest.fail("the batch never finished")

    assert wecom.renamed == [], "a customer WeCom had accepted was sent again"
    assert all(n <= MAX_PER_CALL for n in wecom.calls)
    assert max(wecom.accepted.values(), default=0) <= 1
    states = {e: c for e, c in batch.customers.items()}
    assert set(states) == {e for e, _ in named}
    for external, customer in states.items():
        if wecom.accepted[external]:  # WeCom took them: the takeover's result decides
            status = statuses.get(external, 1)
            expected = {1: "succeeded", 3: "failed", 4: "failed"}[status]
            assert customer["state"] == expected, (external, customer)
        else:
            assert customer["state"] == "failed"
            assert customer["reason"] in (Reason.WECOM_REFUSED, Reason.WECOM_UNAVAILABLE)
    assert batch.done and batch.due_at is None
    copy = replayed(batch, events)
    assert copy.customers == batch.customers and copy.calls == batch.calls


def test_250_customers_are_split_into_calls_of_100_100_and_50() -> None:
    batch = new_batch()
    batch.add_customers(customers(250), at=T0)
    assert [len(c["customers"]) for c in batch.calls] == [100, 100, 50]
    sent = []
    while (step := batch.next_step(T0)) is not None:
        assert step.kind == "send"
        ids = batch.claim(step.call, at=T0)
        batch.record_answer(step.call, batch.call(step.call)["attempts"], dict.fromkeys(ids, 0),
                            at=T0)  # fmt: skip
        sent.append(len(ids))
    assert sent == [100, 100, 50]
    assert batch.counts()["waiting"] == 250


def test_a_handover_adding_customers_one_by_one_fills_calls_and_waits_until_quiet() -> None:
    batch = new_batch(Origin.HANDOVER)
    for i, pair in enumerate(customers(150)):
        batch.add_customers([pair], at=T0 + timedelta(milliseconds=i))
    assert [len(c["customers"]) for c in batch.calls] == [100, 50]
    quiet = T0 + timedelta(milliseconds=149) + SETTLE
    step = batch.next_step(T0 + timedelta(seconds=1))
    assert step is not None and step.call == 1  # a full call goes at once
    batch.claim(1, at=T0 + timedelta(seconds=1))
    assert batch.next_step(T0 + timedelta(seconds=2)) is None  # the part-full one waits
    step = batch.next_step(quiet)
    assert step is not None and (step.kind, step.call) == ("send", 2)
    batch.add_customers([("wmLate", None)], at=quiet)  # call 2 was never sent: it grows
    assert len(batch.calls[1]["customers"]) == 51
    batch.add_customers(customers(3), at=quiet)  # the same customers again: nothing
    assert len(batch.customers) == 151


def test_a_customer_added_again_changes_nothing() -> None:
    batch = new_batch()
    pairs = customers(3)
    assert len(batch.add_customers(pairs, at=T0)) == 3
    events = batch.collect_events()
    assert batch.add_customers(pairs, at=T0 + timedelta(hours=1)) == []
    assert batch.collect_events() == [] and len(events) >= 2


def test_an_unanswered_call_is_reconciled_and_only_what_wecom_lacks_is_sent_again() -> None:
    batch = new_batch()
    pairs = customers(5)
    batch.add_customers(pairs, at=T0)
    ids = batch.claim(1, at=T0)
    batch.record_failure(1, 1, "connection dropped", answered=False, at=T0)
    with pytest.raises(StateConflict):
        batch.claim(1, at=T0 + timedelta(hours=1))  # never without looking first
    assert batch.next_step(T0) is None  # the retry delay first
    later = batch.due_at
    assert later is not None and later > T0
    step = batch.next_step(later)
    assert step is not None and (step.kind, step.call) == ("reconcile", 1)
    batch.reconcile(1, [{"external_userid": ids[0], "status": 2},
                        {"external_userid": ids[1], "status": 1}], at=later)  # fmt: skip
    step = batch.next_step(later)
    assert step is not None and step.kind == "send"
    assert step.external_userids == tuple(ids[2:])
    assert batch.customers[ids[0]]["state"] == "waiting"
    assert batch.customers[ids[1]]["state"] == "succeeded"


def test_a_call_whose_outcome_stays_unknown_for_days_is_given_up() -> None:
    batch = new_batch()
    batch.add_customers(customers(2), at=T0)
    batch.claim(1, at=T0)
    batch.record_failure(1, 1, "connection dropped", answered=False, at=T0)
    batch.reconcile_failed(1, "WeCom unreachable", at=T0 + timedelta(hours=1))
    assert batch.counts()["queued"] == 2 and not batch.done
    batch.reconcile_failed(1, "WeCom unreachable", at=T0 + timedelta(days=3))
    assert {c["reason"] for c in batch.customers.values()} == {"wecom_unavailable"}
    assert batch.done and batch.due_at is None


def test_a_busy_answer_sends_the_same_customers_again_after_a_delay() -> None:
    batch = new_batch()
    batch.add_customers(customers(2), at=T0)
    batch.claim(1, at=T0)
    batch.record_failure(1, 1, "45009 api freq out of limit", answered=True, at=T0)
    assert batch.next_step(T0 + timedelta(seconds=1)) is None
    step = batch.next_step(T0 + timedelta(seconds=30))
    assert step is not None and step.kind == "send" and len(step.external_userids) == 2


def test_per_customer_errcodes_and_takeover_results_end_each_customer() -> None:
    batch = new_batch()
    batch.add_customers([("wmA", None), ("wmB", None), ("wmC", None), ("wmD", None)], at=T0)
    batch.claim(1, at=T0)
    batch.record_answer(1, 1, {"wmA": 0, "wmB": 0, "wmC": 0, "wmD": 84061}, at=T0)
    assert batch.customers["wmD"]["state"] == "failed"
    assert (batch.customers["wmD"]["reason"], batch.customers["wmD"]["errcode"]) == (
        "wecom_refused",
        84061,
    )
    assert batch.next_step(T0 + timedelta(minutes=1)) is None  # the first poll waits
    first = batch.due_at
    assert first is not None
    batch.record_results([{"external_userid": "wmA", "status": 3}], at=first)
    assert batch.customers["wmA"]["reason"] == "customer_refused"
    taken = T0 + timedelta(hours=24, minutes=1)
    batch.record_results(
        [
            {"external_userid": "wmB", "status": 1, "takeover_time": taken},
            {"external_userid": "wmC", "status": 4},
        ],
        at=taken + timedelta(minutes=5),
    )
    assert batch.customers["wmB"]["state"] == "succeeded"
    assert batch.customers["wmB"]["finished_at"] == taken
    assert batch.customers["wmC"]["reason"] == "takeover_at_limit"
    assert batch.done and batch.due_at is None


def test_a_customer_waiting_for_days_is_given_up() -> None:
    batch = new_batch()
    batch.add_customers([("wmA", None)], at=T0)
    batch.claim(1, at=T0)
    batch.record_answer(1, 1, {"wmA": 0}, at=T0)
    batch.record_results([{"external_userid": "wmA", "status": 2}], at=T0 + timedelta(days=3))
    assert batch.customers["wmA"]["reason"] == "no_result" and batch.done


def test_a_takeover_without_a_wecom_member_fails_every_customer() -> None:
    batch = new_batch(takeover="")
    batch.add_customers(customers(3), at=T0)
    assert {c["reason"] for c in batch.customers.values()} == {"no_takeover_member"}
    assert batch.done and batch.next_step(T0 + timedelta(days=1)) is None


def test_a_batch_is_handed_to_someone_else() -> None:
    with pytest.raises(InvalidValue):
        new_batch(takeover="ZhangWei")


def test_a_handover_request_names_its_batch() -> None:
    a = batch_id_for(TENANT, "req-1", "ZhangWei", "LiNa", "leaving")
    assert a == batch_id_for(TENANT, "req-1", "ZhangWei", "LiNa", "leaving")
    assert a != batch_id_for(TENANT, "req-2", "ZhangWei", "LiNa", "leaving")


# --- groups ------------------------------------------------------------------------------


def day_of(moment: datetime) -> str:
    return (moment + timedelta(hours=8)).date().isoformat()  # Shanghai


def next_day(moment: datetime) -> datetime:
    local = (moment + timedelta(hours=8)).date() + timedelta(days=1)
    return datetime(local.year, local.month, local.day, tzinfo=UTC) - timedelta(hours=8)


@settings(max_examples=100)
@given(
    sizes=st.lists(st.integers(0, 450), min_size=1, max_size=4),
    failures=st.lists(st.booleans(), max_size=20),
)
def test_the_corp_hands_over_at_most_300_groups_a_day_and_the_rest_waits(
    sizes: list[int], failures: list[bool]
) -> None:
    batches = []
    for n, size in enumerate(sizes):
        batch = new_batch()
        batch.add_groups([f"wr{n}-{i}" for i in range(size)], at=T0)
        batches.append(batch)
    days: dict[str, GroupTransferDay] = {}
    moved: Counter[str] = Counter()
    now = T0
    for _ in range(500):
        due = [b for b in batches if (s := b.next_step(now)) is not None and s.kind == "groups"]
        if not due:
            if all(b.done for b in batches):
                break
            now = min(b.due_at for b in batches if b.due_at is not None)  # type: ignore[type-var]
            continue
        for batch in due:
            day = day_of(now)
            budget = days.setdefault(day, GroupTransferDay.open(tenant_id=TENANT, day=day))
            taken = batch.claim_groups(budget, at=now, next_day=next_day(now))
            if not taken:
                assert budget.remaining == 0 and batch.group_retry_at == next_day(now)
                continue
            assert len(taken) <= 100
            moved[day] += len(taken)
            if failures and failures.pop(0):
                batch.record_group_failure("no answer", at=now)
            else:
                batch.record_group_answer({}, at=now)
        now += timedelta(minutes=1)
    else:
        pytest.fail("the groups never finished")
    assert all(used <= GROUPS_PER_DAY for used in moved.values())
    assert all(b.used <= GROUPS_PER_DAY for b in days.values())
    for group in (g for b in batches for g in b.groups.values()):  # six failures in a row
        assert (group["state"], group["reason"]) in (
            ("succeeded", ""),
            ("failed", "wecom_unavailable"),
        )
    if sum(sizes) > GROUPS_PER_DAY:
        assert len(moved) >= 2  # some waited for the next day


def test_a_day_spends_no_more_than_300() -> None:
    day = GroupTransferDay.open(tenant_id=TENANT, day="2026-11-02")
    day.spend(300)
    with pytest.raises(StateConflict):
        day.spend(1)
    assert GroupTransferDay.create_id(TENANT, "2026-11-02") == day.id
