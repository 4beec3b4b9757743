"""Customer inheritance through WeCom (客户继承, WECOM-4 with ORG-3): one employee's
WeCom customers, and their customer groups, handed to another employee in calls WeCom
takes, each customer's outcome kept.

A `CustomerTransferBatch` is one run from a handover employee (WeCom userid) to a
takeover employee, on the job (在职继承) or after leaving (离职继承, WeCom's "resigned"
endpoints). Its customers are split into calls of at most 100 (WeCom's limit) as they
are added; a call is claimed before it is sent (the claim is an event, so two workers
never send one call), then WeCom's answer is recorded per customer:

    queued ──(accepted: errcode 0)──▶ waiting ──(status 1)──▶ succeeded
       │                                 └──(status 3 refused, 4 at limit, 5 none)──▶ failed
       └──(errcode ≠ 0, or the call refused)──▶ failed

WeCom gives the takeover employee 24 hours (the customer may refuse an on-job
transfer); the results are polled until every customer's outcome is final. A call that
failed is sent again with only its customers still `queued`: a busy answer (45009, -1)
means WeCom did nothing; a call without an answer (a dropped connection, a worker that
died holding the claim) may have been taken, so WeCom's transfer results are read first
(`reconcile`) and the customers found there count as accepted. No customer WeCom
accepted is ever named in another call.

Customer groups (of an employee who left, or on the job) go in calls of at most 100,
within the corp's daily budget of 300 (`GroupTransferDay`, one per tenant and day in the
tenant's zone); what the day's budget cannot take waits for the next day.

Every method takes the moment `at` from the caller: the domain reads no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict

MAX_PER_CALL = 100  # WeCom: external_userid 列表，最多一次转移100个客户
MAX_GROUPS_PER_CALL = 100  # WeCom: chat_id_list 最多支持100个
GROUPS_PER_DAY = 300  # WeCom: groups a corp may hand over a day
TAKEOVER_WINDOW = timedelta(hours=24)  # WeCom: the takeover employee's 24 hours
SETTLE = timedelta(seconds=5)  # a growing batch sends a part-full call once this quiet
CLAIM_LEASE = timedelta(minutes=5)  # a claim older than this lost its worker
FIRST_POLL = timedelta(minutes=5)  # after the first acceptance
POLL_EVERY = timedelta(minutes=30)
GIVE_UP_AFTER = timedelta(days=3)  # waiting with no final answer: WeCom lost it
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
)
MAX_ATTEMPTS = 6  # attempts of one call before its customers are given up
MAX_CUSTOMERS = 5_000  # in one batch (a handover moves at most 500 leads a call)
MAX_USERID = 64
MAX_EXTERNAL_USERID = 128
MAX_REASON = 500
MAX_ERROR = 200
# WeCom's transfer_result statuses.
TAKEN_OVER, WAITING, CUSTOMER_REFUSED, TAKEOVER_AT_LIMIT, NO_RECORD = 1, 2, 3, 4, 5


class CustomerState(StrEnum):
    QUEUED = "queued"  # not yet accepted by WeCom
    WAITING = "waiting"  # 等待接替: accepted, the 24 hours are running
    SUCCEEDED = "succeeded"  # 接替完毕
    FAILED = "failed"  # see `reason`


FINAL = frozenset({CustomerState.SUCCEEDED.value, CustomerState.FAILED.value})


class Reason(StrEnum):
    """Why a customer's transfer failed (stable codes the console names)."""

    WECOM_REFUSED = "wecom_refused"  # WeCom's errcode refused this customer or the call
    CUSTOMER_REFUSED = "customer_refused"  # status 3: the customer declined (on-job only)
    TAKEOVER_AT_LIMIT = "takeover_at_limit"  # status 4: the takeover has too many customers
    NO_RECORD = "no_record"  # status 5: WeCom has no such transfer
    NO_RESULT = "no_result"  # no final answer within GIVE_UP_AFTER
    WECOM_UNAVAILABLE = "wecom_unavailable"  # MAX_ATTEMPTS calls failed
    NO_TAKEOVER_MEMBER = "no_takeover_member"  # the takeover employee has no WeCom userid


class Origin(StrEnum):
    HANDOVER = "handover"  # the leads' handover (ORG-3) moved the customers' leads
    COMMAND = "command"  # someone asked to move the employee's WeCom customers


_STATUS_OUTCOMES = {
    TAKEN_OVER: (CustomerState.SUCCEEDED, ""),
    CUSTOMER_REFUSED: (CustomerState.FAILED, Reason.CUSTOMER_REFUSED),
    TAKEOVER_AT_LIMIT: (CustomerState.FAILED, Reason.TAKEOVER_AT_LIMIT),
    NO_RECORD: (CustomerState.FAILED, Reason.NO_RECORD),
}


@dataclass(frozen=True)
class Step:
    """What a batch needs done next: `send` call `call` naming `external_userids`;
    `reconcile` call `call` (read WeCom's results before sending it again); `poll`
    the results of the waiting customers; `groups` hand over the queued groups."""

    kind: Literal["send", "reconcile", "poll", "groups"]
    call: int = 0
    external_userids: tuple[str, ...] = ()


def batch_id_for(tenant_id: UUID, started_by: str, handover: str, takeover: str, kind: str) -> UUID:
    """The batch a handover request makes (its request id and the employees), so the
    same upstream event seen again finds the batch it made."""
    return uuid5(
        NAMESPACE_URL,
        f"/huoke/tenants/{tenant_id}/wecom/transfers/{started_by}/{handover}/{takeover}/{kind}",
    )


def retry_delay(attempts: int) -> timedelta:
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


class CustomerTransferBatch(Aggregate):
    """One run of customer inheritance from `handover_userid` to `takeover_userid`."""

    TOPIC = "wecom.CustomerTransferBatch"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Started: ClassVar[type[AggregateEvent]]
        CustomersAdded: ClassVar[type[AggregateEvent]]
        CallClaimed: ClassVar[type[AggregateEvent]]
        CallAnswered: ClassVar[type[AggregateEvent]]
        CallFailed: ClassVar[type[AggregateEvent]]
        CallReconciled: ClassVar[type[AggregateEvent]]
        ResultsRecorded: ClassVar[type[AggregateEvent]]
        CustomersGivenUp: ClassVar[type[AggregateEvent]]
        GroupsAdded: ClassVar[type[AggregateEvent]]
        GroupsClaimed: ClassVar[type[AggregateEvent]]
        GroupsAnswered: ClassVar[type[AggregateEvent]]
        GroupsFailed: ClassVar[type[AggregateEvent]]
        GroupsDeferred: ClassVar[type[AggregateEvent]]
        Rescheduled: ClassVar[type[AggregateEvent]]

    @classmethod
    def start(
        cls,
        *,
        batch_id: UUID,
        tenant_id: UUID,
        handover_userid: str,
        takeover_userid: str,
        resigned: bool,
        from_employee_id: UUID | None,
        to_employee_id: UUID | None,
        reason: str,
        origin: str,
        at: datetime,
    ) -> CustomerTransferBatch:
        """A new batch; `takeover_userid` "" when the takeover employee has no WeCom
        member (every customer then fails with `no_takeover_member`)."""
        handover = _userid(handover_userid, field="employee_id")
        takeover = _userid(takeover_userid, field="to_employee_id") if takeover_userid else ""
        if takeover == handover:
            raise InvalidValue("hand the customers to someone else", field="to_employee_id")
        if origin not in Origin.__members__.values():
            raise InvalidValue("origin must be handover or command", field="origin")
        reason = (reason or "").strip()
        if len(reason) > MAX_REASON:
            raise InvalidValue(f"at most {MAX_REASON} characters", field="reason")
        return cls(
            id=batch_id,
            tenant_id=tenant_id,
            handover_userid=handover,
            takeover_userid=takeover,
            resigned=resigned,
            from_employee_id=from_employee_id,
            to_employee_id=to_employee_id,
            reason=reason,
            origin=origin,
            at=at,
        )

    @event("Started", topic="wecom.CustomerTransferBatch.Started")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        handover_userid: str,
        takeover_userid: str,
        resigned: bool,
        from_employee_id: UUID | None,
        to_employee_id: UUID | None,
        reason: str,
        origin: str,
        at: datetime,
    ) -> None:
        self.tenant_id = tenant_id
        self.handover_userid = handover_userid
        self.takeover_userid = takeover_userid
        self.resigned = resigned
        self.from_employee_id = from_employee_id
        self.to_employee_id = to_employee_id
        self.reason = reason
        self.origin = origin
        self.started_at = at
        self.last_added_at = at
        self.sealed = origin == Origin.COMMAND.value  # every customer is named at once
        self.customers: dict[str, dict[str, Any]] = {}
        self.calls: list[dict[str, Any]] = []
        self.last_polled_at: datetime | None = None
        self.groups: dict[str, dict[str, Any]] = {}
        self.group_claim: dict[str, Any] | None = None  # {"chat_ids", "day", "at"}
        self.group_retry_at: datetime | None = None
        self.group_attempts = 0
        self.due_at: datetime | None = None

    # --- what the batch holds ------------------------------------------------------------

    @property
    def done(self) -> bool:
        """Every customer's and every group's outcome is final."""
        return all(c["state"] in FINAL for c in self.customers.values()) and all(
            g["state"] in FINAL for g in self.groups.values()
        )

    def counts(self) -> dict[str, int]:
        found = {state.value: 0 for state in CustomerState}
        for customer in self.customers.values():
            found[customer["state"]] += 1
        return found

    def call(self, number: int) -> dict[str, Any]:
        if not 1 <= number <= len(self.calls):
            raise StateConflict(f"the batch has no call {number}")
        return self.calls[number - 1]

    def queued_of(self, number: int) -> list[str]:
        """The customers of call `number` that WeCom has not accepted and that are not
        failed: what sending the call again names."""
        return [
            e
            for e in self.call(number)["customers"]
            if self.customers[e]["state"] == CustomerState.QUEUED.value
        ]

    # --- adding customers and groups -----------------------------------------------------

    def add_customers(
        self, customers: Iterable[tuple[str, UUID | None]], *, at: datetime
    ) -> list[str]:
        """Add (external_userid, lead id) pairs; one the batch holds already is left out
        (a replayed upstream event adds nothing). New customers fill the last call that
        was never sent, then new calls of at most 100. Answers those added."""
        new: dict[str, UUID | None] = {}
        for external, lead_id in customers:
            external = _external(external)
            if external not in self.customers and external not in new:
                new[external] = lead_id
        if not new:
            return []
        if len(self.customers) + len(new) > MAX_CUSTOMERS:
            raise InvalidValue(
                f"a transfer takes at most {MAX_CUSTOMERS} customers", field="external_userids"
            )
        added: list[dict[str, Any]] = [
            {"external_userid": e, "lead_id": str(lead) if lead else None}
            for e, lead in new.items()
        ]
        assignment: list[dict[str, Any]] = []
        last = self.calls[-1] if self.calls else None
        number = len(self.calls)
        room = (
            MAX_PER_CALL - len(last["customers"])
            if last is not None and not last["attempts"]
            else 0
        )
        for entry in added:
            if room == 0:
                number, room = number + 1, MAX_PER_CALL
            entry["call"] = number
            room -= 1
            assignment.append(entry)
        self._customers_added(customers=assignment, at=at)
        if not self.takeover_userid:
            self._give_up(list(new), Reason.NO_TAKEOVER_MEMBER, at)
        self._reschedule()
        return list(new)

    @event("CustomersAdded", topic="wecom.CustomerTransferBatch.CustomersAdded")
    def _customers_added(self, customers: list[dict[str, Any]], at: datetime) -> None:
        for entry in customers:
            number = int(entry["call"])
            while len(self.calls) < number:
                self.calls.append(_new_call(len(self.calls) + 1))
            self.calls[number - 1]["customers"].append(entry["external_userid"])
            self.customers[entry["external_userid"]] = {
                "lead_id": entry["lead_id"],
                "call": number,
                "state": CustomerState.QUEUED.value,
                "reason": "",
                "errcode": 0,
                "status": None,
                "accepted_at": None,
                "finished_at": None,
            }
        self.last_added_at = at

    def add_groups(self, chat_ids: Iterable[str], *, at: datetime) -> list[str]:
        """Add customer groups of the handover employee (one held already is left out)."""
        new = list(dict.fromkeys(_external(c, field="chat_ids") for c in chat_ids))
        new = [c for c in new if c not in self.groups]
        if not new:
            return []
        if not self.takeover_userid:
            raise StateConflict("the takeover employee has no WeCom member")
        self._groups_added(chat_ids=new, at=at)
        self._reschedule()
        return new

    @event("GroupsAdded", topic="wecom.CustomerTransferBatch.GroupsAdded")
    def _groups_added(self, chat_ids: list[str], at: datetime) -> None:
        for chat_id in chat_ids:
            self.groups[chat_id] = {"state": CustomerState.QUEUED.value, "errcode": 0, "reason": ""}
        self.last_added_at = at

    # --- what to do next -----------------------------------------------------------------

    def next_step(self, now: datetime) -> Step | None:
        """The next thing due at `now`, unanswered calls first (their customers may be
        WeCom's already), then calls to send, results to poll, groups to hand over."""
        for call in self.calls:
            if call["in_flight"] and self._must_reconcile(call, now):
                return Step("reconcile", call=call["number"])
        for call in self.calls:
            if call["in_flight"]:
                continue  # another worker holds the claim
            queued = self.queued_of(call["number"])
            if queued and self._sendable(call, now):
                return Step("send", call=call["number"], external_userids=tuple(queued))
        if self._poll_due(now):
            return Step("poll")
        if self._groups_due(now):
            return Step("groups")
        return None

    def _must_reconcile(self, call: Mapping[str, Any], now: datetime) -> bool:
        if call["unknown"]:
            return call["retry_at"] is None or now >= call["retry_at"]
        return bool(now >= call["claimed_at"] + CLAIM_LEASE)  # its worker is gone

    def _sendable(self, call: Mapping[str, Any], now: datetime) -> bool:
        if call["retry_at"] is not None and now < call["retry_at"]:
            return False
        return self._settled(call, now)

    def _settled(self, call: Mapping[str, Any], now: datetime) -> bool:
        """A full call, one of a batch named at once, or one of a batch that stopped
        growing: a handover adds its customers one by one."""
        full = len(call["customers"]) >= MAX_PER_CALL
        return full or self.sealed or call["attempts"] > 0 or now >= self.last_added_at + SETTLE

    def _waiting(self) -> list[dict[str, Any]]:
        return [c for c in self.customers.values() if c["state"] == CustomerState.WAITING.value]

    def _next_poll(self) -> datetime | None:
        waiting = self._waiting()
        if not waiting:
            return None
        if self.last_polled_at is None:
            return min(c["accepted_at"] for c in waiting) + FIRST_POLL  # type: ignore[no-any-return]
        return self.last_polled_at + POLL_EVERY

    def _poll_due(self, now: datetime) -> bool:
        due = self._next_poll()
        return due is not None and now >= due

    def _queued_groups(self) -> list[str]:
        return [c for c, g in self.groups.items() if g["state"] == CustomerState.QUEUED.value]

    def _groups_due(self, now: datetime) -> bool:
        if self.group_claim is not None:
            return bool(now >= self.group_claim["at"] + CLAIM_LEASE)  # its worker is gone
        if not self._queued_groups():
            return False
        return self.group_retry_at is None or now >= self.group_retry_at

    # --- sending customers ---------------------------------------------------------------

    def claim(self, number: int, *, at: datetime) -> list[str]:
        """Take call `number` to send it now: answers the customers to name (those still
        queued). Refused while the call is claimed or must be reconciled first."""
        call = self.call(number)
        if call["in_flight"]:
            raise StateConflict(f"call {number} is being sent or awaits its results")
        queued = self.queued_of(number)
        if not queued:
            raise StateConflict(f"call {number} has no customer left to send")
        if not self._sendable(call, at):
            raise StateConflict(f"call {number} is not due yet")
        self._call_claimed(
            number=number, attempt=call["attempts"] + 1, external_userids=queued, at=at
        )
        self._reschedule()
        return queued

    @event("CallClaimed", topic="wecom.CustomerTransferBatch.CallClaimed")
    def _call_claimed(
        self, number: int, attempt: int, external_userids: list[str], at: datetime
    ) -> None:
        call = self.calls[number - 1]
        call["attempts"] = attempt
        call["in_flight"] = list(external_userids)
        call["claimed_at"] = at
        call["unknown"] = False
        call["retry_at"] = None

    def record_answer(
        self, number: int, attempt: int, answers: Mapping[str, int], *, at: datetime
    ) -> None:
        """WeCom answered the call: errcode per external_userid (0 accepted). A customer
        the answer leaves out stays queued for the next attempt."""
        call = self._claimed(number, attempt)
        outcomes = []
        for external in call["in_flight"]:
            if external not in answers:
                continue
            code = int(answers[external])
            if code == 0:
                outcomes.append(_outcome(external, CustomerState.WAITING, errcode=0))
            else:
                outcomes.append(
                    _outcome(external, CustomerState.FAILED, Reason.WECOM_REFUSED, errcode=code)
                )
        missing = [e for e in call["in_flight"] if e not in answers]
        retry_at = at + retry_delay(attempt) if missing else None
        self._call_answered(
            number=number, attempt=attempt, outcomes=outcomes, retry_at=retry_at, at=at
        )
        if missing and attempt >= MAX_ATTEMPTS:
            self._give_up(missing, Reason.WECOM_UNAVAILABLE, at)
        self._reschedule()

    @event("CallAnswered", topic="wecom.CustomerTransferBatch.CallAnswered")
    def _call_answered(
        self,
        number: int,
        attempt: int,
        outcomes: list[dict[str, Any]],
        retry_at: datetime | None,
        at: datetime,
    ) -> None:
        self._apply(outcomes, at)
        call = self.calls[number - 1]
        call["in_flight"], call["claimed_at"], call["unknown"] = [], None, False
        call["retry_at"], call["error"] = retry_at, ""

    def record_failure(
        self, number: int, attempt: int, error: str, *, answered: bool, at: datetime
    ) -> None:
        """The call failed: `answered` when WeCom said it did nothing (busy, rate limit,
        unreachable before sending), so its customers are sent again after a delay;
        otherwise (no answer) WeCom may have taken them, and the call is reconciled with
        WeCom's results before it is sent again."""
        self._claimed(number, attempt)
        self._call_failed(
            number=number,
            attempt=attempt,
            error=error[:MAX_ERROR],
            answered=answered,
            retry_at=at + retry_delay(attempt),
            at=at,
        )
        if answered and attempt >= MAX_ATTEMPTS:
            self._give_up(self.queued_of(number), Reason.WECOM_UNAVAILABLE, at)
        self._reschedule()

    @event("CallFailed", topic="wecom.CustomerTransferBatch.CallFailed")
    def _call_failed(
        self,
        number: int,
        attempt: int,
        error: str,
        answered: bool,
        retry_at: datetime,
        at: datetime,
    ) -> None:
        call = self.calls[number - 1]
        call["error"], call["retry_at"] = error, retry_at
        if answered:
            call["in_flight"], call["claimed_at"], call["unknown"] = [], None, False
        else:
            call["unknown"] = True

    def refuse_call(
        self, number: int, attempt: int, errcode: int, errmsg: str, *, at: datetime
    ) -> None:
        """WeCom refused the whole call (an errcode other than busy): its customers
        fail with WeCom's reason."""
        call = self._claimed(number, attempt)
        outcomes = [
            _outcome(e, CustomerState.FAILED, Reason.WECOM_REFUSED, errcode=errcode)
            for e in call["in_flight"]
        ]
        self._call_answered(number=number, attempt=attempt, outcomes=outcomes, retry_at=None, at=at)
        self._reschedule()

    def reconcile(self, number: int, results: Iterable[Mapping[str, Any]], *, at: datetime) -> None:
        """WeCom's transfer results (external_userid, status) read after call `number`
        went unanswered: its customers WeCom lists as taken over or waiting were
        accepted; the others are sent again."""
        call = self.call(number)
        if not call["in_flight"] or not self._must_reconcile(call, at):
            raise StateConflict(f"call {number} has nothing to reconcile")
        by_customer = {str(r["external_userid"]): r for r in results}
        outcomes = []
        for external in call["in_flight"]:
            found = by_customer.get(external)
            status = int(found["status"]) if found is not None else 0
            if status == WAITING:
                outcomes.append(_outcome(external, CustomerState.WAITING, status=status))
            elif status == TAKEN_OVER:
                outcomes.append(_outcome(external, CustomerState.SUCCEEDED, status=status))
        self._call_reconciled(number=number, outcomes=outcomes, at=at)
        left = self.queued_of(number)
        if left and call["attempts"] >= MAX_ATTEMPTS:
            self._give_up(left, Reason.WECOM_UNAVAILABLE, at)
        self._reschedule()

    @event("CallReconciled", topic="wecom.CustomerTransferBatch.CallReconciled")
    def _call_reconciled(self, number: int, outcomes: list[dict[str, Any]], at: datetime) -> None:
        self._apply(outcomes, at)
        call = self.calls[number - 1]
        call["in_flight"], call["claimed_at"], call["unknown"] = [], None, False
        if call["retry_at"] is not None and call["retry_at"] < at:
            call["retry_at"] = None  # the delay was served while reconciling

    def reconcile_failed(self, number: int, error: str, *, at: datetime) -> None:
        """WeCom's results could not be read: look again after a delay; after
        GIVE_UP_AFTER of not knowing, the call's customers are given up."""
        call = self.call(number)
        if not call["in_flight"]:
            raise StateConflict(f"call {number} has nothing to reconcile")
        if call["claimed_at"] is not None and at >= call["claimed_at"] + GIVE_UP_AFTER:
            outcomes = [
                _outcome(e, CustomerState.FAILED, Reason.WECOM_UNAVAILABLE)
                for e in call["in_flight"]
            ]
            self._call_reconciled(number=number, outcomes=outcomes, at=at)
            self._reschedule()
            return
        self._call_failed(
            number=number,
            attempt=call["attempts"],
            error=error[:MAX_ERROR],
            answered=False,
            retry_at=at + retry_delay(call["attempts"]),
            at=at,
        )
        self._reschedule()

    def _claimed(self, number: int, attempt: int) -> dict[str, Any]:
        call = self.call(number)
        if not call["in_flight"] or call["unknown"] or call["attempts"] != attempt:
            raise StateConflict(f"attempt {attempt} of call {number} holds no claim")
        return call

    # --- results -------------------------------------------------------------------------

    def record_results(self, results: Iterable[Mapping[str, Any]], *, at: datetime) -> None:
        """WeCom's transfer results (external_userid, status, takeover_time) for the
        waiting customers; a customer waiting past GIVE_UP_AFTER is given up."""
        outcomes = []
        for result in results:
            external = str(result["external_userid"])
            customer = self.customers.get(external)
            if customer is None or customer["state"] != CustomerState.WAITING.value:
                continue
            status = int(result.get("status") or 0)
            if status not in _STATUS_OUTCOMES:
                continue
            state, reason = _STATUS_OUTCOMES[status]
            outcomes.append(
                _outcome(external, state, reason, status=status, at=result.get("takeover_time"))
            )
        self._results_recorded(outcomes=outcomes, at=at)
        self._give_up_waiting(at)
        self._reschedule()

    def poll_failed(self, error: str, *, at: datetime) -> None:
        """The results could not be read: polled again after POLL_EVERY."""
        self._results_recorded(outcomes=[], at=at)
        self._give_up_waiting(at)
        self._reschedule()

    @event("ResultsRecorded", topic="wecom.CustomerTransferBatch.ResultsRecorded")
    def _results_recorded(self, outcomes: list[dict[str, Any]], at: datetime) -> None:
        self._apply(outcomes, at)
        self.last_polled_at = at

    def _give_up_waiting(self, at: datetime) -> None:
        late = [
            e
            for e, c in self.customers.items()
            if c["state"] == CustomerState.WAITING.value and at >= c["accepted_at"] + GIVE_UP_AFTER
        ]
        if late:
            self._give_up(late, Reason.NO_RESULT, at)

    def _give_up(self, external_userids: Sequence[str], reason: str, at: datetime) -> None:
        if external_userids:
            self._customers_given_up(
                outcomes=[_outcome(e, CustomerState.FAILED, reason) for e in external_userids],
                at=at,
            )

    @event("CustomersGivenUp", topic="wecom.CustomerTransferBatch.CustomersGivenUp")
    def _customers_given_up(self, outcomes: list[dict[str, Any]], at: datetime) -> None:
        self._apply(outcomes, at)

    def _apply(self, outcomes: Iterable[Mapping[str, Any]], at: datetime) -> None:
        for outcome in outcomes:
            customer = self.customers[outcome["external_userid"]]
            state = outcome["state"]
            if state == CustomerState.WAITING.value and customer["accepted_at"] is None:
                customer["accepted_at"] = at
            if state == CustomerState.SUCCEEDED.value and customer["accepted_at"] is None:
                customer["accepted_at"] = at  # found taken over when reconciling
            if state in FINAL:
                customer["finished_at"] = outcome.get("at") or at
            customer["state"] = state
            customer["reason"] = outcome.get("reason") or ""
            customer["errcode"] = int(outcome.get("errcode") or 0)
            if outcome.get("status") is not None:
                customer["status"] = int(outcome["status"])

    # --- groups --------------------------------------------------------------------------

    def claim_groups(
        self, budget: GroupTransferDay, *, at: datetime, next_day: datetime
    ) -> list[str]:
        """Take up to 100 queued groups within the day's budget (`budget`, spent here:
        commit both together). With nothing left of the budget the groups wait for
        `next_day` (the start of the tenant's next day) and none are answered."""
        if budget.tenant_id != self.tenant_id:
            raise StateConflict("the budget is another tenant's")
        if self.group_claim is not None:
            raise StateConflict("the groups are being handed over")
        queued = self._queued_groups()
        if not queued or not self._groups_due(at):
            raise StateConflict("no groups are due")
        count = min(MAX_GROUPS_PER_CALL, len(queued), budget.remaining)
        if count == 0:
            self._groups_deferred(until=next_day)
            self._reschedule()
            return []
        budget.spend(count)
        taken = queued[:count]
        self._groups_claimed(chat_ids=taken, day=budget.day, at=at)
        self._reschedule()
        return taken

    @event("GroupsClaimed", topic="wecom.CustomerTransferBatch.GroupsClaimed")
    def _groups_claimed(self, chat_ids: list[str], day: str, at: datetime) -> None:
        self.group_claim = {"chat_ids": list(chat_ids), "day": day, "at": at}
        self.group_attempts += 1
        self.group_retry_at = None

    @event("GroupsDeferred", topic="wecom.CustomerTransferBatch.GroupsDeferred")
    def _groups_deferred(self, until: datetime) -> None:
        self.group_retry_at = until

    def record_group_answer(self, failed: Mapping[str, int], *, at: datetime) -> None:
        """WeCom answered the group call: `failed` chat_id → errcode; the others moved."""
        claim = self._group_claimed()
        outcomes = [
            {"chat_id": c, "state": CustomerState.SUCCEEDED.value, "errcode": 0}
            if c not in failed
            else {"chat_id": c, "state": CustomerState.FAILED.value, "errcode": int(failed[c])}
            for c in claim["chat_ids"]
        ]
        self._groups_answered(outcomes=outcomes, at=at)
        self._reschedule()

    @event("GroupsAnswered", topic="wecom.CustomerTransferBatch.GroupsAnswered")
    def _groups_answered(self, outcomes: list[dict[str, Any]], at: datetime) -> None:
        for outcome in outcomes:
            group = self.groups[outcome["chat_id"]]
            group["state"], group["errcode"] = outcome["state"], outcome["errcode"]
            group["reason"] = Reason.WECOM_REFUSED.value if outcome["errcode"] else ""
        self.group_claim = None
        self.group_attempts = 0

    def record_group_failure(self, error: str, *, at: datetime) -> None:
        """The group call failed or went unanswered: the groups are queued again (WeCom
        refuses a group it moved already; the day's budget spent stays spent)."""
        self._group_claimed()
        given_up = self.group_attempts >= MAX_ATTEMPTS
        self._groups_failed(
            error=error[:MAX_ERROR],
            retry_at=at + retry_delay(self.group_attempts),
            given_up=given_up,
        )
        self._reschedule()

    @event("GroupsFailed", topic="wecom.CustomerTransferBatch.GroupsFailed")
    def _groups_failed(self, error: str, retry_at: datetime, given_up: bool) -> None:
        assert self.group_claim is not None
        if given_up:
            for chat_id in self.group_claim["chat_ids"]:
                group = self.groups[chat_id]
                group["state"] = CustomerState.FAILED.value
                group["reason"] = Reason.WECOM_UNAVAILABLE.value
        self.group_claim = None
        self.group_retry_at = retry_at

    def _group_claimed(self) -> dict[str, Any]:
        if self.group_claim is None:
            raise StateConflict("no group call is being made")
        return self.group_claim

    # --- when to look again --------------------------------------------------------------

    def _due(self) -> datetime | None:
        """The earliest moment something of the batch may be due (None: nothing left)."""
        moments: list[datetime] = []
        for call in self.calls:
            if call["in_flight"]:
                if call["unknown"]:
                    moments.append(call["retry_at"] or call["claimed_at"])
                else:
                    moments.append(call["claimed_at"] + CLAIM_LEASE)
            elif self.queued_of(call["number"]):
                full = len(call["customers"]) >= MAX_PER_CALL
                settle = (
                    self.last_added_at
                    if full or self.sealed or call["attempts"]
                    else self.last_added_at + SETTLE
                )
                moments.append(max(settle, call["retry_at"] or settle))
        poll = self._next_poll()
        if poll is not None:
            moments.append(poll)
        if self.group_claim is not None:
            moments.append(self.group_claim["at"] + CLAIM_LEASE)
        elif self._queued_groups():
            moments.append(self.group_retry_at or self.last_added_at)
        return min(moments) if moments else None

    def _reschedule(self) -> None:
        due = self._due()
        if due != self.due_at:
            self._rescheduled(due_at=due)

    @event("Rescheduled", topic="wecom.CustomerTransferBatch.Rescheduled")
    def _rescheduled(self, due_at: datetime | None) -> None:
        self.due_at = due_at


class GroupTransferDay(Aggregate):
    """How many customer groups the tenant's corp handed over on one day (its zone):
    WeCom takes at most 300 a day."""

    TOPIC = "wecom.GroupTransferDay"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:
        Opened: ClassVar[type[AggregateEvent]]
        Spent: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID, day: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/wecom/group-transfer-days/{day}")

    @classmethod
    def open(cls, *, tenant_id: UUID, day: str) -> GroupTransferDay:
        """The day `day` (YYYY-MM-DD in the tenant's zone) with nothing spent."""
        return cls(id=cls.create_id(tenant_id, day), tenant_id=tenant_id, day=day)

    @event("Opened", topic="wecom.GroupTransferDay.Opened")
    def __init__(self, id: UUID, tenant_id: UUID, day: str) -> None:
        self.tenant_id = tenant_id
        self.day = day
        self.used = 0

    @property
    def remaining(self) -> int:
        return GROUPS_PER_DAY - self.used

    def spend(self, count: int) -> None:
        if not 1 <= count <= self.remaining:
            raise StateConflict(f"{self.remaining} group transfers are left on {self.day}")
        self._spent(count=count)

    @event("Spent", topic="wecom.GroupTransferDay.Spent")
    def _spent(self, count: int) -> None:
        self.used += count


def _new_call(number: int) -> dict[str, Any]:
    return {
        "number": number,
        "customers": [],
        "attempts": 0,
        "in_flight": [],
        "claimed_at": None,
        "unknown": False,
        "retry_at": None,
        "error": "",
    }


def _outcome(
    external: str,
    state: CustomerState,
    reason: str = "",
    *,
    errcode: int = 0,
    status: int | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    outcome: dict[str, Any] = {
        "external_userid": external,
        "state": state.value,
        "reason": str(reason),
        "errcode": errcode,
        "status": status,
    }
    if at is not None:
        outcome["at"] = at
    return outcome


def _userid(value: str, *, field: str) -> str:
    userid = (value or "").strip()
    if not userid or len(userid) > MAX_USERID:
        raise InvalidValue(f"a WeCom userid of 1 to {MAX_USERID} characters", field=field)
    return userid


def _external(value: str, *, field: str = "external_userids") -> str:
    external = (value or "").strip()
    if not external or len(external) > MAX_EXTERNAL_USERID:
        raise InvalidValue(f"an id of 1 to {MAX_EXTERNAL_USERID} characters", field=field)
    return external
