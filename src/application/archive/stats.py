"""Archive statistics (ARCH-5): one-to-one chats, customers contacted, messages by type,
per-employee details and archive coverage, per day in the tenant's zone.

The read model counts messages in 15-minute slots (every zone's offset is a multiple of
15 minutes), per chat and party, so any tenant's days — whatever its zone, and after it
moves — are whole sets of slots, and distinct chats or customers of a day or a range are
counted from the slots' rows at query time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.persistence import Tracking

from application.archive.chat_documents import UNDECRYPTABLE
from application.archive.messages import message_of
from application.archive.reading_ports import StaffMember
from application.archive.reading_records import (
    ArchiveCoverage,
    DayStats,
    EmployeeStats,
    StatsReport,
)
from application.archive.search_index import REVOKE, row_of
from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.errors import InvalidInput
from application.shared.views import ReadModel, Statement, View

ACTIVITY = "archive_activity"
TYPES = "archive_message_types"
SLOT_SECONDS = 15 * 60
MAX_DAYS = 92
MAX_EMPLOYEES = 2_000
NOT_ARCHIVED_SHOWN = 100
PAIR, ROOM = "pair", "room"
EMPLOYEE_SIDE, CUSTOMER_SIDE, OTHER_SIDE = "employee", "customer", "other"


def slot_of(moment: datetime) -> int:
    return int(moment.timestamp()) // SLOT_SECONDS


class ArchiveStats(ReadModel):
    """Keeps message counts per slot, chat and party, and per slot and message type."""

    name = "archive_stats"
    follows = (BEHAVIOURS,)
    tables = {
        ACTIVITY: "tenant_id TEXT NOT NULL, slot INTEGER NOT NULL, conversation TEXT NOT NULL, "
        "kind TEXT NOT NULL, employee TEXT NOT NULL, customer TEXT NOT NULL, "
        "side TEXT NOT NULL, messages INTEGER NOT NULL, "
        "PRIMARY KEY (tenant_id, slot, conversation, employee, customer, side)",
        TYPES: "tenant_id TEXT NOT NULL, slot INTEGER NOT NULL, msgtype TEXT NOT NULL, "
        "messages INTEGER NOT NULL, PRIMARY KEY (tenant_id, slot, msgtype)",
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if (
            not isinstance(domain_event, Behaviour)
            or domain_event.kind != BehaviourKind.ARCHIVE_MESSAGE
        ):
            self.skip(tracking)
            return
        self.view.write(tracking, self.statements(domain_event))

    def statements(self, row: Behaviour) -> list[Statement]:
        message = message_of(row)
        if message.msgtype == REVOKE:  # a recall notice is no message anyone sent
            return []
        tenant_id, slot = str(row.tenant_id), slot_of(message.msgtime)
        statements: list[Statement] = [
            (
                f"INSERT INTO {TYPES} (tenant_id, slot, msgtype, messages) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (tenant_id, slot, msgtype) "
                f"DO UPDATE SET messages = {TYPES}.messages + 1",
                (tenant_id, slot, message.msgtype),
            )
        ]
        if message.msgtype == UNDECRYPTABLE:  # counted apart; who sent it is sealed too
            return statements
        indexed = row_of(tenant_id, message, row.position)
        employee, customer = indexed["employee"], indexed["customer"]
        if message.sender == employee and employee:
            side = EMPLOYEE_SIDE
        elif message.sender == customer and customer:
            side = CUSTOMER_SIDE
        else:
            side = OTHER_SIDE
        statements.append(
            (
                f"INSERT INTO {ACTIVITY} (tenant_id, slot, conversation, kind, employee, "
                "customer, side, messages) VALUES (?, ?, ?, ?, ?, ?, ?, 1) "
                "ON CONFLICT (tenant_id, slot, conversation, employee, customer, side) "
                f"DO UPDATE SET messages = {ACTIVITY}.messages + 1",
                (
                    tenant_id,
                    slot,
                    message.conversation,
                    ROOM if message.in_group else PAIR,
                    employee,
                    customer,
                    side,
                ),
            )
        )
        return statements


_DAY_COUNTS = (
    "SELECT COALESCE(SUM(messages), 0) AS messages, "
    f"COUNT(DISTINCT CASE WHEN kind = '{PAIR}' THEN conversation END) AS pairs, "
    f"COUNT(DISTINCT CASE WHEN kind = '{ROOM}' THEN conversation END) AS rooms, "
    f"COUNT(DISTINCT CASE WHEN kind = '{PAIR}' AND side = '{EMPLOYEE_SIDE}' "
    "AND customer <> '' THEN customer END) AS customers "
    f"FROM {ACTIVITY} WHERE tenant_id = ? AND slot >= ? AND slot < ?"
)
_EMPLOYEES = (
    "SELECT employee, "
    f"COALESCE(SUM(CASE WHEN side = '{EMPLOYEE_SIDE}' THEN messages END), 0) AS sent, "
    f"COALESCE(SUM(CASE WHEN side = '{CUSTOMER_SIDE}' AND kind = '{PAIR}' THEN messages END), "
    "0) AS received, "
    f"COUNT(DISTINCT CASE WHEN kind = '{PAIR}' AND side = '{EMPLOYEE_SIDE}' "
    "AND customer <> '' THEN customer END) AS customers, "
    "COUNT(DISTINCT conversation) AS chats "
    f"FROM {ACTIVITY} WHERE tenant_id = ? AND slot >= ? AND slot < ? AND employee <> '' "
    f"GROUP BY employee ORDER BY sent DESC, employee LIMIT {MAX_EMPLOYEES}"
)


class StatsQueries:
    """Days and employees of a range, counted from the statistics read model."""

    def __init__(self, view: View) -> None:
        self.view = view

    def report(
        self,
        tenant_id: UUID,
        since: date,
        until: date,
        *,
        timezone: str,
        staff: Mapping[str, StaffMember],
    ) -> StatsReport:
        """Each day from `since` to `until` (both included) in `timezone`, the range as a
        whole, and the coverage of the corp's employees (`staff`, by userid)."""
        if until < since:
            raise InvalidInput("the range ends before it starts", field="until")
        if (until - since).days >= MAX_DAYS:
            raise InvalidInput(f"a report covers at most {MAX_DAYS} days", field="until")
        zone = ZoneInfo(timezone)
        days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
        bounds = [_slot_at(day, zone) for day in [*days, until + timedelta(days=1)]]
        types = self._types(tenant_id, bounds)
        sealed = [by_type.pop(UNDECRYPTABLE, 0) for by_type in types]
        shown = [
            self._day(tenant_id, day, bounds[n], bounds[n + 1], types[n], sealed[n])
            for n, day in enumerate(days)
        ]
        total_types: dict[str, int] = {}
        for by_type in types:
            for msgtype, count in by_type.items():
                total_types[msgtype] = total_types.get(msgtype, 0) + count
        totals = self._day(tenant_id, since, bounds[0], bounds[-1], total_types, sum(sealed))
        archived = {e.employee for e in self.employees(tenant_id, bounds[0], bounds[-1], staff)}
        in_corp = sorted(userid for userid, member in staff.items() if not member.left)
        coverage = ArchiveCoverage(
            employees_in_corp=len(in_corp),
            employees_archived=len([u for u in in_corp if u in archived]),
            employees_not_archived=[u for u in in_corp if u not in archived][:NOT_ARCHIVED_SHOWN],
            messages=totals.messages,
            undecryptable=totals.undecryptable,
        )
        return StatsReport(
            since=since, until=until, timezone=timezone, days=shown, totals=totals,
            coverage=coverage,
        )  # fmt: skip

    def employees_between(
        self,
        tenant_id: UUID,
        since: date,
        until: date,
        *,
        timezone: str,
        staff: Mapping[str, StaffMember],
    ) -> list[EmployeeStats]:
        """Each employee with a message from `since` to `until` (included), busiest first."""
        if until < since:
            raise InvalidInput("the range ends before it starts", field="until")
        zone = ZoneInfo(timezone)
        start, end = _slot_at(since, zone), _slot_at(until + timedelta(days=1), zone)
        return self.employees(tenant_id, start, end, staff)

    def employees(
        self, tenant_id: UUID, start: int, end: int, staff: Mapping[str, StaffMember]
    ) -> list[EmployeeStats]:
        rows = self.view.rows(_EMPLOYEES, (str(tenant_id), start, end))
        found = []
        for row in rows:
            member = staff.get(row["employee"])
            found.append(
                EmployeeStats(
                    employee=row["employee"],
                    name=member.name if member else "",
                    department=member.department if member else "",
                    left=member.left if member else False,
                    sent=int(row["sent"]),
                    received=int(row["received"]),
                    customers_contacted=int(row["customers"]),
                    chats=int(row["chats"]),
                )
            )
        return found

    def _day(
        self,
        tenant_id: UUID,
        day: date,
        start: int,
        end: int,
        by_type: dict[str, int],
        undecryptable: int,
    ) -> DayStats:
        row = self.view.rows(_DAY_COUNTS, (str(tenant_id), start, end))[0]
        return DayStats(
            day=day,
            messages=int(row["messages"]),
            one_to_one_chats=int(row["pairs"]),
            group_chats=int(row["rooms"]),
            customers_contacted=int(row["customers"]),
            by_type=dict(sorted(by_type.items(), key=lambda item: (-item[1], item[0]))),
            undecryptable=undecryptable,
        )

    def _types(self, tenant_id: UUID, bounds: list[int]) -> list[dict[str, int]]:
        """Messages by type per day (one query: a slot's day is found by its bounds)."""
        rows = self.view.rows(
            f"SELECT slot, msgtype, messages FROM {TYPES} "
            "WHERE tenant_id = ? AND slot >= ? AND slot < ?",
            (str(tenant_id), bounds[0], bounds[-1]),
        )
        days: list[dict[str, int]] = [{} for _ in bounds[:-1]]
        for row in rows:
            n = _day_index(bounds, int(row["slot"]))
            days[n][row["msgtype"]] = days[n].get(row["msgtype"], 0) + int(row["messages"])
        return days


def _slot_at(day: date, zone: ZoneInfo) -> int:
    """The first slot of `day` in `zone`."""
    return slot_of(datetime.combine(day, time(), tzinfo=zone).astimezone(UTC))


def _day_index(bounds: list[int], slot: int) -> int:
    low, high = 0, len(bounds) - 2
    while low < high:
        middle = (low + high + 1) // 2
        if bounds[middle] <= slot:
            low = middle
        else:
            high = middle - 1
    return low
