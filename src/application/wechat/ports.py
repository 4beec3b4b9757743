"""Ports of the WeChat Official Account context (WX): what its use cases need from the
WeChat platform. The adapters are wechatpy's client against api.weixin.qq.com (tests:
a local server speaking WeChat's JSON) and a sandbox that records what would be sent
(the embedded default)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application.shared.behaviours import Behaviour
from application.shared.callers import TenantCaller
from application.shared.errors import ProviderUnavailable


@dataclass(frozen=True)
class AccountKeys:
    """What calling the API as one Official Account needs (read from its aggregate)."""

    account_id: UUID
    appid: str
    secret: str


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to fans: `kind` text | image | voice | video | news | mpnews, with
    `text` for text and `media_id` for the others."""

    kind: str
    text: str = ""
    media_id: str = ""


@dataclass(frozen=True)
class FollowerPage:
    """One page of `user/get`: up to 10,000 openids and where the next page starts."""

    total: int
    openids: tuple[str, ...]
    next_openid: str  # "" after the last page


@dataclass(frozen=True)
class FanProfile:
    """One fan as `user/info` (batchget) describes them."""

    openid: str
    subscribed: bool
    unionid: str = ""
    nickname: str = ""
    sex: int = 0  # 0 unknown, 1 male, 2 female (WeChat's codes)
    country: str = ""
    province: str = ""
    city: str = ""
    language: str = ""
    subscribed_at: datetime | None = None
    remark: str = ""
    tag_ids: tuple[int, ...] = ()
    subscribe_scene: str = ""
    qr_scene: str = ""


@dataclass(frozen=True)
class FanTag:
    """A tag (标签) of the account, as `tags/get` lists it."""

    tag_id: int
    name: str
    count: int  # fans carrying it


@dataclass(frozen=True)
class QrTicket:
    """A parameter QR code WeChat made: the image is at `url` (showqrcode?ticket=…)."""

    ticket: str
    url: str
    expires_in: int | None  # seconds; None for a permanent code


@dataclass(frozen=True)
class Material:
    """One item of the account's material (media) library."""

    media_id: str
    kind: str  # image | voice | video | news
    name: str = ""
    url: str = ""
    updated_at: datetime | None = None
    articles: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


class WechatRefused(ProviderUnavailable):
    """WeChat answered with an error code other than a token or rate-limit one (those
    the adapter handles itself): `errcode` and `errmsg` are WeChat's."""

    code = "wechat_refused"

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat refused the call: {errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WechatApi(Protocol):
    """The Official Account API. Every call takes the account's keys; the adapter gets,
    caches and refreshes the access_token (once for all processes, on expiry or when
    WeChat answers 40001/42001) and backs off on 45009. Raises `WechatRefused` for
    other error codes and `ProviderUnavailable` when WeChat cannot be reached."""

    def send_customer_message(
        self, keys: AccountKeys, openid: str, message: OutgoingMessage
    ) -> None:
        """A customer-service message (WeChat allows it within 48 h of the fan's last
        interaction; the caller checks first)."""
        ...

    def mass_send(
        self,
        keys: AccountKeys,
        openids: Sequence[str],
        message: OutgoingMessage,
        clientmsgid: str = "",
    ) -> str:
        """`message/mass/send` to 2…10,000 openids; answers WeChat's msg_id. With a
        `clientmsgid` (≤ 64 characters) WeChat sends the same id once within 24 hours: a
        repeat answers the first send's msg_id and sends nothing."""
        ...

    def mass_preview(self, keys: AccountKeys, openid: str, message: OutgoingMessage) -> None:
        """`message/mass/preview` to one fan."""
        ...

    def send_template(
        self,
        keys: AccountKeys,
        openid: str,
        template_id: str,
        data: Mapping[str, str],
        url: str = "",
        client_msg_id: str = "",
    ) -> str:
        """A template message; answers WeChat's msgid. With a `client_msg_id` WeChat sends
        one message per openid and id within 10 minutes (a retry sends nothing more)."""
        ...

    def followers(self, keys: AccountKeys, next_openid: str = "") -> FollowerPage:
        """One page of the account's followers (`user/get`)."""
        ...

    def fan_profiles(self, keys: AccountKeys, openids: Sequence[str]) -> list[FanProfile]:
        """Profiles of up to 100 fans (`user/info/batchget`)."""
        ...

    def create_qr_code(self, keys: AccountKeys, scene: str, expires_in: int | None) -> QrTicket:
        """A parameter QR code for `scene` (a string scene, ≤ 64 characters); temporary
        for `expires_in` seconds (≤ 30 days) or permanent when None."""
        ...

    def publish_menu(self, keys: AccountKeys, buttons: Sequence[Mapping[str, Any]]) -> None:
        """`menu/create` with WeChat's button structure."""
        ...

    def tag_fans(self, keys: AccountKeys, tag_id: int, openids: Sequence[str]) -> None:
        """`tags/members/batchtagging` (≤ 50 openids a call)."""
        ...

    def tags(self, keys: AccountKeys) -> list[FanTag]:
        """The account's tags (`tags/get`)."""
        ...

    def materials(self, keys: AccountKeys, kind: str, offset: int, count: int) -> list[Material]:
        """One page (≤ 20) of the material library of `kind`."""
        ...


# --- callbacks (WX-2) ----------------------------------------------------------------------


class CallbackRefused(Exception):
    """A callback whose signature is not the account's, or whose body cannot be
    decrypted or read: answered 401 and nothing is stored."""


@dataclass(frozen=True)
class CallbackKeys:
    """What checking one account's callbacks needs."""

    appid: str
    callback_token: str
    encoding_aes_key: str


@dataclass(frozen=True)
class WechatCallback:
    """One pushed message or event, as WeChat's XML says it: `msg_type` is `event` for
    events (then `event` is subscribe, unsubscribe, SCAN, CLICK, VIEW, LOCATION,
    MASSSENDJOBFINISH, TEMPLATESENDJOBFINISH…) or text, image, voice, video, shortvideo,
    location, link; `fields` keeps every other element by WeChat's name."""

    to_user: str  # the account's original id (gh_…)
    from_user: str  # the fan's openid
    create_time: int  # seconds since the epoch
    msg_type: str
    event: str = ""
    msg_id: str = ""  # messages (and the job-finish events) only
    fields: Mapping[str, str] = field(default_factory=dict)


class CallbackCrypto(Protocol):
    """WeChat's callback signatures and safe-mode encryption (wechatpy's crypto)."""

    def verify_url(
        self, keys: CallbackKeys, *, signature: str, timestamp: str, nonce: str, echostr: str
    ) -> str:
        """The `echostr` to answer WeChat's server-address check (GET), after checking
        `signature`; raises `CallbackRefused`."""
        ...

    def read(
        self,
        keys: CallbackKeys,
        body: bytes,
        *,
        signature: str,
        timestamp: str,
        nonce: str,
        msg_signature: str = "",
        encrypted: bool = False,
    ) -> WechatCallback:
        """The callback in `body`: plain mode checks `signature`; safe mode (`encrypted`)
        checks `msg_signature` and decrypts. Raises `CallbackRefused`."""
        ...

    def passive_reply(
        self, keys: CallbackKeys, callback: WechatCallback, text: str, *, encrypted: bool
    ) -> bytes:
        """The XML answering `callback` with a text message (encrypted in safe mode)."""
        ...


class Observations(Protocol):
    """The behaviour log's group-committed intake (the tracking context's, wired by the
    container): rows are stored before the call returns."""

    def take(self, behaviours: Sequence[Behaviour]) -> int:
        """Store the rows (a tenant's repeated message id stores nothing); answers the
        highest position given, 0 when every row was a repeat."""
        ...


class SceneReplies(Protocol):
    """What a scan of a parameter QR code's scene is answered (TRK-3)."""

    def reply_for_scene(self, tenant_id: UUID, account_id: UUID, scene: str) -> str:
        """The reply of the account's live code for `scene`; "" for none."""
        ...


class LeadsInView(Protocol):
    """Whether a caller may see a lead (the leads context knows: its data scope)."""

    def sees(self, caller: TenantCaller, lead_id: UUID) -> bool:
        """True for a live lead of the caller's tenant within the caller's data scope."""
        ...
