"""A lead's page (/console/leads/{lead_id}): profile, identities, consent, tags, the
timeline and the record's history, inside the viewer's data scope (ORG-2: a lead
outside it is the 404 page, like another tenant's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.response import Template

from application.leads.leads import Leads
from application.leads.queries import LeadQueries, TimelineEntry
from application.leads.settings import TenantLeadSettings
from application.org.directory import OrgQueries
from application.shared.history import HistoryEntry, RecordHistory
from domain.shared.access import Action
from entrypoints.web.i18n import gettext as _
from entrypoints.web.leads.behaviour_moments import (
    behaviour_details,
    behaviour_label,
    is_behaviour,
)
from entrypoints.web.leads.lead_support import (
    CHANNELS,
    CONSENT_STATES,
    IDENTITY_KINDS,
    LIST_PATH,
    NO_CONSENT,
    POOL_BADGES,
    PROFILE_FIELDS,
    TIMELINE_KINDS,
    owner_names,
    pool_label,
)
from entrypoints.web.pages import page, tenant_may

TIMELINE_PAGE = 20
HISTORY_SHOWN = 50  # the newest events inline; the whole record is on the history page


@dataclass(frozen=True)
class Moment:
    """One line of the timeline or history, as the page shows it."""

    at: Any
    what: str
    actor: str
    details: str
    request_id: str = ""
    reason: str = ""


class LeadPageController(Controller):
    path = "/leads/{lead_id:uuid}"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def lead_page(
        self,
        request: Request[Any, Any, Any],
        lead_id: UUID,
        leads: Leads,
        lead_queries: LeadQueries,
        lead_settings: TenantLeadSettings,
        org_queries: OrgQueries,
        history: RecordHistory,
        timeline_cursor: str | None = None,
    ) -> Template:
        caller = tenant_may(request, "leads")
        lead = leads.lead(caller, lead_id)  # NotFound outside the scope: the 404 page
        timeline = lead_queries.timeline(
            caller, lead_id, cursor=timeline_cursor, limit=TIMELINE_PAGE
        )
        events: list[HistoryEntry] = []
        if caller.may("history", Action.READ):
            events = history.seen_by(caller, lead_id)[-HISTORY_SHOWN:][::-1]
        people = {lead.owner_id} | _employees_named(timeline.items, events)
        names = owner_names(org_queries, caller.tenant_id, people)
        settings = lead_settings.settings(caller.tenant_id)
        statuses = {status.key: status.name for status in settings.statuses}
        fields = {field.key: field.name for field in settings.custom_fields}
        user_types = {"person": _("个人")} | {t.key: t.name for t in settings.user_types}
        name = str(lead.profile.get("name") or _("（未填姓名）"))
        return page(
            request,
            "leads/lead/lead.html",
            title=name,
            lead=lead,
            name=name,
            owner=names.get(str(lead.owner_id), "—") if lead.owner_id else _("公海"),
            lead_status=statuses.get(lead.status, lead.status),
            pool_state=pool_label(lead.pool_state),
            user_type=user_types.get(lead.user_type, lead.user_type),
            pool_badge=POOL_BADGES.get(lead.pool_state, "info"),
            profile=[(_(label), lead.profile.get(key)) for key, label in PROFILE_FIELDS.items()],
            custom=[(fields.get(key, key), value) for key, value in lead.custom.items()],
            source=[(key, value) for key, value in lead.source.items() if value],
            identities=[
                (_(IDENTITY_KINDS.get(i["kind"], i["kind"])), i["value"]) for i in lead.identities
            ],
            consent=[
                (
                    _(label),
                    _(
                        CONSENT_STATES.get(
                            lead.consent.get(channel, {}).get("state", ""), NO_CONSENT
                        )
                    ),
                    lead.consent.get(channel, {}).get("source", ""),
                )
                for channel, label in CHANNELS.items()
            ],
            timeline=[_timeline_moment(entry, names, statuses) for entry in timeline.items],
            timeline_next=(
                f"{LIST_PATH}/{lead_id}?timeline_cursor={timeline.next_cursor}"
                if timeline.next_cursor
                else None
            ),
            history=[_history_moment(entry, names) for entry in events],
            may_update=caller.may("leads", Action.UPDATE),
            may_close=caller.may("leads", Action.CLOSE),
            open_lead=lead.pool_state not in ("won", "lost", "closed") and not lead.deleted,
            base=f"{LIST_PATH}/{lead_id}",
        )


def _employees_named(timeline: list[TimelineEntry], events: list[HistoryEntry]) -> set[UUID | None]:
    """Everyone the page names: owners in the timeline, employees who acted."""
    found: set[UUID | None] = set()
    for entry in timeline:
        for key in ("owner_id", "previous_owner_id", "from_owner_id", "to_owner_id"):
            found.add(_uuid(entry.details.get(key)))
    for actor in [e.actor for e in timeline] + [e.actor for e in events]:
        if actor and actor.get("kind") == "employee":
            found.add(_uuid(actor.get("id")))
    return found


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def _actor(actor: dict[str, Any] | None, names: dict[str, str]) -> str:
    if not actor:
        return _("系统")
    kind = actor.get("kind")
    if kind == "employee":
        return names.get(str(actor.get("id")), _("员工"))
    labels = {"api_key": _("API 密钥"), "staff": _("平台员工"), "visitor": _("访客")}
    return labels.get(str(kind), _("系统"))


def _timeline_moment(
    entry: TimelineEntry, names: dict[str, str], statuses: dict[str, str]
) -> Moment:
    details = entry.details
    if is_behaviour(entry.kind):  # a page view, event, click… (the tracking context's)
        return Moment(
            at=entry.at,
            what=behaviour_label(entry.kind),
            actor=_actor(entry.actor, names),
            details=behaviour_details(details),
        )
    shown: list[str] = []
    for key in ("owner_id", "to_owner_id"):
        if details.get(key):
            shown.append(_("负责人：{name}").format(name=names.get(str(details[key]), "—")))
    if details.get("status"):
        shown.append(
            _("状态：{status}").format(status=statuses.get(details["status"], details["status"]))
        )
    if details.get("outcome"):
        shown.append(pool_label(str(details["outcome"])))
    if details.get("tags"):
        shown.append(", ".join(str(tag) for tag in details["tags"]))
    if details.get("channel"):
        shown.append(
            f"{_(CHANNELS.get(details['channel'], details['channel']))} · "
            f"{_(CONSENT_STATES.get(details.get('state', ''), details.get('state', '')))}"
        )
    for key in ("note", "reason"):
        if details.get(key):
            shown.append(str(details[key]))
    return Moment(
        at=entry.at,
        what=_(TIMELINE_KINDS.get(entry.kind, entry.kind)),
        actor=_actor(entry.actor, names),
        details="；".join(shown),
    )


def _history_moment(entry: HistoryEntry, names: dict[str, str]) -> Moment:
    kind = "lead." + entry.type.rsplit(".", 1)[-1]
    return Moment(
        at=entry.timestamp,
        what=_(TIMELINE_KINDS.get(kind, entry.type)),
        actor=_actor(entry.actor, names),
        details=entry.type,
        request_id=entry.request_id or "",
        reason=entry.reason or "",
    )
