"""The WeCom corp (企业微信) a tenant bound (WECOM-1…5, WECOM-8): one per tenant, with the
keys of the self-built app that holds the customer-contact (客户联系) permission, the
callback Token and EncodingAESKey, and the random key of its public callback URL.

The keys (the app's Secret, the callback token, the EncodingAESKey) travel in events,
which the store encrypts like all personal data; history hides them (`_secret`,
`_token`, `_aes_key` fields are redacted) and no read model copies them.

The corp's id is derived from the tenant: binding a second corp conflicts in the store.
After an unbinding the same record is bound again (`rebind`), with a new callback key,
so the old URL stays dead. The callback key has an index record of its own
(`CallbackAddress`, id derived from the key), saved with the corp, so a callback finds
its corp from the URL alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict
from domain.shared.text import required_text

# WeCom's corp ids: "ww" (or, for old corps, "wx") and 16 letters or digits.
_CORPID = re.compile(r"^w[wx][0-9A-Za-z]{16}$")
# A self-built app's Secret (and the contacts secret): 43 URL-safe base64 characters
# today; a little room either way, never spaces.
_SECRET = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_TOKEN = re.compile(r"^[A-Za-z0-9]{1,32}$")  # WeCom: 英文或数字，不超过 32 位
_AES_KEY = re.compile(r"^[A-Za-z0-9+/]{43}$")  # EncodingAESKey: 43 base64 characters
_CALLBACK_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_AGENTID = 2_147_483_647
MAX_DEPARTMENTS = 10_000


def corp_id_for(tenant_id: UUID) -> UUID:
    """The one corp record of a tenant."""
    return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/wecom/corp")


def callback_address_id(callback_key: str) -> UUID:
    """The index record of a callback URL's key."""
    return uuid5(NAMESPACE_URL, f"/huoke/wecom/callbacks/{callback_key}")


def checked_keys(
    *, agentid: int, app_secret: str, callback_token: str, encoding_aes_key: str
) -> None:
    """Refuse keys WeCom would never have issued, naming the field."""
    if isinstance(agentid, bool) or not 1 <= agentid <= MAX_AGENTID:
        raise InvalidValue("agentid must be the app's AgentId, a positive number", field="agentid")
    if not _SECRET.match(app_secret):
        raise InvalidValue(
            "app_secret must be the app's Secret: 20 to 64 letters, digits, '-' or '_'",
            field="app_secret",
        )
    if not _TOKEN.match(callback_token):
        raise InvalidValue(
            "callback_token must be 1 to 32 letters or digits", field="callback_token"
        )
    if not _AES_KEY.match(encoding_aes_key):
        raise InvalidValue(
            "encoding_aes_key must be 43 base64 characters (letters, digits, '+', '/')",
            field="encoding_aes_key",
        )


def _checked_corpid(corpid: str) -> str:
    corpid = corpid.strip()
    if not _CORPID.match(corpid):
        raise InvalidValue(
            "corpid must be the corp's id: 'ww' and 16 letters or digits", field="corpid"
        )
    return corpid


def _checked_callback_key(callback_key: str) -> str:
    if not _CALLBACK_KEY.match(callback_key):
        raise InvalidValue(
            "callback_key must be 16 to 64 URL-safe characters", field="callback_key"
        )
    return callback_key


def checked_departments(departments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Departments as the contacts sync found them: id, name, parent_id, order; sorted."""
    if len(departments) > MAX_DEPARTMENTS:
        raise InvalidValue(f"at most {MAX_DEPARTMENTS} departments", field="departments")
    seen: set[int] = set()
    rows = []
    for item in departments:
        department_id = int(item["id"])
        if department_id in seen:
            raise InvalidValue(f"department {department_id} twice", field="departments")
        seen.add(department_id)
        rows.append(
            {
                "id": department_id,
                "name": str(item.get("name", ""))[:64],
                "parent_id": int(item.get("parent_id", 0)),
                "order": int(item.get("order", 0)),
            }
        )
    return sorted(rows, key=lambda row: row["id"])


class WecomCorp(Aggregate):
    """A tenant's WeCom corp, as its self-built app sees it."""

    TOPIC = "wecom.WecomCorp"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        Bound: ClassVar[type[AggregateEvent]]
        Rebound: ClassVar[type[AggregateEvent]]
        Renamed: ClassVar[type[AggregateEvent]]
        KeysChanged: ClassVar[type[AggregateEvent]]
        DepartmentsSynced: ClassVar[type[AggregateEvent]]
        Unbound: ClassVar[type[AggregateEvent]]

    @classmethod
    def bind(
        cls,
        *,
        tenant_id: UUID,
        name: str,
        corpid: str,
        agentid: int,
        app_secret: str,
        callback_token: str,
        encoding_aes_key: str,
        callback_key: str,
    ) -> WecomCorp:
        """Bind the corp with its app's keys (应用管理 › 自建应用) and the callback
        settings (接收事件服务器)."""
        corpid = _checked_corpid(corpid)
        checked_keys(
            agentid=agentid,
            app_secret=app_secret,
            callback_token=callback_token,
            encoding_aes_key=encoding_aes_key,
        )
        return cls(
            id=corp_id_for(tenant_id),
            tenant_id=tenant_id,
            name=required_text(name, field="name", max_length=64),
            corpid=corpid,
            agentid=agentid,
            app_secret=app_secret,
            callback_token=callback_token,
            encoding_aes_key=encoding_aes_key,
            callback_key=_checked_callback_key(callback_key),
        )

    @event("Bound", topic="wecom.WecomCorp.Bound")
    def __init__(
        self,
        id: UUID,
        tenant_id: UUID,
        name: str,
        corpid: str,
        agentid: int,
        app_secret: str,
        callback_token: str,
        encoding_aes_key: str,
        callback_key: str,
    ) -> None:
        self.tenant_id = tenant_id
        self._set(name, corpid, agentid, app_secret, callback_token, encoding_aes_key)
        self.callback_key = callback_key
        self.departments: list[dict[str, Any]] = []
        self.unbound = False

    def _set(
        self,
        name: str,
        corpid: str,
        agentid: int,
        app_secret: str,
        callback_token: str,
        encoding_aes_key: str,
    ) -> None:
        self.name = name
        self.corpid = corpid
        self.agentid = agentid
        self.app_secret = app_secret
        self.callback_token = callback_token
        self.encoding_aes_key = encoding_aes_key

    def rebind(
        self,
        *,
        name: str,
        corpid: str,
        agentid: int,
        app_secret: str,
        callback_token: str,
        encoding_aes_key: str,
        callback_key: str,
    ) -> None:
        """Bind an unbound record again (the same corp or another), at a new callback URL."""
        if not self.unbound:
            raise StateConflict("the tenant's WeCom corp is bound already; unbind it first")
        corpid = _checked_corpid(corpid)
        checked_keys(
            agentid=agentid,
            app_secret=app_secret,
            callback_token=callback_token,
            encoding_aes_key=encoding_aes_key,
        )
        if _checked_callback_key(callback_key) == self.callback_key:
            raise StateConflict("a new binding needs a new callback key")
        self._rebound(
            name=required_text(name, field="name", max_length=64),
            corpid=corpid,
            agentid=agentid,
            app_secret=app_secret,
            callback_token=callback_token,
            encoding_aes_key=encoding_aes_key,
            callback_key=callback_key,
        )

    @event("Rebound", topic="wecom.WecomCorp.Rebound")
    def _rebound(
        self,
        name: str,
        corpid: str,
        agentid: int,
        app_secret: str,
        callback_token: str,
        encoding_aes_key: str,
        callback_key: str,
    ) -> None:
        self._set(name, corpid, agentid, app_secret, callback_token, encoding_aes_key)
        self.callback_key = callback_key
        self.departments = []
        self.unbound = False

    def rename(self, name: str) -> None:
        self._require_bound()
        name = required_text(name, field="name", max_length=64)
        if name != self.name:
            self._renamed(name=name)

    @event("Renamed", topic="wecom.WecomCorp.Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name

    def change_keys(
        self, *, agentid: int, app_secret: str, callback_token: str, encoding_aes_key: str
    ) -> None:
        """New keys after a reset in the WeCom admin console (the old ones stop working
        there); the callback URL stays."""
        self._require_bound()
        checked_keys(
            agentid=agentid,
            app_secret=app_secret,
            callback_token=callback_token,
            encoding_aes_key=encoding_aes_key,
        )
        keys = (agentid, app_secret, callback_token, encoding_aes_key)
        if keys != (self.agentid, self.app_secret, self.callback_token, self.encoding_aes_key):
            self._keys_changed(
                agentid=agentid,
                app_secret=app_secret,
                callback_token=callback_token,
                encoding_aes_key=encoding_aes_key,
            )

    @event("KeysChanged", topic="wecom.WecomCorp.KeysChanged")
    def _keys_changed(
        self, agentid: int, app_secret: str, callback_token: str, encoding_aes_key: str
    ) -> None:
        self.agentid = agentid
        self.app_secret = app_secret
        self.callback_token = callback_token
        self.encoding_aes_key = encoding_aes_key

    def record_departments(self, departments: list[dict[str, Any]]) -> bool:
        """The departments a contacts sync found (the app's visible range); True when
        they differ from the last sync's."""
        self._require_bound()
        rows = checked_departments(departments)
        if rows == self.departments:
            return False
        self._departments_synced(departments=rows)
        return True

    @event("DepartmentsSynced", topic="wecom.WecomCorp.DepartmentsSynced")
    def _departments_synced(self, departments: list[dict[str, Any]]) -> None:
        self.departments = departments

    def unbind(self) -> None:
        """Stop serving the corp: its callbacks are refused and nothing is asked of
        WeCom in its name from now on; its customers' history stays."""
        self._require_bound()
        self._unbound()

    @event("Unbound", topic="wecom.WecomCorp.Unbound")
    def _unbound(self) -> None:
        self.unbound = True

    def require_bound(self) -> None:
        self._require_bound()

    def _require_bound(self) -> None:
        if self.unbound:
            raise StateConflict("the WeCom corp is unbound")


class CallbackAddress(Aggregate):
    """The index of one callback URL key: which tenant's corp it serves. Saved with the
    corp's binding, so two corps can never share a key and a callback needs no read
    model to find its corp."""

    TOPIC = "wecom.CallbackAddress"
    Created = None  # type: ignore[assignment]
    if TYPE_CHECKING:
        Claimed: ClassVar[type[AggregateEvent]]

    @classmethod
    def claim(cls, *, tenant_id: UUID, corp_id: UUID, callback_key: str) -> CallbackAddress:
        return cls(
            id=callback_address_id(_checked_callback_key(callback_key)),
            tenant_id=tenant_id,
            corp_id=corp_id,
        )

    @event("Claimed", topic="wecom.CallbackAddress.Claimed")
    def __init__(self, id: UUID, tenant_id: UUID, corp_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.corp_id = corp_id
