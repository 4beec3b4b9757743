"""The leads' dates, for date start conditions (FLOW-2): each live lead's birthday and
every custom field that holds a date, by month-and-day and by the whole date, so the
flow worker finds today's birthdays (or this day's appointments) with one indexed
query instead of reading every lead.

A field is named as start conditions name it: a base field by its name ("birthday"),
a custom one as "custom.<key>" (the filter language's names). A value counts when it
begins with an ISO date (YYYY-MM-DD; a date-time keeps its date); anything else is no
date and leaves no row. The flows context keeps this table itself rather than asking
the leads context: contexts meet through the events they follow (DESIGN).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.shared.tenant_rows import RecordTenants, insert
from application.shared.views import ReadModel, Statement, View

PREFIX = "flows_dates"
DATES = f"{PREFIX}_values"
PAGE = 1000
# The leads' events, by topic (contexts meet through events, never by importing them).
REGISTERED = "leads.Lead.Registered"
ABSORBED = "leads.Lead.Absorbed"
ENDED = frozenset({"leads.Lead.MergedInto", "leads.Lead.Deleted"})
CHANGES = frozenset({REGISTERED, "leads.Lead.ProfileUpdated", ABSORBED, *ENDED})


def date_of(value: Any) -> date | None:
    """The date a field's value holds, or None."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def dated_fields(profile: Mapping[str, Any], custom: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a lead's change as start conditions name them (values unchecked)."""
    return {**profile, **{f"custom.{key}": value for key, value in custom.items()}}


class LeadDates(ReadModel):
    """Every live lead's date fields (see the module)."""

    name = "flows_dates"
    follows = ("leads",)
    tenants = RecordTenants(f"{PREFIX}_record_tenants")
    tables = {
        DATES: "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, field TEXT NOT NULL, "
        "value TEXT NOT NULL, month_day TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, lead_id, field)",
        **tenants.definition,
    }
    indexes = {
        f"{PREFIX}_yearly": f"{DATES} (tenant_id, field, month_day, lead_id)",
        f"{PREFIX}_exact": f"{DATES} (tenant_id, field, value, lead_id)",
    }
    platform_wide = {tenants.table: "whose record an id is, for events stored unstamped"}

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        topic = get_topic(type(domain_event))
        if topic not in CHANGES:
            self.skip(tracking)
            return
        event, lead_id = domain_event, str(domain_event.originator_id)
        if topic == REGISTERED:
            statements = self.tenants.remember(self.view, event, event.tenant_id)
            tenant_id = str(event.tenant_id)
        else:
            statements, tenant_id = [], self.tenants.of(self.view, event)
        if topic in ENDED or topic == ABSORBED:
            # an absorbing survivor's fields come whole: what it no longer holds goes
            statements.append(self._forget(tenant_id, lead_id))
        if topic not in ENDED:
            # a new lead, or one whose rows were just forgotten, has no row to replace
            fresh = topic in (REGISTERED, ABSORBED)
            statements += self._dates(tenant_id, lead_id, event.profile, event.custom, fresh)
        self.view.write(tracking, statements)

    def _dates(
        self,
        tenant_id: str,
        lead_id: str,
        profile: Mapping[str, Any],
        custom: Mapping[str, Any],
        fresh: bool,
    ) -> list[Statement]:
        """The fields given replaced (`fresh`: the lead has no rows yet): a date kept,
        anything else (or None) cleared."""
        statements: list[Statement] = []
        for field, value in dated_fields(profile, custom).items():
            if not fresh:
                statements.append(
                    (
                        f"DELETE FROM {DATES} WHERE tenant_id = ? AND lead_id = ? AND field = ?",
                        (tenant_id, lead_id, field),
                    )
                )
            day = date_of(value)
            if day is not None:
                row = {
                    "tenant_id": tenant_id,
                    "lead_id": lead_id,
                    "field": field,
                    "value": day.isoformat(),
                    "month_day": day.isoformat()[5:],
                }
                statements.append(insert(DATES, row))
        return statements

    def _forget(self, tenant_id: str, lead_id: str) -> Statement:
        return f"DELETE FROM {DATES} WHERE tenant_id = ? AND lead_id = ?", (tenant_id, lead_id)


class LeadDateQueries:
    """The leads whose date field falls on a day."""

    def __init__(self, view: View) -> None:
        self.view = view

    def leads_on(
        self, tenant_id: UUID, field: str, *, month_days: tuple[str, ...] = (), value: str = ""
    ) -> Iterator[list[tuple[UUID, date]]]:
        """(lead, its date) for the leads whose `field` has one of `month_days` ("MM-DD")
        or is the date `value`, a page at a time in lead order."""
        if month_days:
            marks = ", ".join("?" for _ in month_days)
            condition, params = f"month_day IN ({marks})", list(month_days)
        else:
            condition, params = "value = ?", [value]
        after = ""
        while True:
            rows = self.view.rows(
                f"SELECT lead_id, value FROM {DATES} WHERE tenant_id = ? AND field = ? "
                f"AND {condition} AND lead_id > ? ORDER BY lead_id LIMIT {PAGE}",
                [str(tenant_id), field, *params, after],
            )
            if not rows:
                return
            yield [(UUID(row["lead_id"]), date.fromisoformat(row["value"])) for row in rows]
            if len(rows) < PAGE:
                return
            after = rows[-1]["lead_id"]
