"""The `People` and `Audiences` ports over the leads and segments read models: who the
recipients are (profiles), whether they may be contacted (the leads' consent, which an
opt-out reaches before it is acknowledged), and who an audience selects now."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from uuid import UUID

from application.leads.consent import ConsentQueries
from application.messaging.ports import Person
from application.segments.filter_model import parse_filter
from application.segments.group_directory import GroupQueries
from application.segments.selection import FilterSelection
from application.shared.clock import Clock
from application.shared.views import View

CHUNK = 500


class ProfilePeople:
    """`People` from the segments' profiles (names, addresses, custom fields)."""

    def __init__(self, profiles: View, consent: ConsentQueries) -> None:
        self.profiles = profiles
        self.consent = consent

    def people(self, tenant_id: UUID, lead_ids: Collection[UUID]) -> dict[UUID, Person]:
        ids = sorted({str(lead_id) for lead_id in lead_ids})
        found: dict[UUID, Person] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ", ".join("?" for _ in chunk)
            params = [str(tenant_id), *chunk]
            custom: dict[str, dict[str, Any]] = {}
            for row in self.profiles.rows(
                "SELECT lead_id, key, text_value FROM segments_fields WHERE tenant_id = ? "
                f"AND lead_id IN ({marks})",
                params,
            ):
                custom.setdefault(row["lead_id"], {})[row["key"]] = row["text_value"]
            for row in self.profiles.rows(
                "SELECT lead_id, name, email, mobile, company, title, city FROM segments_leads "
                f"WHERE tenant_id = ? AND lead_id IN ({marks}) AND live = 1",
                params,
            ):
                lead_id = UUID(row["lead_id"])
                found[lead_id] = Person(
                    lead_id=lead_id,
                    name=row["name"],
                    email=row["email"],
                    mobile=row["mobile"],
                    company=row["company"],
                    title=row["title"],
                    city=row["city"],
                    custom=custom.get(row["lead_id"], {}),
                )
        return found

    def contactable(self, tenant_id: UUID, lead_ids: Collection[UUID], channel: str) -> set[UUID]:
        return self.consent.contactable(tenant_id, lead_ids, channel)


class SegmentAudiences:
    """`Audiences` from the segments context: a group's members, a filter's leads."""

    def __init__(self, groups: GroupQueries, selection: FilterSelection, clock: Clock) -> None:
        self.groups = groups
        self.selection = selection
        self.clock = clock

    def members(self, tenant_id: UUID, audience: Mapping[str, Any]) -> list[UUID]:
        kind = audience["kind"]
        if kind == "group":
            found = self.groups.member_ids(tenant_id, UUID(audience["group_id"]))
        elif kind == "flow":  # a flow step's task: its leads are queued one by one
            found = set()
        elif kind == "filter":
            tree = parse_filter(audience["tree"], path="audience.tree")
            found = self.selection.all_lead_ids(tenant_id, tree, now=self.clock.now())
        else:
            found = {UUID(lead_id) for lead_id in audience["lead_ids"]}
        return sorted(found)
