"""Start conditions as a policy (FLOW-2): what happens to leads in other contexts, seen
in their events and in the behaviour log, enrols them in the tenant's enabled flows.

The policy keeps the enabled flows' start conditions (from the flows' own events) and
the behaviour log by lead (`LeadBehaviours`: a visitor's behaviour counts once the
visitor is a known lead). Each upstream event becomes at most a few `Occurrence`s; every
enabled flow of the tenant whose trigger matches one admits the lead
(`Enrolments.enrol`), the cause being the event's upstream and position. Commands come
before the tracking row, so a crash replays the event and the remembered cause admits
nobody twice. Points a flow gives start no flow (`PointsGiven` is not an occurrence), so
a flow cannot feed itself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.flows.enrolments import Enrolments
from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.lead_behaviours import (
    LEAD_REGISTERED,
    LeadBehaviours,
    stitched_indexes,
    stitched_tables,
)
from application.shared.stamping import tenant_of
from application.shared.tenant_rows import RecordTenants, insert
from application.shared.views import Statement, parse_iso
from domain.flows.triggers import Occurrence, Trigger, TriggerKind

log = logging.getLogger("huoke.flows.enrolling")
PREFIX = "flows_enrolling"
FLOWS = f"{PREFIX}_flows"
COLUMNS = "kind TEXT NOT NULL, name TEXT NOT NULL, channel TEXT NOT NULL, properties TEXT NOT NULL,"
KEPT_PROPERTIES = ("account", "scene", "key", "task", "url", "dwell_ms", "event")
LEAD_TOPICS = {
    "leads.Lead.Tagged": TriggerKind.TAG_ADDED,
    "leads.Lead.Untagged": TriggerKind.TAG_REMOVED,
    "leads.Lead.StatusChanged": TriggerKind.STATUS_CHANGED,
}
MEMBERSHIP_TOPICS = {
    "segments.Membership.Joined": TriggerKind.JOINED_GROUP,
    "segments.Membership.Left": TriggerKind.LEFT_GROUP,
}
# Score changes that start points_changed flows (not PointsGiven: see the module).
SCORE_TOPICS = frozenset(
    {
        "scoring.LeadScore.PointsAwarded",
        "scoring.LeadScore.PointsWithdrawn",
        "scoring.LeadScore.PointsExpired",
        "scoring.LeadScore.PointsAdjusted",
    }
)
FLOW_TOPICS = frozenset(
    {
        "flows.Flow.Enabled",
        "flows.Flow.VersionPublished",
        "flows.Flow.Disabled",
        "flows.Flow.Archived",
    }
)


class Enrolling(LeadBehaviours):
    """Enrols leads in the flows whose start condition they meet (see the module)."""

    name = "flows_enrolling"
    prefix = PREFIX
    follows = (BEHAVIOURS, "tracking", "leads", "segments", "scoring", "flows")
    tenants = RecordTenants(f"{PREFIX}_record_tenants")
    tables = {
        **stitched_tables(PREFIX, COLUMNS),
        FLOWS: "tenant_id TEXT NOT NULL, flow_id TEXT NOT NULL, trigger_kind TEXT NOT NULL, "
        "trigger TEXT NOT NULL, flow_version INTEGER NOT NULL, "
        "PRIMARY KEY (tenant_id, flow_id)",
        **tenants.definition,
    }
    indexes = {
        **stitched_indexes(PREFIX),
        f"{PREFIX}_by_kind": f"{FLOWS} (tenant_id, trigger_kind)",
    }
    platform_wide = {tenants.table: "whose record an id is, for events stored unstamped"}

    def __init__(self, view: Any, *, enrolments: Enrolments) -> None:
        super().__init__(view)
        self.enrolments = enrolments

    # --- the behaviour log ----------------------------------------------------------------

    def row_of(self, behaviour: Behaviour) -> dict[str, Any]:
        kept = {k: behaviour.properties[k] for k in KEPT_PROPERTIES if k in behaviour.properties}
        return {
            "kind": behaviour.kind,
            "name": behaviour.name[:200],
            "channel": behaviour.channel,
            "properties": json.dumps(kept, ensure_ascii=False, default=str),
        }

    def added(self, tenant_id: str, lead_id: str, row: dict[str, Any]) -> list[Statement]:
        occurrences = behaviour_occurrences(UUID(lead_id), row)
        self._enrol(UUID(tenant_id), occurrences, cause=f"{BEHAVIOURS}:{row['position']}")
        return []

    # --- other contexts' events and the flows' own ----------------------------------------

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if isinstance(domain_event, Behaviour):
            super().process_event(domain_event, tracking)
            return
        topic = get_topic(type(domain_event))
        if topic in FLOW_TOPICS:
            self.view.write(tracking, self._flow_changed(topic, domain_event))
            return
        occurrences = event_occurrences(topic, domain_event)
        if occurrences:
            tenant_id = tenant_of(domain_event) or getattr(domain_event, "tenant_id", None)
            if tenant_id is not None:
                cause = f"{tracking.application_name}:{tracking.notification_id}"
                self._enrol(UUID(str(tenant_id)), occurrences, cause=cause)
        super().process_event(domain_event, tracking)  # visitors and merges; others skip

    def _flow_changed(self, topic: str, event: Any) -> list[Statement]:
        tenant_id, flow_id = str(tenant_of(event)), str(event.originator_id)
        where = (tenant_id, flow_id)
        delete = (f"DELETE FROM {FLOWS} WHERE tenant_id = ? AND flow_id = ?", where)
        if topic in ("flows.Flow.Disabled", "flows.Flow.Archived"):
            return [delete]
        if topic == "flows.Flow.VersionPublished":
            rows = self.view.rows(
                f"SELECT flow_id FROM {FLOWS} WHERE tenant_id = ? AND flow_id = ?", where
            )
            if not rows:  # published on enabling: the Enabled event that follows adds it
                return []
            trigger = event.trigger
        else:  # Enabled: the version it enabled is the last one published before it
            flow = self.enrolments.flow(UUID(tenant_id), UUID(flow_id), event.originator_version)
            trigger = flow.published_version(event.version)["trigger"]
        return [
            delete,
            insert(
                FLOWS,
                {
                    "tenant_id": tenant_id,
                    "flow_id": flow_id,
                    "trigger_kind": trigger["kind"],
                    "trigger": json.dumps(trigger, ensure_ascii=False),
                    "flow_version": event.originator_version,
                },
            ),
        ]

    def _enrol(self, tenant_id: UUID, occurrences: Iterable[Occurrence], *, cause: str) -> None:
        for occurrence in occurrences:
            rows = self.view.rows(
                f"SELECT flow_id, trigger, flow_version FROM {FLOWS} "
                "WHERE tenant_id = ? AND trigger_kind = ? ORDER BY flow_id",
                (str(tenant_id), occurrence.kind.value),
            )
            for row in rows:
                if not Trigger.parse(json.loads(row["trigger"])).matches(occurrence):
                    continue
                self.enrolments.enrol(
                    tenant_id,
                    UUID(row["flow_id"]),
                    occurrence.lead_id,
                    cause=cause,
                    at=occurrence.at,
                    flow_version=int(row["flow_version"]),
                )


def behaviour_occurrences(lead_id: UUID, row: dict[str, Any]) -> list[Occurrence]:
    """What a behaviour of a known lead is to start conditions."""
    kind, channel = row["kind"], row["channel"]
    found = json.loads(row["properties"])
    at = parse_iso(row["at"])
    account = {"account_id": found.get("account")}

    def occurred(trigger: TriggerKind, **properties: Any) -> Occurrence:
        return Occurrence(trigger, lead_id, at, properties)

    if kind == BehaviourKind.WECHAT_FOLLOWED:
        followed = [occurred(TriggerKind.WECHAT_FOLLOWED, **account)]
        if found.get("scene"):  # followed by scanning a parameter QR code
            followed.append(
                occurred(TriggerKind.WECHAT_QR_SCANNED, **account, scene=found["scene"])
            )
        return followed
    if kind == BehaviourKind.WECHAT_UNFOLLOWED:
        return [occurred(TriggerKind.WECHAT_UNFOLLOWED, **account)]
    if kind == BehaviourKind.WECHAT_SCANNED:
        return [occurred(TriggerKind.WECHAT_QR_SCANNED, **account, scene=found.get("scene"))]
    if kind == BehaviourKind.WECHAT_MENU_CLICKED:
        return [occurred(TriggerKind.WECHAT_MENU_CLICKED, **account, key=found.get("key"))]
    if kind == BehaviourKind.OPEN:
        return [occurred(TriggerKind.EMAIL_OPENED, task_id=found.get("task"))]
    if kind == BehaviourKind.CLICK and channel in ("email", "sms"):
        trigger = (
            TriggerKind.EMAIL_LINK_CLICKED if channel == "email" else TriggerKind.SMS_LINK_CLICKED
        )
        return [occurred(trigger, task_id=found.get("task"))]
    if kind == BehaviourKind.PAGE:
        dwell = found.get("dwell_ms")
        seconds = dwell / 1000 if isinstance(dwell, int | float) else 0
        return [occurred(TriggerKind.PAGE_VISITED, url=found.get("url"), dwell_seconds=seconds)]
    if kind == BehaviourKind.TRACK:
        return [occurred(TriggerKind.CUSTOM_EVENT, name=row["name"])]
    return []


def event_occurrences(topic: str, event: Any) -> list[Occurrence]:
    """What another context's event is to start conditions."""
    at = event.timestamp
    if topic in LEAD_TOPICS:
        kind = LEAD_TOPICS[topic]
        lead_id = event.originator_id
        if kind is TriggerKind.STATUS_CHANGED:
            return [Occurrence(kind, lead_id, at, {"status": event.status})]
        return [Occurrence(kind, lead_id, at, {"tag": tag}) for tag in event.tags]
    if topic == LEAD_REGISTERED:
        source = getattr(event, "source", None) or {}
        return [
            Occurrence(
                TriggerKind.REGISTERED, event.originator_id, at, {"source": source.get("level1")}
            )
        ]
    if topic in MEMBERSHIP_TOPICS:
        return [
            Occurrence(MEMBERSHIP_TOPICS[topic], event.lead_id, at, {"group_id": event.group_id})
        ]
    if topic in SCORE_TOPICS:
        return [Occurrence(TriggerKind.POINTS_CHANGED, event.lead_id, at, {"points": event.score})]
    return []
