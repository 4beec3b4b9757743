"""Parameter QR codes of an Official Account (TRK-3): a channel a fan follows or scans
through, with what happens on a scan (a reply, a WeChat tag). Only service accounts
have them (WeChat's rule); temporary codes last 1 to 30 days, permanent ones forever."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

MAX_TEMPORARY_DAYS = 30  # WeChat's limit for a temporary code
MAX_REPLY_LENGTH = 600
_SCENE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")  # WeChat's scene_str: 1 to 64 characters


def require_service_account(account_kind: str) -> None:
    """Only service accounts have parameter QR codes (WeChat's rule, TRK-3)."""
    if account_kind != "service":
        raise StateConflict("parameter QR codes need a service account")


class ParameterQrCode(Aggregate):
    """A 渠道二维码 of one account."""

    TOPIC = "wechat.ParameterQrCode"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Made: ClassVar[type[AggregateEvent]]
        ScanActionsChanged: ClassVar[type[AggregateEvent]]
        Archived: ClassVar[type[AggregateEvent]]

    @classmethod
    def make(
        cls,
        *,
        code_id: UUID,
        tenant_id: UUID,
        account_id: UUID,
        account_kind: str,
        name: str,
        scene: str,
        valid_days: int | None,
        ticket: str,
        image_url: str,
        reply: str,
        tag_id: int | None,
    ) -> ParameterQrCode:
        """A code WeChat made for `scene`; `valid_days` None for a permanent code."""
        require_service_account(account_kind)
        if not _SCENE.match(scene):
            raise InvalidValue("scene must be 1 to 64 letters, digits, '_' or '-'", field="scene")
        if valid_days is not None and not 1 <= valid_days <= MAX_TEMPORARY_DAYS:
            raise InvalidValue(
                f"valid_days must be between 1 and {MAX_TEMPORARY_DAYS}", field="valid_days"
            )
        return cls(
            id=code_id,
            tenant_id=tenant_id,
            account_id=account_id,
            name=required_text(name, field="name", max_length=64),
            scene=scene,
            valid_days=valid_days,
            ticket=required_text(ticket, field="ticket", max_length=200),
            image_url=required_text(image_url, field="image_url", max_length=500),
            reply=_reply(reply),
            tag_id=_tag(tag_id),
        )

    @event("Made", topic="wechat.ParameterQrCode.Made")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        account_id: UUID,
        name: str,
        scene: str,
        valid_days: int | None,
        ticket: str,
        image_url: str,
        reply: str,
        tag_id: int | None,
    ) -> None:
        self.tenant_id = tenant_id
        self.account_id = account_id
        self.name = name
        self.scene = scene
        self.valid_days = valid_days
        self.ticket = ticket
        self.image_url = image_url
        self.reply = reply
        self.tag_id = tag_id
        self.archived = False

    @property
    def permanent(self) -> bool:
        return self.valid_days is None

    def change_scan_actions(self, *, reply: str, tag_id: int | None) -> None:
        """What a scan of the code does from now on."""
        if self.archived:
            raise StateConflict("the QR code is archived")
        reply, tag_id = _reply(reply), _tag(tag_id)
        if (reply, tag_id) != (self.reply, self.tag_id):
            self._scan_actions_changed(reply=reply, tag_id=tag_id)

    @event("ScanActionsChanged", topic="wechat.ParameterQrCode.ScanActionsChanged")
    def _scan_actions_changed(self, reply: str, tag_id: int | None) -> None:
        self.reply, self.tag_id = reply, tag_id

    def archive(self) -> None:
        """Stop acting on scans (WeChat keeps answering a permanent code; huoke ignores it)."""
        if self.archived:
            raise StateConflict("the QR code is already archived")
        self._archived()

    @event("Archived", topic="wechat.ParameterQrCode.Archived")
    def _archived(self) -> None:
        self.archived = True


def _reply(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_REPLY_LENGTH:
        raise InvalidValue(f"reply must be at most {MAX_REPLY_LENGTH} characters", field="reply")
    return text


def _tag(tag_id: int | None) -> int | None:
    if tag_id is not None and not 0 < tag_id < 2**31:
        raise InvalidValue("tag_id must be a WeChat tag id", field="tag_id")
    return tag_id
