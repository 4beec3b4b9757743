"""An Official Account bound to a tenant (WX-1): its keys, kind, verification, the
templates it may send (WX-5) and its auto-replies (WX-6).

The keys (AppSecret, the callback token, the EncodingAESKey) travel in events, which the
store encrypts like all personal data; history hides them (`_secret`, `_token`,
`_aes_key` fields are redacted) and no read model copies them.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text
from domain.wechat.menu import checked_menu

MAX_TEMPLATES = 25  # WeChat's limit per account (WX-5, fixed)
MAX_KEYWORD_REPLIES = 200
MAX_REPLY_LENGTH = 600  # a text reply WeChat shows without cutting (2048 bytes)
MAX_TEMPLATE_FIELDS = 20

_APPID = re.compile(r"^wx[0-9a-f]{16}$")
_SECRET = re.compile(r"^[0-9a-f]{32}$")
_TOKEN = re.compile(r"^[A-Za-z0-9]{3,32}$")  # WeChat's rule for the callback token
_AES_KEY = re.compile(r"^[A-Za-z0-9]{43}$")  # EncodingAESKey: 43 characters
_TEMPLATE_FIELD = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class AccountKind(StrEnum):
    SUBSCRIPTION = "subscription"  # 订阅号
    SERVICE = "service"  # 服务号


class KeywordMatch(StrEnum):
    EXACT = "exact"  # 全匹配
    CONTAINS = "contains"  # 半匹配


def account_id_for(tenant_id: UUID, appid: str) -> UUID:
    """One account per tenant and appid: binding it twice collides in the store."""
    return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/wechat/{appid}")


def checked_keys(*, app_secret: str, callback_token: str, encoding_aes_key: str) -> None:
    """Refuse keys WeChat would never have issued, naming the field."""
    if not _SECRET.match(app_secret):
        raise InvalidValue("app_secret must be 32 hexadecimal characters", field="app_secret")
    if not _TOKEN.match(callback_token):
        raise InvalidValue(
            "callback_token must be 3 to 32 letters or digits", field="callback_token"
        )
    if not _AES_KEY.match(encoding_aes_key):
        raise InvalidValue(
            "encoding_aes_key must be 43 letters or digits", field="encoding_aes_key"
        )


class OfficialAccount(Aggregate):
    """A WeChat Official Account (公众号) of a tenant."""

    TOPIC = "wechat.OfficialAccount"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Bound: ClassVar[type[AggregateEvent]]
        Renamed: ClassVar[type[AggregateEvent]]
        KeysChanged: ClassVar[type[AggregateEvent]]
        VerificationChanged: ClassVar[type[AggregateEvent]]
        TemplateAdded: ClassVar[type[AggregateEvent]]
        TemplateRemoved: ClassVar[type[AggregateEvent]]
        AutoRepliesSet: ClassVar[type[AggregateEvent]]
        MenuDrafted: ClassVar[type[AggregateEvent]]
        MenuPublished: ClassVar[type[AggregateEvent]]
        Unbound: ClassVar[type[AggregateEvent]]

    @classmethod
    def bind(
        cls,
        *,
        tenant_id: UUID,
        name: str,
        appid: str,
        app_secret: str,
        callback_token: str,
        encoding_aes_key: str,
        kind: str,
        verified: bool,
    ) -> OfficialAccount:
        """Bind an account with the keys from its developer settings (开发者配置)."""
        appid = appid.strip()
        if not _APPID.match(appid):
            raise InvalidValue("appid must be 'wx' and 16 hexadecimal characters", field="appid")
        checked_keys(
            app_secret=app_secret, callback_token=callback_token, encoding_aes_key=encoding_aes_key
        )
        if kind not in AccountKind.__members__.values():
            raise InvalidValue("kind must be 'subscription' or 'service'", field="kind")
        return cls(
            id=account_id_for(tenant_id, appid),
            tenant_id=tenant_id,
            name=required_text(name, field="name", max_length=64),
            appid=appid,
            app_secret=app_secret,
            callback_token=callback_token,
            encoding_aes_key=encoding_aes_key,
            kind=kind,
            verified=verified,
        )

    @event("Bound", topic="wechat.OfficialAccount.Bound")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        name: str,
        appid: str,
        app_secret: str,
        callback_token: str,
        encoding_aes_key: str,
        kind: str,
        verified: bool,
    ) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.appid = appid
        self.app_secret = app_secret
        self.callback_token = callback_token
        self.encoding_aes_key = encoding_aes_key
        self.kind = kind
        self.verified = verified
        self.templates: dict[str, dict[str, object]] = {}
        self.follow_reply = ""
        self.keyword_replies: list[dict[str, str]] = []
        self.menu: list[dict[str, Any]] = []  # the draft being edited
        self.published_menu: list[dict[str, Any]] = []  # what WeChat shows
        self.unbound = False

    @property
    def is_service(self) -> bool:
        return self.kind == AccountKind.SERVICE

    def rename(self, name: str) -> None:
        self._require_bound()
        name = required_text(name, field="name", max_length=64)
        if name != self.name:
            self._renamed(name=name)

    @event("Renamed", topic="wechat.OfficialAccount.Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name

    def change_keys(self, *, app_secret: str, callback_token: str, encoding_aes_key: str) -> None:
        """New keys after a reset in the WeChat console (the old ones stop working there)."""
        self._require_bound()
        checked_keys(
            app_secret=app_secret, callback_token=callback_token, encoding_aes_key=encoding_aes_key
        )
        if (app_secret, callback_token, encoding_aes_key) != (
            self.app_secret,
            self.callback_token,
            self.encoding_aes_key,
        ):
            self._keys_changed(
                app_secret=app_secret,
                callback_token=callback_token,
                encoding_aes_key=encoding_aes_key,
            )

    @event("KeysChanged", topic="wechat.OfficialAccount.KeysChanged")
    def _keys_changed(self, app_secret: str, callback_token: str, encoding_aes_key: str) -> None:
        self.app_secret = app_secret
        self.callback_token = callback_token
        self.encoding_aes_key = encoding_aes_key

    def mark_verified(self, verified: bool) -> None:
        """WeChat certification (微信认证) gained or lost; templates need it (WX-5)."""
        self._require_bound()
        if verified != self.verified:
            self._verification_changed(verified=verified)

    @event("VerificationChanged", topic="wechat.OfficialAccount.VerificationChanged")
    def _verification_changed(self, verified: bool) -> None:
        self.verified = verified

    # --- template messages (WX-5) ---------------------------------------------------------

    def add_template(self, *, template_id: str, title: str, fields: list[str]) -> None:
        """Add a template from the account's library: only verified service accounts,
        at most 25 per account (WeChat's limits)."""
        self._require_bound()
        if not (self.is_service and self.verified):
            raise StateConflict("template messages need a verified service account")
        template_id = required_text(template_id, field="template_id", max_length=64)
        if template_id in self.templates:
            raise StateConflict(f"template {template_id} is already added")
        if len(self.templates) >= MAX_TEMPLATES:
            raise StateConflict(f"an account holds at most {MAX_TEMPLATES} templates")
        if not fields or len(fields) > MAX_TEMPLATE_FIELDS:
            raise InvalidValue(f"fields must list 1 to {MAX_TEMPLATE_FIELDS} keys", field="fields")
        for name in fields:
            if not _TEMPLATE_FIELD.match(name):
                raise InvalidValue(f"field key {name!r} is not a template key", field="fields")
        if len(set(fields)) != len(fields):
            raise InvalidValue("fields must not repeat a key", field="fields")
        self._template_added(
            template_id=template_id,
            title=required_text(title, field="title", max_length=64),
            fields=list(fields),
        )

    @event("TemplateAdded", topic="wechat.OfficialAccount.TemplateAdded")
    def _template_added(self, template_id: str, title: str, fields: list[str]) -> None:
        self.templates[template_id] = {"title": title, "fields": fields}

    def remove_template(self, template_id: str) -> None:
        self._require_bound()
        if template_id not in self.templates:
            raise StateConflict(f"template {template_id} is not added")
        self._template_removed(template_id=template_id)

    @event("TemplateRemoved", topic="wechat.OfficialAccount.TemplateRemoved")
    def _template_removed(self, template_id: str) -> None:
        del self.templates[template_id]

    # --- auto-replies (WX-6) --------------------------------------------------------------

    def set_auto_replies(self, *, follow_reply: str, keyword_replies: list[dict[str, str]]) -> None:
        """The reply to a new follower and the keyword replies, replacing the old ones."""
        self._require_bound()
        follow_reply = follow_reply.strip()
        if len(follow_reply) > MAX_REPLY_LENGTH:
            raise InvalidValue(
                f"follow_reply must be at most {MAX_REPLY_LENGTH} characters", field="follow_reply"
            )
        if len(keyword_replies) > MAX_KEYWORD_REPLIES:
            raise InvalidValue(
                f"at most {MAX_KEYWORD_REPLIES} keyword replies", field="keyword_replies"
            )
        rules = [_keyword_rule(rule) for rule in keyword_replies]
        keywords = [rule["keyword"] for rule in rules]
        if len(set(keywords)) != len(keywords):
            raise InvalidValue("a keyword may have one reply only", field="keyword_replies")
        if (follow_reply, rules) != (self.follow_reply, self.keyword_replies):
            self._auto_replies_set(follow_reply=follow_reply, keyword_replies=rules)

    @event("AutoRepliesSet", topic="wechat.OfficialAccount.AutoRepliesSet")
    def _auto_replies_set(self, follow_reply: str, keyword_replies: list[dict[str, str]]) -> None:
        self.follow_reply = follow_reply
        self.keyword_replies = keyword_replies

    def reply_to(self, text: str) -> str:
        """The auto-reply to a fan's text: an exact keyword first, then the first rule
        whose keyword the text contains; "" when none applies."""
        text = text.strip()
        for rule in self.keyword_replies:
            if rule["match"] == KeywordMatch.EXACT and text == rule["keyword"]:
                return rule["reply"]
        for rule in self.keyword_replies:
            if rule["match"] == KeywordMatch.CONTAINS and rule["keyword"] in text:
                return rule["reply"]
        return ""

    # --- the custom menu (WX-6) -----------------------------------------------------------

    def draft_menu(self, buttons: list[dict[str, Any]]) -> None:
        """Save a menu (checked against WeChat's rules) without publishing it."""
        self._require_bound()
        menu = checked_menu(buttons)
        if menu != self.menu:
            self._menu_drafted(buttons=menu)

    @event("MenuDrafted", topic="wechat.OfficialAccount.MenuDrafted")
    def _menu_drafted(self, buttons: list[dict[str, Any]]) -> None:
        self.menu = buttons

    def menu_to_publish(self) -> list[dict[str, Any]]:
        """The draft, which must exist, for WeChat's `menu/create`."""
        self._require_bound()
        if not self.menu:
            raise StateConflict("the account has no menu to publish; save one first")
        return self.menu

    def record_menu_published(self) -> None:
        """WeChat took the draft: it is what fans see now."""
        self._menu_published(buttons=self.menu_to_publish())

    @event("MenuPublished", topic="wechat.OfficialAccount.MenuPublished")
    def _menu_published(self, buttons: list[dict[str, Any]]) -> None:
        self.published_menu = buttons

    def unbind(self) -> None:
        """Stop serving the account: its callbacks are refused from now on."""
        self._require_bound()
        self._unbound()

    @event("Unbound", topic="wechat.OfficialAccount.Unbound")
    def _unbound(self) -> None:
        self.unbound = True

    def _require_bound(self) -> None:
        if self.unbound:
            raise StateConflict("the account is unbound")


def _keyword_rule(rule: dict[str, str]) -> dict[str, str]:
    keyword = required_text(str(rule.get("keyword", "")), field="keyword_replies", max_length=30)
    match = str(rule.get("match", KeywordMatch.EXACT))
    if match not in KeywordMatch.__members__.values():
        raise InvalidValue("match must be 'exact' or 'contains'", field="keyword_replies")
    reply = required_text(
        str(rule.get("reply", "")), field="keyword_replies", max_length=MAX_REPLY_LENGTH
    )
    return {"keyword": keyword, "match": match, "reply": reply}
