"""The operation log (AUD-4): who changed which configuration, when, and why.

A read model following every application. Which events are configuration changes
(plans, roles, API keys, tags, fields, sources, settings…) is the `catalogue` each
context's manifest declares (topic -> what the log says), so this context imports no
other: it reads only what every stored event carries (topic, record id, time, the
stamped actor, request id, reason and tenant) plus the event's own primitive fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic
from pydantic import BaseModel

from application.shared.pages import Page, fetch_page
from application.shared.stamping import metadata_of, tenant_of
from application.shared.views import EVERY_APPLICATION, ReadModel, View, iso, parse_iso

PLATFORM = ""  # the tenant column of changes no tenant owns (staff accounts)
_HIDDEN = ("hash", "secret", "token", "contact", "mobile", "email", "phone")
_ENVELOPE = {"originator_id", "originator_version", "timestamp", "_meta"}


class OperationLog(ReadModel):
    """One row per configuration change, newest first per tenant."""

    name = "operation_log"
    follows = EVERY_APPLICATION
    tables = {
        "operation_log": (
            "tenant_id TEXT NOT NULL, entry_id TEXT NOT NULL, occurred_at TEXT NOT NULL, "
            "application TEXT NOT NULL, topic TEXT NOT NULL, summary TEXT NOT NULL, "
            "record_id TEXT NOT NULL, actor_kind TEXT, actor_id TEXT, request_id TEXT, "
            "reason TEXT, changes TEXT NOT NULL, PRIMARY KEY (tenant_id, entry_id)"
        )
    }
    indexes = {
        "operation_log_by_time": "operation_log (tenant_id, occurred_at, entry_id)",
        "operation_log_by_record": "operation_log (tenant_id, record_id, occurred_at)",
        "operation_log_by_actor": "operation_log (tenant_id, actor_id, occurred_at)",
    }

    def __init__(self, view: View, *, catalogue: Mapping[str, str]) -> None:
        super().__init__(view=view)
        self.catalogue = catalogue

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        topic = get_topic(type(domain_event))
        summary = self.catalogue.get(topic)
        if summary is None:
            self.skip(tracking)
            return
        metadata = metadata_of(domain_event)
        actor = metadata.get("actor") or {}
        entry_id = f"{tracking.application_name}:{tracking.notification_id:012d}"
        columns = (
            "tenant_id, entry_id, occurred_at, application, topic, summary, record_id, "
            "actor_kind, actor_id, request_id, reason, changes"
        )
        self.view.write(
            tracking,
            [
                (
                    f"INSERT INTO operation_log ({columns}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        _tenant(domain_event, topic),
                        entry_id,
                        iso(domain_event.timestamp),
                        tracking.application_name,
                        topic,
                        summary,
                        str(domain_event.originator_id),
                        actor.get("kind"),
                        actor.get("id"),
                        metadata.get("request_id"),
                        metadata.get("reason"),
                        json.dumps(_changes(domain_event), ensure_ascii=False, default=str),
                    ),
                )
            ],
        )


def _tenant(domain_event: Any, topic: str) -> str:
    tenant = tenant_of(domain_event) or getattr(domain_event, "tenant_id", None)
    if tenant is None and topic.startswith("tenancy.Tenant."):
        tenant = domain_event.originator_id  # a tenant's own record (events stored earlier)
    return str(tenant) if tenant else PLATFORM


def _changes(domain_event: Any) -> dict[str, Any]:
    """The event's own fields, without secrets and contact details (the log is a table
    anyone with audit access reads; the encrypted event keeps the full record)."""
    return {
        key: value
        for key, value in vars(domain_event).items()
        if key not in _ENVELOPE and not any(word in key for word in _HIDDEN)
    }


class OperationEntry(BaseModel):
    id: str
    occurred_at: datetime
    context: str
    topic: str
    summary: str
    record_id: UUID
    actor_kind: str | None
    actor_id: str | None
    request_id: str | None
    reason: str | None
    changes: dict[str, Any]


@dataclass(frozen=True)
class LogFilter:
    """What to list: one record, one actor, a topic or its prefix, a time range."""

    record_id: UUID | None = None
    actor_id: str | None = None
    topic: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class OperationLogQueries:
    """Pages of the log, newest first, filtered by record, actor, topic and time."""

    def __init__(self, view: View) -> None:
        self.view = view

    def page(
        self,
        tenant_id: UUID | None,
        selected: LogFilter,
        *,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[OperationEntry]:
        """One page of a tenant's log (`tenant_id=None`: the platform's own changes)."""
        where: list[str] = ["tenant_id = ?"]
        params: list[Any] = [str(tenant_id) if tenant_id else PLATFORM]
        record_id, actor_id, topic = selected.record_id, selected.actor_id, selected.topic
        since, until = selected.since, selected.until
        for column, value in (("record_id", record_id), ("actor_id", actor_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(str(value))
        if topic is not None:  # a topic or its prefix: "leads.LeadSettings"
            prefix = topic + "."
            where.append("(topic = ? OR substr(topic, 1, ?) = ?)")
            params += [topic, len(prefix), prefix]
        if since is not None:
            where.append("occurred_at >= ?")
            params.append(iso(since))
        if until is not None:
            where.append("occurred_at < ?")
            params.append(iso(until))
        page = fetch_page(
            self.view,
            table="operation_log",
            where=" AND ".join(where),
            params=params,
            order_by=("occurred_at", "entry_id"),
            descending=True,
            cursor=cursor,
            limit=limit,
        )
        return Page([_entry(row) for row in page.items], page.next_cursor)


def _entry(row: dict[str, Any]) -> OperationEntry:
    return OperationEntry(
        id=row["entry_id"],
        occurred_at=parse_iso(row["occurred_at"]),
        context=row["application"],
        topic=row["topic"],
        summary=row["summary"],
        record_id=UUID(row["record_id"]),
        actor_kind=row["actor_kind"],
        actor_id=row["actor_id"],
        request_id=row["request_id"],
        reason=row["reason"],
        changes=json.loads(row["changes"]),
    )
