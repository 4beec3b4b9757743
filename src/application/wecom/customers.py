"""What a caller sees of the WeCom customers (WECOM-3): the customer list, one customer,
churn, churn alerts, groups and stats, each narrowed to the caller's data scope
(ORG-2): a sales key sees the customers of the WeCom member linked to its employee, a
sales manager those of their team's members, every other role the whole company's.
Answers name each relation's employee; days are the tenant's (its timezone).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from application.shared.callers import TenantCaller
from application.shared.clock import Clock
from application.shared.pages import Page
from application.wecom.commands import (
    ChurnAlert,
    CustomerDetails,
    CustomerGroupDetails,
    CustomerStats,
    DayCount,
    EmployeeCustomers,
    RelationDetails,
)
from application.wecom.customer_directory import CustomerQueries, Relation
from application.wecom.customer_leads import CustomerLeadsPort
from application.wecom.member_directory import MemberQueries
from domain.shared.access import DataScope

MAX_DAYS = 90


class Teams(Protocol):
    """Who works in whose team (the org context knows)."""

    def team_of(self, tenant_id: UUID, employee_id: UUID) -> set[UUID]:
        """The employee plus everyone in their department and its sub-departments."""
        ...


class TenantZones(Protocol):
    def timezone_of(self, tenant_id: UUID) -> str:
        """The tenant's IANA timezone (Asia/Shanghai by default)."""
        ...


class WecomCustomers:
    """The customer reads of the API and the console."""

    def __init__(
        self,
        customers: CustomerQueries,
        members: MemberQueries,
        teams: Teams,
        zones: TenantZones,
        leads: CustomerLeadsPort,
        clock: Clock,
    ) -> None:
        self.customers = customers
        self.members = members
        self.teams = teams
        self.zones = zones
        self.leads = leads
        self.clock = clock

    def scope(self, caller: TenantCaller) -> list[str] | None:
        """The userids whose customers the caller sees; None: all of them."""
        if caller.data_scope is DataScope.COMPANY:
            return None
        if caller.employee_id is None:
            return []
        if caller.data_scope is DataScope.OWN:
            return self.members.userids_of(caller.tenant_id, [caller.employee_id])
        team = self.teams.team_of(caller.tenant_id, caller.employee_id)
        return self.members.userids_of(caller.tenant_id, team)

    def relations(
        self,
        caller: TenantCaller,
        *,
        userid: str | None = None,
        status: str | None = None,
        state: str | None = None,
        query: str | None = None,
        cursor: str | None,
        limit: int,
    ) -> Page[RelationDetails]:
        """The customer list: each customer per employee who added them, newest first."""
        page = self.customers.relations(
            caller.tenant_id,
            userids=self.scope(caller),
            userid=userid,
            status=status,
            state=state,
            query=query,
            cursor=cursor,
            limit=limit,
        )
        return Page(self._named(caller.tenant_id, page.items), page.next_cursor)

    def churn(
        self, caller: TenantCaller, *, cursor: str | None, limit: int
    ) -> Page[RelationDetails]:
        """Customers who deleted their employee, latest first."""
        page = self.customers.churn(
            caller.tenant_id, userids=self.scope(caller), cursor=cursor, limit=limit
        )
        return Page(self._named(caller.tenant_id, page.items), page.next_cursor)

    def customer(self, caller: TenantCaller, external_userid: str) -> CustomerDetails:
        """One customer with their relations (404 outside the caller's scope)."""
        row, relations = self.customers.customer(
            caller.tenant_id, external_userid, userids=self.scope(caller)
        )
        return CustomerDetails(
            external_userid=row["external_userid"],
            name=row["name"],
            type=int(row["type"]),
            corp_name=row["corp_name"],
            lead_id=self.leads.lead_of_customer(caller.tenant_id, external_userid),
            first_added_at=min((r.added_at for r in relations if r.added_at), default=None),
            relations=self._named(caller.tenant_id, relations),
        )

    def alerts(self, caller: TenantCaller, *, cursor: str | None, limit: int) -> Page[ChurnAlert]:
        """Churn alerts, newest first."""
        page = self.customers.alerts(
            caller.tenant_id, userids=self.scope(caller), cursor=cursor, limit=limit
        )
        userids = {alert["userid"] for alert in page.items}
        names = self.members.names_of(caller.tenant_id, userids)
        employees = self.members.employees_of(caller.tenant_id, userids)
        return Page(
            [
                ChurnAlert(
                    **alert,
                    employee_name=names.get(alert["userid"], ""),
                    employee_id=employees.get(alert["userid"]),
                )
                for alert in page.items
            ],
            page.next_cursor,
        )

    def groups(
        self,
        caller: TenantCaller,
        *,
        include_dismissed: bool = False,
        cursor: str | None,
        limit: int,
    ) -> Page[CustomerGroupDetails]:
        """Customer groups (a narrow scope: those its members own)."""
        page = self.customers.groups(
            caller.tenant_id,
            owners=self.scope(caller),
            include_dismissed=include_dismissed,
            cursor=cursor,
            limit=limit,
        )
        return Page(
            [
                CustomerGroupDetails(
                    chat_id=row["chat_id"],
                    name=row["name"],
                    owner=row["owner"],
                    member_count=int(row["member_count"]),
                    status=int(row["status"]),
                    dismissed=row["dismissed"],
                    changed_at=row["changed_at"],
                )
                for row in page.items
            ],
            page.next_cursor,
        )

    def stats(self, caller: TenantCaller, *, days: int = 30) -> CustomerStats:
        """Customers per employee, and customers added and lost per day of the tenant's
        last `days` days (1…90)."""
        days = max(1, min(days, MAX_DAYS))
        userids = self.scope(caller)
        tenant_id = caller.tenant_id
        zone_name = self.zones.timezone_of(tenant_id)
        zone = ZoneInfo(zone_name)
        today = self.clock.now().astimezone(zone).date()
        first = today - timedelta(days=days - 1)
        start = _midnight(first, zone)
        added, lost = self.customers.moments_since(tenant_id, start, userids=userids)
        added_on = Counter(moment.astimezone(zone).date() for moment in added)
        lost_on = Counter(moment.astimezone(zone).date() for moment in lost)
        counts = self.customers.per_employee(tenant_id, userids=userids)
        names = self.members.names_of(tenant_id, counts)
        return CustomerStats(
            timezone=zone_name,
            customers=self.customers.active_customers(tenant_id, userids=userids),
            per_employee=[
                EmployeeCustomers(
                    userid=userid,
                    employee_name=names.get(userid, ""),
                    active=by_status.get("active", 0),
                    lost=by_status.get("lost", 0),
                    removed=by_status.get("removed", 0),
                )
                for userid, by_status in sorted(
                    counts.items(), key=lambda item: (-item[1].get("active", 0), item[0])
                )
            ],
            per_day=[
                DayCount(day=day, added=added_on[day], lost=lost_on[day])
                for day in (first + timedelta(days=n) for n in range(days))
            ],
        )

    def _named(self, tenant_id: UUID, relations: list[Relation]) -> list[RelationDetails]:
        names = self.members.names_of(tenant_id, {r.userid for r in relations})
        return [
            RelationDetails(
                external_userid=r.external_userid,
                name=r.name,
                corp_name=r.corp_name,
                userid=r.userid,
                employee_name=names.get(r.userid, ""),
                status=r.status,  # type: ignore[arg-type]
                added_at=r.added_at,
                state=r.state,
                add_way=r.add_way,
                remark=r.remark,
                tags=r.tags,
                ended_at=r.ended_at,
                by_transfer=r.by_transfer,
            )
            for r in relations
        ]


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)
