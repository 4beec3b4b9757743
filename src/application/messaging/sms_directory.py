"""The SMS read model: each tenant's signatures and tasks, listable (tenant-first keys)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from application.messaging.sms_commands import SignatureDetails, SmsTaskSummary
from application.shared.pages import Page, fetch_page
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import insert, update
from application.shared.views import ReadModel, View, iso, parse_iso
from domain.messaging.sms_content import SmsContent
from domain.messaging.sms_signature import SmsSignature
from domain.messaging.sms_task import SmsTask

SIGNATURES = "messaging_sms_signatures"
TASKS = "messaging_sms_tasks"


class SmsDirectory(ReadModel):
    """Keeps each tenant's SMS signatures and tasks listable."""

    name = "messaging_sms"
    version = 1
    follows = ("messaging",)
    tables = {
        SIGNATURES: "tenant_id TEXT NOT NULL, signature_id TEXT NOT NULL, text TEXT NOT NULL, "
        "purpose TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, live INTEGER NOT NULL, "
        "version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "PRIMARY KEY (tenant_id, signature_id)",
        TASKS: "tenant_id TEXT NOT NULL, task_id TEXT NOT NULL, name TEXT NOT NULL, "
        "signature TEXT NOT NULL, state TEXT NOT NULL, length INTEGER NOT NULL, "
        "segments INTEGER NOT NULL, send_at TEXT, recipients INTEGER NOT NULL, "
        "live INTEGER NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL, "
        "updated_at TEXT NOT NULL, PRIMARY KEY (tenant_id, task_id)",
    }
    indexes = {
        f"{SIGNATURES}_created": f"{SIGNATURES} (tenant_id, created_at, signature_id)",
        f"{TASKS}_created": f"{TASKS} (tenant_id, created_at, task_id)",
    }

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.skip(tracking)

    # --- signatures ------------------------------------------------------------------

    @process_event.register(SmsSignature.Submitted)
    def _(self, event: Any, tracking: Tracking) -> None:
        row = {
            "tenant_id": str(event.tenant_id),
            "signature_id": str(event.originator_id),
            "text": event.text,
            "purpose": event.purpose,
            "state": "pending",
            "reason": None,
            "live": 1,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
            "updated_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert(SIGNATURES, row)])

    @process_event.register(SmsSignature.Approved)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._signature(event, tracking, {"state": "approved"})

    @process_event.register(SmsSignature.Rejected)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._signature(event, tracking, {"state": "rejected", "reason": event.reason})

    @process_event.register(SmsSignature.Removed)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._signature(event, tracking, {"live": 0})

    def _signature(self, event: Any, tracking: Tracking, changes: dict[str, Any]) -> None:
        where = {"tenant_id": str(tenant_of(event)), "signature_id": str(event.originator_id)}
        self.view.write(tracking, [update(SIGNATURES, self._stamped(event, changes), where=where)])

    # --- tasks -----------------------------------------------------------------------

    @process_event.register(SmsTask.Drafted)
    def _(self, event: Any, tracking: Tracking) -> None:
        content = SmsContent(event.content["signature"], event.content["text"])
        row = {
            "tenant_id": str(event.tenant_id),
            "task_id": str(event.originator_id),
            "name": event.content["name"],
            "signature": content.signature,
            "state": "draft",
            "length": content.length,
            "segments": content.segments,
            "send_at": None,
            "recipients": 0,
            "live": 1,
            "version": event.originator_version,
            "created_at": iso(event.timestamp),
            "updated_at": iso(event.timestamp),
        }
        self.view.write(tracking, [insert(TASKS, row)])

    @process_event.register(SmsTask.Revised)
    def _(self, event: Any, tracking: Tracking) -> None:
        content = SmsContent(event.content["signature"], event.content["text"])
        changes = {
            "name": event.content["name"],
            "signature": content.signature,
            "length": content.length,
            "segments": content.segments,
        }
        # A rejected task is a draft again once edited (SmsTask._revised).
        self._task(event, tracking, changes, from_rejected=True)

    @process_event.register(SmsTask.ReviewRequested)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._task(event, tracking, {"state": "pending_review"})

    @process_event.register(SmsTask.Approved)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._task(event, tracking, {"state": "draft"})

    @process_event.register(SmsTask.Rejected)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._task(event, tracking, {"state": "rejected", "send_at": None})

    @process_event.register(SmsTask.OpenedForFlow)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._task(event, tracking, {"state": "triggered"})

    @process_event.register(SmsTask.Scheduled)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._task(event, tracking, {"state": "scheduled", "send_at": event.send_at})

    @process_event.register(SmsTask.Unscheduled)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._task(event, tracking, {"state": "draft", "send_at": None})

    @process_event.register(SmsTask.SendingStarted)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._task(event, tracking, {"state": "sending", "recipients": event.recipients})

    @process_event.register(SmsTask.Finished)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._task(event, tracking, {"state": "sent"})

    @process_event.register(SmsTask.Cancelled)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._task(event, tracking, {"state": "cancelled"})

    @process_event.register(SmsTask.Deleted)
    def _(self, event: Any, tracking: Tracking) -> None:
        self._task(event, tracking, {"live": 0})

    def _task(
        self,
        event: Any,
        tracking: Tracking,
        changes: dict[str, Any],
        *,
        from_rejected: bool = False,
    ) -> None:
        tenant, task = str(tenant_of(event)), str(event.originator_id)
        statements = [
            update(
                TASKS,
                self._stamped(event, changes),
                where={"tenant_id": tenant, "task_id": task},
            )
        ]
        if from_rejected:
            statements.append(
                (
                    f"UPDATE {TASKS} SET state = 'draft' WHERE tenant_id = ? AND task_id = ? "
                    "AND state = 'rejected'",
                    (tenant, task),
                )
            )
        self.view.write(tracking, statements)

    @staticmethod
    def _stamped(event: Any, changes: dict[str, Any]) -> dict[str, Any]:
        return {**changes, "version": event.originator_version, "updated_at": iso(event.timestamp)}


class SmsQueries:
    """Reads of the SMS lists."""

    def __init__(self, view: View) -> None:
        self.view = view

    def signatures(
        self, tenant_id: UUID, *, cursor: str | None, limit: int
    ) -> Page[SignatureDetails]:
        """The tenant's signatures not removed, newest first."""
        page = fetch_page(
            self.view,
            table=SIGNATURES,
            where="tenant_id = ? AND live = 1",
            params=[str(tenant_id)],
            order_by=("created_at", "signature_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_signature(row) for row in page.items], page.next_cursor)

    def has_approved_signature(self, tenant_id: UUID) -> bool:
        rows = self.view.rows(
            f"SELECT 1 FROM {SIGNATURES} WHERE tenant_id = ? AND live = 1 AND state = ? LIMIT 1",
            (str(tenant_id), "approved"),
        )
        return bool(rows)

    def tasks(
        self, tenant_id: UUID, *, state: str | None, cursor: str | None, limit: int
    ) -> Page[SmsTaskSummary]:
        """The tenant's live tasks, newest first, optionally in one state."""
        where, params = "tenant_id = ? AND live = 1", [str(tenant_id)]
        if state:
            where, params = where + " AND state = ?", [*params, state]
        page = fetch_page(
            self.view,
            table=TASKS,
            where=where,
            params=params,
            order_by=("created_at", "task_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_task(row) for row in page.items], page.next_cursor)


def _signature(row: dict[str, Any]) -> SignatureDetails:
    return SignatureDetails(
        id=UUID(row["signature_id"]),
        text=row["text"],
        purpose=row["purpose"],
        state=row["state"],
        reason=row["reason"],
        version=int(row["version"]),
        created_at=parse_iso(row["created_at"]),
        updated_at=parse_iso(row["updated_at"]),
    )


def _task(row: dict[str, Any]) -> SmsTaskSummary:
    return SmsTaskSummary(
        id=UUID(row["task_id"]),
        name=row["name"],
        signature=row["signature"],
        state=row["state"],
        length=int(row["length"]),
        segments=int(row["segments"]),
        send_at=datetime.fromisoformat(row["send_at"]) if row["send_at"] else None,
        recipients=int(row["recipients"]),
        version=int(row["version"]),
        created_at=parse_iso(row["created_at"]),
        updated_at=parse_iso(row["updated_at"]),
    )
