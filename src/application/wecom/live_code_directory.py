"""Live codes listed and counted (WECOM-1): the codes, from the wecom application's
events, and what came through them, from the behaviour log.

The activity read model keeps one row per customer added through a code (the added
row's state names the code: `code_of_state`, so the two read models need no order
between them) with the employee, the customer and the welcome's outcome once the
welcoming policy recorded it, and one row per group update that brought members into
a customer group. Days are the tenant's: counts "today" and per day are taken over the
UTC times of the rows between the tenant's midnights, so they never move when the
tenant's timezone changes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, Statement, View, iso, parse_iso
from application.wecom.live_code_commands import (
    CodeEmployee,
    LiveCodeDay,
    LiveCodeDetails,
    LiveCodeEmployeeCount,
    LiveCodeStats,
    WelcomeAttachmentInput,
    WelcomeInput,
)
from domain.wecom.live_code import EmployeeSetup, GroupSetup, LiveCode, LiveCodeKind, code_of_state

CODES = "wecom_live_codes"
ADDS = "wecom_live_code_adds"
JOINS = "wecom_live_code_joins"
MAX_STATS_DAYS = 90
WELCOME_OK, WELCOME_FAILED = "ok", "failed"


class TenantCalendar(Protocol):
    """The tenancy context's calendar."""

    def timezone_of(self, tenant_id: UUID) -> str:
        """The tenant's IANA zone (Asia/Shanghai unless the tenant chose another)."""
        ...


class LiveCodeDirectory(ReadModel):
    """Keeps the tenant's live codes as they are now."""

    name = "wecom_live_code_directory"
    follows = ("wecom",)
    tables = {
        CODES: "tenant_id TEXT NOT NULL, code_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "name TEXT NOT NULL, state TEXT NOT NULL, config_id TEXT NOT NULL, "
        "qr_code TEXT NOT NULL, setup TEXT NOT NULL, serving TEXT NOT NULL, "
        "archived INTEGER NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, code_id)",
    }
    indexes = {"wecom_live_codes_created": f"{CODES} (tenant_id, created_at, code_id)"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(LiveCode.Made)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "code_id": str(event.originator_id),
            "kind": event.kind,
            "name": event.name,
            "state": event.state,
            "config_id": event.config_id,
            "qr_code": event.qr_code,
            "setup": json.dumps(event.setup, ensure_ascii=False),
            "serving": json.dumps(list(event.serving), ensure_ascii=False),
            "archived": 0,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert(CODES, row)])

    @process_event.register(LiveCode.Revised)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(
            event,
            tracking,
            name=event.name,
            setup=json.dumps(event.setup, ensure_ascii=False),
            config_id=event.config_id,
            qr_code=event.qr_code,
            serving=json.dumps(list(event.serving), ensure_ascii=False),
        )

    @process_event.register(LiveCode.ServingChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, serving=json.dumps(list(event.serving), ensure_ascii=False))

    @process_event.register(LiveCode.Archived)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tracking, archived=1)

    def _change(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        where = {"tenant_id": str(tenant_of(event)), "code_id": str(event.originator_id)}
        changes = {**changes, "version": event.originator_version}
        self.view.write(tracking, [update(CODES, changes, where=where)])


class LiveCodeActivity(ReadModel):
    """Keeps who came through each code, and members joining customer groups."""

    name = "wecom_live_code_activity"
    follows = (BEHAVIOURS,)
    tables = {
        ADDS: "tenant_id TEXT NOT NULL, message_id TEXT NOT NULL, code_id TEXT NOT NULL, "
        "userid TEXT NOT NULL, external_userid TEXT NOT NULL, added_at TEXT NOT NULL, "
        "welcome TEXT NOT NULL, PRIMARY KEY (tenant_id, message_id)",
        JOINS: "tenant_id TEXT NOT NULL, message_id TEXT NOT NULL, chat_id TEXT NOT NULL, "
        "joined INTEGER NOT NULL, at TEXT NOT NULL, PRIMARY KEY (tenant_id, message_id)",
    }
    indexes = {
        "wecom_live_code_adds_code": f"{ADDS} (tenant_id, code_id, added_at)",
        "wecom_live_code_adds_customer": f"{ADDS} (tenant_id, external_userid, added_at)",
        "wecom_live_code_joins_chat": f"{JOINS} (tenant_id, chat_id, at)",
    }

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        statements: list[Statement] = []
        if isinstance(domain_event, Behaviour):
            statements = self._noted(domain_event)
        self.view.write(tracking, statements)

    def _noted(self, row: Behaviour) -> list[Statement]:
        properties = row.properties
        tenant_id = str(row.tenant_id)
        if row.kind == BehaviourKind.WECOM_CUSTOMER_ADDED:
            code_id = code_of_state(str(properties.get("state") or ""))
            if code_id is None:
                return []
            return [
                (
                    f"INSERT INTO {ADDS} (tenant_id, message_id, code_id, userid, "
                    "external_userid, added_at, welcome) VALUES (?, ?, ?, ?, ?, ?, '') "
                    "ON CONFLICT (tenant_id, message_id) DO NOTHING",
                    (
                        tenant_id,
                        row.message_id,
                        str(code_id),
                        str(properties.get("employee", "")),
                        str(properties.get("external_userid", "")),
                        iso(row.occurred_at),
                    ),
                )
            ]
        if row.kind == BehaviourKind.WECOM_WELCOME_SENT and properties.get("added"):
            outcome = WELCOME_OK if properties.get("outcome") == WELCOME_OK else WELCOME_FAILED
            where = {"tenant_id": tenant_id, "message_id": str(properties["added"])}
            return [update(ADDS, {"welcome": outcome}, where=where)]
        if (
            row.kind == BehaviourKind.WECOM_GROUP_CHANGED
            and properties.get("update_detail") == "add_member"
        ):
            joined = int(properties.get("member_change_count") or 0) or len(
                properties.get("members") or ()
            )
            if not joined:
                return []
            return [
                (
                    f"INSERT INTO {JOINS} (tenant_id, message_id, chat_id, joined, at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, message_id) DO NOTHING",
                    (
                        tenant_id,
                        row.message_id,
                        str(properties.get("chat_id", "")),
                        joined,
                        iso(row.occurred_at),
                    ),
                )
            ]
        return []


class LiveCodeQueries:
    """The tenant's codes, what came through them, and today's counts per employee."""

    def __init__(self, codes: View, activity: View, calendar: TenantCalendar) -> None:
        self.codes = codes
        self.activity = activity
        self.calendar = calendar

    def codes_of(
        self, tenant_id: UUID, *, cursor: str | None, limit: int, archived: bool = False
    ) -> Page[LiveCodeDetails]:
        """The tenant's codes, newest first (archived ones only if asked)."""
        page = fetch_page(
            self.codes,
            table=CODES,
            where="tenant_id = ?" + ("" if archived else " AND archived = 0"),
            params=[str(tenant_id)],
            order_by=("created_at", "code_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_details(row) for row in page.items], page.next_cursor)

    def zone(self, tenant_id: UUID) -> ZoneInfo:
        return ZoneInfo(self.calendar.timezone_of(tenant_id))

    def today(self, tenant_id: UUID, now: datetime) -> tuple[datetime, datetime]:
        """The tenant's today as a UTC range [midnight, next midnight)."""
        return _day_range(now.astimezone(self.zone(tenant_id)).date(), self.zone(tenant_id))

    def counts_today(self, tenant_id: UUID, code_id: UUID, now: datetime) -> Counter[str]:
        """Customers added through the code today (the tenant's day), per userid."""
        start, end = self.today(tenant_id, now)
        rows = self.activity.rows(
            f"SELECT userid, COUNT(*) AS n FROM {ADDS} WHERE tenant_id = ? AND code_id = ? "
            "AND added_at >= ? AND added_at < ? GROUP BY userid",
            (str(tenant_id), str(code_id), iso(start), iso(end)),
        )
        return Counter({str(r["userid"]): int(r["n"]) for r in rows})

    def stats(
        self, tenant_id: UUID, code: LiveCodeDetails, now: datetime, *, days: int = 30
    ) -> LiveCodeStats:
        """What came through the code over the last `days` days (today included)."""
        days = max(1, min(days, MAX_STATS_DAYS))
        zone = self.zone(tenant_id)
        today = now.astimezone(zone).date()
        first = today - timedelta(days=days - 1)
        start, _ = _day_range(first, zone)
        _, end = _day_range(today, zone)
        per_day = {first + timedelta(days=i): [0, 0] for i in range(days)}
        per_employee: Counter[str] = Counter()
        today_counts: Counter[str] = Counter()
        customers: set[str] = set()
        welcomed = failed = 0
        if code.kind == LiveCodeKind.EMPLOYEE:
            rows = self.activity.rows(
                f"SELECT userid, external_userid, added_at, welcome FROM {ADDS} "
                "WHERE tenant_id = ? AND code_id = ? AND added_at >= ? AND added_at < ?",
                (str(tenant_id), str(code.id), iso(start), iso(end)),
            )
            for row in rows:
                day = parse_iso(row["added_at"]).astimezone(zone).date()
                counts = per_day[day]
                counts[0] += 1
                ok = row["welcome"] == WELCOME_OK
                counts[1] += ok
                welcomed += ok
                failed += row["welcome"] == WELCOME_FAILED
                per_employee[row["userid"]] += 1
                customers.add(row["external_userid"])
                if day == today:
                    today_counts[row["userid"]] += 1
        elif code.chat_ids:
            marks = ", ".join("?" for _ in code.chat_ids)
            since = max(start, code.created_at)
            rows = self.activity.rows(
                f"SELECT chat_id, joined, at FROM {JOINS} WHERE tenant_id = ? "
                f"AND chat_id IN ({marks}) AND at >= ? AND at < ?",
                (str(tenant_id), *code.chat_ids, iso(since), iso(end)),
            )
            for row in rows:
                day = parse_iso(row["at"]).astimezone(zone).date()
                per_day[day][0] += int(row["joined"])
                if day == today:
                    today_counts[row["chat_id"]] += int(row["joined"])
        caps = {e.userid: e.daily_cap for e in code.employees}
        listed = [*caps, *([code.backup] if code.backup else [])]
        listed += sorted(u for u in per_employee if u not in listed)
        employees = [
            LiveCodeEmployeeCount(
                userid=userid,
                added_today=today_counts[userid],
                added=per_employee[userid],
                daily_cap=caps.get(userid),
                capped=caps.get(userid) is not None and today_counts[userid] >= (caps[userid] or 0),
                serving=userid in code.serving,
                backup=userid == code.backup,
            )
            for userid in listed
        ]
        seated = [e for e in employees if e.userid in caps]
        return LiveCodeStats(
            code_id=code.id,
            timezone=str(zone),
            days=days,
            added=sum(c[0] for c in per_day.values()),
            customers=len(customers),
            added_today=sum(today_counts.values()),
            welcomed=welcomed,
            welcome_failed=failed,
            full=bool(seated) and all(e.capped for e in seated),
            per_day=[LiveCodeDay(day=d, added=c[0], welcomed=c[1]) for d, c in per_day.items()],
            per_employee=employees if code.kind == LiveCodeKind.EMPLOYEE else [],
        )

    def name_of_state(self, tenant_id: UUID, state: str) -> str | None:
        """The name of the tenant's live code a WeCom `state` names (None: none of its
        codes), for showing where a customer came from (a lead's source, a customer)."""
        code_id = code_of_state(state)
        if code_id is None:
            return None
        rows = self.codes.rows(
            f"SELECT name FROM {CODES} WHERE tenant_id = ? AND code_id = ?",
            (str(tenant_id), str(code_id)),
        )
        return str(rows[0]["name"]) if rows else None

    def first_code_of(self, tenant_id: UUID, external_userid: str) -> UUID | None:
        """The code the customer first came through (None: none of the tenant's)."""
        rows = self.activity.rows(
            f"SELECT code_id FROM {ADDS} WHERE tenant_id = ? AND external_userid = ? "
            "ORDER BY added_at LIMIT 1",
            (str(tenant_id), external_userid),
        )
        return UUID(rows[0]["code_id"]) if rows else None


def _day_range(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return start, end


def details_of(
    *,
    code_id: UUID,
    kind: str,
    name: str,
    state: str,
    config_id: str,
    qr_code: str,
    setup: dict[str, Any],
    serving: Sequence[str],
    archived: bool,
    version: int,
    created_at: datetime,
) -> LiveCodeDetails:
    """A code as the API shows it, from what its events recorded."""
    employee = kind == LiveCodeKind.EMPLOYEE
    people = EmployeeSetup.of(setup) if employee else None
    groups = GroupSetup.of(setup) if not employee else GroupSetup(())
    welcome = people.welcome if people else None
    return LiveCodeDetails(
        id=code_id,
        kind="employee" if employee else "group",
        name=name,
        state=state,
        config_id=config_id,
        qr_code=qr_code,
        employees=[CodeEmployee(userid=s.userid, daily_cap=s.daily_cap) for s in people.seats]
        if people
        else [],
        rotation=people.rotation.value if people else "order",  # type: ignore[arg-type]
        backup=people.backup if people else None,
        tags=list(people.tags) if people else [],
        welcome_mode=people.welcome_mode.value if people else "none",  # type: ignore[arg-type]
        welcome=WelcomeInput(
            text=welcome.text,
            attachment=WelcomeAttachmentInput.model_validate(welcome.attachment.as_dict())
            if welcome.attachment
            else None,
        )
        if welcome
        else None,
        chat_ids=list(groups.chat_ids),
        auto_create_room=groups.auto_create_room,
        room_base_name=groups.room_base_name,
        room_base_id=groups.room_base_id,
        serving=list(serving),
        archived=archived,
        version=version,
        created_at=created_at,
    )


def _details(row: dict[str, Any]) -> LiveCodeDetails:
    return details_of(
        code_id=UUID(row["code_id"]),
        kind=row["kind"],
        name=row["name"],
        state=row["state"],
        config_id=row["config_id"],
        qr_code=row["qr_code"],
        setup=json.loads(row["setup"]),
        serving=json.loads(row["serving"]),
        archived=bool(row["archived"]),
        version=int(row["version"]),
        created_at=parse_iso(row["created_at"]),
    )
