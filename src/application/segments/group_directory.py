"""The groups read model: each tenant's groups with their member counts, and the current
members of each group, for lists, counts and cursor paging (SEG-1, SEG-3).

Counts follow the memberships' own events: a `Joined` adds a member row and one to the
count, a `Left` takes both away. A membership alternates Joined and Left, and the view
applies each event exactly once (tracking in the same transaction), so a lead is never
counted twice or missed, whatever crashed where.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.segments.group_commands import GroupCounts, GroupDetails, MemberDetails
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from domain.segments.groups import Group
from domain.segments.membership import Membership

GROUPS = "segments_groups"
MEMBERS = "segments_members"


class GroupDirectory(ReadModel):
    """Keeps groups and their members listable and countable."""

    name = "segment_group_directory"
    follows = ("segments",)
    tables = {
        GROUPS: "tenant_id TEXT NOT NULL, group_id TEXT NOT NULL, name TEXT NOT NULL, "
        "kind TEXT NOT NULL, tree TEXT, members INTEGER NOT NULL, deleted INTEGER NOT NULL, "
        "version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, group_id)",
        MEMBERS: "tenant_id TEXT NOT NULL, group_id TEXT NOT NULL, lead_id TEXT NOT NULL, "
        "joined_at TEXT NOT NULL, reason TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, group_id, lead_id)",
    }
    indexes = {
        "segments_groups_created": f"{GROUPS} (tenant_id, created_at, group_id)",
        "segments_members_joined": f"{MEMBERS} (tenant_id, group_id, joined_at, lead_id)",
        "segments_members_lead": f"{MEMBERS} (tenant_id, lead_id)",
    }

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(Group.Formed)
    def _(self, event: Any, tracking: Tracking) -> None:
        at = iso(event.timestamp)
        row = {
            "tenant_id": str(event.tenant_id),
            "group_id": str(event.originator_id),
            "name": event.name,
            "kind": event.kind,
            "tree": _json(event.tree),
            "members": 0,
            "deleted": 0,
            "version": event.originator_version,
            "created_at": at,
            "updated_at": at,
        }
        self.view.write(tracking, [insert(GROUPS, row)])

    @process_event.register(Group.Renamed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._group(event, tracking, name=event.name)

    @process_event.register(Group.FilterChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._group(event, tracking, tree=_json(event.tree))

    @process_event.register(Group.MergedInto)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._gone(event, tracking)

    @process_event.register(Group.Deleted)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._gone(event, tracking)

    @process_event.register(Membership.Joined)
    def _(self, event: Any, tracking: Tracking) -> None:
        tenant, group = str(event.tenant_id), str(event.group_id)
        row = {
            "tenant_id": tenant,
            "group_id": group,
            "lead_id": str(event.lead_id),
            "joined_at": iso(event.timestamp),
            "reason": event.reason,
        }
        self.view.write(
            tracking,
            [
                insert(MEMBERS, row),
                (
                    f"UPDATE {GROUPS} SET members = members + 1 "
                    "WHERE tenant_id = ? AND group_id = ?",
                    (tenant, group),
                ),
            ],
        )

    @process_event.register(Membership.Left)
    def _(self, event: Any, tracking: Tracking) -> None:
        tenant, group = str(event.tenant_id), str(event.group_id)
        self.view.write(
            tracking,
            [
                (
                    f"DELETE FROM {MEMBERS} WHERE tenant_id = ? AND group_id = ? AND lead_id = ?",
                    (tenant, group, str(event.lead_id)),
                ),
                (
                    f"UPDATE {GROUPS} SET members = members - 1 "
                    "WHERE tenant_id = ? AND group_id = ?",
                    (tenant, group),
                ),
            ],
        )

    def _gone(self, event: Any, tracking: Tracking) -> None:
        # The members' rows go with the group; their memberships stay in the history.
        tenant, group = _tenant(event), str(event.originator_id)
        self.view.write(
            tracking,
            [
                update(
                    GROUPS,
                    {"deleted": 1, "version": event.originator_version,
                     "updated_at": iso(event.timestamp)},
                    where={"tenant_id": tenant, "group_id": group},
                ),
                (f"DELETE FROM {MEMBERS} WHERE tenant_id = ? AND group_id = ?", (tenant, group)),
            ],
        )  # fmt: skip

    def _group(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        where = {"tenant_id": _tenant(event), "group_id": str(event.originator_id)}
        changes = {
            **changes,
            "version": event.originator_version,
            "updated_at": iso(event.timestamp),
        }
        self.view.write(tracking, [update(GROUPS, changes, where=where)])


def _tenant(event: Any) -> str:
    tenant = tenant_of(event)
    assert tenant is not None, "group events are stamped with their tenant"
    return str(tenant)


def _json(tree: Any) -> str | None:
    return None if tree is None else json.dumps(tree, ensure_ascii=False, sort_keys=True)


def group_details(row: dict[str, Any]) -> GroupDetails:
    return GroupDetails(
        id=UUID(row["group_id"]),
        name=row["name"],
        kind=row["kind"],
        filter=json.loads(row["tree"]) if row["tree"] else None,
        members=max(int(row["members"]), 0),
        deleted=bool(row["deleted"]),
        version=row["version"],
        created_at=parse_iso(row["created_at"]),
        updated_at=parse_iso(row["updated_at"]),
    )


class GroupQueries:
    """Lists, counts and member pages served from the groups read model; member rows are
    completed with the lead's list columns from the profile read model (`profiles`)."""

    def __init__(self, view: View, profiles: View) -> None:
        self.view = view
        self.profiles = profiles

    def groups(
        self, tenant_id: UUID, *, kind: str | None, cursor: str | None, limit: int
    ) -> Page[GroupDetails]:
        where, params = "tenant_id = ? AND deleted = 0", [str(tenant_id)]
        if kind is not None:
            where += " AND kind = ?"
            params.append(kind)
        page = fetch_page(
            self.view,
            table=GROUPS,
            where=where,
            params=params,
            order_by=("created_at", "group_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([group_details(row) for row in page.items], page.next_cursor)

    def group_row(self, tenant_id: UUID, group_id: UUID) -> GroupDetails | None:
        rows = self.view.rows(
            f"SELECT * FROM {GROUPS} WHERE tenant_id = ? AND group_id = ?",
            (str(tenant_id), str(group_id)),
        )
        return group_details(rows[0]) if rows else None

    def smart_groups(self, tenant_id: UUID) -> list[GroupDetails]:
        """The tenant's live smart groups (for keeping their members current)."""
        rows = self.view.rows(
            f"SELECT * FROM {GROUPS} WHERE tenant_id = ? AND kind = 'smart' AND deleted = 0",
            (str(tenant_id),),
        )
        return [group_details(row) for row in rows]

    def counts(self, tenant_id: UUID) -> GroupCounts:
        rows = self.view.rows(
            f"SELECT kind, COUNT(*) AS n, COALESCE(SUM(members), 0) AS m FROM {GROUPS} "
            "WHERE tenant_id = ? AND deleted = 0 GROUP BY kind",
            (str(tenant_id),),
        )
        by_kind = {row["kind"]: (int(row["n"]), int(row["m"])) for row in rows}
        static, smart = by_kind.get("static", (0, 0)), by_kind.get("smart", (0, 0))
        return GroupCounts(
            tenant_groups=static[0] + smart[0],
            static=static[0],
            smart=smart[0],
            members=static[1] + smart[1],
        )

    def member_ids(self, tenant_id: UUID, group_id: UUID) -> set[UUID]:
        """Every current member of a group (for full evaluations and bulk actions)."""
        rows = self.view.rows(
            f"SELECT lead_id FROM {MEMBERS} WHERE tenant_id = ? AND group_id = ?",
            (str(tenant_id), str(group_id)),
        )
        return {UUID(row["lead_id"]) for row in rows}

    def groups_of(self, tenant_id: UUID, lead_id: UUID) -> list[UUID]:
        rows = self.view.rows(
            f"SELECT group_id FROM {MEMBERS} WHERE tenant_id = ? AND lead_id = ?",
            (str(tenant_id), str(lead_id)),
        )
        return [UUID(row["group_id"]) for row in rows]

    def members(
        self, tenant_id: UUID, group_id: UUID, *, cursor: str | None, limit: int
    ) -> Page[MemberDetails]:
        """The group's members, newest first."""
        page = fetch_page(
            self.view,
            table=MEMBERS,
            where="tenant_id = ? AND group_id = ?",
            params=[str(tenant_id), str(group_id)],
            order_by=("joined_at", "lead_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        leads = self._leads(tenant_id, [row["lead_id"] for row in page.items])
        return Page(
            [
                MemberDetails(
                    lead_id=UUID(row["lead_id"]),
                    joined_at=parse_iso(row["joined_at"]),
                    reason=row["reason"],
                    **leads.get(row["lead_id"], {}),
                )
                for row in page.items
            ],
            page.next_cursor,
        )

    def _leads(self, tenant_id: UUID, lead_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not lead_ids:
            return {}
        marks = ", ".join("?" for _ in lead_ids)
        rows = self.profiles.rows(
            "SELECT lead_id, name, mobile, email, company, status, score, stage "
            f"FROM segments_leads WHERE tenant_id = ? AND lead_id IN ({marks})",
            [str(tenant_id), *lead_ids],
        )
        return {row["lead_id"]: {key: row[key] for key in row if key != "lead_id"} for row in rows}
