"""Reply timeouts (回复超时记录, 回复超时统计; ARCH-4): how long customers waited for an
answer, in working minutes, a read model over the archived messages and the reply rules.

A customer's message opens a wait in its chat; further messages of the customer add to
it; the next message of an employee in that chat closes it (in a one-to-one chat the
employee of the chat, in a group any employee in the room). The waiting time is counted
in working minutes (`WorkingHours.working_time`, the tenant's zone) when the wait is
closed, with the working hours this follower knows then (it follows the rules' events:
a change of hours applies to the answers it sees after the change). Whether a wait is a
timeout is decided when it is read, against the threshold of the moment: an answered
wait is late when it took longer than the threshold; a wait still open is late once
its working time until now is longer, which one deadline per query decides
(`WorkingHours.deadline`), so a customer nobody answers counts without any periodic
round. Group chats are always followed; the queries leave them out unless the rules
include them.

Order: messages mostly arrive in msgtime order per chat, but not always. Every message
of a chat with a customer is kept on a timeline (time, seq): a message later than all
others of its chat moves the waits on directly; an earlier one (any arrival order,
within a batch or across batches) re-derives the chat's waits from its last employee
message before it, so the waits are always those of the chat in time order.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.archive.messages import ROBOT_PREFIX, ArchivedMessage, is_customer, message_of
from application.archive.screening_commands import EmployeeReplyStats, ReplyTimeoutDetails
from application.archive.zones import Zones, day_bounds
from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.clock import Clock
from application.shared.pages import Page, decode_cursor, encode_cursor, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert
from application.shared.views import ReadModel, Statement, View, iso, parse_iso
from domain.archive.reply_rules import (
    DEFAULT_PERIODS,
    DEFAULT_THRESHOLD,
    ReplyRules,
    WorkingHours,
)

RULES = "archive_reply_rules"
TIMELINE = "archive_reply_timeline"
WAITS = "archive_reply_waits"
CUSTOMER, EMPLOYEE = "c", "e"
# Messages that are no speech: consent to archiving and its refusal, recalls.
NOT_SPEECH = frozenset({"agree", "disagree", "revoke"})
DEFAULT_HOURS = WorkingHours.parse(DEFAULT_PERIODS)
CHATS_KEPT = 100_000  # chats whose state the follower keeps in memory
_AFTER = "(at > ? OR (at = ? AND seq > ?))"
_BEFORE = "(at < ? OR (at = ? AND seq < ?))"


@dataclass(frozen=True)
class CurrentRules:
    """A tenant's rules as the reports apply them."""

    enabled: bool = True
    threshold_minutes: int = DEFAULT_THRESHOLD
    hours: WorkingHours = DEFAULT_HOURS
    include_groups: bool = False

    @property
    def threshold(self) -> timedelta:
        return timedelta(minutes=self.threshold_minutes)


@dataclass(frozen=True)
class Said:
    """One message on a chat's timeline."""

    at: str
    seq: int
    msgid: str
    side: str  # CUSTOMER or EMPLOYEE
    party: str  # who sent it
    employee: str  # a one-to-one chat's employee ("" in a group)
    customer: str
    roomid: str

    @property
    def key(self) -> tuple[str, int]:
        return self.at, self.seq


@dataclass
class _Chat:
    """A chat as the follower last left it: its latest (time, seq) and its open wait."""

    last: tuple[str, int] | None = None
    waiting: tuple[str, str] | None = None  # (msgid, opened_at) of the open wait


@dataclass
class _Wait:
    opened: Said
    messages: int = 1
    answer: Said | None = None
    waited_seconds: int | None = None


class ReplyWaits(ReadModel):
    """Keeps each tenant's customers' waits for an answer."""

    name = "archive_reply_waits"
    follows = ("archive", BEHAVIOURS)
    tables = {
        RULES: "tenant_id TEXT NOT NULL, enabled INTEGER NOT NULL, threshold INTEGER NOT NULL, "
        "hours TEXT NOT NULL, include_groups INTEGER NOT NULL, version INTEGER NOT NULL, "
        "PRIMARY KEY (tenant_id)",
        TIMELINE: "tenant_id TEXT NOT NULL, msgid TEXT NOT NULL, conversation TEXT NOT NULL, "
        "at TEXT NOT NULL, seq INTEGER NOT NULL, side TEXT NOT NULL, party TEXT NOT NULL, "
        "employee TEXT NOT NULL, customer TEXT NOT NULL, roomid TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, msgid)",
        WAITS: "tenant_id TEXT NOT NULL, msgid TEXT NOT NULL, conversation TEXT NOT NULL, "
        "customer TEXT NOT NULL, employee TEXT NOT NULL, roomid TEXT NOT NULL, "
        "opened_at TEXT NOT NULL, opened_seq INTEGER NOT NULL, messages INTEGER NOT NULL, "
        "is_open INTEGER NOT NULL, answered_at TEXT, answered_msgid TEXT NOT NULL, "
        "answered_by TEXT NOT NULL, waited_seconds INTEGER, PRIMARY KEY (tenant_id, msgid)",
    }
    indexes = {
        "archive_reply_timeline_chat": f"{TIMELINE} (tenant_id, conversation, at, seq)",
        "archive_reply_waits_chat": f"{WAITS} (tenant_id, conversation, is_open)",
        "archive_reply_waits_opened": f"{WAITS} (tenant_id, opened_at, msgid)",
        "archive_reply_waits_employee": f"{WAITS} (tenant_id, employee, opened_at)",
    }

    def __init__(self, view: View, *, zones: Zones) -> None:
        super().__init__(view)
        self.zones = zones
        self._hours: dict[str, WorkingHours] = {}  # what the rules table says, per tenant
        self._chats: OrderedDict[tuple[str, str], _Chat] = OrderedDict()

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        statements: list[Statement] = []
        if (
            isinstance(domain_event, Behaviour)
            and domain_event.kind == BehaviourKind.ARCHIVE_MESSAGE
        ):
            statements = self._said(domain_event)
        self.view.write(tracking, statements)

    @process_event.register(ReplyRules.Started)
    @process_event.register(ReplyRules.Changed)
    def _(self, event: Any, tracking: Tracking) -> None:
        tenant_id = str(tenant_of(event))
        row = {
            "tenant_id": tenant_id,
            "enabled": int(event.enabled),
            "threshold": int(event.threshold_minutes),
            "hours": json.dumps(list(event.working_hours)),
            "include_groups": int(event.include_groups),
            "version": event.originator_version,
        }
        self._hours[tenant_id] = WorkingHours.parse(event.working_hours)
        statements = [
            (f"DELETE FROM {RULES} WHERE tenant_id = ?", (tenant_id,)),
            insert(RULES, row),
        ]
        self.view.write(tracking, statements)

    # --- messages --------------------------------------------------------------------------

    def _said(self, row: Behaviour) -> list[Statement]:
        message = message_of(row)
        said = _said(message)
        if said is None:
            return []
        tenant_id = str(row.tenant_id)
        chat = message.conversation
        state = self._chat(tenant_id, chat)
        statements = [_timeline_row(tenant_id, chat, said)]
        if state.last is not None and said.key < state.last:
            return statements + self._rederived(tenant_id, chat, said, state)
        state.last = said.key
        if said.side == CUSTOMER:
            if state.waiting is None:
                state.waiting = (said.msgid, said.at)
                return [*statements, self._wait_row(tenant_id, chat, _Wait(said))]
            return [
                *statements,
                (
                    f"UPDATE {WAITS} SET messages = messages + 1 WHERE tenant_id = ? AND msgid = ?",
                    (tenant_id, state.waiting[0]),
                ),
            ]
        if state.waiting is None:
            return statements
        (waiting, opened_at), state.waiting = state.waiting, None
        waited = self._waited(tenant_id, opened_at, said.at)
        return [
            *statements,
            (
                f"UPDATE {WAITS} SET is_open = 0, answered_at = ?, answered_msgid = ?, "
                "answered_by = ?, waited_seconds = ?, "
                "employee = CASE WHEN employee = '' THEN ? ELSE employee END "
                "WHERE tenant_id = ? AND msgid = ?",
                (said.at, said.msgid, said.party, waited, said.party, tenant_id, waiting),
            ),
        ]

    def _chat(self, tenant_id: str, chat: str) -> _Chat:
        """What the tables say of a chat: its latest message and its open wait. Kept in
        memory while this follower lives (only it writes the tables; a batch that fails
        makes the runner build a new follower), asked of the tables once otherwise."""
        key = (tenant_id, chat)
        state = self._chats.get(key)
        if state is not None:
            self._chats.move_to_end(key)
            return state
        rows = self.view.rows(
            f"SELECT t.at, t.seq, w.msgid, w.opened_at FROM (SELECT at, seq FROM {TIMELINE} "
            "WHERE tenant_id = ? AND conversation = ? ORDER BY at DESC, seq DESC LIMIT 1) t "
            f"LEFT JOIN {WAITS} w ON w.tenant_id = ? AND w.conversation = ? AND w.is_open = 1",
            (tenant_id, chat, tenant_id, chat),
        )
        state = _Chat()
        if rows:
            state.last = (rows[0]["at"], int(rows[0]["seq"]))
            if rows[0]["msgid"] is not None:
                state.waiting = (rows[0]["msgid"], rows[0]["opened_at"])
        self._chats[key] = state
        while len(self._chats) > CHATS_KEPT:
            self._chats.popitem(last=False)
        return state

    def _rederived(self, tenant_id: str, chat: str, said: Said, state: _Chat) -> list[Statement]:
        """The chat's waits from its last employee message before `said` on, derived
        again with `said` in its place (what a message arriving late changes)."""
        before = self.view.rows(
            f"SELECT at, seq FROM {TIMELINE} WHERE tenant_id = ? AND conversation = ? "
            f"AND side = ? AND {_BEFORE} ORDER BY at DESC, seq DESC LIMIT 1",
            (tenant_id, chat, EMPLOYEE, said.at, said.at, said.seq),
        )
        if before:
            since: tuple[Any, ...] = (before[0]["at"], before[0]["at"], int(before[0]["seq"]))
            after, opened_after = (
                f" AND {_AFTER}",
                (" AND (opened_at > ? OR (opened_at = ? AND opened_seq > ?))"),
            )
        else:
            since, after, opened_after = (), "", ""
        rows = self.view.rows(
            f"SELECT * FROM {TIMELINE} WHERE tenant_id = ? AND conversation = ?{after} "
            "ORDER BY at, seq",
            (tenant_id, chat, *since),
        )
        timeline = sorted([*(_said_of(row) for row in rows), said], key=lambda s: s.key)
        statements: list[Statement] = [
            (
                f"DELETE FROM {WAITS} WHERE tenant_id = ? AND conversation = ?{opened_after}",
                (tenant_id, chat, *since),
            )
        ]
        waits = _waits(timeline)
        for wait in waits:
            if wait.answer is not None:
                wait.waited_seconds = self._waited(tenant_id, wait.opened.at, wait.answer.at)
            statements.append(self._wait_row(tenant_id, chat, wait))
        last = waits[-1] if waits else None
        state.waiting = (
            (last.opened.msgid, last.opened.at)
            if last is not None and last.answer is None
            else None
        )
        return statements

    def _wait_row(self, tenant_id: str, chat: str, wait: _Wait) -> Statement:
        opened, answer = wait.opened, wait.answer
        return insert(
            WAITS,
            {
                "tenant_id": tenant_id,
                "msgid": opened.msgid,
                "conversation": chat,
                "customer": opened.customer,
                "employee": opened.employee or (answer.party if answer else ""),
                "roomid": opened.roomid,
                "opened_at": opened.at,
                "opened_seq": opened.seq,
                "messages": wait.messages,
                "is_open": int(answer is None),
                "answered_at": answer.at if answer else None,
                "answered_msgid": answer.msgid if answer else "",
                "answered_by": answer.party if answer else "",
                "waited_seconds": wait.waited_seconds,
            },
        )

    def _waited(self, tenant_id: str, opened_at: str, answered_at: str) -> int:
        hours = self._hours_of(tenant_id)
        zone = self.zones.of(UUID(tenant_id))
        waited = hours.working_time(parse_iso(opened_at), parse_iso(answered_at), zone)
        return int(waited.total_seconds())

    def _hours_of(self, tenant_id: str) -> WorkingHours:
        if tenant_id not in self._hours:
            rows = self.view.rows(f"SELECT hours FROM {RULES} WHERE tenant_id = ?", (tenant_id,))
            self._hours[tenant_id] = (
                WorkingHours.parse(json.loads(rows[0]["hours"])) if rows else DEFAULT_HOURS
            )
        return self._hours[tenant_id]


def _said(message: ArchivedMessage) -> Said | None:
    """The message on its chat's timeline; None for one that opens and closes no wait
    (a recall, a consent, a robot's, a chat between employees)."""
    if message.action != "send" or message.msgtype in NOT_SPEECH:
        return None
    sender = message.sender
    if sender.startswith(ROBOT_PREFIX):
        return None
    side = CUSTOMER if is_customer(sender) else EMPLOYEE
    if message.in_group:
        employee, customer = "", sender if side == CUSTOMER else ""
    else:
        employee, customer = message.employee, message.customer
        if not employee or not customer:
            return None
    return Said(
        at=iso(message.msgtime),
        seq=message.seq,
        msgid=message.msgid,
        side=side,
        party=sender,
        employee=employee,
        customer=customer,
        roomid=message.roomid,
    )


def _said_of(row: Mapping[str, Any]) -> Said:
    return Said(
        at=row["at"],
        seq=int(row["seq"]),
        msgid=row["msgid"],
        side=row["side"],
        party=row["party"],
        employee=row["employee"],
        customer=row["customer"],
        roomid=row["roomid"],
    )


def _timeline_row(tenant_id: str, chat: str, said: Said) -> Statement:
    return (
        f"INSERT INTO {TIMELINE} (tenant_id, msgid, conversation, at, seq, side, party, "
        "employee, customer, roomid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (tenant_id, msgid) DO NOTHING",
        (
            tenant_id,
            said.msgid,
            chat,
            said.at,
            said.seq,
            said.side,
            said.party,
            said.employee,
            said.customer,
            said.roomid,
        ),
    )


def _waits(timeline: Sequence[Said]) -> list[_Wait]:
    """The waits of a stretch of a chat in time order that starts after an employee's
    message (or at the chat's start)."""
    waits: list[_Wait] = []
    current: _Wait | None = None
    for said in timeline:
        if said.side == CUSTOMER:
            if current is None:
                current = _Wait(said)
                waits.append(current)
            else:
                current.messages += 1
        elif current is not None:
            current.answer = said
            current = None
    return waits


# --- queries ---------------------------------------------------------------------------------


class ReplyTimeoutQueries:
    """A tenant's reply timeouts and per-employee reply stats, as of now."""

    def __init__(self, view: View, zones: Zones, clock: Clock) -> None:
        self.view = view
        self.zones = zones
        self.clock = clock

    def rules(self, tenant_id: UUID) -> CurrentRules:
        """The rules as this read model knows them (the defaults until changed)."""
        rows = self.view.rows(f"SELECT * FROM {RULES} WHERE tenant_id = ?", (str(tenant_id),))
        if not rows:
            return CurrentRules()
        row = rows[0]
        return CurrentRules(
            enabled=bool(row["enabled"]),
            threshold_minutes=int(row["threshold"]),
            hours=WorkingHours.parse(json.loads(row["hours"])),
            include_groups=bool(row["include_groups"]),
        )

    def timeouts(
        self,
        tenant_id: UUID,
        *,
        day_from: date | None = None,
        day_to: date | None = None,
        employee: str | None = None,
        answered: bool | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[ReplyTimeoutDetails]:
        """Customers' messages not answered in time, newest first: answered late, or
        still open past the threshold now (`answered` False: only those). Empty while
        the rules are disabled."""
        rules = self.rules(tenant_id)
        zone = self.zones.of(tenant_id)
        now = self.clock.now()
        where, params = self._where(tenant_id, rules, zone, day_from, day_to, employee)
        late, late_params = self._late(rules, zone, now, answered)
        page = fetch_page(
            self.view,
            table=WAITS,
            where=f"{where} AND {late}",
            params=[*params, *late_params],
            order_by=("opened_at", "msgid"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_timeout(row, rules, zone, now) for row in page.items], page.next_cursor)

    def stats(
        self,
        tenant_id: UUID,
        *,
        day_from: date | None = None,
        day_to: date | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[EmployeeReplyStats]:
        """Per employee (by WeCom userid, in order): customers' messages received, the
        waits they opened, how many were answered and how many late, and the average
        first-reply time in working minutes; over waits opened in the days given."""
        rules = self.rules(tenant_id)
        zone = self.zones.of(tenant_id)
        where, params = self._where(tenant_id, rules, zone, day_from, day_to, None)
        late, late_params = self._late(rules, zone, self.clock.now(), None)
        where += " AND employee <> ''"
        if cursor is not None:
            where += " AND employee > ?"
            params.append(str(decode_cursor(cursor, width=1)[0]))
        rows = self.view.rows(
            "SELECT employee, SUM(messages) AS received, COUNT(*) AS waits, "
            "SUM(1 - is_open) AS answered, "
            f"SUM(CASE WHEN {late} THEN 1 ELSE 0 END) AS timeouts, "
            "AVG(waited_seconds) AS average "
            f"FROM {WAITS} WHERE {where} GROUP BY employee ORDER BY employee LIMIT {limit + 1}",
            [*late_params, *params],
        )
        next_cursor = encode_cursor([rows[limit - 1]["employee"]]) if len(rows) > limit else None
        return Page(
            [
                EmployeeReplyStats(
                    employee=row["employee"],
                    received=int(row["received"] or 0),
                    waits=int(row["waits"]),
                    answered=int(row["answered"] or 0),
                    timeouts=int(row["timeouts"] or 0),
                    average_reply_minutes=(
                        round(float(row["average"]) / 60, 1) if row["average"] is not None else None
                    ),
                )
                for row in rows[:limit]
            ],
            next_cursor,
        )

    def _where(
        self,
        tenant_id: UUID,
        rules: CurrentRules,
        zone: ZoneInfo,
        day_from: date | None,
        day_to: date | None,
        employee: str | None,
    ) -> tuple[str, list[Any]]:
        start, end = day_bounds(day_from, day_to, zone)
        clauses, params = ["tenant_id = ?"], [str(tenant_id)]
        if start is not None:
            clauses.append("opened_at >= ?")
            params.append(start)
        if end is not None:
            clauses.append("opened_at < ?")
            params.append(end)
        if employee:
            clauses.append("employee = ?")
            params.append(employee)
        if not rules.include_groups:
            clauses.append("roomid = ''")
        return " AND ".join(clauses), params

    @staticmethod
    def _late(
        rules: CurrentRules, zone: ZoneInfo, now: datetime, answered: bool | None
    ) -> tuple[str, list[Any]]:
        """The condition of a late wait now, with its parameters."""
        if not rules.enabled:
            return "1 = 0", []
        deadline = rules.hours.deadline(now, rules.threshold, zone)
        late_answer = "(is_open = 0 AND waited_seconds > ?)"
        late_open = "(is_open = 1 AND opened_at < ?)" if deadline is not None else "1 = 0"
        answer_params: list[Any] = [rules.threshold_minutes * 60]
        open_params: list[Any] = [iso(deadline)] if deadline is not None else []
        if answered is True:
            return late_answer, answer_params
        if answered is False:
            return late_open, open_params
        return f"({late_answer} OR {late_open})", answer_params + open_params


def _timeout(
    row: dict[str, Any], rules: CurrentRules, zone: ZoneInfo, now: datetime
) -> ReplyTimeoutDetails:
    opened_at = parse_iso(row["opened_at"])
    answered = not row["is_open"]
    if answered:
        seconds = float(row["waited_seconds"] or 0)
    else:
        seconds = rules.hours.working_time(opened_at, now, zone).total_seconds()
    return ReplyTimeoutDetails(
        msgid=row["msgid"],
        conversation=row["conversation"],
        customer=row["customer"],
        employee=row["employee"],
        roomid=row["roomid"],
        opened_at=opened_at,
        messages=int(row["messages"]),
        answered=answered,
        answered_at=parse_iso(row["answered_at"]) if row["answered_at"] else None,
        answered_by=row["answered_by"],
        waited_minutes=round(seconds / 60, 1),
    )
