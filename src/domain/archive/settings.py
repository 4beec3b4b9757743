"""A tenant's session archive settings (会话内容存档 · 设置, ARCH-1): the RSA key pairs
WeCom encrypts the archive with, by `publickey_ver`, the pull source (the corp and the
finance SDK's secret) and whether ingestion runs.

WeCom's admin pastes a public key with a version into 管理后台 → 管理工具 → 会话内容存档;
from then on each message's random key is wrapped with that version's key. Every
version ever added is kept (or remembered as retired), so messages sealed under an older
version still open and a version number never names two different keys. The newest
version is the one in use: WeCom versions count up, and the console shows its public
key to paste.

The private keys are PEM text given by the application (generated or imported by an
adapter): the domain does no cryptography. They travel in events, which the store
encrypts like all personal data; the history hides them (the `_secret` suffix).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, AggregateEvent, event

from domain.shared.errors import InvalidValue, StateConflict

MAX_KEYS = 50  # versions kept at once; WeCom's admin keeps fewer
MAX_PUBLICKEY_VER = 1_000_000
MAX_PEM_LENGTH = 10_000  # an RSA-4096 private key in PEM is about 3,300 characters

_CORP_ID = re.compile(r"^w[a-z0-9]{5,31}$")  # "ww" + 16 hex for a WeCom corp, "wx…" older
_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # the archive's Secret (43 characters today)
_PUBLIC_PEM = re.compile(
    r"^-----BEGIN (RSA )?PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END (RSA )?PUBLIC KEY-----\n?$"
)
_PRIVATE_PEM = re.compile(
    r"^-----BEGIN (RSA )?PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END (RSA )?PRIVATE KEY-----\n?$"
)


def checked_version(publickey_ver: int) -> int:
    if isinstance(publickey_ver, bool) or not isinstance(publickey_ver, int):
        raise InvalidValue("publickey_ver must be a whole number", field="publickey_ver")
    if not 1 <= publickey_ver <= MAX_PUBLICKEY_VER:
        raise InvalidValue(
            f"publickey_ver must be between 1 and {MAX_PUBLICKEY_VER}", field="publickey_ver"
        )
    return publickey_ver


def _pem(text: str, pattern: re.Pattern[str], *, field: str, what: str) -> str:
    pem = text.strip().replace("\r\n", "\n") + "\n"
    if len(pem) > MAX_PEM_LENGTH or not pattern.match(pem):
        raise InvalidValue(f"{field} must be {what} in PEM", field=field)
    return pem


class ArchiveSettings(Aggregate):
    """The archive settings of one tenant (one per tenant: its id derives from it)."""

    TOPIC = "archive.ArchiveSettings"
    Created = None  # type: ignore[assignment]  # the creation event is named below
    if TYPE_CHECKING:  # the event classes @event defines below, named for type checkers
        SetUp: ClassVar[type[AggregateEvent]]
        KeyAdded: ClassVar[type[AggregateEvent]]
        KeyRetired: ClassVar[type[AggregateEvent]]
        SourceChanged: ClassVar[type[AggregateEvent]]
        Enabled: ClassVar[type[AggregateEvent]]
        Disabled: ClassVar[type[AggregateEvent]]

    @staticmethod
    def create_id(tenant_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"/huoke/tenants/{tenant_id}/archive/settings")

    @classmethod
    def set_up(cls, tenant_id: UUID) -> ArchiveSettings:
        """The settings before anything is chosen: no key, no source, not enabled."""
        return cls(id=cls.create_id(tenant_id), tenant_id=tenant_id)

    @event("SetUp", topic="archive.ArchiveSettings.SetUp")
    def __init__(self, id: UUID, tenant_id: UUID) -> None:
        self.tenant_id = tenant_id
        # publickey_ver → {"public_key_pem", "private_key_secret"}
        self.keys: dict[int, dict[str, str]] = {}
        self.retired_versions: list[int] = []
        self.corpid = ""
        self.sdk_secret = ""
        self.enabled = False

    # --- keys ----------------------------------------------------------------------------

    @property
    def current_version(self) -> int | None:
        """The version in use: the newest one kept (None before the first key)."""
        return max(self.keys) if self.keys else None

    @property
    def versions(self) -> list[int]:
        return sorted(self.keys)

    def public_key_of(self, publickey_ver: int) -> str:
        return self.keys[publickey_ver]["public_key_pem"]

    def private_key_of(self, publickey_ver: int) -> str | None:
        """The private key of a version, None for a version never added or retired."""
        key = self.keys.get(publickey_ver)
        return key["private_key_secret"] if key else None

    def add_key(self, *, publickey_ver: int, public_key_pem: str, private_key_pem: str) -> None:
        """Keep a key pair under the version the admin gives it in WeCom. A version
        number names one key for ever: one kept or retired is refused."""
        version = checked_version(publickey_ver)
        public = _pem(public_key_pem, _PUBLIC_PEM, field="public_key_pem", what="a public key")
        private = _pem(private_key_pem, _PRIVATE_PEM, field="private_key_pem", what="a private key")
        if version in self.keys:
            raise StateConflict(
                f"key version {version} is already kept; WeCom gives every new key a new version",
                field="publickey_ver",
            )
        if version in self.retired_versions:
            raise StateConflict(
                "this key version was retired; a version number names one key only",
                field="publickey_ver",
            )
        if len(self.keys) >= MAX_KEYS:
            raise StateConflict(f"at most {MAX_KEYS} key versions are kept; retire old ones")
        self._key_added(publickey_ver=version, public_key_pem=public, private_key_secret=private)

    @event("KeyAdded", topic="archive.ArchiveSettings.KeyAdded")
    def _key_added(self, publickey_ver: int, public_key_pem: str, private_key_secret: str) -> None:
        self.keys[publickey_ver] = {
            "public_key_pem": public_key_pem,
            "private_key_secret": private_key_secret,
        }

    def retire_key(self, publickey_ver: int) -> None:
        """Forget an older version's private key (messages still sealed under it will
        no longer open). The version in use cannot be retired."""
        version = checked_version(publickey_ver)
        if version not in self.keys:
            raise StateConflict("no key of this version is kept", field="publickey_ver")
        if version == self.current_version:
            raise StateConflict(
                "the key version in use cannot be retired; add a newer one first",
                field="publickey_ver",
            )
        self._key_retired(publickey_ver=version)

    @event("KeyRetired", topic="archive.ArchiveSettings.KeyRetired")
    def _key_retired(self, publickey_ver: int) -> None:
        del self.keys[publickey_ver]
        self.retired_versions.append(publickey_ver)

    # --- source and switch ---------------------------------------------------------------

    def change_source(self, *, corpid: str, sdk_secret: str | None) -> None:
        """The corp whose archive is pulled and the archive's Secret (会话内容存档 Secret);
        `sdk_secret` None keeps the one kept."""
        corpid = corpid.strip()
        if not _CORP_ID.match(corpid):
            raise InvalidValue("corpid must be the corp's ID (ww…)", field="corpid")
        secret = self.sdk_secret if sdk_secret is None else sdk_secret.strip()
        if not _SECRET.match(secret):
            raise InvalidValue(
                "sdk_secret must be the archive's Secret (16 to 64 letters, digits, - or _)",
                field="sdk_secret",
            )
        if (corpid, secret) != (self.corpid, self.sdk_secret):
            self._source_changed(corpid=corpid, sdk_secret=secret)

    @event("SourceChanged", topic="archive.ArchiveSettings.SourceChanged")
    def _source_changed(self, corpid: str, sdk_secret: str) -> None:
        self.corpid = corpid
        self.sdk_secret = sdk_secret

    def enable(self) -> None:
        """Start pulling: needs a key in use and a source."""
        if self.current_version is None:
            raise StateConflict("add a key pair before enabling the archive", field="keys")
        if not self.corpid:
            raise StateConflict("set the corp and its Secret before enabling", field="corpid")
        if not self.enabled:
            self._enabled()

    @event("Enabled", topic="archive.ArchiveSettings.Enabled")
    def _enabled(self) -> None:
        self.enabled = True

    def disable(self) -> None:
        """Stop pulling; what is stored stays, and the next pull resumes where it ended."""
        if self.enabled:
            self._disabled()

    @event("Disabled", topic="archive.ArchiveSettings.Disabled")
    def _disabled(self) -> None:
        self.enabled = False

    def public_keys(self) -> dict[int, str]:
        return {version: key["public_key_pem"] for version, key in sorted(self.keys.items())}

    def __repr__(self) -> str:  # never the keys
        details: dict[str, Any] = {"versions": self.versions, "enabled": self.enabled}
        return f"ArchiveSettings({self.tenant_id}, {details})"
