"""Binding and running Official Accounts (WX-1, WX-5, WX-6): the use cases an account's
owner calls, and the keys the callbacks and the API adapter read."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.shared.errors import AlreadyExists, NotFound, VersionConflict
from application.wechat.commands import (
    AccountDetails,
    AddTemplate,
    BindAccount,
    DraftMenu,
    ReviseAccount,
    SetAutoReplies,
)
from application.wechat.ports import AccountKeys, CallbackKeys, WechatApi
from application.wechat.wechat import Wechat
from domain.shared.errors import StateConflict
from domain.wechat.account import OfficialAccount

# How long a process keeps an account it loaded for callbacks: new keys, auto-replies or
# an unbinding reach every process within this (the callbacks' hot path then reads none).
ACCOUNT_CACHE_SECONDS = 10.0


def callback_path(account_id: UUID) -> str:
    return f"/callbacks/wechat/{account_id}"


@dataclass(frozen=True)
class ServingAccount:
    """What a callback needs of its account: whose it is, its keys and its replies."""

    tenant_id: UUID
    account_id: UUID
    kind: str
    unbound: bool
    callback_keys: CallbackKeys
    api_keys: AccountKeys
    account: OfficialAccount  # for `reply_to` and the follow reply (read only)


class OfficialAccounts:
    """Binds accounts to a tenant and keeps their settings."""

    def __init__(self, wechat: Wechat, api: WechatApi) -> None:
        self.wechat = wechat
        self.api = api
        self._lock = threading.Lock()
        self._serving: dict[UUID, tuple[float, ServingAccount]] = {}

    def bind(self, tenant_id: UUID, command: BindAccount) -> AccountDetails:
        """Bind an account; the same appid bound twice by a tenant is a conflict."""
        account = OfficialAccount.bind(tenant_id=tenant_id, **command.model_dump())
        try:
            created = self.wechat.create(account)
        except VersionConflict:
            raise AlreadyExists(f"appid {command.appid} is already bound") from None
        return account_details(created)

    def account(self, tenant_id: UUID, account_id: UUID) -> AccountDetails:
        return account_details(self._load(tenant_id, account_id))

    def revise(
        self, tenant_id: UUID, account_id: UUID, command: ReviseAccount, *, expected_version: int
    ) -> AccountDetails:
        """Rename, mark verified or not, or change the keys (all three together)."""
        account = self._load(tenant_id, account_id, expected_version)
        if command.name is not None:
            account.rename(command.name)
        if command.verified is not None:
            account.mark_verified(command.verified)
        keys = (command.app_secret, command.callback_token, command.encoding_aes_key)
        if any(key is not None for key in keys):
            account.change_keys(
                app_secret=command.app_secret or account.app_secret,
                callback_token=command.callback_token or account.callback_token,
                encoding_aes_key=command.encoding_aes_key or account.encoding_aes_key,
            )
        return self._saved(account)

    def set_auto_replies(
        self, tenant_id: UUID, account_id: UUID, command: SetAutoReplies, *, expected_version: int
    ) -> AccountDetails:
        """Replace the follow reply and the keyword replies (WX-6)."""
        account = self._load(tenant_id, account_id, expected_version)
        account.set_auto_replies(
            follow_reply=command.follow_reply,
            keyword_replies=[rule.model_dump() for rule in command.keyword_replies],
        )
        return self._saved(account)

    def add_template(
        self, tenant_id: UUID, account_id: UUID, command: AddTemplate, *, expected_version: int
    ) -> AccountDetails:
        """Add a template message template (verified service accounts, ≤ 25; WX-5)."""
        account = self._load(tenant_id, account_id, expected_version)
        account.add_template(**command.model_dump())
        return self._saved(account)

    def remove_template(
        self, tenant_id: UUID, account_id: UUID, template_id: str, *, expected_version: int
    ) -> AccountDetails:
        account = self._load(tenant_id, account_id, expected_version)
        account.remove_template(template_id)
        return self._saved(account)

    def draft_menu(
        self, tenant_id: UUID, account_id: UUID, command: DraftMenu, *, expected_version: int
    ) -> AccountDetails:
        """Save the custom menu (checked against WeChat's limits), unpublished (WX-6)."""
        account = self._load(tenant_id, account_id, expected_version)
        account.draft_menu([button.model_dump(exclude_none=True) for button in command.buttons])
        return self._saved(account)

    def publish_menu(
        self, tenant_id: UUID, account_id: UUID, *, expected_version: int | None
    ) -> AccountDetails:
        """Send the saved menu to WeChat (`menu/create`) and record that fans see it."""
        account = self._load(tenant_id, account_id, expected_version)
        serving = self.serving_for(tenant_id, account_id)
        self.api.publish_menu(serving.api_keys, account.menu_to_publish())
        account.record_menu_published()
        return self._saved(account)

    def unbind(self, tenant_id: UUID, account_id: UUID, *, expected_version: int) -> AccountDetails:
        """Stop serving the account; its history stays."""
        account = self._load(tenant_id, account_id, expected_version)
        account.unbind()
        return self._saved(account)

    # --- for callbacks and sends -----------------------------------------------------------

    def serving(self, account_id: UUID) -> ServingAccount:
        """The account a callback URL names, whoever's it is (the URL is its credential
        with the signature); cached briefly per process. `NotFound` for no account."""
        now = time.monotonic()
        with self._lock:
            cached = self._serving.get(account_id)
        if cached is not None and now - cached[0] < ACCOUNT_CACHE_SECONDS:
            return cached[1]
        try:
            account: Any = self.wechat.repository.get(account_id)
        except AggregateNotFoundError:
            raise NotFound(f"no Official Account {account_id}") from None
        if not isinstance(account, OfficialAccount):
            raise NotFound(f"no Official Account {account_id}")
        serving = ServingAccount(
            tenant_id=account.tenant_id,
            account_id=account.id,
            kind=account.kind,
            unbound=account.unbound,
            callback_keys=CallbackKeys(
                appid=account.appid,
                callback_token=account.callback_token,
                encoding_aes_key=account.encoding_aes_key,
            ),
            api_keys=AccountKeys(
                account_id=account.id, appid=account.appid, secret=account.app_secret
            ),
            account=account,
        )
        with self._lock:
            self._serving[account_id] = (now, serving)
        return serving

    def serving_for(self, tenant_id: UUID, account_id: UUID) -> ServingAccount:
        """`serving`, for a tenant's own account only (another tenant's is `NotFound`)."""
        serving = self.serving(account_id)
        if serving.tenant_id != tenant_id:
            raise NotFound(f"no Official Account {account_id}")
        return serving

    def bound_for(self, tenant_id: UUID, account_id: UUID) -> ServingAccount:
        """`serving_for`, refused (409) once the account is unbound: nothing is sent to,
        or asked of, WeChat in its name any more."""
        serving = self.serving_for(tenant_id, account_id)
        if serving.unbound:
            raise StateConflict("the account is unbound")
        return serving

    def _load(
        self, tenant_id: UUID, account_id: UUID, expected_version: int | None = None
    ) -> OfficialAccount:
        return self.wechat.load(
            account_id, OfficialAccount, tenant_id=tenant_id, expected_version=expected_version
        )

    def _saved(self, account: OfficialAccount) -> AccountDetails:
        self.wechat.commit(account)
        with self._lock:
            self._serving.pop(account.id, None)  # this process sees its own change at once
        return account_details(account)


def account_details(account: OfficialAccount) -> AccountDetails:
    return AccountDetails(
        id=account.id,
        name=account.name,
        appid=account.appid,
        kind=account.kind,
        verified=account.verified,
        unbound=account.unbound,
        callback_path=callback_path(account.id),
        templates=[
            {"template_id": template_id, **template}
            for template_id, template in sorted(account.templates.items())
        ],
        follow_reply=account.follow_reply,
        keyword_replies=list(account.keyword_replies),
        menu=list(account.menu),
        published_menu=list(account.published_menu),
        version=account.version,
        created_at=account.created_on,
    )
