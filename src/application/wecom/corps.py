"""Binding the tenant's WeCom corp (WECOM-8) and reaching it (WECOM-1…5): the use cases
a tenant admin calls, the keys the callbacks read, and `api_of`, the one way every use
case of the context gets the corp's WeCom API.

The plan gate (TEN-3): the catalogue sells the SCRM as editions with the feature
`scrm_tools` (翼有群 SCRM); `wecom_accounts` counts the employees' interface accounts
(企微注册服务), which WECOM-5's all-staff tasks are limited to, not corps. Binding is
configuration and free (like binding an Official Account), and WeCom's callbacks are
observations that are always recorded; what needs `scrm_tools` is acting in the corp's
name: every call to WeCom goes through `api_of`, which refuses (403
`subscription_inactive`) a tenant without an SCRM subscription in service.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError

from application.shared.errors import AlreadyExists, NotFound, VersionConflict
from application.wecom.commands import BindCorp, CorpDetails, Department, ReviseCorp
from application.wecom.ports import WecomApi
from application.wecom.wecom import Wecom
from domain.wecom.corp import CallbackAddress, WecomCorp, callback_address_id, corp_id_for

SCRM_FEATURE = "scrm_tools"
# How long a process keeps what it loaded for callbacks and API calls: new keys, an
# unbinding or a lapsed plan reach every process within this.
CORP_CACHE_SECONDS = 10.0
_TOKENS = UUID("5b8f0c1e-2d47-4a39-8e61-7f0a9c3d2b54")  # uuid5 namespace of token keys


def callback_path(callback_key: str) -> str:
    return f"/callbacks/wecom/{callback_key}"


class CorpNotBound(NotFound):
    """The tenant has no bound WeCom corp (404 naming `corp`)."""

    def __init__(self, message: str = "the tenant has no bound WeCom corp") -> None:
        super().__init__(message)
        self.field = "corp"


class WecomConnector(Protocol):
    """Makes one corp's `WecomApi` (the adapters: wechatpy's WeCom client with a token
    store every process shares, or the embedded sandbox)."""

    def connect(self, corp_id: str, secret: str, token_key: UUID) -> WecomApi:
        """The API of corp `corp_id` as the app with `secret`; its access_token is kept
        under `token_key` (one per corp and secret)."""
        ...


class PlanGate(Protocol):
    """The tenant's plan (the tenancy context's quota service)."""

    def require_feature(self, tenant_id: UUID, feature: str) -> None:
        """Refuse (403 `subscription_inactive`) unless a subscription in service
        includes `feature`."""
        ...


@dataclass(frozen=True)
class ServingCorp:
    """What a callback needs of its corp: whose it is and its keys."""

    tenant_id: UUID
    corp_id: UUID
    corpid: str
    unbound: bool
    callback_token: str
    encoding_aes_key: str


class WecomCorps:
    """Binds the tenant's corp and hands out its API."""

    def __init__(self, wecom: Wecom, connector: WecomConnector, plans: PlanGate) -> None:
        self.wecom = wecom
        self.connector = connector
        self.plans = plans
        self._lock = threading.Lock()
        self._serving: dict[str, tuple[float, ServingCorp]] = {}
        self._loaded: dict[UUID, tuple[float, WecomCorp]] = {}
        self._planned: dict[UUID, float] = {}
        self._apis: dict[UUID, WecomApi] = {}

    # --- the tenant admin's use cases ------------------------------------------------------

    def bind(self, tenant_id: UUID, command: BindCorp) -> CorpDetails:
        """Bind the corp; a tenant binds one (409 while one is bound; after an unbinding
        the record is bound again at a new callback URL)."""
        key = secrets.token_urlsafe(24)
        fields = command.model_dump()
        record_id = corp_id_for(tenant_id)
        if record_id in self.wecom.repository:
            corp = self.wecom.load(record_id, WecomCorp, tenant_id=tenant_id)
            if not corp.unbound:
                raise AlreadyExists("the tenant has a bound WeCom corp already", field="corpid")
            corp.rebind(**fields, callback_key=key)
            address = CallbackAddress.claim(tenant_id=tenant_id, corp_id=corp.id, callback_key=key)
            self.wecom.commit(corp, address)
            self._forget(tenant_id)
            return corp_details(corp)
        corp = WecomCorp.bind(tenant_id=tenant_id, **fields, callback_key=key)
        address = CallbackAddress.claim(tenant_id=tenant_id, corp_id=corp.id, callback_key=key)
        try:
            created = self.wecom.create(corp, address)
        except VersionConflict:
            raise AlreadyExists(
                "the tenant has a bound WeCom corp already", field="corpid"
            ) from None
        return corp_details(created)

    def corps(self, tenant_id: UUID, *, include_unbound: bool = False) -> list[CorpDetails]:
        """The tenant's corp as a list of none or one (unbound only if asked)."""
        record_id = corp_id_for(tenant_id)
        if record_id not in self.wecom.repository:
            return []
        corp = self.wecom.load(record_id, WecomCorp, tenant_id=tenant_id)
        return [corp_details(corp)] if include_unbound or not corp.unbound else []

    def corp(self, tenant_id: UUID, corp_id: UUID) -> CorpDetails:
        return corp_details(self._load(tenant_id, corp_id))

    def bound_corp(self, tenant_id: UUID) -> CorpDetails:
        """The tenant's bound corp; `CorpNotBound` if none."""
        return corp_details(self._bound(tenant_id))

    def revise(
        self, tenant_id: UUID, corp_id: UUID, command: ReviseCorp, *, expected_version: int
    ) -> CorpDetails:
        """Rename, or set new keys after a reset in WeCom (omitted keys stay)."""
        corp = self._load(tenant_id, corp_id, expected_version)
        if command.name is not None:
            corp.rename(command.name)
        keys = (command.agentid, command.app_secret, command.callback_token)
        if any(key is not None for key in (*keys, command.encoding_aes_key)):
            corp.change_keys(
                agentid=command.agentid or corp.agentid,
                app_secret=command.app_secret or corp.app_secret,
                callback_token=command.callback_token or corp.callback_token,
                encoding_aes_key=command.encoding_aes_key or corp.encoding_aes_key,
            )
        return self._saved(corp)

    def unbind(self, tenant_id: UUID, corp_id: UUID, *, expected_version: int) -> CorpDetails:
        """Stop serving the corp; its history and its customers' stay."""
        corp = self._load(tenant_id, corp_id, expected_version)
        corp.unbind()
        return self._saved(corp)

    def record_departments(self, tenant_id: UUID, departments: list[Department]) -> bool:
        """What a contacts sync found of the departments (recorded if changed)."""
        corp = self._bound(tenant_id, fresh=True)
        changed = corp.record_departments([d.model_dump() for d in departments])
        if changed:
            self._saved(corp)
        return changed

    # --- for callbacks and every call to WeCom ---------------------------------------------

    def serving(self, callback_key: str) -> ServingCorp:
        """The corp a callback URL names, whoever's it is (the URL with the signature is
        the credential); cached briefly per process. `NotFound` for no such URL."""
        now = time.monotonic()
        with self._lock:
            cached = self._serving.get(callback_key)
        if cached is not None and now - cached[0] < CORP_CACHE_SECONDS:
            return cached[1]
        try:
            address: Any = self.wecom.repository.get(callback_address_id(callback_key))
            corp: Any = self.wecom.repository.get(address.corp_id)
        except (AggregateNotFoundError, ValueError):
            raise NotFound("no WeCom callback here") from None
        if not isinstance(corp, WecomCorp) or corp.callback_key != callback_key:
            raise NotFound("no WeCom callback here")  # the URL of an earlier binding
        serving = ServingCorp(
            tenant_id=corp.tenant_id,
            corp_id=corp.id,
            corpid=corp.corpid,
            unbound=corp.unbound,
            callback_token=corp.callback_token,
            encoding_aes_key=corp.encoding_aes_key,
        )
        with self._lock:
            self._serving[callback_key] = (now, serving)
        return serving

    def api_of(self, tenant_id: UUID) -> WecomApi:
        """The WeCom API of the tenant's bound corp: `CorpNotBound` (404, field `corp`)
        when there is none or it is unbound, 403 `subscription_inactive` without an SCRM
        plan in service. One client per corp and secret per process."""
        corp = self._bound(tenant_id)
        now = time.monotonic()
        with self._lock:
            planned = self._planned.get(tenant_id)
        if planned is None or now - planned >= CORP_CACHE_SECONDS:
            self.plans.require_feature(tenant_id, SCRM_FEATURE)
            with self._lock:
                self._planned[tenant_id] = now
        token_key = token_key_for(corp)
        with self._lock:
            api = self._apis.get(token_key)
        if api is None:
            api = self.connector.connect(corp.corpid, corp.app_secret, token_key)
            with self._lock:
                api = self._apis.setdefault(token_key, api)
        return api

    def corpid_of(self, tenant_id: UUID) -> str:
        """The WeCom id of the tenant's bound corp (`CorpNotBound` if none)."""
        return self._bound(tenant_id).corpid

    # --- loading ---------------------------------------------------------------------------

    def _bound(self, tenant_id: UUID, *, fresh: bool = False) -> WecomCorp:
        record_id = corp_id_for(tenant_id)
        now = time.monotonic()
        with self._lock:
            cached = self._loaded.get(tenant_id)
        if not fresh and cached is not None and now - cached[0] < CORP_CACHE_SECONDS:
            corp = cached[1]
        else:
            if record_id not in self.wecom.repository:
                raise CorpNotBound()
            corp = self.wecom.load(record_id, WecomCorp, tenant_id=tenant_id)
            with self._lock:
                self._loaded[tenant_id] = (now, corp)
        if corp.unbound:
            raise CorpNotBound("the tenant's WeCom corp is unbound")
        return corp

    def _load(
        self, tenant_id: UUID, corp_id: UUID, expected_version: int | None = None
    ) -> WecomCorp:
        return self.wecom.load(
            corp_id, WecomCorp, tenant_id=tenant_id, expected_version=expected_version
        )

    def _saved(self, corp: WecomCorp) -> CorpDetails:
        self.wecom.commit(corp)
        self._forget(corp.tenant_id)
        return corp_details(corp)

    def _forget(self, tenant_id: UUID) -> None:
        """This process sees its own change at once."""
        with self._lock:
            self._loaded.pop(tenant_id, None)
            for key, (_, serving) in list(self._serving.items()):
                if serving.tenant_id == tenant_id:
                    del self._serving[key]


def token_key_for(corp: WecomCorp) -> UUID:
    """Where the corp's access_token is kept: one per corp and secret (a new secret, a
    new token); the secret itself is not in the key, only a digest of it."""
    digest = hashlib.sha256(corp.app_secret.encode()).hexdigest()[:16]
    return uuid5(_TOKENS, f"{corp.tenant_id}:{corp.corpid}:{digest}")


def corp_details(corp: WecomCorp) -> CorpDetails:
    return CorpDetails(
        id=corp.id,
        name=corp.name,
        corpid=corp.corpid,
        agentid=corp.agentid,
        unbound=corp.unbound,
        callback_path=callback_path(corp.callback_key),
        departments=[Department(**d) for d in corp.departments],
        version=corp.version,
        created_at=corp.created_on,
    )


__all__ = [
    "CorpNotBound",
    "PlanGate",
    "ServingCorp",
    "WecomConnector",
    "WecomCorps",
    "callback_path",
    "corp_details",
    "token_key_for",
]
