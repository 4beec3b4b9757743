"""Promotion links (TRK-2, TRK-5): one short link per piece of content, channel and
promoting employee, so the same page, form or article is measured per channel (朋友圈,
公众号, 短信, 海报…) and per employee.

A link is immutable once made (its target, channel, employee and code never change), so
the redirect can resolve it from a cache; it can only be archived, after which its code
no longer redirects.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 100
MAX_CHANNEL_LENGTH = 40
MAX_UTM_LENGTH = 200
SHORT_CODE_LENGTH = 8
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SHORT_CODE = re.compile(rf"^[0-9A-Za-z]{{{SHORT_CODE_LENGTH}}}$")


def checked_url(value: str, *, field: str = "target_url") -> str:
    """An absolute http(s) URL with a host, at most 2048 characters."""
    text = value.strip()
    if not text:
        raise InvalidValue(f"{field} must not be empty", field=field)
    if len(text) > MAX_URL_LENGTH:
        raise InvalidValue(f"{field} must be at most {MAX_URL_LENGTH} characters", field=field)
    if any(ch.isspace() or ord(ch) < 0x20 for ch in text):
        raise InvalidValue(f"{field} must not contain spaces or control characters", field=field)
    try:
        parts = urlsplit(text)
    except ValueError:
        raise InvalidValue(f"{field} is not a URL", field=field) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidValue(f"{field} must be an http or https URL", field=field)
    return text


def short_code(value: str) -> str:
    """Eight base62 characters (the application draws them at random)."""
    if not _SHORT_CODE.match(value):
        raise InvalidValue(
            f"a short code is {SHORT_CODE_LENGTH} characters of 0-9, A-Z and a-z", field="code"
        )
    return value


def _optional(value: str | None, *, field: str, max_length: int) -> str | None:
    if value is None or not value.strip():
        return None
    return required_text(value, field=field, max_length=max_length)


class PromotionLink(Aggregate):
    """A tenant's short link to one target URL, promoted on one channel, optionally by
    one employee. Its UTM values (if any) are added to the target on redirect, so the
    landing page's snippet attributes the visit."""

    TOPIC = "tracking.PromotionLink"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:
        Made: ClassVar[type[AggregateEvent]]
        Archived: ClassVar[type[AggregateEvent]]

    @classmethod
    def make(
        cls,
        *,
        link_id: UUID,
        tenant_id: UUID,
        code: str,
        target_url: str,
        title: str,
        channel: str,
        employee_id: UUID | None,
        utm_source: str | None = None,
        utm_medium: str | None = None,
        utm_campaign: str | None = None,
    ) -> PromotionLink:
        """A new link; the employee (if any) was checked to be a current one of the tenant."""
        return cls(
            id=link_id,
            tenant_id=tenant_id,
            code=short_code(code),
            target_url=checked_url(target_url),
            title=required_text(title, field="title", max_length=MAX_TITLE_LENGTH),
            channel=required_text(channel, field="channel", max_length=MAX_CHANNEL_LENGTH),
            employee_id=employee_id,
            utm_source=_optional(utm_source, field="utm_source", max_length=MAX_UTM_LENGTH),
            utm_medium=_optional(utm_medium, field="utm_medium", max_length=MAX_UTM_LENGTH),
            utm_campaign=_optional(utm_campaign, field="utm_campaign", max_length=MAX_UTM_LENGTH),
        )

    @event("Made", topic="tracking.PromotionLink.Made")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        code: str,
        target_url: str,
        title: str,
        channel: str,
        employee_id: UUID | None,
        utm_source: str | None,
        utm_medium: str | None,
        utm_campaign: str | None,
    ) -> None:
        self.tenant_id = tenant_id
        self.code = code
        self.target_url = target_url
        self.title = title
        self.channel = channel
        self.employee_id = employee_id
        self.utm_source = utm_source
        self.utm_medium = utm_medium
        self.utm_campaign = utm_campaign
        self.archived = False

    def archive(self) -> None:
        """Stop the link redirecting; its counts stay."""
        if self.archived:
            raise StateConflict("the link is archived already")
        self._archived()

    @event("Archived", topic="tracking.PromotionLink.Archived")
    def _archived(self) -> None:
        self.archived = True


class ShortCodeClaim(Aggregate):
    """The claim of a short code by one link (its id is uuid5 of the code), saved with the
    link: two links drawing the same code conflict on it and the second draws again."""

    TOPIC = "tracking.ShortCodeClaim"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:
        Claimed: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(code: str) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE_URL, f"/huoke/tracking/short-code/{code}")

    @classmethod
    def claim(cls, *, code: str, tenant_id: UUID, link_id: UUID) -> ShortCodeClaim:
        return cls(code=short_code(code), tenant_id=tenant_id, link_id=link_id)

    @event("Claimed", topic="tracking.ShortCodeClaim.Claimed")
    def __init__(self, code: str, tenant_id: UUID, link_id: UUID) -> None:
        self.code = code
        self.tenant_id = tenant_id
        self.link_id = link_id
