"""The dashboard's lead counts, kept current as lead events arrive (LEAD-8, ORG-2).

Counting live leads by state or source with GROUP BY reads every lead of the tenant
(about half a second per figure at a million leads). Instead each lead event moves the
lead from one counter to another: `lead_counts` holds, per owner, how many live leads
have each status, pool state and first-level source, so a dashboard in any data scope
sums a handful of rows. `lead_count_members` remembers what each lead was last counted
as, which is what an event needs to know which counters it leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.shared.tenant_rows import RecordTenants, insert, update
from application.shared.views import ReadModel, Statement
from domain.leads.lead import Lead, PoolState

# What the dashboard counts by: a column of the lead list, and here a `dimension`.
DIMENSIONS = ("status", "pool_state", "source_level1")
NO_OWNER = ""  # a pool lead's owner in the counters (a key column holds no NULL)
NO_SOURCE = ""  # and a lead with no source; the dashboard shows both as ''
_CLOSED = (PoolState.WON.value, PoolState.LOST.value, PoolState.CLOSED.value)
# `leads` goes up and down by the same statement: a counter row is made on its first lead.
_ADD = (
    " ON CONFLICT (tenant_id, dimension, owner_id, value) "
    "DO UPDATE SET leads = lead_counts.leads + excluded.leads"
)


@dataclass(frozen=True)
class Counted:
    """What a lead was last counted as (one `lead_count_members` row)."""

    owner_id: str
    status: str
    pool_state: str
    source_level1: str
    live: bool

    def counters(self) -> dict[str, tuple[str, str]]:
        """dimension -> (owner, value) of the counters this lead adds one to (none once
        it was merged away or deleted)."""
        if not self.live:
            return {}
        return {dimension: (self.owner_id, getattr(self, dimension)) for dimension in DIMENSIONS}


class LeadCounts(ReadModel):
    """Keeps, per owner, how many live leads have each status, pool state and source."""

    name = "lead_counts"
    version = 1
    follows = ("leads",)
    tenants = RecordTenants("lead_counts_record_tenants")
    tables = {
        "lead_count_members": "tenant_id TEXT NOT NULL, lead_id TEXT NOT NULL, "
        "owner_id TEXT NOT NULL, status TEXT NOT NULL, pool_state TEXT NOT NULL, "
        "source_level1 TEXT NOT NULL, live INTEGER NOT NULL, PRIMARY KEY (tenant_id, lead_id)",
        # The key's order serves both questions: the whole company's figures of one
        # dimension, and those of a team's owners (`owner_id IN (...)`).
        "lead_counts": "tenant_id TEXT NOT NULL, dimension TEXT NOT NULL, "
        "owner_id TEXT NOT NULL, value TEXT NOT NULL, leads INTEGER NOT NULL, "
        "PRIMARY KEY (tenant_id, dimension, owner_id, value)",
        **tenants.definition,
    }
    platform_wide = {tenants.table: "whose record an id is, for events stored unstamped"}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    @process_event.register(Lead.Registered)
    def _(self, event: Any, tracking: Tracking) -> None:
        tenant_id, lead_id = str(event.tenant_id), str(event.originator_id)
        counted = Counted(
            owner_id=_owner(event.owner_id),
            status=event.status,
            pool_state=PoolState.ASSIGNED.value if event.owner_id else PoolState.POOL.value,
            source_level1=event.source.get("level1") or NO_SOURCE,
            live=True,
        )
        member = {"tenant_id": tenant_id, "lead_id": lead_id, **_columns(counted)}
        self.view.write(
            tracking,
            [
                insert("lead_count_members", member),
                *self.tenants.remember(self.view, event, event.tenant_id),
                *_moves(tenant_id, {}, counted.counters()),
            ],
        )

    @process_event.register(Lead.SourceChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        if "level1" not in event.source:  # only the second level changed
            self.skip(tracking)
            return
        level1 = event.source["level1"] or NO_SOURCE
        self._move(event, tracking, lambda was: replace(was, source_level1=level1))

    @process_event.register(Lead.StatusChanged)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._move(event, tracking, lambda was: replace(was, status=event.status))

    @process_event.register(Lead.Assigned)
    def _(self, event: Any, tracking: Tracking) -> None:
        owner = _owner(event.owner_id)
        self._move(
            event,
            tracking,
            lambda was: replace(was, owner_id=owner, pool_state=PoolState.ASSIGNED.value),
        )

    @process_event.register(Lead.FollowedUp)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._move(event, tracking, lambda was: replace(was, pool_state=PoolState.FOLLOWING.value))

    @process_event.register(Lead.Closed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._move(event, tracking, lambda was: replace(was, pool_state=event.outcome))

    @process_event.register(Lead.ReleasedToPool)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._move(
            event,
            tracking,
            lambda was: replace(was, owner_id=NO_OWNER, pool_state=PoolState.POOL.value),
        )

    @process_event.register(Lead.HandedOver)
    def _(self, event: Any, tracking: Tracking) -> None:
        owner = _owner(event.to_owner_id)
        handed = PoolState.ASSIGNED.value if event.to_owner_id else PoolState.POOL.value

        def handed_over(was: Counted) -> Counted:
            # A won, lost or closed lead keeps its outcome when it changes hands (ORG-3).
            state = was.pool_state if was.pool_state in _CLOSED else handed
            return replace(was, owner_id=owner, pool_state=state)

        self._move(event, tracking, handed_over)

    @process_event.register(Lead.Absorbed)
    def _(self, event: Any, tracking: Tracking) -> None:
        if event.owner_id is None:  # the survivor keeps no owner and its state
            self.skip(tracking)
            return
        owner = _owner(event.owner_id)

        def absorbed(was: Counted) -> Counted:
            state = PoolState.ASSIGNED.value if was.pool_state == PoolState.POOL else was.pool_state
            return replace(was, owner_id=owner, pool_state=state)

        self._move(event, tracking, absorbed)

    @process_event.register(Lead.MergedInto)
    @process_event.register(Lead.Deleted)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._move(event, tracking, lambda was: replace(was, live=False))

    def _move(self, event: Any, tracking: Tracking, change: Callable[[Counted], Counted]) -> None:
        """Count the lead as `change` makes it: out of the counters it leaves, into
        those it joins, and remember it so."""
        tenant_id, lead_id = self.tenants.of(self.view, event), str(event.originator_id)
        rows = self.view.rows(
            "SELECT owner_id, status, pool_state, source_level1, live FROM lead_count_members "
            "WHERE tenant_id = ? AND lead_id = ?",
            (tenant_id, lead_id),
        )
        if not rows:  # a lead this read model never saw created: nothing to move
            self.skip(tracking)
            return
        row = rows[0]
        was = Counted(
            owner_id=row["owner_id"],
            status=row["status"],
            pool_state=row["pool_state"],
            source_level1=row["source_level1"],
            live=bool(row["live"]),
        )
        now = change(was)
        if now == was:
            self.skip(tracking)
            return
        where = {"tenant_id": tenant_id, "lead_id": lead_id}
        self.view.write(
            tracking,
            [
                update("lead_count_members", _columns(now), where=where),
                *_moves(tenant_id, was.counters(), now.counters()),
            ],
        )


def _moves(
    tenant_id: str, left: dict[str, tuple[str, str]], joined: dict[str, tuple[str, str]]
) -> list[Statement]:
    """One lead out of each counter it leaves and into each it joins; a counter left
    with no lead is removed, so the tables hold only what is counted."""
    statements: list[Statement] = []
    for dimension in DIMENSIONS:
        before, after = left.get(dimension), joined.get(dimension)
        if before == after:
            continue
        if before is not None:
            statements += [
                _add(tenant_id, dimension, before, -1),
                (
                    "DELETE FROM lead_counts WHERE tenant_id = ? AND dimension = ? "
                    "AND owner_id = ? AND value = ? AND leads = 0",
                    (tenant_id, dimension, *before),
                ),
            ]
        if after is not None:
            statements.append(_add(tenant_id, dimension, after, 1))
    return statements


def _add(tenant_id: str, dimension: str, counter: tuple[str, str], leads: int) -> Statement:
    owner_id, value = counter
    row = {
        "tenant_id": tenant_id,
        "dimension": dimension,
        "owner_id": owner_id,
        "value": value,
        "leads": leads,
    }
    sql, params = insert("lead_counts", row)
    return sql + _ADD, params


def _columns(counted: Counted) -> dict[str, Any]:
    return {
        "owner_id": counted.owner_id,
        "status": counted.status,
        "pool_state": counted.pool_state,
        "source_level1": counted.source_level1,
        "live": int(counted.live),
    }


def _owner(owner_id: Any) -> str:
    return NO_OWNER if owner_id is None else str(owner_id)
