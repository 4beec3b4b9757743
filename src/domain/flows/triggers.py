"""Start conditions (FLOW-2): what makes a lead enter a flow.

    trigger := {"kind": KIND, ...the kind's parameters...}

Every kind but `date` is met by an `Occurrence`: something that happened to one lead,
which the application derives from another context's event or from the behaviour log
(a tag added, a page visited for 40 s, a QR code scanned). An omitted parameter matches
anything (`{"kind": "wechat_followed"}`: any account). A `date` trigger is met by the
calendar instead: a lead's date field (its month and day every year, or the exact date),
(`mode` yearly or exact) shifted by `offset_days`, at `time` in the tenant's zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.flows.values import choice, whole
from domain.shared.errors import InvalidValue


class TriggerKind(StrEnum):
    JOINED_GROUP = "joined_group"
    LEFT_GROUP = "left_group"
    WECHAT_FOLLOWED = "wechat_followed"
    WECHAT_MENU_CLICKED = "wechat_menu_clicked"
    WECHAT_QR_SCANNED = "wechat_qr_scanned"
    WECHAT_UNFOLLOWED = "wechat_unfollowed"
    EMAIL_OPENED = "email_opened"
    EMAIL_LINK_CLICKED = "email_link_clicked"
    SMS_LINK_CLICKED = "sms_link_clicked"
    TAG_ADDED = "tag_added"
    TAG_REMOVED = "tag_removed"
    STATUS_CHANGED = "status_changed"
    PAGE_VISITED = "page_visited"
    REGISTERED = "registered"
    FORM_SUBMITTED = "form_submitted"
    CUSTOM_EVENT = "custom_event"
    DATE = "date"
    CAMPAIGN_PUBLISHED = "campaign_published"
    CONTENT_PUBLISHED = "content_published"
    MEETING_PUBLISHED = "meeting_published"
    POINTS_CHANGED = "points_changed"


# The parameters each kind may narrow itself by; each must equal the occurrence's.
_EQUALS: dict[TriggerKind, tuple[str, ...]] = {
    TriggerKind.JOINED_GROUP: ("group_id",),
    TriggerKind.LEFT_GROUP: ("group_id",),
    TriggerKind.WECHAT_FOLLOWED: ("account_id",),
    TriggerKind.WECHAT_MENU_CLICKED: ("account_id", "key"),
    TriggerKind.WECHAT_QR_SCANNED: ("account_id", "scene"),
    TriggerKind.WECHAT_UNFOLLOWED: ("account_id",),
    TriggerKind.EMAIL_OPENED: ("task_id",),
    TriggerKind.EMAIL_LINK_CLICKED: ("task_id",),
    TriggerKind.SMS_LINK_CLICKED: ("task_id",),
    TriggerKind.TAG_ADDED: ("tag",),
    TriggerKind.TAG_REMOVED: ("tag",),
    TriggerKind.STATUS_CHANGED: ("status",),
    TriggerKind.PAGE_VISITED: (),
    TriggerKind.REGISTERED: ("source",),
    TriggerKind.FORM_SUBMITTED: ("form_id",),
    TriggerKind.CUSTOM_EVENT: ("name",),
    TriggerKind.DATE: (),
    TriggerKind.CAMPAIGN_PUBLISHED: ("campaign_id",),
    TriggerKind.CONTENT_PUBLISHED: ("content_id",),
    TriggerKind.MEETING_PUBLISHED: ("meeting_id",),
    TriggerKind.POINTS_CHANGED: (),
}
_OTHER: dict[TriggerKind, tuple[str, ...]] = {
    TriggerKind.PAGE_VISITED: ("url", "match", "min_dwell_seconds"),
    TriggerKind.DATE: ("field", "mode", "offset_days", "time"),
    TriggerKind.POINTS_CHANGED: ("at_least",),
}
REQUIRED: dict[TriggerKind, tuple[str, ...]] = {
    TriggerKind.CUSTOM_EVENT: ("name",),
    TriggerKind.PAGE_VISITED: ("url",),
    TriggerKind.DATE: ("field", "time"),
    TriggerKind.TAG_ADDED: ("tag",),
    TriggerKind.TAG_REMOVED: ("tag",),
    TriggerKind.JOINED_GROUP: ("group_id",),
    TriggerKind.LEFT_GROUP: ("group_id",),
}
URL_MATCHES = ("exact", "fuzzy")
DATE_MODES = ("yearly", "exact")
TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Occurrence:
    """Something that happened to one lead, as start conditions see it."""

    kind: TriggerKind
    lead_id: UUID
    at: datetime
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Trigger:
    kind: TriggerKind
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, tree: Any, *, where: str = "trigger") -> Trigger:
        """A start condition from its JSON; an `InvalidValue` names the bad field."""
        if not isinstance(tree, dict) or "kind" not in tree:
            raise InvalidValue(f"{where}: an object with a kind", field=where)
        try:
            kind = TriggerKind(str(tree.get("kind")))
        except ValueError:
            choices = ", ".join(kind.value for kind in TriggerKind)
            raise InvalidValue(f"{where}.kind: one of {choices}", field=f"{where}.kind") from None
        allowed = (*_EQUALS[kind], *_OTHER.get(kind, ()))
        given = {key: value for key, value in tree.items() if key != "kind"}
        for name in sorted(given):
            if name not in allowed:
                at = f"{where}.{name}"
                raise InvalidValue(f"{at}: a {kind.value} trigger takes no {name}", field=at)
        params = {
            name: _parse_param(kind, name, value, f"{where}.{name}")
            for name, value in given.items()
            if value is not None
        }
        return cls(kind, params)

    def to_tree(self) -> dict[str, Any]:
        return {"kind": self.kind.value, **self.params}

    @property
    def missing(self) -> list[str]:
        """The parameters to choose before the flow may be enabled (a copied scenario
        leaves the tenant's own group, tag or page to be chosen)."""
        return [name for name in REQUIRED.get(self.kind, ()) if name not in self.params]

    def require_complete(self, *, where: str = "trigger") -> None:
        if self.missing:
            at = f"{where}.{self.missing[0]}"
            raise InvalidValue(
                f"{at}: a {self.kind.value} trigger needs {self.missing[0]}", field=at
            )

    @property
    def is_scheduled(self) -> bool:
        """Met by the calendar (a `date` trigger), not by an occurrence."""
        return self.kind is TriggerKind.DATE

    def matches(self, occurrence: Occurrence) -> bool:
        """Whether `occurrence` meets this start condition."""
        if occurrence.kind is not self.kind or self.is_scheduled:
            return False
        found = occurrence.properties
        for name in _EQUALS[self.kind]:
            if name in self.params and str(found.get(name)) != str(self.params[name]):
                return False
        if self.kind is TriggerKind.PAGE_VISITED:
            return self._visited(found)
        if self.kind is TriggerKind.POINTS_CHANGED and "at_least" in self.params:
            points = found.get("points")
            return isinstance(points, int | float) and points >= self.params["at_least"]
        return True

    def _visited(self, found: Mapping[str, Any]) -> bool:
        url = str(found.get("url") or "")
        wanted = self.params["url"]
        if self.params.get("match", "exact") == "exact":
            hit = url.rstrip("/") == wanted.rstrip("/")
        else:  # fuzzy: the page's address contains the text, letters in any case
            hit = wanted.lower() in url.lower()
        dwell = found.get("dwell_seconds") or 0
        return hit and bool(dwell >= self.params.get("min_dwell_seconds", 0))

    def fires_on(self, day: date, value: date) -> bool:
        """A `date` trigger: whether a lead whose field holds `value` enters on `day`
        (the tenant's calendar). A yearly 29 February is kept on 28 February in other
        years."""
        target = day - timedelta(days=self.params.get("offset_days", 0))
        if self.params.get("mode", "yearly") == "exact":
            return target == value
        month, dom = value.month, value.day
        if (month, dom) == (2, 29) and not _leap(target.year):
            dom = 28
        return (target.month, target.day) == (month, dom)

    def fire_time(self) -> time:
        """A `date` trigger's time of day in the tenant's zone."""
        hour, minute = self.params["time"].split(":")
        return time(int(hour), int(minute))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _parse_param(kind: TriggerKind, name: str, value: Any, where: str) -> Any:
    if name in ("min_dwell_seconds",):
        return whole(value, where, 0, 86_400)
    if name == "offset_days":
        return whole(value, where, -365, 365)
    if name == "at_least":
        return whole(value, where, -1_000_000, 1_000_000)
    if name == "match":
        return choice(value, URL_MATCHES, where)
    if name == "mode":
        return choice(value, DATE_MODES, where)
    if name == "time":
        if not isinstance(value, str) or not TIME_OF_DAY.match(value):
            raise InvalidValue(f"{where}: a time of day HH:MM", field=where)
        return value
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        raise InvalidValue(f"{where}: a non-empty text", field=where)
    if len(str(value)) > 500:
        raise InvalidValue(f"{where}: at most 500 characters", field=where)
    return str(value).strip()
