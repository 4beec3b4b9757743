"""Following short links and e-mail tokens (TRK-2): where a visitor goes, and the click
or open behaviour it leaves in the log.

A click is stored (group-committed through `Ingestion`) before the redirect is answered,
so an answered click is never lost; robots and prefetches are redirected and never
stored. When the log is too busy the visitor is still sent on (a click must never break
the link) and the click is not counted: `Followed.counted` says so.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from application.shared.behaviours import Behaviour, BehaviourKind, Channel
from application.shared.clock import Clock
from application.shared.context import current_context
from application.tracking.ingestion import Ingestion, IngestionBusy
from application.tracking.link_codes import LinkCodes
from application.tracking.link_directory import LinkQueries, ResolvedLink
from application.tracking.robots import device_class, is_prefetch, is_robot
from application.tracking.utm import UTM_KEYS, utm_of

log = logging.getLogger("huoke.tracking.clicks")
LINK_PARAMETER = "hk_link"  # names the promotion link on the landing URL
SOURCE = "links"  # the behaviours' source_id: this part of the tracking context


@dataclass(frozen=True)
class Visit:
    """The request that followed a code: who (the first-party anonymous id), with what."""

    anonymous_id: str
    user_agent: str
    headers: Mapping[str, str]  # lower-case names
    ip: str | None = None
    head_only: bool = False  # a HEAD request: a link checker, never a person

    @property
    def by_person(self) -> bool:
        return not (self.head_only or is_robot(self.user_agent) or is_prefetch(self.headers))


@dataclass(frozen=True)
class Followed:
    """Where to send the visitor (None: the code is unknown, 404) and what was counted."""

    url: str | None
    gone: bool = False  # the link was archived (410)
    counted: bool = False


class LinkFollowing:
    """Resolves codes and tokens, records clicks and opens, answers where to go."""

    def __init__(
        self,
        codes: LinkCodes,
        links: LinkQueries,
        ingestion: Ingestion,
        clock: Clock,
    ) -> None:
        self.codes = codes
        self.links = links
        self.ingestion = ingestion
        self.clock = clock

    def follow(self, code: str, visit: Visit) -> Followed:
        """A `/s/{code}` visit: the target (with the link's parameters), the click stored
        unless a robot made it. A tampered code is unknown before any read."""
        read = self.codes.read(code)
        if read is None:
            return Followed(None)
        link = self.links.resolve(read.short_code)
        if link is None:
            return Followed(None)
        if link.archived:
            return Followed(None, gone=True)
        url = landing_url(link)
        if not visit.by_person:
            return Followed(url)
        channel = read.channel or Channel.LINK
        properties: dict[str, Any] = {
            "link_id": str(link.link_id),
            "code": link.code,
            "channel_label": link.channel,
            "employee_id": str(link.employee_id) if link.employee_id else None,
            "device": device_class(visit.user_agent),
            "url": url,
        }
        behaviour = self._behaviour(
            tenant_id=link.tenant_id,
            kind=BehaviourKind.CLICK,
            channel=channel,
            name=link.title,
            properties=properties,
            visit=visit,
            lead_id=read.lead_id,
            campaign=utm_of(url),
        )
        return Followed(url, counted=self._take(behaviour))

    def opened(self, token: str, visit: Visit) -> bool | None:
        """An e-mail's open pixel was loaded: None for a token huoke did not sign, else
        whether the open was counted (robots and prefetches are not)."""
        read = self.codes.read_open(token)
        if read is None:
            return None
        if not visit.by_person:
            return False
        behaviour = self._behaviour(
            tenant_id=read.tenant_id,
            kind=BehaviourKind.OPEN,
            channel=Channel.EMAIL,
            name="email_opened",
            properties={"message": read.message_key, "device": device_class(visit.user_agent)},
            visit=visit,
            lead_id=read.lead_id,
            campaign={},
        )
        return self._take(behaviour)

    def clicked(self, token: str, visit: Visit) -> Followed:
        """A link in an e-mail was followed: its signed target, the click stored."""
        read = self.codes.read_click(token)
        if read is None or read.url is None:
            return Followed(None)
        if not visit.by_person:
            return Followed(read.url)
        behaviour = self._behaviour(
            tenant_id=read.tenant_id,
            kind=BehaviourKind.CLICK,
            channel=Channel.EMAIL,
            name="email_link_clicked",
            properties={
                "message": read.message_key,
                "url": read.url,
                "device": device_class(visit.user_agent),
            },
            visit=visit,
            lead_id=read.lead_id,
            campaign=utm_of(read.url),
        )
        return Followed(read.url, counted=self._take(behaviour))

    def _behaviour(
        self,
        *,
        tenant_id: uuid.UUID,
        kind: BehaviourKind,
        channel: Channel,
        name: str,
        properties: dict[str, Any],
        visit: Visit,
        lead_id: uuid.UUID | None,
        campaign: dict[str, str],
    ) -> Behaviour:
        now = self.clock.now()
        context: dict[str, Any] = {"userAgent": visit.user_agent[:500]}
        if visit.ip:
            context["ip"] = visit.ip
        if campaign:
            context["campaign"] = campaign
        return Behaviour(
            tenant_id=tenant_id,
            kind=kind.value,
            channel=channel.value,
            occurred_at=now,
            received_at=now,
            # Every click is its own observation: a second click is a second row.
            message_id=f"{kind.value}-{uuid.uuid4().hex}",
            name=name,
            properties=properties,
            context=context,
            anonymous_id=visit.anonymous_id,
            lead_id=lead_id,
            source_id=SOURCE,
            request_id=current_context().request_id or "",
        )

    def _take(self, behaviour: Behaviour) -> bool:
        try:
            self.ingestion.take([behaviour])
        except IngestionBusy:
            log.warning("the behaviour log is busy: a %s was not counted", behaviour.kind)
            return False
        return True


def landing_url(link: ResolvedLink) -> str:
    """The link's target with `hk_link` (so the landing page's snippet can name the link)
    and the link's UTM values added, unless the target names them itself: the target's
    own UTM parameters win, and nothing else of it is changed."""
    parts = urlsplit(link.target_url)
    present = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    added = []
    if LINK_PARAMETER not in present:
        added.append((LINK_PARAMETER, link.code))
    if not present & set(UTM_KEYS):
        for key, value in (
            ("utm_source", link.utm_source),
            ("utm_medium", link.utm_medium),
            ("utm_campaign", link.utm_campaign),
        ):
            if value:
                added.append((key, value))
    if not added:
        return link.target_url
    extra = "&".join(f"{key}={quote(value, safe='')}" for key, value in added)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))
