"""Tenant-first rows for read models (DESIGN "Tenancy and access", "Scale").

Every tenant's read-model row is keyed `(tenant_id, record id)` and every statement a
projection makes names the tenant first, updates and deletes included, so the read
models can later be distributed by `tenant_id` (Citus) without a redesign: each
statement then goes to the one shard that holds the tenant.

Most events do not carry their tenant as a field; only a record's creation event does.
Since events are stamped with their aggregate's tenant (`stamp()` in the commit path)
`tenant_of(event)` answers for every event. Events stored before that answer None; for
those the read model remembers, when it sees the record's creation event, which tenant
the record belongs to (`RecordTenants`). Records created since stamping need no such
row, so that table stops growing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from application.shared.stamping import tenant_of
from application.shared.views import Statement, View

TENANT = "tenant_id"
MEMO_LIMIT = 100_000  # remembered ids per view; a rebuild of old events hits it, not SQL


def insert(table: str, row: Mapping[str, Any]) -> Statement:
    """An INSERT that names its columns (a column added later cannot shift the values)."""
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values())


def update(table: str, changes: Mapping[str, Any], *, where: Mapping[str, Any]) -> Statement:
    """`UPDATE table SET a = ?, ... WHERE tenant_id = ? AND id = ?`: `where` in key order,
    the tenant first."""
    assignments = ", ".join(f"{column} = ?" for column in changes)
    condition = " AND ".join(f"{column} = ?" for column in where)
    return (
        f"UPDATE {table} SET {assignments} WHERE {condition}",
        (*changes.values(), *where.values()),
    )


class RecordTenants:
    """Which tenant each record a read model shows belongs to, for the events that were
    stored before events carried their tenant. One helper for every read model: it
    declares a table of the read model's own (`definition`), is told of every creation
    event (`remember`) and answers the tenant of any later event (`of`).

    The table is keyed by record id alone: its one question is "whose record is this?",
    asked only for old events. It is a platform table in the sense of DESIGN's rule
    (no tenant to lead its key); under Citus it is a reference table or is distributed
    by record id."""

    def __init__(self, table: str) -> None:
        self.table = table
        self._known: WeakKeyDictionary[View, dict[str, str]] = WeakKeyDictionary()

    @property
    def definition(self) -> dict[str, str]:
        """The table, to be listed in the read model's `tables`."""
        return {
            self.table: "record_id TEXT NOT NULL, tenant_id TEXT NOT NULL, PRIMARY KEY (record_id)"
        }

    def remember(self, view: View, event: Any, tenant_id: UUID) -> list[Statement]:
        """What a creation event adds so that the record's later events find its tenant:
        nothing when the event is stamped (every later event of the record is too)."""
        if tenant_of(event) is not None:
            return []
        record_id = str(event.originator_id)
        self._memo(view)[record_id] = str(tenant_id)
        return [insert(self.table, {"record_id": record_id, TENANT: str(tenant_id)})]

    def of(self, view: View, event: Any) -> str:
        """The tenant of the record `event` belongs to, as stored in rows: its stamp, else
        the tenant its creation event recorded."""
        stamped = tenant_of(event)
        if stamped is not None:
            return str(stamped)
        record_id = str(event.originator_id)
        memo = self._memo(view)
        if record_id in memo:
            return memo[record_id]
        rows = view.rows(f"SELECT tenant_id FROM {self.table} WHERE record_id = ?", (record_id,))
        if not rows:
            # Only an event saved outside `commit()` could be unstamped after its stamped
            # creation; stopping the view beats showing a row under no tenant.
            raise LookupError(
                f"{type(event).__qualname__} of {record_id} carries no tenant and its "
                "record was not created before events were stamped"
            )
        memo[record_id] = tenant = str(rows[0][TENANT])
        return tenant

    def _memo(self, view: View) -> dict[str, str]:
        # A record's tenant never changes, so what a rolled-back batch taught stays true.
        memo = self._known.setdefault(view, {})
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        return memo
