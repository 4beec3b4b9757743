"""Identity stitching (issue 15 item 5, LEAD-1): a visitor who says who they are is
attached to their lead, and so is everything they did before.

The policy follows the behaviour log. An identify (and any behaviour with a user id)
names the person by identities: its traits' mobile (or phone), e-mail, WeChat openid
and unionid, and the user id as the tenant's member id. The leads context answers
which lead holds them (`LeadIdentities`: it matches its identity index, and creates a
lead only when none holds any, so a behaviour never makes a second lead for a known
identity). The visitor's anonymous id and user id are then recorded as `Visitor`s of
that lead; the read models (the timeline, the activity reads) carry the visitor's
earlier behaviour to the lead from those events. An alias carries the link of its
previous id to its user id.

Exactly once: a behaviour seen again (after a crash) matches the lead it made the first
time, and identifying a visitor with the lead it already is records nothing; visitor
ids are derived from tenant and key, so concurrent identifies collide, not duplicate.
A bad trait (an invalid mobile) is left out and logged, never raised: it must not
stop the log.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.shared.behaviours import BEHAVIOURS, Behaviour, BehaviourKind
from application.shared.errors import VersionConflict
from application.shared.policies import Policy
from application.shared.views import View
from application.tracking.ports import LeadIdentities, PersonSeen
from application.tracking.tracking import Tracking as TrackingApplication
from domain.shared.errors import DomainError
from domain.tracking.visitor import Visitor, VisitorKind, visitor_id

log = logging.getLogger("huoke.tracking.stitching")

# Trait names (Segment's first, then common Chinese-market ones) for each identity kind.
IDENTITY_TRAITS: dict[str, tuple[str, ...]] = {
    "mobile": ("mobile", "phone"),
    "email": ("email",),
    "wechat_openid": ("wechat_openid", "openid", "openId"),
    "wechat_unionid": ("wechat_unionid", "unionid", "unionId"),
}
PROFILE_TRAITS = ("name", "company", "city", "title")
KNOWN_VISITORS = 100_000  # visitor ids this process remembers as linked (a hint only)
RETRIES = 3


class Stitching(Policy):
    """Attaches visitors to leads as behaviours name them."""

    name = "tracking_stitching"
    follows = (BEHAVIOURS,)

    def __init__(self, view: View, *, tracking: TrackingApplication, leads: LeadIdentities) -> None:
        super().__init__(view)
        self.tracking = tracking
        self.leads = leads
        # visitor id -> lead id of visitors this process linked or loaded: a track call
        # of a known user then costs no look-up. Links are only ever moved by this
        # policy, which runs in one process at a time, so a hint is at worst one call
        # late to skip; identifies always ask the leads.
        self._known: OrderedDict[UUID, UUID] = OrderedDict()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if isinstance(domain_event, Behaviour):
            self.stitch(domain_event)
        self.view.write(tracking, ())

    def stitch(self, behaviour: Behaviour) -> None:
        """Link the behaviour's visitors to the lead its identities name, if any."""
        tenant_id = behaviour.tenant_id
        kind = behaviour.kind
        if kind not in (BehaviourKind.IDENTIFY, BehaviourKind.ALIAS) and not behaviour.user_id:
            return
        keys = visitor_keys(behaviour)
        if kind not in (BehaviourKind.IDENTIFY, BehaviourKind.ALIAS) and self._linked(
            tenant_id, keys
        ):
            return  # a known user's track, page or screen: nothing new to learn
        known = None
        if behaviour.anonymous_id:  # the browser may already be somebody's
            anonymous = visitor_id(tenant_id, VisitorKind.ANONYMOUS, behaviour.anonymous_id)
            known = self._lead_of(anonymous, tenant_id)
        if kind == BehaviourKind.IDENTIFY and behaviour.lead_id is not None:
            known = behaviour.lead_id  # the appender names the lead (e.g. a binding QR code)
        person = person_seen(behaviour, known_lead_id=known)
        if not person.identities:
            return  # nothing recognised: no lead is made of an anonymous visitor
        found = self.leads.lead_for(person)
        if found.refused:
            # The kinds only: the values are personal data and stay out of logs.
            log.warning(
                "behaviour %s of tenant %s: left out invalid %s",
                behaviour.position,
                tenant_id,
                ", ".join(found.refused),
            )
        if found.lead_id is None:
            return
        if kind == BehaviourKind.ALIAS:
            previous = _text(behaviour.properties.get("previous_id"))
            if previous and previous != behaviour.user_id:
                keys.append((self._kind_of_previous(tenant_id, previous), previous))
        for key_kind, key in keys:
            self._identify(tenant_id, key_kind, key, found.lead_id)

    def _linked(self, tenant_id: UUID, keys: list[tuple[str, str]]) -> bool:
        """Whether every visitor of the behaviour is already linked to one lead."""
        leads = set()
        for key_kind, key in keys:
            lead_id = self._lead_of(visitor_id(tenant_id, key_kind, key), tenant_id)
            if lead_id is None:
                return False
            leads.add(lead_id)
        return len(leads) == 1

    def _lead_of(self, found_id: UUID, tenant_id: UUID) -> UUID | None:
        if found_id in self._known:
            return self._known[found_id]
        if found_id not in self.tracking.repository:
            return None
        visitor = self.tracking.load(found_id, Visitor, tenant_id=tenant_id)
        self._remember(found_id, visitor.lead_id)
        return visitor.lead_id

    def _kind_of_previous(self, tenant_id: UUID, previous: str) -> str:
        """An alias's previous id is a user id we know, or else the anonymous id."""
        if visitor_id(tenant_id, VisitorKind.USER, previous) in self.tracking.repository:
            return VisitorKind.USER
        return VisitorKind.ANONYMOUS

    def _identify(self, tenant_id: UUID, kind: str, key: str, lead_id: UUID) -> None:
        found_id = visitor_id(tenant_id, kind, key)
        for _ in range(RETRIES):
            try:
                if found_id in self.tracking.repository:
                    visitor = self.tracking.load(found_id, Visitor, tenant_id=tenant_id)
                    visitor.identify(lead_id)
                else:
                    visitor = Visitor.identify_new(
                        tenant_id=tenant_id, kind=kind, key=key, lead_id=lead_id
                    )
                self.tracking.commit(visitor)
            except VersionConflict:
                continue  # identified meanwhile (another process's commit): load it again
            except DomainError as error:
                log.warning("tenant %s: visitor not identified: %s", tenant_id, error.message)
                return
            self._remember(found_id, lead_id)
            return
        raise VersionConflict(f"visitor {found_id} is busy; retry")

    def _remember(self, found_id: UUID, lead_id: UUID) -> None:
        self._known[found_id] = lead_id
        self._known.move_to_end(found_id)
        if len(self._known) > KNOWN_VISITORS:
            self._known.popitem(last=False)


def visitor_keys(behaviour: Behaviour) -> list[tuple[str, str]]:
    """The behaviour's visitors as (kind, key): its user id and its anonymous id."""
    keys = []
    if behaviour.user_id:
        keys.append((VisitorKind.USER.value, behaviour.user_id))
    if behaviour.anonymous_id:
        keys.append((VisitorKind.ANONYMOUS.value, behaviour.anonymous_id))
    return keys


def person_seen(behaviour: Behaviour, *, known_lead_id: UUID | None = None) -> PersonSeen:
    """Who the behaviour says its visitor is: an identify's traits (its properties),
    any behaviour's `context.traits`, and the user id as the member id."""
    traits: dict[str, Any] = {}
    context_traits = behaviour.context.get("traits")
    if isinstance(context_traits, Mapping):
        traits.update(context_traits)
    if behaviour.kind == BehaviourKind.IDENTIFY:
        traits.update(behaviour.properties)
    identities: dict[str, str] = {}
    for kind, names in IDENTITY_TRAITS.items():
        value = next((_text(traits.get(name)) for name in names if _text(traits.get(name))), None)
        if value:
            identities[kind] = value
    if behaviour.user_id:
        identities["member_id"] = behaviour.user_id
    page = behaviour.context.get("page")
    page = page if isinstance(page, Mapping) else {}
    return PersonSeen(
        tenant_id=behaviour.tenant_id,
        identities=identities,
        profile=_profile(traits),
        channel=behaviour.channel,
        landing_url=_text(page.get("url")),
        referrer=_text(page.get("referrer")),
        known_lead_id=known_lead_id,
    )


def _profile(traits: Mapping[str, Any]) -> dict[str, str]:
    profile = {key: text for key in PROFILE_TRAITS if (text := _text(traits.get(key)))}
    if "name" not in profile:
        parts = [_text(traits.get("firstName")), _text(traits.get("lastName"))]
        if any(parts):
            profile["name"] = " ".join(part for part in parts if part)
    company = traits.get("company")
    if isinstance(company, Mapping) and _text(company.get("name")):
        profile["company"] = str(_text(company.get("name")))
    address = traits.get("address")
    if "city" not in profile and isinstance(address, Mapping) and _text(address.get("city")):
        profile["city"] = str(_text(address.get("city")))
    return profile


def _text(value: Any) -> str | None:
    """A trait as text: strings trimmed, numbers (a mobile sent as a number) written out."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else None
    if isinstance(value, str):
        return value.strip() or None
    return None
