"""Promotion links (TRK-2, TRK-5): a link for any URL or content per channel and per
promoting employee, sets of them at once, their QR codes, archiving.

The short code of a link is drawn at random here (8 base62 characters) and claimed
with the link in one commit; the code visitors open is that code signed
(`LinkCodes.for_link`), so only codes huoke made ever redirect.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from typing import TypeVar
from uuid import UUID

from application.shared.errors import InvalidInput, VersionConflict
from application.shared.pages import Page
from application.shared.views import parse_iso
from application.tracking.link_codes import LinkCodes
from application.tracking.link_commands import (
    MAX_SET_LINKS,
    CreateLink,
    CreateLinkSet,
    LinkDetails,
    LinkSet,
)
from application.tracking.link_directory import LinkQueries, LinkRow
from application.tracking.ports import EmployeeRoster, QrCodes
from application.tracking.tracking import Tracking
from domain.tracking.promotion import (
    BASE62,
    SHORT_CODE_LENGTH,
    PromotionLink,
    ShortCodeClaim,
    checked_url,
)

T = TypeVar("T")
CODE_ATTEMPTS = 5  # draws before giving up (a collision is a one-in-10^14 event)


class PromotionLinks:
    """Creates, archives, reads and draws the tenant's promotion links."""

    def __init__(
        self,
        tracking: Tracking,
        *,
        roster: EmployeeRoster,
        codes: LinkCodes,
        queries: LinkQueries,
        qr_codes: QrCodes,
        public_url: str,
    ) -> None:
        self.tracking = tracking
        self.roster = roster
        self.codes = codes
        self.queries = queries
        self.qr_codes = qr_codes
        self.public_url = public_url.rstrip("/")

    # --- making --------------------------------------------------------------------------

    def create(self, tenant_id: UUID, command: CreateLink) -> LinkDetails:
        """A link of `target_url` for one channel, optionally promoted by a current
        employee of the tenant (another tenant's or a former employee: 422 employee_id)."""
        if command.employee_id is not None:
            self._require_employee(tenant_id, command.employee_id, field="employee_id")
        link_id = self.tracking.new_id("promotion_link")
        for _ in range(CODE_ATTEMPTS):
            link = self._link(tenant_id, link_id, command, command.channel, command.employee_id)
            claim = ShortCodeClaim.claim(code=link.code, tenant_id=tenant_id, link_id=link.id)
            try:
                return self.details(self.tracking.create(link, claim))
            except VersionConflict:
                if link_id in self.tracking.repository:
                    raise  # not a replay of this request: someone else's link id
        raise VersionConflict("no free short code was found; try again")

    def create_set(self, tenant_id: UUID, command: CreateLinkSet) -> LinkSet:
        """One link per channel × employee (per channel when no employee is given), all
        of one target, made together: all or none. A repeated Idempotency-Key answers
        the links the first request made."""
        channels = _distinct([channel.strip() for channel in command.channels if channel.strip()])
        if not channels:
            raise InvalidInput("name at least one channel", field="channels")
        employees: list[UUID | None] = list(_distinct(command.employee_ids)) or [None]
        if len(channels) * len(employees) > MAX_SET_LINKS:
            raise InvalidInput(
                f"at most {MAX_SET_LINKS} links at once (channels × employees)", field="channels"
            )
        for employee_id in employees:
            if employee_id is not None:
                self._require_employee(tenant_id, employee_id, field="employee_ids")
        checked_url(command.target_url)  # one refusal, before drawing any code
        set_id = self.tracking.new_id("promotion_link_set")
        ids = [
            uuid.uuid5(set_id, f"{channel}/{employee_id or ''}")
            for channel in channels
            for employee_id in employees
        ]
        for _ in range(CODE_ATTEMPTS):
            links = [
                self._link(tenant_id, link_id, command, channel, employee_id)
                for link_id, (channel, employee_id) in zip(
                    ids, [(c, e) for c in channels for e in employees], strict=True
                )
            ]
            claims = [
                ShortCodeClaim.claim(code=link.code, tenant_id=tenant_id, link_id=link.id)
                for link in links
            ]
            try:
                self.tracking.commit(*links, *claims)
            except VersionConflict:
                made = [link_id for link_id in ids if link_id in self.tracking.repository]
                if len(made) == len(ids):  # the same request again: what it made then
                    return LinkSet(items=[self.link(tenant_id, link_id) for link_id in ids])
                if made:
                    raise
                continue  # a code was taken meanwhile: draw them all again
            return LinkSet(items=[self.details(link) for link in links])
        raise VersionConflict("no free short codes were found; try again")

    def archive(self, tenant_id: UUID, link_id: UUID, *, expected_version: int) -> LinkDetails:
        """Stop a link redirecting (its counts stay; the code then answers 410)."""
        link = self.tracking.load(
            link_id, PromotionLink, tenant_id=tenant_id, expected_version=expected_version
        )
        link.archive()
        self.tracking.commit(link)
        self.queries.forget(link.code)
        return self.details(link)

    # --- reading -------------------------------------------------------------------------

    def link(self, tenant_id: UUID, link_id: UUID) -> LinkDetails:
        """One link of the tenant (another tenant's: NotFound)."""
        return self.details(self.tracking.load(link_id, PromotionLink, tenant_id=tenant_id))

    def links(
        self,
        tenant_id: UUID,
        *,
        channel: str | None = None,
        include_archived: bool = False,
        cursor: str | None,
        limit: int,
    ) -> Page[LinkDetails]:
        """The tenant's links, newest first, from the read model."""
        page = self.queries.links(
            tenant_id,
            channel=channel,
            include_archived=include_archived,
            cursor=cursor,
            limit=limit,
        )
        return Page([self._row_details(row) for row in page.items], page.next_cursor)

    def same_content(
        self, tenant_id: UUID, link: LinkDetails, *, limit: int = 100
    ) -> list[LinkDetails]:
        """The tenant's links of the same target URL (the same content on each channel
        and employee), oldest first, archived ones included."""
        rows = self.queries.same_target(tenant_id, link.target_url, limit=limit)
        return [self._row_details(row) for row in rows]

    def qr_png(self, tenant_id: UUID, link_id: UUID) -> bytes:
        """The QR code of the link's short URL as PNG."""
        return self.qr_codes.png(self.link(tenant_id, link_id).short_url)

    def qr_svg(self, tenant_id: UUID, link_id: UUID) -> bytes:
        """The QR code of the link's short URL as SVG."""
        return self.qr_codes.svg(self.link(tenant_id, link_id).short_url)

    def short_path(self, code: str) -> str:
        return f"/s/{self.codes.for_link(code)}"

    def details(self, link: PromotionLink) -> LinkDetails:
        path = self.short_path(link.code)
        return LinkDetails(
            id=link.id,
            code=link.code,
            short_path=path,
            short_url=self.public_url + path,
            target_url=link.target_url,
            title=link.title,
            channel=link.channel,
            employee_id=link.employee_id,
            utm_source=link.utm_source,
            utm_medium=link.utm_medium,
            utm_campaign=link.utm_campaign,
            archived=link.archived,
            version=link.version,
            created_at=link.created_on,
        )

    # --- helpers -------------------------------------------------------------------------

    def _row_details(self, row: LinkRow) -> LinkDetails:
        path = self.short_path(row["code"])
        return LinkDetails(
            id=UUID(row["link_id"]),
            code=row["code"],
            short_path=path,
            short_url=self.public_url + path,
            target_url=row["target_url"],
            title=row["title"],
            channel=row["channel"],
            employee_id=UUID(row["employee_id"]) if row["employee_id"] else None,
            utm_source=row["utm_source"],
            utm_medium=row["utm_medium"],
            utm_campaign=row["utm_campaign"],
            archived=bool(row["archived"]),
            version=row["version"],
            created_at=parse_iso(row["created_at"]),
        )

    def _link(
        self,
        tenant_id: UUID,
        link_id: UUID,
        command: CreateLink | CreateLinkSet,
        channel: str,
        employee_id: UUID | None,
    ) -> PromotionLink:
        return PromotionLink.make(
            link_id=link_id,
            tenant_id=tenant_id,
            code=new_short_code(),
            target_url=command.target_url,
            title=command.title,
            channel=channel,
            employee_id=employee_id,
            utm_source=command.utm_source,
            utm_medium=command.utm_medium,
            utm_campaign=command.utm_campaign,
        )

    def _require_employee(self, tenant_id: UUID, employee_id: UUID, *, field: str) -> None:
        if not self.roster.is_current_employee(tenant_id, employee_id):
            raise InvalidInput(f"no current employee {employee_id}", field=field)


def new_short_code() -> str:
    """Eight random base62 characters (about 47 bits)."""
    return "".join(secrets.choice(BASE62) for _ in range(SHORT_CODE_LENGTH))


def _distinct(values: Sequence[T]) -> list[T]:
    return list(dict.fromkeys(values))
